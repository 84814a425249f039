"""Logging in: the city identity for people, client credentials for machines, and who am I.

People: ``GET /auth/login`` sends the browser to the city's OpenID provider (My Number
card login) with PKCE, state and nonce kept in a signed, HttpOnly cookie;
``GET /auth/callback`` checks everything, links the identity to an account (the first
login creates it) and answers with a Tanbo access token. Machines (a pharmacy's
system): ``POST /auth/token`` with ``grant_type=client_credentials`` (RFC 6749 §4.4).
"""

import base64
import re
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Header, Query, Request, Response
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel, ConfigDict, Field

from api.accounts import (
    Account,
    BadCredentials,
    Principal,
    Role,
    get_account,
    grant_city_data_consent,
    issue_token,
    link_identity,
    list_accounts,
    register_client,
    revoke_token,
    set_roles,
    token_for_client,
    withdraw_city_data_consent,
)
from api.deps import CurrentUser, Services, ServicesDep, require
from api.errors import Forbidden, NotConfigured
from api.identity import OidcClient, PendingLogin
from api.routes.common import Page, ProblemResponses

__all__ = ["accounts_router", "router"]

router = APIRouter(tags=["auth"], responses=ProblemResponses)
accounts_router = APIRouter(prefix="/accounts", tags=["accounts"], responses=ProblemResponses)

_LOGIN_COOKIE = "tanbo_login"
_RETURN_TO = r"^/console(/[A-Za-z0-9_~/-]*)?$"
"""Where a login may send the browser back to: the console's own pages only (no open
redirect)."""
_LOGIN_MAX_AGE_S = 600
_CLIENT_TTL = timedelta(hours=1)


class TokenResponse(BaseModel):
    """An access token (RFC 6749 §5.1)."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    account_id: str


class AccountPublic(BaseModel):
    """An account; the verified members come from the My Number card login, if consented."""

    id: str
    display_name: str
    roles: list[Role]
    verified_name: str | None
    address: str | None
    birthdate: date | None
    email: str | None
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None
    city_data_consent_at: datetime | None = Field(
        None, description="Since when the person lets the city data platform publish their "
        "personal data (fields, paddy records, deliveries); None: not published."
    )  # fmt: skip


class AccountChange(BaseModel):
    """What city staff change on an account."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"roles": ["farmer", "operator"], "disabled": False}]}
    )

    roles: list[Role]
    disabled: bool | None = None


class ClientCreate(BaseModel):
    """A machine client to register for an account."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "加西薬局 POS"}]})

    name: str = Field(min_length=1, max_length=500)


class ClientCreated(BaseModel):
    """A new machine client; the secret is shown this once."""

    client_id: str
    client_secret: str


def _public(account: Account) -> AccountPublic:
    data = asdict(account)
    data["roles"] = sorted(account.roles)
    return AccountPublic(**{k: v for k, v in data.items() if k in AccountPublic.model_fields})


def _serializer(services: Services) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services.extras["session_secret"], salt="tanbo-login")


def _identity(services: Services) -> OidcClient:
    if services.identity is None:
        raise NotConfigured("login is not configured (set oidc_issuer and oidc_client_id)")
    client: OidcClient = services.identity
    return client


def _token_response(
    services: Services, account_id: str, client_id: str | None = None
) -> TokenResponse:
    ttl = services.token_ttl if client_id is None else min(services.token_ttl, _CLIENT_TTL)
    issued = issue_token(services.engine, account_id, ttl=ttl, clock=services.clock)
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=int(ttl.total_seconds()),
        account_id=account_id,
    )


_IDENTITY_PROBLEMS: dict[int | str, dict[str, Any]] = {
    502: ProblemResponses[404] | {"description": "The identity provider does not fit."},
    503: ProblemResponses[404] | {"description": "The identity provider cannot be reached."},
}


@router.get(
    "/auth/login",
    response_class=RedirectResponse,
    status_code=302,
    summary="Log in with the city identity",
    responses=_IDENTITY_PROBLEMS,
)
def login(
    services: ServicesDep,
    return_to: Annotated[
        str | None,
        Query(
            pattern=_RETURN_TO,
            max_length=200,
            description="Where the browser goes once logged in: a page of the console "
            "(``/console/…``), with the token in the address's fragment. Without it the "
            "callback answers the token as JSON.",
            examples=["/console/"],
        ),
    ] = None,
    console_state: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z0-9_-]{16,128}$",
            description="With ``return_to``: a random value the console keeps; it comes back "
            "beside the token, so the console takes only the token of a login it began.",
            examples=["4f1c9e0b7a2d4c3e8b6a5d1f0e9c8b7a"],
        ),
    ] = None,
) -> RedirectResponse:
    """Redirect to the city's OpenID provider (authorization code + PKCE)."""
    start = _identity(services).begin_login()
    answer = RedirectResponse(start.authorization_url, status_code=302)
    answer.set_cookie(
        _LOGIN_COOKIE,
        _serializer(services).dumps(
            asdict(start.pending) | {"return_to": return_to, "console_state": console_state}
        ),
        max_age=_LOGIN_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=services.settings.public_url.startswith("https:"),
        path="/auth",
    )
    return answer


