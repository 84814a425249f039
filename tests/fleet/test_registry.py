"""Vehicle and daily-inspection values: registration codes, sprayers, every rule by field."""

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest

from fleet.errors import FleetError
from fleet.registry import (
    REQUIRED_INSPECTION_ITEMS,
    CheckResult,
    InspectionItem,
    InspectionRecord,
    InvalidRecord,
    ReleaseKind,
    Sprayer,
    SprayerKind,
    VehicleRecord,
    check_registration,
    is_simulated,
    parse_registration,
)
from mission_planner import SprayerControl


def sprayer_drone(**changes: Any) -> VehicleRecord:
    """A 10 L spray drone on SITL's port, its pump on servo 9."""
    fields: dict[str, Any] = {
        "registration": "JU0123456789",
        "model": "Tanbo S10",
        "maker": "Kasai Drone Works",
        "serial_number": "KDW-0001",
        "system_id": 1,
        "connection": "tcp:127.0.0.1:5760",
        "max_takeoff_weight_kg": 24.9,
        "max_payload_kg": 10.0,
        "tank_l": 10.0,
        "battery_mah": 16000,
        "battery_cells": 12,
        "sprayer": Sprayer.parse("servo:9:1900:1100"),
    }
    return VehicleRecord(**(fields | changes))


@pytest.mark.parametrize("code", ["JU0123456789", "JUABCDEFGHIJ", "JU3A7K9M2P4X"])
def test_real_registration_codes_are_accepted(code: str) -> None:
    assert check_registration(code) == code
    assert not is_simulated(code)


@pytest.mark.parametrize(
    "code",
    [
        "JU012345678",  # 11 characters
        "JU01234567890",  # 13
        "ju0123456789",  # lower case is not how it is issued
        "JA0123456789",  # a manned aircraft's prefix
        "JU 0123456789",
        "JU-0123456789",
        "JU01234567８9",  # a full-width digit
        "SIM-",
        "sim-demo",
        "",
    ],
)
def test_malformed_registrations_are_refused_naming_the_field(code: str) -> None:
    with pytest.raises(InvalidRecord, match="JU followed by 10 capital letters") as caught:
        check_registration(code)
    assert caught.value.field == "registration"
    assert repr(code) in str(caught.value)


def test_typed_registrations_are_tidied_but_still_checked() -> None:
    assert parse_registration("  ju0123456789 ") == "JU0123456789"
    assert parse_registration("sim-demo") == "SIM-DEMO"
    with pytest.raises(InvalidRecord, match="'ju 0123'"):
        parse_registration("ju 0123")


def test_a_simulator_vehicle_says_it_has_no_real_registration() -> None:
    sim = sprayer_drone(registration="SIM-KASAI-1")
    assert sim.simulated
    assert is_simulated("SIM-KASAI-1")
    assert not sprayer_drone().simulated


@pytest.mark.parametrize(
    ("spec", "kind", "control"),
    [
        ("none", SprayerKind.NONE, None),
        ("ardupilot", SprayerKind.ARDUPILOT_SPRAYER, SprayerControl.DO_SPRAYER),
        ("servo:9:1900:1100", SprayerKind.SERVO_PUMP, SprayerControl.DO_SET_SERVO),
        ("SERVO:16:1000:2000", SprayerKind.SERVO_PUMP, SprayerControl.DO_SET_SERVO),
    ],
)
def test_sprayer_specs_parse_and_write_back(
    spec: str, kind: SprayerKind, control: SprayerControl | None
) -> None:
    sprayer = Sprayer.parse(spec)
    assert sprayer.kind is kind
    assert sprayer.control is control
    assert Sprayer.parse(sprayer.spec) == sprayer


def test_a_servo_pump_keeps_its_channel_and_pulse_widths() -> None:
    pump = Sprayer.parse("servo:9:1900:1100")
    assert (pump.channel, pump.pwm_on_us, pump.pwm_off_us) == (9, 1900, 1100)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("servo:9:1900", "expected none, ardupilot or servo:CHANNEL:PWM_ON:PWM_OFF"),
        ("servo:x:1900:1100", "expected none, ardupilot"),
        ("pump", "expected none, ardupilot"),
        ("servo:0:1900:1100", "channel 0 is outside 1..32"),
        ("servo:33:1900:1100", "channel 33 is outside 1..32"),
        ("servo:9:3000:1100", "PWM on 3000 µs is outside 500..2500"),
        ("servo:9:1500:1500", "PWM on and off are both 1500 µs"),
    ],
)
def test_bad_sprayer_specs_are_refused(spec: str, message: str) -> None:
    with pytest.raises(InvalidRecord, match=message) as caught:
        Sprayer.parse(spec)
    assert caught.value.field == "sprayer"


