"""The telemetry tracker: messages in, status and events out (no I/O)."""

import pytest
from pymavlink.dialects.v20 import ardupilotmega as m

from fleet.errors import PreflightFailed
from fleet.events import EventKind
from fleet.preflight import Facts, check, require
from fleet.telemetry import LINK_TIMEOUT_S, TelemetryTracker

ARMED = m.MAV_MODE_FLAG_SAFETY_ARMED | m.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
CUSTOM = m.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED


def heartbeat(mode: int, *, armed: bool) -> object:
    return m.MAVLink_heartbeat_message(2, 3, ARMED if armed else CUSTOM, mode, 4, 3)


def kinds(events: list) -> list[str]:  # type: ignore[type-arg]
    return [e.kind.value for e in events]


def text(words: str, severity: int = 2) -> object:
    return m.MAVLink_statustext_message(severity, words.encode())


def test_a_commanded_rtl_is_not_a_failsafe() -> None:
    tracker = TelemetryTracker(1)
    tracker.update(heartbeat(3, armed=True), 0.0)  # AUTO
    tracker.expect_mode("RTL")
    assert kinds(tracker.update(heartbeat(6, armed=True), 1.0)) == ["mode_changed"]


def test_an_autopilot_rtl_is_a_failsafe_with_its_reason() -> None:
    tracker = TelemetryTracker(1)
    tracker.update(heartbeat(3, armed=True), 0.0)
    tracker.update(text("Battery 1 is low 44.10V used 15000 mAh"), 0.5)
    events = tracker.update(heartbeat(6, armed=True), 1.0)
    assert kinds(events) == ["mode_changed", "failsafe"]
    assert "Battery 1 is low" in events[1].detail


def test_failsafe_texts_are_failsafes() -> None:
    tracker = TelemetryTracker(1)
    assert kinds(tracker.update(text("GCS Failsafe"), 0.0)) == [
        "connected", "status_text", "failsafe"
    ]  # fmt: skip
    assert kinds(tracker.update(text("Mission: 4 WP"), 0.1)) == ["status_text"]


def test_mission_complete_is_the_last_item_reached() -> None:
    tracker = TelemetryTracker(1)
    tracker.mission_count = 5  # home + 4 items: the last is seq 4
    assert kinds(tracker.update(m.MAVLink_mission_item_reached_message(3), 0.0)) == [
        "connected", "item_reached"
    ]  # fmt: skip
    assert kinds(tracker.update(m.MAVLink_mission_item_reached_message(4), 1.0)) == [
        "item_reached", "mission_complete"
    ]  # fmt: skip
    assert tracker.status.last_reached == 4


def test_low_battery_is_told_once_until_a_fresh_battery() -> None:
    tracker = TelemetryTracker(1)

    def battery(pct: int) -> object:
        return m.MAVLink_battery_status_message(0, 0, 1, 32767, [65535] * 10, 1000, 1000, -1, pct)

    assert kinds(tracker.update(battery(24), 0.0)) == ["connected", "low_battery"]
    assert kinds(tracker.update(battery(20), 1.0)) == []
    assert kinds(tracker.update(battery(100), 2.0)) == []
    assert kinds(tracker.update(battery(10), 3.0)) == ["low_battery"]
    assert tracker.status.battery_used_mah == 1000.0


def test_link_loss_after_silence() -> None:
    tracker = TelemetryTracker(1)
    tracker.update(heartbeat(0, armed=False), 10.0)
    assert tracker.check_link(10.0 + LINK_TIMEOUT_S - 0.1) == []
    lost = tracker.check_link(10.0 + LINK_TIMEOUT_S + 0.1)
    assert [e.kind for e in lost] == [EventKind.LINK_LOST]
    assert tracker.check_link(30.0) == []  # told once
    assert kinds(tracker.update(heartbeat(0, armed=False), 31.0)) == ["link_restored"]


def test_position_and_no_position() -> None:
    tracker = TelemetryTracker(1)
    tracker.update(m.MAVLink_global_position_int_message(5000, 0, 0, 0, 0, 0, 0, 0, 0), 0.0)
    assert not tracker.status.position_known
    tracker.update(
        m.MAVLink_global_position_int_message(
            7000, 349283000, 1348414000, 55000, 5000, 300, 400, -100, 9000
        ),
        0.1,
    )
    s = tracker.status
    assert (s.lat_deg, s.lon_deg, s.alt_rel_m, s.boot_s) == (34.9283, 134.8414, 5.0, 7.0)
    assert s.groundspeed_m_s == 5.0
    assert s.climb_m_s == 1.0
    assert s.heading_deg == 90.0


def good_facts(**changes: object) -> Facts:
    values: dict[str, object] = {
        "link_age_s": 0.2, "gps_fix": 3, "satellites": 10, "prearm_ok": True, "battery_pct": 90.0,
        "needed_battery_pct": 40.0, "mission_verified": True, "fence_verified": True,
        "registration": "JU0123456789", "distance_from_home_m": 2.0, "spray_enabled": True,
        "fence_enabled": True,
    }  # fmt: skip
    values.update(changes)
    return Facts(**values)  # type: ignore[arg-type]


def test_every_check_passes_on_good_facts() -> None:
    checks = check(good_facts())
    assert all(c.ok for c in checks)
    assert {c.name for c in checks} == {
        "link", "gps", "prearm", "battery", "mission", "fence", "fence_enabled",
        "registration", "home", "sprayer", "disarmed",
    }  # fmt: skip
    require(checks)


@pytest.mark.parametrize(
    ("change", "name", "says"),
    [
        ({"link_age_s": 5.0}, "link", "last heard 5.0 s ago"),
        ({"link_age_s": None}, "link", "not heard"),
        ({"gps_fix": 2}, "gps", "no 3D fix"),
        ({"satellites": 4}, "gps", "only 4 satellites"),
        ({"prearm_ok": False}, "prearm", "pre-arm"),
        ({"battery_pct": 35.0}, "battery", "35 % is less than the 40 %"),
        ({"battery_pct": None}, "battery", "unknown"),
        ({"registration": None}, "registration", "tanbo vehicles add"),
        ({"distance_from_home_m": 120.0}, "home", "120 m from the plan's home"),
        ({"spray_enabled": False}, "sprayer", "SPRAY_ENABLE=0"),
        ({"fence_enabled": False}, "fence_enabled", "not enabled"),
        ({"armed": True}, "disarmed", "already armed"),
        ({"inspection": "missing"}, "inspection", "no daily inspection"),
        ({"inspection": "failed"}, "inspection", "found an item not ok"),
        ({"pump_needed_pct": 150.0}, "rate", "needs 150 % of the pump"),
    ],
)
def test_each_failed_check_names_itself(change: dict, name: str, says: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(PreflightFailed, match=says) as caught:
        require(check(good_facts(**change)))
    assert caught.value.check == name
    assert f"{name}: " in str(caught.value)


def test_all_failures_are_named_at_once() -> None:
    with pytest.raises(PreflightFailed) as caught:
        require(check(good_facts(gps_fix=0, battery_pct=10.0)))
    assert "gps:" in str(caught.value)
    assert "battery:" in str(caught.value)