@router.get(
    "/auth/callback",
    response_model=TokenResponse,
    summary="Finish the login",
    responses={
        **_IDENTITY_PROBLEMS,
        303: {"description": "A console login: back to its page, the token in the fragment."},
    },
)
def callback(
    request: Request,
    response: Response,
    services: ServicesDep,
    state: Annotated[str | None, Query(description="As sent to the provider.")] = None,
    code: Annotated[str | None, Query(description="The authorization code.")] = None,
    error: Annotated[str | None, Query(description="The provider's refusal, if any.")] = None,
) -> TokenResponse | RedirectResponse:
    """Check the provider's answer, link the account (created on first login), issue a token
    (answered as JSON, or, for a login the console started, in a redirect back to it).

    The provider's refusal (``error=access_denied``: consent refused) is a 401 naming it.
    """
    identity = _identity(services)
    cookie = request.cookies.get(_LOGIN_COOKIE)
    if cookie is None:
        raise BadCredentials("no login in progress in this browser; start again at /auth/login")
    try:
        kept = dict(_serializer(services).loads(cookie, max_age=_LOGIN_MAX_AGE_S))
        return_to = kept.pop("return_to", None)
        console_state = kept.pop("console_state", None)
        pending = PendingLogin(**kept)
    except (BadSignature, TypeError, ValueError) as exc:
        raise BadCredentials("the login has expired or was tampered with; start again") from exc
    verified = identity.finish_login(pending=pending, callback=dict(request.query_params))
    account = link_identity(
        services.engine,
        issuer=verified.issuer,
        subject=verified.subject,
        display_name=verified.display_name or verified.verified_name or verified.subject,
        verified_name=verified.verified_name,
        address=verified.verified_address,
        birthdate=verified.verified_birthdate,
        email=verified.email,
        first_roles=[Role(r) for r in services.settings.first_login_roles],
        clock=services.clock,
    )
    issued = _token_response(services, account.id)
    answer: Response = response
    if isinstance(return_to, str) and re.fullmatch(_RETURN_TO, return_to):
        # The console's page, the token in the fragment: browsers never send a fragment to
        # a server, so it stays out of logs; the page takes it and clears the address.
        fragment = urlencode(
            {"access_token": issued.access_token, "token_type": "Bearer",
             "expires_in": issued.expires_in, "state": console_state or ""}
        )  # fmt: skip
        answer = RedirectResponse(f"{return_to}#{fragment}", status_code=303)
    answer.delete_cookie(_LOGIN_COOKIE, path="/auth")
    answer.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1
    return answer if isinstance(answer, RedirectResponse) else issued


