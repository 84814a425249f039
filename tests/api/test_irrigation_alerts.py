"""Where paddy alerts go: the farmer's notifications, a webhook (a real HTTP server on
loopback), and the morning note of today's target — on SQLite and PostgreSQL."""

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import Engine

from api.irrigation import store
from api.irrigation.daily import morning_notes
from api.irrigation.running import FanOutAlerts, WebhookAlerts
from api.irrigation.service import NotifierAlerts
from api.scheduling.notify import StoredNotifier, list_notifications
from core.clock import FakeClock
from irrigation import Alert, AlertKind, Device, DeviceKind, Metric, Paddy, Reading, Severity

NOW = datetime(2026, 6, 4, 20, 0, tzinfo=UTC)  # 05:00 on 5 June in Japan


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, object]]
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[str, type[_Hook]]]:
    handler = type("Hook", (_Hook,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/paddy-alerts", handler
    server.shutdown()
    server.server_close()


def _alert() -> Alert:
    return Alert(
        paddy_id="P1",
        kind=AlertKind.SENSOR_STALE,
        severity=Severity.CRITICAL,
        at=NOW,
        text_ja="水位センサー異常",
        text_en="Water-level sensor problem",
        details={"silent_s": 1800.0},
    )


def test_an_alert_reaches_the_notifications_and_the_webhook(
    engine: Engine, hook: tuple[str, type[_Hook]]
) -> None:
    url, handler = hook
    webhook = WebhookAlerts(url)
    sinks = FanOutAlerts([NotifierAlerts(StoredNotifier(engine, clock=FakeClock(NOW))), webhook])
    sinks.alert("tanaka", _alert())
    webhook.close()
    notices, _ = list_notifications(engine, "tanaka")
    assert [n.kind for n in notices] == ["water.sensor_stale"]
    assert notices[0].text_ja == "水田 P1: 水位センサー異常"
    (posted,) = handler.received
    assert posted["owner"] == "tanaka"
    assert posted["kind"] == "sensor_stale"
    assert posted["severity"] == "critical"
    assert posted["details"] == {"silent_s": 1800.0}


def test_a_failing_webhook_does_not_stop_the_farmers_notice(
    engine: Engine, hook: tuple[str, type[_Hook]]
) -> None:
    url, handler = hook
    handler.status = 500
    webhook = WebhookAlerts(url)
    sinks = FanOutAlerts([webhook, NotifierAlerts(StoredNotifier(engine, clock=FakeClock(NOW)))])
    sinks.alert("tanaka", _alert())
    webhook.close()
    assert len(handler.received) == 1
    assert list_notifications(engine, "tanaka")[1] == 1


def test_the_morning_note_gives_todays_target_and_yesterdays_water(engine: Engine) -> None:
    paddy = Paddy(id="P1", farm="kasai", area_m2=2000.0, transplanted_on=date(2026, 6, 1))
    store.add_paddy(engine, paddy, owner="tanaka")
    store.add_paddy(engine, Paddy(id="P0", farm="kasai", area_m2=900.0), owner="tanaka")
    store.register_device(
        engine, Device(id="lv", farm="kasai", kind=DeviceKind.SENSOR, paddy_id="P1")
    )
    yesterday_noon = datetime(2026, 6, 4, 3, 0, tzinfo=UTC)  # 12:00 on 4 June in Japan
    store.store_readings(
        engine,
        [
            Reading(
                device_id="lv",
                metric=Metric.WATER_LEVEL,
                value=value,
                device_time=yesterday_noon + timedelta(hours=h),
            )
            for h, value in enumerate([5.2, 6.4, 5.9])
        ]
        + [
            # 01:00 on 4 June in Japan is yesterday; 03:00 on 5 June is today. A query bound
            # given in Japan time must not slide by nine hours (SQLite keeps wall digits).
            Reading(
                device_id="lv",
                metric=Metric.WATER_LEVEL,
                value=4.8,
                device_time=datetime(2026, 6, 3, 16, 0, tzinfo=UTC),
            ),
            Reading(
                device_id="lv",
                metric=Metric.WATER_LEVEL,
                value=9.9,
                device_time=datetime(2026, 6, 4, 18, 0, tzinfo=UTC),
            ),
        ],
        source="mqtt",
    )
    (note,) = morning_notes(engine, NOW)
    owner, alert = note
    assert owner == "tanaka"
    assert alert.kind is AlertKind.DAILY_TARGET
    assert alert.text_ja.startswith("6月5日（田植え後4日目）: 活着期（深水）、目標")
    assert "昨日の水位 4.8〜6.4 cm、最新 5.9 cm" in alert.text_ja
    assert "yesterday 4.8–6.4 cm, last 5.9 cm" in alert.text_en
