"""Checking an ID token: its signature against the provider's keys, then every claim.

Pure: the keys, the expected values and the time are passed in. joserfc's exceptions are
translated here and nowhere else. Only asymmetric signatures are accepted: ``none`` and
the HMAC family (``HS256`` …, keyed with the client secret, so anyone holding it could
mint tokens) are refused whatever the provider announces, as is a key whose type, curve,
``use`` or ``alg`` does not fit the token's algorithm.
"""

import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authlib.oidc.core.util import create_half_hash
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import import_key

from api.identity.errors import LoginRejected

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "TokenExpectations",
    "check_claims",
    "read_header",
    "select_key",
    "verify_signature",
]

ASYMMETRIC_ALGORITHMS = frozenset(
    {
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
        "ES512",
        "EdDSA",
        "Ed25519",
    }
)
"""The JWS algorithms an ID token may be signed with, if the provider announces them."""

_CURVES = {"ES256": {"P-256"}, "ES384": {"P-384"}, "ES512": {"P-521"}}
_OKP_CURVES = {"EdDSA": {"Ed25519", "Ed448"}, "Ed25519": {"Ed25519"}}


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenExpectations:
    """What a valid ID token for this login must say.

    Attributes
    ----------
    issuer
        The provider's issuer identifier, compared exactly with ``iss``.
    client_id
        Must be among ``aud``; and equal ``azp`` when that is present or ``aud`` has several.
    nonce
        The nonce sent with the authorization request, compared in constant time.
    now
        The current time (timezone-aware).
    clock_skew_s
        How far ``exp``, ``iat`` and ``nbf`` may be off, in seconds.
    access_token
        The access token issued with it, to check ``at_hash`` against when present.
    """

    issuer: str
    client_id: str
    nonce: str
    now: datetime
    clock_skew_s: float
    access_token: str | None = None


def read_header(token: str, *, algorithms: frozenset[str]) -> Mapping[str, Any]:
    """The JOSE header of a compact JWS, before any check of its signature.

    Raises
    ------
    LoginRejected
        ``"malformed"`` if it is not a compact JWS; ``"algorithm"`` if its ``alg`` is not
        both asymmetric and among ``algorithms`` (those the provider announced).
    """
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise LoginRejected("the ID token is not a signed JWT", check="malformed") from exc
    alg = header.get("alg")
    if alg not in algorithms or alg not in ASYMMETRIC_ALGORITHMS:
        raise LoginRejected(
            f"the ID token is signed with {alg!r}; accepted: {', '.join(sorted(algorithms))}",
            check="algorithm",
        )
    return header


def select_key(
    keys: Sequence[Mapping[str, Any]], header: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The one JWK of ``keys`` that fits the header's ``kid`` and ``alg``, or ``None``.

    Without a ``kid``, a key is chosen only when exactly one fits the algorithm.
    """
    alg = str(header["alg"])
    fitting = [dict(key) for key in keys if _fits(key, alg)]
    kid = header.get("kid")
    if kid is not None:
        fitting = [key for key in fitting if key.get("kid") == kid]
    return fitting[0] if len(fitting) == 1 else None


def verify_signature(token: str, key: Mapping[str, Any], *, alg: str) -> dict[str, Any]:
    """Verify the signature with ``key`` and return the claims.

    Raises
    ------
    LoginRejected
        ``"signature"`` if it does not verify (or the key cannot be read);
        ``"malformed"`` if the payload is not a JSON object.
    """
    try:
        verified = jws.deserialize_compact(token, import_key(dict(key)), algorithms=[alg])
    except (JoseError, ValueError, TypeError) as exc:
        raise LoginRejected(
            f"the ID token's signature does not verify with key {key.get('kid')!r}",
            check="signature",
        ) from exc
    try:
        claims = json.loads(verified.payload)
    except ValueError as exc:
        raise LoginRejected("the ID token's payload is not JSON", check="malformed") from exc
    if not isinstance(claims, dict):
        raise LoginRejected("the ID token's payload is not a JSON object", check="malformed")
    return claims


def check_claims(claims: Mapping[str, Any], *, alg: str, expect: TokenExpectations) -> None:
    """Check ``iss``, ``aud``, ``azp``, ``sub``, ``exp``, ``iat``, ``nbf``, ``nonce``, ``at_hash``.

    Raises
    ------
    LoginRejected
        Naming the first check that failed (see :class:`~api.identity.errors.LoginRejected`).
    """
    if claims.get("iss") != expect.issuer:
        raise LoginRejected(
            f"the ID token was issued by {claims.get('iss')!r}, not {expect.issuer!r}",
            check="issuer",
        )
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or expect.client_id not in audiences:
        raise LoginRejected(
            f"the ID token is meant for {audience!r}, not {expect.client_id!r}", check="audience"
        )
    azp = claims.get("azp")
    if (azp is not None or len(audiences) > 1) and azp != expect.client_id:
        raise LoginRejected(
            f"the ID token was issued to {azp!r}, not {expect.client_id!r}",
            check="authorized party",
        )
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise LoginRejected("the ID token names no subject", check="subject")
    now = expect.now.timestamp()
    skew = expect.clock_skew_s
    if now > _seconds(claims, "exp") + skew:
        raise LoginRejected("the ID token has expired", check="expired")
    if _seconds(claims, "iat") > now + skew:
        raise LoginRejected("the ID token was issued in the future", check="issued in the future")
    if "nbf" in claims and _seconds(claims, "nbf") > now + skew:
        raise LoginRejected("the ID token is not valid yet", check="not yet valid")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode(), expect.nonce.encode()):
        raise LoginRejected("the ID token's nonce is not this login's", check="nonce")
    at_hash = claims.get("at_hash")
    if at_hash is not None and expect.access_token is not None:
        wanted = create_half_hash(expect.access_token, alg)
        if wanted is None or not hmac.compare_digest(str(at_hash).encode(), wanted):
            raise LoginRejected(
                "the ID token's at_hash does not match the access token", check="at_hash"
            )


def _fits(key: Mapping[str, Any], alg: str) -> bool:
    if key.get("use", "sig") != "sig" or key.get("alg", alg) != alg:
        return False
    kty = key.get("kty")
    if alg[:2] in ("RS", "PS"):
        return kty == "RSA"
    if alg in _CURVES:
        return kty == "EC" and key.get("crv") in _CURVES[alg]
    return kty == "OKP" and key.get("crv") in _OKP_CURVES.get(alg, set())


def _seconds(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LoginRejected(f"the ID token's {name} is missing or not a number", check="malformed")
    return float(value)