def _basic(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip()).decode()
    except ValueError:
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


@router.post("/auth/token", response_model=TokenResponse, summary="Token for a machine client")
def token(
    response: Response,
    services: ServicesDep,
    grant_type: Annotated[Literal["client_credentials"], Form()],
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> TokenResponse:
    """OAuth2 client credentials: HTTP Basic or form members client_id and client_secret."""
    given = _basic(authorization) or (client_id, client_secret)
    if not given[0] or not given[1]:
        raise BadCredentials("client_id and client_secret are required")
    issued = token_for_client(
        services.engine, given[0], given[1], ttl=_CLIENT_TTL, clock=services.clock
    )
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=int(_CLIENT_TTL.total_seconds()),
        account_id=issued.account_id,
    )


@router.post("/auth/logout", status_code=204, summary="Revoke this token")
def logout(
    services: ServicesDep,
    caller: CurrentUser,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Revoke the bearer token of this request."""
    revoke_token(services.engine, (authorization or "").split(" ", 1)[-1], clock=services.clock)
    return Response(status_code=204)


@router.get("/me", response_model=AccountPublic, summary="Who am I")
def me(services: ServicesDep, caller: CurrentUser) -> AccountPublic:
    """The caller's account."""
    return _public(get_account(services.engine, caller.account_id))


@router.put(
    "/me/city-data-consent", response_model=AccountPublic, summary="Consent to the city data"
)
def grant_consent(services: ServicesDep, caller: CurrentUser) -> AccountPublic:
    """Let the city data platform publish your fields, paddy records and deliveries (the
    next publish sends them); again keeps the first time."""
    return _public(grant_city_data_consent(services.engine, caller.account_id,
                                           clock=services.clock))  # fmt: skip


@router.delete(
    "/me/city-data-consent", response_model=AccountPublic, summary="Withdraw the consent"
)
def withdraw_consent(services: ServicesDep, caller: CurrentUser) -> AccountPublic:
    """Withdraw it: the next publish deletes your entities from the city data platform."""
    return _public(withdraw_city_data_consent(services.engine, caller.account_id,
                                              clock=services.clock))  # fmt: skip


_admin = Depends(require(Role.CITY_ADMIN))


@accounts_router.get("", response_model=Page[AccountPublic], summary="List accounts")
def accounts(
    services: ServicesDep,
    caller: Annotated[Principal, _admin],
    role: Role | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[AccountPublic]:
    """Every account (city staff)."""
    rows, total = list_accounts(services.engine, role=role, limit=limit, offset=offset)
    return Page(data=[_public(a) for a in rows], count=total, limit=limit, offset=offset)


@accounts_router.put("/{account_id}/roles", response_model=AccountPublic, summary="Set roles")
def change_account(
    account_id: str,
    change: AccountChange,
    services: ServicesDep,
    caller: Annotated[Principal, _admin],
) -> AccountPublic:
    """Replace an account's roles; disable or enable it (city staff)."""
    return _public(
        set_roles(
            services.engine,
            account_id,
            change.roles,
            disabled=change.disabled,
            clock=services.clock,
        )
    )


@accounts_router.post(
    "/{account_id}/clients", response_model=ClientCreated, status_code=201, summary="New client"
)
def new_client(
    account_id: str,
    body: ClientCreate,
    services: ServicesDep,
    caller: CurrentUser,
) -> ClientCreated:
    """Register a machine client acting for an account: staff for anyone, a pharmacy for itself."""
    own_pharmacy = caller.has(Role.PHARMACY) and caller.account_id == account_id
    if not (caller.has(Role.CITY_ADMIN) or own_pharmacy) or caller.client_id is not None:
        raise Forbidden("only city staff, or a pharmacy for its own account, register clients")
    client_id, secret = register_client(
        services.engine, account_id, name=body.name, clock=services.clock
    )
    return ClientCreated(client_id=client_id, client_secret=secret)
