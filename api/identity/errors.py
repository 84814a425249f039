"""Errors of the city identity: logging in through Kasai city's OpenID provider.

::

    TanboError                      (core)
    └── IdentityError
        ├── ProviderUnavailable     the provider cannot be reached, times out, or answers 5xx
        ├── ProviderMismatch        the provider does not fit the settings: names what differs
        └── LoginRejected           a login that failed a check: names the check
"""

from core.errors import TanboError

__all__ = ["IdentityError", "LoginRejected", "ProviderMismatch", "ProviderUnavailable"]


class IdentityError(TanboError):
    """A login through the city's OpenID provider that could not be completed."""


class ProviderUnavailable(IdentityError):
    """The provider cannot be reached, timed out, failed (5xx) or answered out of protocol."""


class ProviderMismatch(IdentityError):
    """The provider and Tanbo's settings do not fit together; an operator must fix them.

    Attributes
    ----------
    what
        What does not fit: ``"issuer"`` (the discovery document names another issuer),
        ``"pkce"`` (no S256 code challenge), ``"endpoint"`` (one is missing or not HTTPS),
        ``"algorithm"`` (no asymmetric ID-token signature), ``"client"`` (the provider
        refused the client id or secret) or ``"userinfo"`` (a response format Tanbo does not
        read).
    """

    def __init__(self, message: str, *, what: str) -> None:
        super().__init__(message)
        self.what = what


class LoginRejected(IdentityError):
    """A login refused by the provider or by one of Tanbo's checks; nothing was accepted.

    Attributes
    ----------
    check
        The check that failed: ``"state"``, ``"issuer"``, ``"code"``, ``"malformed"``,
        ``"algorithm"``, ``"unknown key"``, ``"signature"``, ``"audience"``,
        ``"authorized party"``, ``"subject"``, ``"expired"``, ``"issued in the future"``,
        ``"not yet valid"``, ``"nonce"``, ``"at_hash"``, ``"userinfo"``,
        ``"userinfo subject"``, or ``"error from provider: <code>"`` with the OAuth error
        code the provider sent (``access_denied`` when the user refused consent,
        ``invalid_grant`` when the code or the PKCE verifier does not match).
    """

    def __init__(self, message: str, *, check: str) -> None:
        super().__init__(message)
        self.check = check
