"""The city identity: log residents in through Kasai city's OpenID provider (My Number card).

Tanbo is the relying party (authorization code flow with PKCE); this package runs the login
and returns a :class:`VerifiedIdentity`. It keeps nothing: accounts, roles and sessions
belong to the rest of :mod:`api`.
"""

from api.identity.claims import (
    MY_NUMBER_CARD_DOCUMENT,
    TRUST_FRAMEWORK_JPKI,
    VerifiedIdentity,
    identity_from_claims,
    verified_claims_request,
)
from api.identity.config import LoginStart, OidcConfig, PendingLogin
from api.identity.errors import IdentityError, LoginRejected, ProviderMismatch, ProviderUnavailable
from api.identity.metadata import ProviderMetadata
from api.identity.oidc import OidcClient

__all__ = [
    "MY_NUMBER_CARD_DOCUMENT",
    "TRUST_FRAMEWORK_JPKI",
    "IdentityError",
    "LoginRejected",
    "LoginStart",
    "OidcClient",
    "OidcConfig",
    "PendingLogin",
    "ProviderMetadata",
    "ProviderMismatch",
    "ProviderUnavailable",
    "VerifiedIdentity",
    "identity_from_claims",
    "verified_claims_request",
]
