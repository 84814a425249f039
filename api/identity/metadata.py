"""The provider's discovery document (OpenID Connect Discovery 1.0), read and checked."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from api.identity.config import check_url
from api.identity.errors import ProviderMismatch
from api.identity.tokens import ASYMMETRIC_ALGORITHMS

__all__ = ["ProviderMetadata"]

_REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


@dataclass(frozen=True, kw_only=True, slots=True)
class ProviderMetadata:
    """What Tanbo reads from the provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    id_token_algorithms: frozenset[str]
    claims_parameter_supported: bool
    iss_parameter_supported: bool

    @classmethod
    def from_document(cls, document: Mapping[str, Any], *, issuer: str) -> Self:
        """Read and check a discovery document (OpenID Connect Discovery 1.0, section 4.3).

        Raises
        ------
        ProviderMismatch
            The document names another issuer, lacks an endpoint or S256 PKCE, or announces
            no asymmetric ID-token algorithm.
        """
        if document.get("issuer") != issuer:
            raise ProviderMismatch(
                f"the discovery document names issuer {document.get('issuer')!r}, "
                f"but Tanbo is configured for {issuer!r}",
                what="issuer",
            )
        endpoints: dict[str, str] = {}
        for name in (*_REQUIRED_ENDPOINTS, "userinfo_endpoint"):
            url = document.get(name)
            if url is None and name == "userinfo_endpoint":
                continue
            if not isinstance(url, str):
                raise ProviderMismatch(f"the provider announces no {name}", what="endpoint")
            try:
                check_url(url, what=name)
            except ValueError as exc:
                raise ProviderMismatch(f"the provider's {exc}", what="endpoint") from exc
            endpoints[name] = url
        if "S256" not in document.get("code_challenge_methods_supported", []):
            raise ProviderMismatch("the provider does not announce S256 PKCE", what="pkce")
        announced = document.get("id_token_signing_alg_values_supported", [])
        algorithms = frozenset(a for a in announced if a in ASYMMETRIC_ALGORITHMS)
        if not algorithms:
            raise ProviderMismatch(
                f"the provider signs ID tokens only with {announced!r}", what="algorithm"
            )
        return cls(
            issuer=issuer,
            authorization_endpoint=endpoints["authorization_endpoint"],
            token_endpoint=endpoints["token_endpoint"],
            jwks_uri=endpoints["jwks_uri"],
            userinfo_endpoint=endpoints.get("userinfo_endpoint"),
            id_token_algorithms=algorithms,
            claims_parameter_supported=document.get("claims_parameter_supported") is True,
            iss_parameter_supported=(
                document.get("authorization_response_iss_parameter_supported") is True
            ),
        )
