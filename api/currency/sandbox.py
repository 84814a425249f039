"""The sandbox currency platform: ねっぴ〜Pay's role, played locally for development and tests.

The real platform's API is not public; this one implements
:class:`~api.currency.port.CurrencyPlatform`'s operations over HTTP, as
:class:`~api.currency.client.PlatformClient` speaks them:

================================  ==========================================================
``POST /v1/charges``              charge a wallet: ``{account, amount_yen, reference?,
                                  description?}`` → 201 and the transaction
``POST /v1/refunds``              ``{charge_id, amount_yen, …}``: partial or full, never more
                                  than is left of the charge
``POST /v1/points``               ``{account, points, …}``: grant points
``GET /v1/transactions``          ``?since=&until=&after=&limit=&idempotency_key=``, oldest
                                  first: ``{data, next_cursor}``
``GET /v1/transactions/{id}``     one transaction
``PUT /sandbox/wallets/{a}``      create a wallet or set its balances ``{balance_yen, points}``
``POST /sandbox/wallets/{a}/top-up``, ``GET /sandbox/wallets/{a}``
``GET /sandbox/requests``         the writes received (``?idempotency_key=``) and their fate
``GET|PUT /sandbox/config``       ``{answer_delay_s}``
``GET /sandbox/webhooks``         events and their deliveries; ``POST …/{id}/redeliver``
``GET /healthz``                  no key needed
================================  ==========================================================

Every route but ``/healthz`` needs ``Authorization: Bearer <api key>``. Each write needs an
``Idempotency-Key``: the same key with the same request gets the first answer again
(``Idempotent-Replayed: true``), refusals included, and applies nothing more; the same key
with another request gets 409. Refusals and errors are RFC 9457 problem documents:
insufficient balance 402, unknown account or transaction 404, over-refund or key reuse 409,
a bad body 422 (not stored: a corrected retry may reuse the key).

A write is applied, its answer stored and its webhook event queued in one transaction;
then the answer is held ``answer_delay_s`` (so a test can kill the caller while the
platform holds its request; lowering the delay releases answers held longer). Events
are POSTed to ``webhook_url``, signed (:mod:`api.currency.webhooks`), retried with
doubling back-off until a 2xx.

Storage is a SQLite file in ``data_dir`` (SQLAlchemy Core, its own tables, created on start).
Storage work runs on the event loop, so writes are serialised without locks: one process per
data directory. It is a sandbox, not a bank.

This module holds the app and its routes; the rest is in :mod:`.sandbox_runtime` (the
configuration, the idempotent and held writes), :mod:`.sandbox_store` (the storage and the
operations) and :mod:`.sandbox_webhooks` (the outbox).
"""

import asyncio
import contextlib
import hmac
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from api.currency import sandbox_store as store
from api.currency.errors import UnknownAccount, UnknownTransaction
from api.currency.port import (
    MAX_ACCOUNT_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_REFERENCE_CHARS,
    transaction_to_json,
)
from api.currency.sandbox_runtime import SandboxConfig, SandboxRuntime, problem_response
from core.clock import Clock, SystemClock

__all__ = ["SandboxConfig", "create_app"]

_INVALID = "urn:tanbo:currency:invalid-request"


# bodies


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reference: str | None = Field(default=None, max_length=MAX_REFERENCE_CHARS)
    description: str = Field(default="", max_length=MAX_DESCRIPTION_CHARS)


class _ChargeBody(_Body):
    account: str = Field(min_length=1, max_length=MAX_ACCOUNT_CHARS)
    amount_yen: int = Field(gt=0, le=10**12)


class _RefundBody(_Body):
    charge_id: str = Field(min_length=1, max_length=40)
    amount_yen: int = Field(gt=0, le=10**12)


class _PointsBody(_Body):
    account: str = Field(min_length=1, max_length=MAX_ACCOUNT_CHARS)
    points: int = Field(gt=0, le=10**12)


class _WalletBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    balance_yen: int = Field(ge=0, le=10**12)
    points: int = Field(default=0, ge=0, le=10**12)


class _TopUpBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    amount_yen: int = Field(gt=0, le=10**12)


class _ConfigBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer_delay_s: float = Field(ge=0, le=600)


# the app


def _wallet_answer(account: str, row: Any | None) -> JSONResponse:
    if row is None:
        return problem_response(404, f"no wallet {account!r}", UnknownAccount.TYPE_URI)
    return JSONResponse(
        {"account": row["account"], "balance_yen": row["balance_yen"], "points": row["points"]}
    )


