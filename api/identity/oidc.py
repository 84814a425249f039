"""Logging in through the city's OpenID provider: authorization code flow with PKCE.

::

    client = OidcClient(config)
    start = client.begin_login()    # keep start.pending; redirect to start.authorization_url
    ...                             # the provider redirects back to config.redirect_uri
    identity = client.finish_login(pending=start.pending, callback=request.query_params)

Discovery and the provider's keys are fetched on first use and cached; the keys are fetched
again when older than ``jwks_max_age_s``, or when a token names a key not in them (at most
every ``jwks_min_refresh_interval_s``), so a provider that rotated its keys keeps working
and a token signed by a key it does not publish is refused. httpx's exceptions are
translated in :meth:`OidcClient._send` and nowhere else. Thread-safe: one client serves
every request of the API.
"""

import hmac
import json
import secrets
import threading
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from api.identity.claims import VerifiedIdentity, identity_from_claims, verified_claims_request
from api.identity.config import LoginStart, OidcConfig, PendingLogin
from api.identity.errors import LoginRejected, ProviderMismatch, ProviderUnavailable
from api.identity.metadata import ProviderMetadata
from api.identity.tokens import (
    TokenExpectations,
    check_claims,
    read_header,
    select_key,
    verify_signature,
)
from core.clock import Clock, SystemClock

__all__ = ["OidcClient"]


