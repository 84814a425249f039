"""The parameter protocol over a realistic ArduPilot Copter parameter set."""

import math

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import COPTER_PARAMS, ParamTable
from tests.sim.gcs import Gcs, connected, running

NAMES = [spec.name for spec in COPTER_PARAMS]


def read(gcs: Gcs, name: str) -> float:
    gcs.send(mavlink.MAVLink_param_request_read_message(gcs.target, 1, name.encode(), -1))
    return float(gcs.recv("PARAM_VALUE", where=lambda m: m.param_id == name).param_value)


def test_the_copter_set_has_what_a_spray_job_needs() -> None:
    assert sorted(NAMES) == NAMES
    assert all(len(name) <= 16 for name in NAMES)
    for name in ("WPNAV_SPEED", "WPNAV_SPEED_UP", "WPNAV_SPEED_DN", "RTL_ALT", "BATT_CAPACITY",
                 "BATT_LOW_VOLT", "FENCE_ENABLE", "FENCE_ALT_MAX", "FENCE_RADIUS", "FS_GCS_ENABLE",
                 "BATT_FS_LOW_ACT", "SPRAY_ENABLE", "SPRAY_PUMP_RATE", "AUTO_OPTIONS",
                 "MIS_RESTART", "SYSID_THISMAV"):  # fmt: skip
        assert name in NAMES


def test_request_list_streams_every_parameter_with_index_and_count(gcs: Gcs) -> None:
    gcs.send(mavlink.MAVLink_param_request_list_message(1, 1))
    values = [gcs.recv("PARAM_VALUE", timeout=1.0) for _ in NAMES]
    assert [v.param_index for v in values] == list(range(len(NAMES)))
    assert {v.param_count for v in values} == {len(NAMES)}
    assert [v.param_id for v in values] == NAMES
    by_name = {v.param_id: v for v in values}
    assert by_name["WPNAV_SPEED"].param_value == 500.0
    assert by_name["WPNAV_SPEED"].param_type == mavlink.MAV_PARAM_TYPE_REAL32
    assert by_name["RTL_ALT"].param_value == 1500.0
    assert by_name["RTL_ALT"].param_type == mavlink.MAV_PARAM_TYPE_INT16
    assert by_name["SYSID_THISMAV"].param_value == 1.0


def test_request_read_by_name_and_by_index(gcs: Gcs) -> None:
    assert read(gcs, "BATT_CAPACITY") == 22000.0
    index = NAMES.index("FENCE_RADIUS")
    gcs.send(mavlink.MAVLink_param_request_read_message(1, 1, b"", index))
    value = gcs.recv("PARAM_VALUE")
    assert (value.param_id, value.param_index, value.param_value) == ("FENCE_RADIUS", index, 300.0)


def test_reading_an_unknown_parameter_answers_with_a_warning(gcs: Gcs) -> None:
    gcs.send(mavlink.MAVLink_param_request_read_message(1, 1, b"NO_SUCH", -1))
    assert gcs.recv("STATUSTEXT").text == "Unknown parameter NO_SUCH"
    gcs.send(mavlink.MAVLink_param_request_read_message(1, 1, b"", 999))
    assert "999" in gcs.recv("STATUSTEXT").text
    gcs.nothing("PARAM_VALUE", 0.2)


def test_param_set_answers_with_the_stored_value_and_keeps_it(gcs: Gcs) -> None:
    gcs.send(mavlink.MAVLink_param_set_message(1, 1, b"WPNAV_SPEED", 750.0, 9))
    answer = gcs.recv("PARAM_VALUE")
    assert (answer.param_id, answer.param_value) == ("WPNAV_SPEED", 750.0)
    assert answer.param_index == NAMES.index("WPNAV_SPEED")
    gcs.send(mavlink.MAVLink_param_set_message(1, 1, b"RTL_ALT", 2500.7, 4))
    assert gcs.recv("PARAM_VALUE").param_value == 2501.0  # an integer parameter rounds
    gcs.send(mavlink.MAVLink_param_set_message(1, 1, b"FENCE_ENABLE", 300.0, 2))
    assert gcs.recv("PARAM_VALUE").param_value == 127.0  # and clamps to its type
    assert read(gcs, "WPNAV_SPEED") == 750.0
    assert read(gcs, "RTL_ALT") == 2501.0


def test_setting_an_unknown_or_nan_parameter_changes_nothing(gcs: Gcs) -> None:
    gcs.send(mavlink.MAVLink_param_set_message(1, 1, b"WPNAV_SPEEDY", 1.0, 9))
    assert gcs.recv("STATUSTEXT").text == "Unknown parameter WPNAV_SPEEDY"
    gcs.send(mavlink.MAVLink_param_set_message(1, 1, b"WPNAV_SPEED", math.nan, 9))
    assert gcs.recv("STATUSTEXT").text == "Param write denied (WPNAV_SPEED)"
    gcs.nothing("PARAM_VALUE", 0.2)
    assert read(gcs, "WPNAV_SPEED") == 500.0
    gcs.send(mavlink.MAVLink_param_request_list_message(1, 1))
    assert gcs.recv("PARAM_VALUE").param_count == len(NAMES)


def test_sysid_thismav_is_the_vehicles_system_id() -> None:
    with running(system_id=4) as sim, connected(sim) as gcs:
        gcs.target = 4
        assert read(gcs, "SYSID_THISMAV") == 4.0


def test_a_table_refuses_repeated_names() -> None:
    with pytest.raises(ValueError, match="repeat"):
        ParamTable((COPTER_PARAMS[0], COPTER_PARAMS[0]))
