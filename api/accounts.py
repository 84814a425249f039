"""Accounts, their roles, API clients and access tokens.

A person's account is linked to the city identity (OpenID Connect issuer + subject):
the first login creates it, later logins refresh the verified claims. A machine client
(a pharmacy's own system) authenticates with OAuth2 client credentials and acts for
the account that registered it. Both get opaque bearer tokens from Tanbo; only their
SHA-256 is stored, and a client secret only as a scrypt hash.
"""

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Engine, UniqueConstraint, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from api.db import aware
from api.errors import ApiError, NotFound
from core.clock import Clock, SystemClock

__all__ = [
    "AccessTokenRow",
    "Account",
    "AccountRow",
    "ApiClientRow",
    "BadCredentials",
    "IssuedToken",
    "Principal",
    "Role",
    "authenticate",
    "city_data_consents",
    "count_accounts",
    "create_account",
    "get_account",
    "grant_city_data_consent",
    "issue_token",
    "link_identity",
    "list_accounts",
    "register_client",
    "revoke_token",
    "set_roles",
    "token_for_client",
    "withdraw_city_data_consent",
]

TOKEN_TTL = timedelta(hours=8)


class Role(StrEnum):
    """What an account may do (an account may hold several)."""

    FARMER = "farmer"
    OPERATOR = "operator"
    PHARMACY = "pharmacy"
    CITY_ADMIN = "city_admin"


class BadCredentials(ApiError):
    """A token or client secret that is unknown, expired, revoked or disabled."""


def _utc_column(nullable: bool = False) -> Any:
    return Column(DateTime(timezone=True), nullable=nullable)


class AccountRow(SQLModel, table=True):
    """A person or organisation using Tanbo."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="account_identity"),)

    id: str = Field(primary_key=True, max_length=64)
    issuer: str | None = Field(default=None, max_length=500)
    subject: str | None = Field(default=None, max_length=255)
    display_name: str = Field(max_length=500)
    verified_name: str | None = Field(default=None, max_length=500)
    address: str | None = Field(default=None, max_length=1000)
    birthdate: date | None = None
    email: str | None = Field(default=None, max_length=320)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    disabled: bool = False
    created_at: datetime = Field(sa_column=_utc_column())
    updated_at: datetime = Field(sa_column=_utc_column())
    last_login_at: datetime | None = Field(default=None, sa_column=_utc_column(True))
    city_data_consent_at: datetime | None = Field(default=None, sa_column=_utc_column(True))
    """When the person agreed to their personal data being published on the city data
    platform (``tanbo city``); None: no consent, nothing personal is published."""


class ApiClientRow(SQLModel, table=True):
    """A machine client (OAuth2 client credentials) acting for an account."""

    __tablename__ = "api_client"

    client_id: str = Field(primary_key=True, max_length=64)
    secret_hash: str = Field(max_length=200)
    name: str = Field(max_length=500)
    account_id: str = Field(foreign_key="account.id", ondelete="CASCADE", index=True, max_length=64)
    disabled: bool = False
    created_at: datetime = Field(sa_column=_utc_column())


class AccessTokenRow(SQLModel, table=True):
    """An issued bearer token, by its SHA-256."""

    __tablename__ = "access_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(foreign_key="account.id", ondelete="CASCADE", index=True, max_length=64)
    client_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=_utc_column())
    expires_at: datetime = Field(sa_column=_utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=_utc_column(True))


@dataclass(frozen=True, kw_only=True, slots=True)
class Account:
    """An account as the API shows it."""

    id: str
    display_name: str
    roles: frozenset[Role]
    issuer: str | None = None
    subject: str | None = None
    verified_name: str | None = None
    address: str | None = None
    birthdate: date | None = None
    email: str | None = None
    disabled: bool = False
    created_at: datetime
    last_login_at: datetime | None = None
    city_data_consent_at: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Principal:
    """Who is calling: the account, its roles, and the machine client if any."""

    account_id: str
    roles: frozenset[Role]
    client_id: str | None = None

    def has(self, *roles: Role) -> bool:
        """True if the caller holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True, kw_only=True, slots=True)
class IssuedToken:
    """A new bearer token; the only time its value is seen."""

    access_token: str
    expires_at: datetime
    account_id: str


def _roles(values: Iterable[str]) -> frozenset[Role]:
    return frozenset(Role(v) for v in values if v in Role._value2member_map_)


def _account(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        display_name=row.display_name,
        roles=_roles(row.roles),
        issuer=row.issuer,
        subject=row.subject,
        verified_name=row.verified_name,
        address=row.address,
        birthdate=row.birthdate,
        email=row.email,
        disabled=row.disabled,
        created_at=aware(row.created_at),
        last_login_at=aware(row.last_login_at) if row.last_login_at else None,
        city_data_consent_at=aware(row.city_data_consent_at) if row.city_data_consent_at else None,
    )