class OidcClient:
    """Tanbo as an OpenID Connect relying party of one provider.

    Parameters
    ----------
    config
        The provider and Tanbo's registration there.
    http
        The HTTP client to use (its transport can be replaced in tests); by default one of
        the client's own, closed by :meth:`close`.
    clock
        The time used to check tokens and to age the cached keys.
    """

    def __init__(
        self, config: OidcConfig, *, http: httpx.Client | None = None, clock: Clock | None = None
    ) -> None:
        self._config = config
        self._own_http = http is None
        self._http = http if http is not None else httpx.Client(follow_redirects=False)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._keys: list[dict[str, Any]] = []
        self._keys_fetched_at: datetime | None = None

    @property
    def config(self) -> OidcConfig:
        """The settings this client was made with."""
        return self._config

    def close(self) -> None:
        """Close the HTTP client, if this client made it."""
        if self._own_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def metadata(self) -> ProviderMetadata:
        """The provider's discovery document, fetched once and cached.

        Raises
        ------
        ProviderUnavailable
            Discovery cannot be fetched.
        ProviderMismatch
            It does not fit the configuration (see :meth:`ProviderMetadata.from_document`).
        """
        with self._lock:
            if self._metadata is None:
                url = self._config.issuer.rstrip("/") + "/.well-known/openid-configuration"
                document = self._json(self._send("GET", url, what="discovery"), what="discovery")
                self._metadata = ProviderMetadata.from_document(
                    document, issuer=self._config.issuer
                )
            return self._metadata

    def begin_login(self) -> LoginStart:
        """Start a login: fresh state, nonce and PKCE verifier, and where to send the browser.

        Raises
        ------
        ProviderUnavailable, ProviderMismatch
            Discovery failed (see :meth:`metadata`).
        """
        metadata = self.metadata()
        pending = PendingLogin(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),
        )
        params = {
            "response_type": "code",
            "client_id": self._config.client_id,
            "redirect_uri": self._config.redirect_uri,
            "scope": " ".join(self._config.scopes),
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": create_s256_code_challenge(pending.code_verifier),
            "code_challenge_method": "S256",
        }
        if self._config.request_verified_claims and metadata.claims_parameter_supported:
            claims = verified_claims_request(self._config.trust_frameworks)
            params["claims"] = json.dumps(claims, separators=(",", ":"))
        url = httpx.URL(metadata.authorization_endpoint).copy_merge_params(params)
        return LoginStart(authorization_url=str(url), pending=pending)

    def finish_login(
        self, *, pending: PendingLogin, callback: Mapping[str, str]
    ) -> VerifiedIdentity:
        """Complete a login from the query the provider redirected back with.

        Parameters
        ----------
        pending
            ``LoginStart.pending`` of the :meth:`begin_login` made for this browser.
        callback
            The query parameters of the redirect, as received: ``code``, ``state`` and
            ``iss``, or ``error`` and ``error_description`` (a Starlette ``request.query_params``
            will do).

        Returns
        -------
        VerifiedIdentity
            Who logged in, with the claims the My Number card vouches for.

        Raises
        ------
        LoginRejected
            A check failed, or the provider refused (see ``LoginRejected.check``).
        ProviderUnavailable, ProviderMismatch
            The provider could not be used.
        """
        state = callback.get("state")
        if state is None or not hmac.compare_digest(state.encode(), pending.state.encode()):
            raise LoginRejected("the callback's state is not this login's", check="state")
        metadata = self.metadata()
        issuer = callback.get("iss")
        if (issuer is not None or metadata.iss_parameter_supported) and issuer != metadata.issuer:
            raise LoginRejected(f"the callback comes from issuer {issuer!r}", check="issuer")
        error = callback.get("error")
        if error is not None:
            description = callback.get("error_description") or "no description"
            raise LoginRejected(
                f"the provider refused the login: {error} ({description})",
                check=f"error from provider: {error}",
            )
        code = callback.get("code")
        if not code:
            raise LoginRejected("the callback carries no authorization code", check="code")
        tokens = self._redeem(metadata, code, pending.code_verifier)
        id_token = tokens.get("id_token")
        access_token = tokens.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise LoginRejected("the token response lacks an ID or access token", check="malformed")
        claims = self.verify_id_token(id_token, nonce=pending.nonce, access_token=access_token)
        if metadata.userinfo_endpoint is not None:
            userinfo = self._userinfo(metadata.userinfo_endpoint, access_token)
            if userinfo.get("sub") != claims["sub"]:
                raise LoginRejected(
                    "the userinfo response is about another subject", check="userinfo subject"
                )
            claims = {**userinfo, **claims}
        return identity_from_claims(
            claims, issuer=metadata.issuer, trust_frameworks=self._config.trust_frameworks
        )

    def verify_id_token(
        self, id_token: str, *, nonce: str, access_token: str | None = None
    ) -> dict[str, Any]:
        """Check an ID token's signature and claims; return its claims.

        Raises
        ------
        LoginRejected
            Naming the check that failed.
        ProviderUnavailable
            The provider's keys were needed and cannot be fetched.
        """
        metadata = self.metadata()
        header = read_header(id_token, algorithms=metadata.id_token_algorithms)
        key = self._signing_key(metadata, header)
        alg = str(header["alg"])
        claims = verify_signature(id_token, key, alg=alg)
        expect = TokenExpectations(
            issuer=metadata.issuer,
            client_id=self._config.client_id,
            nonce=nonce,
            now=self._clock.now(),
            clock_skew_s=self._config.clock_skew_s,
            access_token=access_token,
        )
        check_claims(claims, alg=alg, expect=expect)
        return claims

    def _signing_key(self, metadata: ProviderMetadata, header: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            age_s = self._key_age_s()
            if age_s is None or age_s > self._config.jwks_max_age_s:
                self._fetch_keys(metadata)
                age_s = 0.0
            key = select_key(self._keys, header)
            if key is None and age_s >= self._config.jwks_min_refresh_interval_s:
                self._fetch_keys(metadata)
                key = select_key(self._keys, header)
        if key is None:
            raise LoginRejected(
                f"the ID token is signed by key {header.get('kid')!r}, "
                "which the provider does not publish",
                check="unknown key",
            )
        return key

    def _key_age_s(self) -> float | None:
        """Seconds since the keys were fetched, or ``None`` before the first fetch."""
        if self._keys_fetched_at is None:
            return None
        return (self._clock.now() - self._keys_fetched_at).total_seconds()

    def _fetch_keys(self, metadata: ProviderMetadata) -> None:
        document = self._json(self._send("GET", metadata.jwks_uri, what="keys"), what="keys")
        keys = document.get("keys")
        if not isinstance(keys, list):
            raise ProviderUnavailable(f"the provider's key set at {metadata.jwks_uri} has no keys")
        self._keys = [dict(key) for key in keys if isinstance(key, Mapping)]
        self._keys_fetched_at = self._clock.now()

    def _redeem(self, metadata: ProviderMetadata, code: str, verifier: str) -> dict[str, Any]:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self._config.redirect_uri,
            "code_verifier": verifier,
        }
        auth = None
        if self._config.client_secret is None:
            data["client_id"] = self._config.client_id
        else:  # RFC 6749 section 2.3.1: both form-encoded before the Basic scheme
            auth = httpx.BasicAuth(
                quote(self._config.client_id, safe=""), quote(self._config.client_secret, safe="")
            )
        response = self._send("POST", metadata.token_endpoint, what="token", data=data, auth=auth)
        if response.status_code in (400, 401):
            error = self._oauth_error(response)
            if error == "invalid_client":
                raise ProviderMismatch(
                    "the provider refused Tanbo's client id or secret", what="client"
                )
            raise LoginRejected(
                f"the provider refused the code: {error}", check=f"error from provider: {error}"
            )
        tokens = self._json(response, what="token")
        if str(tokens.get("token_type", "")).lower() != "bearer":
            raise LoginRejected(
                f"the token type is {tokens.get('token_type')!r}, not Bearer", check="malformed"
            )
        return tokens

    def _userinfo(self, url: str, access_token: str) -> dict[str, Any]:
        response = self._send(
            "GET", url, what="userinfo", headers={"Authorization": f"Bearer {access_token}"}
        )
        if 400 <= response.status_code < 500:
            raise LoginRejected(
                f"the userinfo endpoint refused the access token ({response.status_code})",
                check="userinfo",
            )
        if response.headers.get("content-type", "").startswith("application/jwt"):
            raise ProviderMismatch(
                "the provider answers userinfo as a JWT; register Tanbo for plain JSON",
                what="userinfo",
            )
        return self._json(response, what="userinfo")

    def _send(self, method: str, url: str, *, what: str, **kwargs: Any) -> httpx.Response:
        """The one place httpx's exceptions become Tanbo's; 5xx is unavailability too."""
        try:
            response = self._http.request(
                method,
                url,
                timeout=self._config.http_timeout_s,
                headers={"Accept": "application/json", **kwargs.pop("headers", {})},
                **kwargs,
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"the provider's {what} endpoint {url}: {exc}") from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(
                f"the provider's {what} endpoint {url} failed ({response.status_code})"
            )
        return response

    @staticmethod
    def _json(response: httpx.Response, *, what: str) -> dict[str, Any]:
        if response.status_code != 200:
            raise ProviderUnavailable(
                f"the provider's {what} endpoint {response.request.url} "
                f"answered {response.status_code}"
            )
        try:
            document = response.json()
        except ValueError as exc:
            raise ProviderUnavailable(f"the provider's {what} answer is not JSON") from exc
        if not isinstance(document, dict):
            raise ProviderUnavailable(f"the provider's {what} answer is not a JSON object")
        return document

    @staticmethod
    def _oauth_error(response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return f"status {response.status_code}"
        error = body.get("error") if isinstance(body, dict) else None
        return str(error) if error else f"status {response.status_code}"
