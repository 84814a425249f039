"""The running sandbox platform: its configuration, and its writes, idempotent and held.

:class:`SandboxConfig` says how a sandbox runs. :class:`SandboxRuntime` holds what it
keeps while it runs: the storage (:mod:`.sandbox_store`), the webhook outbox
(:mod:`.sandbox_webhooks`), the answers being held, and the answer delay.
:meth:`SandboxRuntime.write` is every write's path: the idempotency key checked, the
request applied, its answer stored and its event queued in one transaction, then the
answer held ``answer_delay_s``. Refusals are RFC 9457 problem documents
(:func:`problem_response`). The app and its routes are in :mod:`api.currency.sandbox`.
"""

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine

from api.currency.errors import IdempotencyConflict, PlatformRefused
from api.currency.port import MAX_KEY_CHARS, Transaction, transaction_to_json
from api.currency.sandbox_store import log_request, open_storage, store_answer, stored_answer
from api.currency.sandbox_webhooks import WebhookOutbox
from core.clock import Clock

__all__ = ["PROBLEM_MEDIA_TYPE", "SandboxConfig", "SandboxRuntime", "problem", "problem_response"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
_KEY_REQUIRED = "urn:tanbo:currency:idempotency-key-required"


@dataclass(frozen=True, kw_only=True, slots=True)
class SandboxConfig:
    """How a sandbox runs."""

    data_dir: Path
    """Its SQLite file (``sandbox.db``) lives here."""
    api_key: str
    webhook_url: str | None = None
    webhook_secret: str | None = None
    answer_delay_s: float = 0.0
    """Hold each write's answer this long after applying it."""
    webhook_attempts: int = 8
    webhook_backoff_s: float = 0.5
    """Wait before the second attempt; doubles after each failure."""
    webhook_timeout_s: float = 5.0

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError("the API key is empty")
        if (self.webhook_url is None) != (self.webhook_secret is None) or self.webhook_secret == "":
            raise ValueError("a webhook URL needs a webhook secret, and the other way round")
        if self.webhook_url is not None and not self.webhook_url.startswith(
            ("http://", "https://")
        ):
            raise ValueError(f"the webhook URL {self.webhook_url!r} is not http(s)")
        if not 0.0 <= self.answer_delay_s <= 600.0:
            raise ValueError(f"the answer delay {self.answer_delay_s:g} s is outside 0..600")
        if self.webhook_attempts < 1 or self.webhook_backoff_s < 0 or self.webhook_timeout_s <= 0:
            raise ValueError("webhook attempts must be >= 1, back-off >= 0 s, timeout > 0 s")


def problem(
    status: int, detail: str, problem_type: str = "about:blank", **extra: Any
) -> dict[str, Any]:
    """An RFC 9457 problem document."""
    title = HTTPStatus(status).phrase
    return {"type": problem_type, "title": title, "status": status, "detail": detail, **extra}


def problem_response(
    status: int,
    detail: str,
    problem_type: str = "about:blank",
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem document as the answer."""
    body = problem(status, detail, problem_type, **extra)
    return JSONResponse(body, status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


class SandboxRuntime:
    """The running sandbox's state: storage, held answers, the webhook outbox.

    Raises
    ------
    OSError
        ``config.data_dir`` cannot be created.
    """

    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.clock = clock
        self.answer_delay_s = config.answer_delay_s
        self.engine: Engine = open_storage(config.data_dir)
        self.outbox = WebhookOutbox(
            self.engine,
            clock,
            url=config.webhook_url,
            secret=config.webhook_secret,
            attempts=config.webhook_attempts,
            backoff_s=config.webhook_backoff_s,
            timeout_s=config.webhook_timeout_s,
        )
        self.held: set[int] = set()
        """The request log's numbers of the writes whose answers are held now."""
        self.delay_changed = asyncio.Event()

    def now(self) -> datetime:
        """The clock's time, in UTC."""
        return self.clock.now().astimezone(UTC)

    async def write(
        self,
        path: str,
        key: str | None,
        body: BaseModel,
        apply: Callable[..., Transaction],
    ) -> JSONResponse:
        """Answer a write: ``apply(conn, key, now, **body)`` once per key, the stored answer
        to a repeat, 409 to the key used for another request; held ``answer_delay_s``."""
        if not key or len(key) > MAX_KEY_CHARS or not key.isascii() or not key.isprintable():
            detail = "an Idempotency-Key header (1..255 ASCII) is required"
            return problem_response(400, detail, _KEY_REQUIRED)
        fields = body.model_dump()
        canonical = json.dumps([path, fields], sort_keys=True, separators=(",", ":"))
        fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
        now = self.now()
        headers: dict[str, str] = {}
        with self.engine.begin() as conn:
            stored = stored_answer(conn, key)
            if stored is not None and stored["fingerprint"] != fingerprint:
                outcome, status = "conflict", 409
                answer = problem(
                    409,
                    f"Idempotency-Key {key!r} was used for another request",
                    IdempotencyConflict.TYPE_URI,
                )
            elif stored is not None:
                outcome, status, answer = "replayed", stored["status"], json.loads(stored["body"])
                headers["Idempotent-Replayed"] = "true"
            else:
                try:
                    transaction = apply(conn, key, now, **fields)
                    outcome, status, answer = "applied", 201, transaction_to_json(transaction)
                    self.outbox.queue(conn, transaction, now)
                except PlatformRefused as refusal:
                    outcome, status = "refused", refusal.status
                    answer = problem(status, refusal.detail, refusal.problem_type)
                store_answer(conn, key, fingerprint, status, json.dumps(answer))
            seq = log_request(conn, key, path, outcome, status, now)
        self.outbox.wake.set()
        if self.answer_delay_s > 0:
            self.held.add(seq)
            try:
                await self._hold(asyncio.get_running_loop().time())
            finally:
                self.held.discard(seq)
        media_type = PROBLEM_MEDIA_TYPE if status >= 400 else "application/json"
        return JSONResponse(answer, status, headers=headers, media_type=media_type)

    async def _hold(self, applied_at: float) -> None:
        """Wait until ``answer_delay_s`` after ``applied_at``, as the delay is now: lowering
        it releases the answers held longer than the new delay."""
        loop = asyncio.get_running_loop()
        while (left_s := applied_at + self.answer_delay_s - loop.time()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.delay_changed.wait(), timeout=left_s)

    def set_answer_delay(self, seconds: float) -> None:
        """Change the answer delay; answers held longer than it are released."""
        self.answer_delay_s = seconds
        self.delay_changed.set()
        self.delay_changed = asyncio.Event()