def create_app(config: SandboxConfig, *, clock: Clock | None = None) -> FastAPI:
    """The sandbox platform as an ASGI app (run it with uvicorn: :func:`api.currency.cli`).

    Raises
    ------
    OSError
        ``config.data_dir`` cannot be created.
    """
    sandbox = SandboxRuntime(config, clock or SystemClock())

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(sandbox.outbox.deliver_forever())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            sandbox.engine.dispose()

    def authorise(authorization: Annotated[str | None, Header()] = None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.encode(), config.api_key.encode()
        ):
            raise HTTPException(
                401,
                "a valid API key is required: Authorization: Bearer <key>",
                headers={"WWW-Authenticate": "Bearer"},
            )

    app = FastAPI(
        title="ねっぴ〜Pay sandbox",
        summary="A local stand-in for the city currency platform (Tanbo).",
        lifespan=lifespan,
    )
    auth = [Depends(authorise)]
    key_header = Header(alias="Idempotency-Key")

    @app.exception_handler(HTTPException)
    async def http_problem(_request: Request, exc: HTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_problem(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        return problem_response(422, detail, _INVALID, errors=errors)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Up and storing."""
        return {"status": "ok"}

    @app.post("/v1/charges", status_code=201, dependencies=auth)
    async def charge(
        body: _ChargeBody, key: Annotated[str | None, key_header] = None
    ) -> JSONResponse:
        """Charge a wallet."""
        return await sandbox.write("/v1/charges", key, body, store.apply_charge)

    @app.post("/v1/refunds", status_code=201, dependencies=auth)
    async def refund(
        body: _RefundBody, key: Annotated[str | None, key_header] = None
    ) -> JSONResponse:
        """Refund part or all of a charge."""
        return await sandbox.write("/v1/refunds", key, body, store.apply_refund)

    @app.post("/v1/points", status_code=201, dependencies=auth)
    async def points(
        body: _PointsBody, key: Annotated[str | None, key_header] = None
    ) -> JSONResponse:
        """Grant points."""
        return await sandbox.write("/v1/points", key, body, store.apply_points)

    @app.get("/v1/transactions", dependencies=auth)
    async def transactions(
        since: datetime | None = None,
        until: datetime | None = None,
        after: Annotated[int | None, Query(ge=0)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Transactions, oldest first, a page at a time."""
        with sandbox.engine.connect() as conn:
            page, cursor = store.transactions_page(
                conn,
                since=since,
                until=until,
                after=after,
                limit=limit,
                idempotency_key=idempotency_key,
            )
        data = [transaction_to_json(store.transaction_of(row)) for row in page]
        return {"data": data, "next_cursor": cursor}

    @app.get("/v1/transactions/{transaction_id}", dependencies=auth)
    async def transaction(transaction_id: str) -> JSONResponse:
        """One transaction."""
        with sandbox.engine.connect() as conn:
            row = store.find_transaction(conn, transaction_id)
        if row is None:
            detail = f"no transaction {transaction_id!r}"
            return problem_response(404, detail, UnknownTransaction.TYPE_URI)
        return JSONResponse(transaction_to_json(store.transaction_of(row)))

    @app.put("/sandbox/wallets/{account}", dependencies=auth)
    async def set_wallet(account: str, body: _WalletBody) -> dict[str, Any]:
        """Create a wallet or set its balances (sandbox only)."""
        if not 0 < len(account) <= MAX_ACCOUNT_CHARS:
            raise HTTPException(422, f"an account name is 1..{MAX_ACCOUNT_CHARS} characters")
        with sandbox.engine.begin() as conn:
            store.set_wallet(conn, account, balance_yen=body.balance_yen, points=body.points)
        return {"account": account, "balance_yen": body.balance_yen, "points": body.points}

    @app.post("/sandbox/wallets/{account}/top-up", dependencies=auth)
    async def top_up(account: str, body: _TopUpBody) -> JSONResponse:
        """Add yen to a wallet (sandbox only)."""
        with sandbox.engine.begin() as conn:
            row = store.top_up(conn, account, body.amount_yen)
        return _wallet_answer(account, row)

    @app.get("/sandbox/wallets/{account}", dependencies=auth)
    async def wallet(account: str) -> JSONResponse:
        """A wallet's balances (sandbox only)."""
        with sandbox.engine.connect() as conn:
            row = store.find_wallet(conn, account)
        return _wallet_answer(account, row)

    @app.get("/sandbox/requests", dependencies=auth)
    async def requests(idempotency_key: str | None = None) -> dict[str, Any]:
        """The writes received, oldest first (sandbox only)."""
        with sandbox.engine.connect() as conn:
            rows = store.request_log(conn, idempotency_key)
        data = [
            {
                "idempotency_key": r["idempotency_key"],
                "path": r["path"],
                "outcome": r["outcome"],
                "status": r["status"],
                "received_at": store.aware(r["received_at"]).isoformat(),
                "held": r["seq"] in sandbox.held,
            }
            for r in rows
        ]
        return {"data": data}

    @app.get("/sandbox/config", dependencies=auth)
    async def get_config() -> dict[str, Any]:
        """The settings that can change while it runs (sandbox only)."""
        return {"answer_delay_s": sandbox.answer_delay_s}

    @app.put("/sandbox/config", dependencies=auth)
    async def put_config(body: _ConfigBody) -> dict[str, Any]:
        """Change the answer delay (sandbox only)."""
        sandbox.set_answer_delay(body.answer_delay_s)
        return {"answer_delay_s": sandbox.answer_delay_s}

    @app.get("/sandbox/webhooks", dependencies=auth)
    async def webhooks() -> dict[str, Any]:
        """Webhook events and their deliveries, oldest first (sandbox only)."""
        return {"data": sandbox.outbox.events()}

    @app.post("/sandbox/webhooks/{event_id}/redeliver", status_code=202, dependencies=auth)
    async def redeliver(event_id: str) -> JSONResponse:
        """Deliver an event again, signed anew (sandbox only)."""
        if config.webhook_url is None:
            raise HTTPException(409, "the sandbox has no webhook URL")
        if not sandbox.outbox.redeliver(event_id):
            raise HTTPException(404, f"no webhook event {event_id!r}")
        return JSONResponse({"id": event_id, "state": "pending"}, 202)

    return app
