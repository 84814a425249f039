"""What routes depend on: the services, the caller, and the version checks (ETag/If-Match)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from api.accounts import BadCredentials, Principal, Role, authenticate
from api.config import Settings
from api.errors import Forbidden, PreconditionFailed, PreconditionRequired
from core.clock import Clock, SystemClock

__all__ = [
    "CurrentUser",
    "IfMatch",
    "Services",
    "ServicesDep",
    "check_if_match",
    "require",
]


@dataclass(kw_only=True)
class Services:
    """What one API process holds: settings, the database, the clock and the adapters."""

    settings: Settings
    engine: Engine
    clock: Clock = field(default_factory=SystemClock)
    identity: Any = None
    """The OpenID Connect client of the city identity (None: login is off)."""
    extras: dict[str, Any] = field(default_factory=dict)
    closing: list[Callable[[], None]] = field(default_factory=list)
    """What to close when the app stops (HTTP clients of the adapters)."""

    @property
    def token_ttl(self) -> timedelta:
        """How long a login's access token lasts."""
        return timedelta(hours=self.settings.token_ttl_h)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(_services)]

_bearer = HTTPBearer(
    auto_error=False, description="An access token from /auth/callback or /auth/token."
)


def _caller(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise BadCredentials("this route needs a bearer token (Authorization: Bearer …)")
    return authenticate(services.engine, credentials.credentials, clock=services.clock)


CurrentUser = Annotated[Principal, Depends(_caller)]


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets through only callers holding one of ``roles``."""
    names = ", ".join(r.value for r in roles)

    def check(caller: CurrentUser) -> Principal:
        if not caller.has(*roles):
            raise Forbidden(f"this needs the role {names}")
        return caller

    return check


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag of the version being changed (from a GET); required.",
    ),
]


def check_if_match(if_match: str | None, current_etag: str) -> None:
    """Refuse an update that names no version, or a version that is no longer current.

    Raises
    ------
    PreconditionRequired
        No If-Match header.
    PreconditionFailed
        If-Match does not name the current version.
    """
    if if_match is None:
        raise PreconditionRequired("send If-Match with the ETag of the version you change")
    tags = [t.strip() for t in if_match.split(",")]
    if "*" not in tags and current_etag not in tags:
        raise PreconditionFailed("the resource has changed since that version; GET it again")
