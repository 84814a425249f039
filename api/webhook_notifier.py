"""Notices posted to a webhook (the city app, an SMS or LINE bridge), signed, beside the
stored notifications a person lists through the API.

Each notice is one JSON POST::

    {"recipient": "<account id or phone:…>", "kind": "delivery_scheduled",
     "reference": "delivery:<id>", "mission_id": null, "text_ja": "…", "text_en": "…",
     "sent_at": "2026-06-01T00:00:11+00:00"}

with ``Tanbo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` under the
configured secret, so the receiver can tell Tanbo's notices from anyone's and refuse old
ones. A failing webhook is logged and does not undo anything: the stored notification is
kept (:class:`FanOutNotifier` gives every notice to every notifier).
"""

import hashlib
import hmac
import json
import logging
from collections.abc import Sequence

import httpx

from api.scheduling.notify import Notice, Notifier
from core.clock import Clock, SystemClock

__all__ = ["SIGNATURE_HEADER", "FanOutNotifier", "WebhookNotifier", "signature"]

_log = logging.getLogger("tanbo.notify")
SIGNATURE_HEADER = "Tanbo-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp``.

    >>> signature("s3cret", 1780000000, b"{}")[:40]
    't=1780000000,v1=74dc432f585a5d0790ac46ed'
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class WebhookNotifier:
    """Posts each notice to ``url``, signed with ``secret``."""

    def __init__(
        self, url: str, secret: str, *, clock: Clock | None = None, timeout_s: float = 5.0
    ) -> None:
        self._url, self._secret = url, secret
        self._clock = clock or SystemClock()
        self._client = httpx.Client(timeout=timeout_s)

    def notify(self, notice: Notice) -> None:
        """Post one notice; a failure is logged, not raised."""
        now = self._clock.now()
        body = json.dumps(
            {
                "recipient": notice.recipient, "kind": notice.kind,
                "reference": notice.reference, "mission_id": notice.mission_id,
                "text_ja": notice.text_ja, "text_en": notice.text_en,
                "sent_at": now.isoformat(),
            },
            ensure_ascii=False,
        ).encode()  # fmt: skip
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self._secret, int(now.timestamp()), body),
        }
        try:
            self._client.post(self._url, content=body, headers=headers).raise_for_status()
        except httpx.HTTPError as exc:
            _log.warning("notice webhook %s failed: %s", self._url, exc)

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()


class FanOutNotifier:
    """Every notice to every notifier, in order; one that fails does not stop the others."""

    def __init__(self, notifiers: Sequence[Notifier]) -> None:
        self._notifiers = list(notifiers)

    def notify(self, notice: Notice) -> None:
        """Give the notice to each notifier."""
        for notifier in self._notifiers:
            try:
                notifier.notify(notice)
            except Exception:  # a port's failure must not stop the others
                _log.exception("notifier %r failed", notifier)