def _now(clock: Clock | None) -> datetime:
    return (clock or SystemClock()).now()


def create_account(
    engine: Engine,
    *,
    display_name: str,
    roles: Iterable[Role],
    email: str | None = None,
    clock: Clock | None = None,
) -> Account:
    """A local account not (yet) linked to the city identity (staff set-up, tests)."""
    now = _now(clock)
    row = AccountRow(
        id=uuid.uuid4().hex,
        display_name=display_name,
        email=email,
        roles=sorted(Role(r).value for r in roles),
        created_at=now,
        updated_at=now,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
        return _account(row)


def link_identity(
    engine: Engine,
    *,
    issuer: str,
    subject: str,
    display_name: str,
    verified_name: str | None = None,
    address: str | None = None,
    birthdate: date | None = None,
    email: str | None = None,
    first_roles: Sequence[Role] = (Role.FARMER,),
    clock: Clock | None = None,
) -> Account:
    """The account of an identity-provider subject; the first login creates it.

    Verified claims are refreshed at each login; a claim the provider no longer
    vouches for (consent withdrawn) is cleared. Roles are kept: only staff change them.

    Raises
    ------
    BadCredentials
        The account exists but is disabled.
    """
    try:
        return _link(engine, issuer, subject, display_name, verified_name, address, birthdate,
                     email, first_roles, _now(clock))  # fmt: skip
    except IntegrityError:  # the same person's first login in two requests at once
        return _link(engine, issuer, subject, display_name, verified_name, address, birthdate,
                     email, first_roles, _now(clock))  # fmt: skip


def _link(
    engine: Engine,
    issuer: str,
    subject: str,
    display_name: str,
    verified_name: str | None,
    address: str | None,
    birthdate: date | None,
    email: str | None,
    first_roles: Sequence[Role],
    now: datetime,
) -> Account:
    with Session(engine) as session:
        row = session.exec(
            select(AccountRow).where(AccountRow.issuer == issuer, AccountRow.subject == subject)
        ).first()
        if row is None:
            row = AccountRow(
                id=uuid.uuid4().hex,
                issuer=issuer,
                subject=subject,
                display_name=display_name,
                roles=sorted(r.value for r in first_roles),
                created_at=now,
                updated_at=now,
            )
        elif row.disabled:
            raise BadCredentials(f"account {row.id} is disabled")
        row.display_name = display_name or row.display_name
        row.verified_name = verified_name
        row.address = address
        row.birthdate = birthdate
        row.email = email
        row.last_login_at = now
        row.updated_at = now
        session.add(row)
        session.commit()
        session.refresh(row)
        return _account(row)


def get_account(engine: Engine, account_id: str) -> Account:
    """One account.

    Raises
    ------
    NotFound
        No account has that id.
    """
    with Session(engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise NotFound(f"no account with id {account_id!r}")
        return _account(row)


def list_accounts(
    engine: Engine, *, role: Role | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Account], int]:
    """A page of accounts by creation time, and how many there are in all."""
    with Session(engine) as session:
        rows = list(session.exec(select(AccountRow).order_by(col(AccountRow.created_at))))
    kept = [_account(r) for r in rows if role is None or role.value in r.roles]
    return kept[offset : offset + limit], len(kept)


def set_roles(
    engine: Engine,
    account_id: str,
    roles: Iterable[Role],
    *,
    disabled: bool | None = None,
    clock: Clock | None = None,
) -> Account:
    """Replace an account's roles (and enable or disable it).

    Raises
    ------
    NotFound
        No account has that id.
    """
    with Session(engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise NotFound(f"no account with id {account_id!r}")
        row.roles = sorted({Role(r).value for r in roles})
        if disabled is not None:
            row.disabled = disabled
        row.updated_at = _now(clock)
        session.add(row)
        session.commit()
        session.refresh(row)
        return _account(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    engine: Engine,
    account_id: str,
    *,
    client_id: str | None = None,
    ttl: timedelta = TOKEN_TTL,
    clock: Clock | None = None,
) -> IssuedToken:
    """A new opaque bearer token for an account."""
    now = _now(clock)
    token = secrets.token_urlsafe(32)
    row = AccessTokenRow(
        token_hash=_token_hash(token),
        account_id=account_id,
        client_id=client_id,
        created_at=now,
        expires_at=now + ttl,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
    return IssuedToken(access_token=token, expires_at=now + ttl, account_id=account_id)


def authenticate(engine: Engine, token: str, *, clock: Clock | None = None) -> Principal:
    """The caller a bearer token stands for.

    Raises
    ------
    BadCredentials
        Unknown, expired or revoked token, or a disabled account or client.
    """
    now = _now(clock)
    with Session(engine) as session:
        found = session.get(AccessTokenRow, _token_hash(token))
        if found is None or found.revoked_at is not None:
            raise BadCredentials("the access token is not valid")
        if aware(found.expires_at) <= now:
            raise BadCredentials("the access token has expired")
        account = session.get(AccountRow, found.account_id)
        if account is None or account.disabled:
            raise BadCredentials("the account is disabled")
        if found.client_id is not None:
            client = session.get(ApiClientRow, found.client_id)
            if client is None or client.disabled:
                raise BadCredentials("the client is disabled")
        return Principal(
            account_id=account.id, roles=_roles(account.roles), client_id=found.client_id
        )


def revoke_token(engine: Engine, token: str, *, clock: Clock | None = None) -> None:
    """Revoke a token (logout); revoking an unknown token does nothing."""
    with Session(engine) as session:
        session.execute(
            update(AccessTokenRow)
            .where(col(AccessTokenRow.token_hash) == _token_hash(token))
            .values(revoked_at=_now(clock))
        )
        session.commit()


_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def _hash_secret(secret: str, salt: bytes) -> str:
    digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


_DUMMY_HASH = _hash_secret(secrets.token_urlsafe(32), b"tanbo-no-such-client")
"""What an unknown client id is checked against."""


def _secret_matches(secret: str, stored: str) -> bool:
    try:
        _, salt_hex, _ = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(_hash_secret(secret, salt), stored)


def register_client(
    engine: Engine, account_id: str, *, name: str, clock: Clock | None = None
) -> tuple[str, str]:
    """A new machine client for an account: ``(client_id, client_secret)``.

    Raises
    ------
    NotFound
        No account has that id.
    """
    get_account(engine, account_id)
    client_id = f"tc_{secrets.token_hex(8)}"
    secret = secrets.token_urlsafe(32)
    row = ApiClientRow(
        client_id=client_id,
        secret_hash=_hash_secret(secret, secrets.token_bytes(16)),
        name=name,
        account_id=account_id,
        created_at=_now(clock),
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
    return client_id, secret


def token_for_client(
    engine: Engine,
    client_id: str,
    client_secret: str,
    *,
    ttl: timedelta = timedelta(hours=1),
    clock: Clock | None = None,
) -> IssuedToken:
    """A bearer token for a machine client (OAuth2 client credentials grant).

    Raises
    ------
    BadCredentials
        Unknown client, wrong secret, or a disabled client or account.
    """
    with Session(engine) as session:
        client = session.get(ApiClientRow, client_id)
        account = session.get(AccountRow, client.account_id) if client is not None else None
    # An unknown client costs the same scrypt as a wrong secret: timing tells nothing.
    stored = client.secret_hash if client is not None else _DUMMY_HASH
    if not _secret_matches(client_secret, stored) or client is None:
        raise BadCredentials("unknown client or wrong secret")
    if client.disabled or account is None or account.disabled:
        raise BadCredentials("the client is disabled")
    return issue_token(engine, client.account_id, client_id=client_id, ttl=ttl, clock=clock)


def count_accounts(engine: Engine) -> int:
    """How many accounts there are."""
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(AccountRow)).one())


def _set_city_data_consent(
    engine: Engine, account_id: str, consent_at: datetime | None, clock: Clock | None
) -> Account:
    with Session(engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise NotFound(f"no account with id {account_id!r}")
        if (row.city_data_consent_at is None) != (consent_at is None):
            row.city_data_consent_at = consent_at
            row.updated_at = _now(clock)
            session.add(row)
            session.commit()
            session.refresh(row)
        return _account(row)


def grant_city_data_consent(
    engine: Engine, account_id: str, *, clock: Clock | None = None
) -> Account:
    """Record that the person agrees to their personal data being published on the city
    data platform; granting again keeps the first time.

    Raises
    ------
    NotFound
        No account has that id.
    """
    return _set_city_data_consent(engine, account_id, _now(clock), clock)


def withdraw_city_data_consent(
    engine: Engine, account_id: str, *, clock: Clock | None = None
) -> Account:
    """Withdraw that consent: the next publish deletes the person's entities from the
    platform.

    Raises
    ------
    NotFound
        No account has that id.
    """
    return _set_city_data_consent(engine, account_id, None, clock)


def city_data_consents(engine: Engine) -> dict[str, datetime | None]:
    """Every account id and when it consented to city data publishing (None: it did not)."""
    with Session(engine) as session:
        rows = session.exec(select(AccountRow.id, AccountRow.city_data_consent_at)).all()
    return {account_id: aware(at) if at else None for account_id, at in rows}
