"""The sandbox platform's webhook outbox: events queued with the writes, delivered signed.

Each applied write queues a ``transaction.succeeded`` event in its own database
transaction (:meth:`WebhookOutbox.queue`). :meth:`WebhookOutbox.deliver_forever` POSTs
the due events to the webhook URL, signed (:mod:`api.currency.webhooks`), and retries an
event with doubling back-off until a 2xx or the last attempt. Without a webhook URL
events are kept as ``no-endpoint``. The table lives in the sandbox's SQLite file
(:mod:`.sandbox_store`).
"""

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from api.currency.port import Transaction
from api.currency.sandbox_store import naive
from api.currency.webhooks import SIGNATURE_HEADER, WebhookEvent, event_to_json, sign
from core.clock import Clock

__all__ = ["WebhookOutbox"]

logger = logging.getLogger("api.currency.sandbox")  # the sandbox logs under one name

_meta = MetaData()
_event = Table(
    "webhook_event",
    _meta,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("state", String(10), nullable=False),  # pending, delivered, gave-up, no-endpoint
    Column("next_attempt_at", DateTime, nullable=False),
    Column("last_error", String(500)),
)


class WebhookOutbox:
    """The events of the sandbox in ``engine`` (its table created), and their delivery.

    ``url`` and ``secret`` are both given or both None; an event is tried ``attempts``
    times, ``backoff_s`` apart at first, each POST given ``timeout_s``.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        url: str | None,
        secret: str | None,
        attempts: int,
        backoff_s: float,
        timeout_s: float,
    ) -> None:
        _meta.create_all(engine)
        self._engine = engine
        self._clock = clock
        self._url = url
        self._secret = secret
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._timeout_s = timeout_s
        self.wake = asyncio.Event()
        """Set to look for due events now."""

    def _now(self) -> datetime:
        return self._clock.now().astimezone(UTC)

    def queue(self, conn: Connection, transaction: Transaction, now: datetime) -> None:
        """Queue the event of an applied write, in the write's transaction."""
        event = WebhookEvent(
            id=f"evt_{uuid.uuid4().hex[:24]}",
            type="transaction.succeeded",
            created_at=now,
            transaction=transaction,
        )
        state = "pending" if self._url else "no-endpoint"
        conn.execute(
            insert(_event).values(
                id=event.id,
                payload=json.dumps(event_to_json(event)),
                attempts=0,
                state=state,
                next_attempt_at=naive(now),
            )
        )

    def redeliver(self, event_id: str) -> bool:
        """Deliver an event again, attempts anew: whether there is one."""
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(_event)
                .where(_event.c.id == event_id)
                .values(state="pending", attempts=0, next_attempt_at=naive(self._now()))
            )
        if changed.rowcount == 0:
            return False
        self.wake.set()
        return True

    def events(self) -> list[dict[str, Any]]:
        """Every event and its delivery, oldest first, as ``GET /sandbox/webhooks`` shows it."""
        with self._engine.connect() as conn:
            rows = list(conn.execute(select(_event).order_by(_event.c.seq)).mappings())
        data = []
        for r in rows:
            payload = json.loads(r["payload"])
            data.append(
                {
                    "id": r["id"],
                    "type": payload["type"],
                    "transaction_id": payload["data"]["id"],
                    "state": r["state"],
                    "attempts": r["attempts"],
                    "last_error": r["last_error"],
                }
            )
        return data

    # delivery

    async def deliver_forever(self) -> None:
        """Deliver the due events whenever woken, or every 0.25 s (without a URL: return)."""
        url, secret = self._url, self._secret
        if url is None or secret is None:
            return
        async with httpx.AsyncClient(timeout=self._timeout_s) as http:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=0.25)
                self.wake.clear()
                for row in self._due():
                    await self._deliver(http, url, secret, row)

    def _due(self) -> list[dict[str, Any]]:
        query = (
            select(_event)
            .where(_event.c.state == "pending", _event.c.next_attempt_at <= naive(self._now()))
            .order_by(_event.c.seq)
        )
        with self._engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    async def _deliver(
        self, http: httpx.AsyncClient, url: str, secret: str, row: dict[str, Any]
    ) -> None:
        body = row["payload"].encode()
        header = sign(body, secret=secret, timestamp_s=int(self._now().timestamp()))
        error: str | None = None
        try:
            response = await http.post(
                url,
                content=body,
                headers={SIGNATURE_HEADER: header, "Content-Type": "application/json"},
            )
            if not response.is_success:
                error = f"answered {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        attempts = row["attempts"] + 1
        if error is None:
            values: dict[str, Any] = {"state": "delivered", "last_error": None}
        elif attempts >= self._attempts:
            values = {"state": "gave-up", "last_error": error}
            logger.warning("webhook %s: gave up after %d attempts (%s)", row["id"], attempts, error)
        else:
            wait_s = self._backoff_s * 2 ** (attempts - 1)
            values = {
                "last_error": error,
                "next_attempt_at": naive(self._now()) + timedelta(seconds=wait_s),
            }
        with self._engine.begin() as conn:
            conn.execute(
                update(_event).where(_event.c.id == row["id"]).values(attempts=attempts, **values)
            )
