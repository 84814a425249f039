"""Errors of the composition root.

::

    TanboError                 (core)
    └── ApiError
        ├── ConfigError        settings that cannot be used
        ├── NotFound           no such field or zone
        └── StorageError       the database refused or could not be reached
"""

from core.errors import TanboError

__all__ = ["ApiError", "ConfigError", "NotFound", "StorageError"]


class ApiError(TanboError):
    """A request that the registry cannot carry out."""


class ConfigError(ApiError):
    """Settings (environment, TOML file or flags) that cannot be used."""


class NotFound(ApiError):
    """No field or zone with that id."""


class StorageError(ApiError):
    """The database refused the change or could not be reached."""
