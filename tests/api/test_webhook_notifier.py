"""Notices posted to a webhook on a real socket, signed; a failing webhook loses nothing."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from api.app import create_app
from api.config import load_settings
from api.errors import ConfigError
from api.logistics.service import DeliveryService
from api.scheduling.notify import Notice, RecordingNotifier
from api.webhook_notifier import SIGNATURE_HEADER, FanOutNotifier, WebhookNotifier
from core.clock import FakeClock

SECRET = "whsec_notices"
NOW = datetime(2026, 6, 1, 0, 0, 11, tzinfo=UTC)
NOTICE = Notice(recipient="resident-1", mission_id=None, kind="delivery_scheduled",
                text_ja="受取コード 123456", text_en="Your code is 123456.",
                reference="delivery:abc")  # fmt: skip


@pytest.fixture
def hook() -> Iterator[tuple[str, list[tuple[bytes, str]], list[int]]]:
    received: list[tuple[bytes, str]] = []
    status = [204]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append((body, self.headers.get(SIGNATURE_HEADER, "")))
            self.send_response(status[0])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/notices", received, status
    server.shutdown()
    server.server_close()


def test_a_notice_is_posted_signed_so_the_receiver_can_check_it(hook) -> None:  # type: ignore[no-untyped-def]
    url, received, _ = hook
    notifier = WebhookNotifier(url, SECRET, clock=FakeClock(NOW))
    notifier.notify(NOTICE)
    notifier.close()
    ((body, header),) = received
    sent = json.loads(body)
    assert sent["recipient"] == "resident-1"
    assert sent["kind"] == "delivery_scheduled"
    assert sent["reference"] == "delivery:abc"
    assert sent["text_ja"] == "受取コード 123456"
    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    assert int(t) == int(NOW.timestamp())
    expected = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(v1, expected)
    forged = hmac.new(b"other", f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert v1 != forged


def test_a_failing_webhook_does_not_stop_the_stored_notice(hook) -> None:  # type: ignore[no-untyped-def]
    url, received, status = hook
    status[0] = 500
    kept = RecordingNotifier()
    fan = FanOutNotifier([WebhookNotifier(url, SECRET), kept])
    fan.notify(NOTICE)  # the webhook answers 500: logged, not raised
    assert len(received) == 1
    assert kept.notices == [NOTICE]


def test_the_app_sends_delivery_notices_to_the_webhook_too(hook, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, received, _ = hook
    settings = load_settings(data_dir=tmp_path, notify_webhook_url=url,
                             notify_webhook_secret=SECRET)  # fmt: skip
    app = create_app(settings)
    service = app.state.services.extras["deliveries"]
    assert isinstance(service, DeliveryService)
    assert service.notifier is not None
    service.notifier.notify(NOTICE)
    assert json.loads(received[0][0])["reference"] == "delivery:abc"
    with pytest.raises(ConfigError, match="needs notify_webhook_secret"):
        create_app(load_settings(data_dir=tmp_path, notify_webhook_url=url))
