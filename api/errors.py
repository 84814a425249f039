"""Errors of the composition root.

::

    TanboError                   (core)
    └── ApiError
        ├── ConfigError          settings that cannot be used
        ├── Conflict             contradicts what is stored
        ├── Forbidden            the caller may not do this
        ├── NotConfigured        a feature the settings leave off (login without a provider)
        ├── NotFound             no such field, zone, vehicle, account …
        ├── PreconditionFailed   If-Match names a version that is no longer current
        ├── PreconditionRequired an update without If-Match
        ├── StorageError         the database refused or could not be reached
        └── TooLarge             an upload over the size Tanbo takes

Each becomes an RFC 9457 problem document in one place, :mod:`api.problems`.
"""

from core.errors import TanboError

__all__ = [
    "ApiError",
    "ConfigError",
    "Conflict",
    "Forbidden",
    "NotConfigured",
    "NotFound",
    "PreconditionFailed",
    "PreconditionRequired",
    "StorageError",
    "TooLarge",
]


class ApiError(TanboError):
    """A request that the registry cannot carry out."""


class ConfigError(ApiError):
    """Settings (environment, TOML file or flags) that cannot be used."""


class Conflict(ApiError):
    """A change that contradicts what is stored (an existing vehicle, a different log)."""


class Forbidden(ApiError):
    """The caller's roles or ownership do not allow this."""


class NotConfigured(ApiError):
    """A feature that the settings leave off (e.g. login with no identity provider)."""


class NotFound(ApiError):
    """No field, zone, vehicle or account with that id."""


class PreconditionFailed(ApiError):
    """The resource changed since the version the caller named (If-Match)."""


class PreconditionRequired(ApiError):
    """An update or delete that does not say which version it changes (no If-Match)."""


class StorageError(ApiError):
    """The database refused the change or could not be reached."""


class TooLarge(ApiError):
    """An upload larger than Tanbo takes over HTTP."""
