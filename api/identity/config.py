"""Settings of the OpenID Connect client, and what a login carries over to its callback."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from api.identity.claims import TRUST_FRAMEWORK_JPKI

__all__ = ["LoginStart", "OidcConfig", "PendingLogin", "check_url"]

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def check_url(url: str, *, what: str) -> None:
    """Refuse a URL that is not absolute HTTPS (plain HTTP only on the loopback).

    Raises
    ------
    ValueError
        Naming ``what`` and saying why.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{what} must be an absolute http(s) URL, not {url!r}")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ValueError(f"{what} must use https (plain http only on the loopback): {url!r}")
    if parts.fragment:
        raise ValueError(f"{what} must not have a fragment: {url!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class OidcConfig:
    """How Tanbo logs people in through the city's OpenID provider.

    Attributes
    ----------
    issuer
        The provider's issuer identifier; discovery is read from
        ``{issuer}/.well-known/openid-configuration`` and must name this issuer exactly.
    client_id, client_secret
        Tanbo's registration at the provider; no secret for a public client.
    redirect_uri
        Where the provider sends the browser back, registered at the provider.
    scopes
        The scopes asked for; ``openid`` is required.
    trust_frameworks
        The OIDC4IDA trust frameworks whose verified claims count as read from the My
        Number card (see :mod:`api.identity.claims`).
    request_verified_claims
        Ask for the verified name, address and birthdate with the ``claims`` parameter.
    clock_skew_s
        How far the provider's clock may be from ours when checking ``exp``, ``iat``, ``nbf``.
    http_timeout_s
        Timeout of each request to the provider.
    jwks_min_refresh_interval_s
        A token signed by an unknown key makes the keys be fetched again, at most this often.
    jwks_max_age_s
        The keys are fetched again when older than this, so a withdrawn key stops working.
    """

    issuer: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str
    scopes: tuple[str, ...] = ("openid", "profile", "address", "email")
    trust_frameworks: frozenset[str] = frozenset({TRUST_FRAMEWORK_JPKI})
    request_verified_claims: bool = True
    clock_skew_s: float = 60.0
    http_timeout_s: float = 10.0
    jwks_min_refresh_interval_s: float = 60.0
    jwks_max_age_s: float = 3600.0

    def __post_init__(self) -> None:
        check_url(self.issuer, what="the issuer")
        if urlsplit(self.issuer).query:
            raise ValueError(f"the issuer must not have a query: {self.issuer!r}")
        check_url(self.redirect_uri, what="the redirect URI")
        if not self.client_id:
            raise ValueError("the client id must not be empty")
        if self.client_secret == "":
            raise ValueError("the client secret must be None (a public client) or not empty")
        if "openid" not in self.scopes:
            raise ValueError(f"the scopes must include 'openid': {self.scopes!r}")
        if not self.trust_frameworks:
            raise ValueError("at least one trust framework must be accepted")
        if self.clock_skew_s < 0 or self.jwks_min_refresh_interval_s < 0:
            raise ValueError("the clock skew and the key refresh interval must be >= 0 s")
        if self.http_timeout_s <= 0 or self.jwks_max_age_s <= 0:
            raise ValueError("the HTTP timeout and the key maximum age must be > 0 s")


@dataclass(frozen=True, kw_only=True, slots=True)
class PendingLogin:
    """The secrets of a login under way, to keep until its callback and use once.

    Keep them where the browser cannot read or change them: server side, or a signed and
    encrypted cookie. ``dataclasses.asdict(pending)`` gives a JSON-ready dict and
    ``PendingLogin(**d)`` reads it back.

    Attributes
    ----------
    state
        Binds the callback to this browser (CSRF); compared in constant time.
    nonce
        Binds the ID token to this login (replay).
    code_verifier
        The PKCE secret whose S256 hash went with the authorization request.
    """

    state: str
    nonce: str
    code_verifier: str = field(repr=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class LoginStart:
    """A login begun: send the browser to ``authorization_url``, keep ``pending``.

    Attributes
    ----------
    authorization_url
        The provider's authorization endpoint with this login's parameters.
    pending
        What :meth:`~api.identity.OidcClient.finish_login` needs at the callback.
    """

    authorization_url: str
    pending: PendingLogin