def test_only_a_servo_pump_has_a_channel() -> None:
    with pytest.raises(InvalidRecord, match="takes no channel"):
        Sprayer(kind=SprayerKind.ARDUPILOT_SPRAYER, channel=9)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"model": " "}, "model", "is empty"),
        ({"system_id": 0}, "system_id", "1..255"),
        ({"system_id": 256}, "system_id", "1..255"),
        ({"connection": "tcp:nowhere"}, "connection", "expected tcp:HOST:PORT"),
        ({"connection": "carrier-pigeon"}, "connection", "expected tcp:HOST:PORT"),
        ({"max_takeoff_weight_kg": 0.0}, "max_takeoff_weight_kg", "positive"),
        ({"max_takeoff_weight_kg": float("nan")}, "max_takeoff_weight_kg", "positive"),
        ({"max_payload_kg": 30.0}, "max_payload_kg", "not below the maximum take-off weight"),
        ({"tank_l": -1.0}, "tank_l", "non-negative"),
        ({"battery_mah": 0}, "battery_mah", "positive"),
        ({"battery_cells": 0}, "battery_cells", "1..24"),
        ({"tank_l": 0.0}, "sprayer", "needs a tank"),
        ({"retired_at": datetime(2026, 1, 1)}, "retired_at", "timezone-aware"),
    ],
)
def test_vehicle_rules_name_the_field(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidRecord, match=message) as caught:
        sprayer_drone(**changes)
    assert caught.value.field == field
    assert str(caught.value).startswith(field)


def test_an_invalid_record_is_both_a_fleet_error_and_a_value_error() -> None:
    with pytest.raises(InvalidRecord) as caught:
        sprayer_drone(system_id=0)
    assert isinstance(caught.value, FleetError)
    assert isinstance(caught.value, ValueError)


def test_a_delivery_drone_has_a_release_and_no_tank() -> None:
    carrier = sprayer_drone(tank_l=0.0, sprayer=Sprayer(), release=ReleaseKind.WINCH)
    assert carrier.sprayer.control is None
    assert carrier.release is ReleaseKind.WINCH
    assert not carrier.retired


def inspection(**changes: Any) -> InspectionRecord:
    fields: dict[str, Any] = {
        "registration": "JU0123456789",
        "inspected_on": date(2026, 6, 1),
        "inspector": "加西 花子",
        "place": "加西市 北条町",
        "results": tuple(CheckResult(item=i, ok=True) for i in InspectionItem),
    }
    return InspectionRecord(**(fields | changes))


def test_an_inspection_passes_when_every_form_item_was_checked_ok() -> None:
    done = inspection()
    assert done.passed
    assert not done.missing
    assert len(done.id) == 36


def test_an_item_not_ok_fails_the_inspection_and_is_named() -> None:
    chipped = CheckResult(item=InspectionItem.PROPELLERS, ok=False, note="chipped tip")
    results = (
        chipped,
        *(CheckResult(item=i, ok=True) for i in InspectionItem if i != chipped.item),
    )
    done = inspection(results=results)
    assert not done.passed
    assert [(r.item, r.note) for r in done.failed] == [(InspectionItem.PROPELLERS, "chipped tip")]


def test_an_item_of_the_form_left_unchecked_fails_the_inspection() -> None:
    done = inspection(results=(CheckResult(item=InspectionItem.PROPELLERS, ok=True),))
    assert not done.passed
    assert done.missing == REQUIRED_INSPECTION_ITEMS - {InspectionItem.PROPELLERS}
    assert InspectionItem.SPRAYER not in REQUIRED_INSPECTION_ITEMS


def test_every_inspection_item_has_its_japanese_name() -> None:
    assert InspectionItem.PROPELLERS.ja == "プロペラ"
    assert all(item.ja for item in InspectionItem)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"results": ()}, "results"),
        ({"inspector": ""}, "inspector"),
        ({"registration": "JU1"}, "registration"),
    ],
)
def test_inspection_rules_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        inspection(**changes)
    assert caught.value.field == field


def test_an_item_checked_twice_is_refused() -> None:
    ok = CheckResult(item=InspectionItem.BATTERY, ok=True)
    with pytest.raises(InvalidRecord, match="battery more than once"):
        inspection(results=(ok, replace(ok, ok=False)))
