"""Signed webhooks from the currency platform: signing, verifying, replay protection.

The platform POSTs an event (JSON) with the header ``Webhook-Signature:
t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` keyed by the shared secret.
A receiver accepts it only if a ``v1`` matches (compared in constant time; several
``v1`` and several secrets allow rotating the secret), if ``t`` is within the tolerance
window of its own clock (five minutes by default, either way), and if the event id was
not seen before. The timestamp is inside the MAC, so an old delivery cannot be
re-dated; within the window, the event id stops a replay.

>>> header = sign(b'{"id": "evt_1"}', secret="s3cret", timestamp_s=1_780_000_000)
>>> header.startswith("t=1780000000,v1=")
True
>>> verify_signature(b'{"id": "evt_1"}', header, secrets=["s3cret"], now_s=1_780_000_060)
1780000000
>>> verify_signature(b'{"id": "evt_2"}', header, secrets=["s3cret"], now_s=1_780_000_060)
Traceback (most recent call last):
...
api.currency.errors.BadSignature: no signature matches the body

Applying an event to the ledger (:meth:`api.currency.ledger.Ledger.apply_webhook`) is
idempotent by event id on its own, durably; :class:`MemoryReplayGuard` is for a
receiver without a ledger.
"""

import hashlib
import hmac
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from api.currency.errors import (
    BadSignature,
    PlatformUnavailable,
    ReplayedWebhook,
    StaleWebhook,
    WebhookRejected,
)
from api.currency.port import (
    Transaction,
    transaction_from_json,
    transaction_to_json,
)
from core.clock import Clock, SystemClock

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "SIGNATURE_HEADER",
    "MemoryReplayGuard",
    "ReplayGuard",
    "WebhookEvent",
    "WebhookVerifier",
    "event_to_json",
    "parse_event",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "Webhook-Signature"
DEFAULT_TOLERANCE_S = 300.0
_MAX_HEADER_CHARS = 2048


def _mac(secret: str, timestamp_s: int, body: bytes) -> str:
    message = str(timestamp_s).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(body: bytes, *, secret: str, timestamp_s: int) -> str:
    """The ``Webhook-Signature`` header value for ``body`` signed at ``timestamp_s``."""
    if not secret:
        raise ValueError("a webhook secret must not be empty")
    return f"t={timestamp_s},v1={_mac(secret, timestamp_s, body)}"


def _parse_header(header: str | None) -> tuple[int, list[str]]:
    if not header:
        raise BadSignature(f"no {SIGNATURE_HEADER} header")
    if len(header) > _MAX_HEADER_CHARS:
        raise BadSignature(f"the {SIGNATURE_HEADER} header is too long")
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        name, eq, value = part.strip().partition("=")
        if not eq:
            raise BadSignature(f"malformed {SIGNATURE_HEADER} header: {part.strip()!r}")
        if name == "t":
            timestamps.append(value)
        elif name == "v1":
            signatures.append(value)
        # other schemes (v0, a future v2) are ignored, as Stripe's receivers do
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        raise BadSignature(f"the {SIGNATURE_HEADER} header needs exactly one t=<unix seconds>")
    if not signatures:
        raise BadSignature(f"the {SIGNATURE_HEADER} header has no v1 signature")
    return int(timestamps[0]), signatures


def verify_signature(
    body: bytes,
    header: str | None,
    *,
    secrets: Sequence[str],
    now_s: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> int:
    """Check a delivery's signature and timestamp; the signed time (unix seconds).

    Raises
    ------
    BadSignature
        The header is missing or malformed, or no ``v1`` matches the body under any secret.
    StaleWebhook
        The signature is good but was made more than ``tolerance_s`` from ``now_s``.
    """
    timestamp_s, signatures = _parse_header(header)
    expected = [_mac(secret, timestamp_s, body) for secret in secrets if secret]
    # every pair is compared, so the time taken does not tell which one nearly matched
    matched = False
    for mac in expected:
        for candidate in signatures:
            matched |= hmac.compare_digest(
                mac.encode("ascii"), candidate.encode("ascii", "replace")
            )
    if not matched:
        raise BadSignature("no signature matches the body")
    if abs(now_s - timestamp_s) > tolerance_s:
        raise StaleWebhook(
            f"signed {now_s - timestamp_s:+.0f} s from now; the window is ±{tolerance_s:g} s"
        )
    return timestamp_s


@dataclass(frozen=True, kw_only=True, slots=True)
class WebhookEvent:
    """One event: ``transaction.succeeded`` carries the transaction as the platform has it."""

    id: str
    type: str
    created_at: datetime
    transaction: Transaction


def event_to_json(event: WebhookEvent) -> dict[str, Any]:
    """The JSON object of an event (what the platform POSTs)."""
    return {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at.astimezone(UTC).isoformat(),
        "data": transaction_to_json(event.transaction),
    }


def parse_event(body: bytes) -> WebhookEvent:
    """Read an event from a delivery's body (after its signature was verified).

    Raises
    ------
    WebhookRejected
        The body is not an event.
    """
    try:
        data = json.loads(body)
        created_at = datetime.fromisoformat(data["created_at"])
        if created_at.tzinfo is None:
            raise ValueError("created_at has no time zone")
        return WebhookEvent(
            id=str(data["id"]),
            type=str(data["type"]),
            created_at=created_at.astimezone(UTC),
            transaction=transaction_from_json(data["data"]),
        )
    except (ValueError, KeyError, TypeError, PlatformUnavailable) as exc:
        raise WebhookRejected(f"the webhook body is not an event: {exc}") from exc


class ReplayGuard(Protocol):
    """Remembers the event ids received."""

    def first_time(self, event_id: str) -> bool:
        """Remember ``event_id``; whether it was new."""
        ...


class MemoryReplayGuard:
    """The ids of the last ``capacity`` events, in memory (one process, lost on restart)."""

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        """Remember ``event_id``; whether it was new."""
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = None
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True


class WebhookVerifier:
    """Verifies deliveries: signature, timestamp window, then (with a guard) the event id.

    >>> verifier = WebhookVerifier(["s3cret"], guard=MemoryReplayGuard())
    """

    def __init__(
        self,
        secrets: Sequence[str],
        *,
        tolerance_s: float = DEFAULT_TOLERANCE_S,
        clock: Clock | None = None,
        guard: ReplayGuard | None = None,
    ) -> None:
        if isinstance(secrets, str) or not any(secrets):
            raise ValueError("give the webhook secrets as a list with at least one non-empty")
        if tolerance_s <= 0:
            raise ValueError("the tolerance window must be positive")
        self._secrets = tuple(s for s in secrets if s)
        self._tolerance_s = tolerance_s
        self._clock = clock or SystemClock()
        self._guard = guard

    def verify(self, body: bytes, header: str | None) -> WebhookEvent:
        """The event of a delivery that passed every check.

        Raises
        ------
        BadSignature, StaleWebhook, ReplayedWebhook, WebhookRejected
            See :mod:`api.currency.errors`.
        """
        now_s = self._clock.now().timestamp()
        verify_signature(
            body, header, secrets=self._secrets, now_s=now_s, tolerance_s=self._tolerance_s
        )
        event = parse_event(body)
        if self._guard is not None and not self._guard.first_time(event.id):
            raise ReplayedWebhook(f"event {event.id} was already received")
        return event
