"""Arming with pre-arm refusals, and mode changes, as a ground station sees them."""

from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import FORCE_MAGIC, CopterMode
from tests.sim.gcs import Gcs, connected, running

ARM = mavlink.MAV_CMD_COMPONENT_ARM_DISARM
SET_MODE = mavlink.MAV_CMD_DO_SET_MODE
CUSTOM = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED


def heartbeat(gcs: Gcs) -> Any:
    gcs.sync()  # so the next HEARTBEAT is one sent after the change
    return gcs.recv("HEARTBEAT")


def test_arming_before_the_checks_pass_is_refused_with_the_reason() -> None:
    with running(gps_delay_s=30.0, prearm_delay_s=60.0) as sim, connected(sim) as gcs:
        assert gcs.command(ARM, 1).result == mavlink.MAV_RESULT_FAILED
        assert gcs.recv("STATUSTEXT").text == "PreArm: Need 3D Fix"
        assert gcs.command(SET_MODE, CUSTOM, CopterMode.GUIDED).result == (
            mavlink.MAV_RESULT_FAILED
        )  # no position yet
        assert "requires position" in gcs.recv("STATUSTEXT").text
        assert gcs.command(ARM, 1, FORCE_MAGIC).result == mavlink.MAV_RESULT_ACCEPTED


def test_arming_waits_for_the_ekf_after_the_fix() -> None:
    with running(gps_delay_s=0.0, prearm_delay_s=60.0) as sim, connected(sim) as gcs:
        assert gcs.command(ARM, 1).result == mavlink.MAV_RESULT_FAILED
        assert gcs.recv("STATUSTEXT").text.startswith("PreArm: EKF")


def test_arm_and_disarm_show_in_the_heartbeat(gcs: Gcs) -> None:
    assert gcs.command(ARM, 1).result == mavlink.MAV_RESULT_ACCEPTED
    hb = heartbeat(gcs)
    assert hb.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED
    assert hb.system_status == mavlink.MAV_STATE_ACTIVE
    assert gcs.command(ARM, 0).result == mavlink.MAV_RESULT_ACCEPTED
    assert not heartbeat(gcs).base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED


@pytest.mark.parametrize("mode", [CopterMode.RTL, CopterMode.LAND, CopterMode.AUTO])
def test_some_modes_are_not_armable(gcs: Gcs, mode: CopterMode) -> None:
    assert gcs.command(SET_MODE, CUSTOM, mode).result == mavlink.MAV_RESULT_ACCEPTED
    assert gcs.command(ARM, 1).result == mavlink.MAV_RESULT_FAILED
    assert gcs.recv("STATUSTEXT").text == "Arm: Mode not armable"


def test_auto_is_armable_with_auto_options_bit_0(gcs: Gcs) -> None:
    gcs.send(mavlink.MAVLink_param_set_message(1, 1, b"AUTO_OPTIONS", 1.0, 6))
    gcs.recv("PARAM_VALUE")
    gcs.command(SET_MODE, CUSTOM, CopterMode.AUTO)
    assert gcs.command(ARM, 1).result == mavlink.MAV_RESULT_ACCEPTED


def test_mode_changes_by_command_and_by_set_mode(gcs: Gcs) -> None:
    assert gcs.command(SET_MODE, CUSTOM, CopterMode.LOITER).result == mavlink.MAV_RESULT_ACCEPTED
    assert heartbeat(gcs).custom_mode == CopterMode.LOITER
    gcs.send(mavlink.MAVLink_set_mode_message(1, CUSTOM, CopterMode.GUIDED))
    ack = gcs.recv("COMMAND_ACK", where=lambda m: m.command == mavlink.MAVLINK_MSG_ID_SET_MODE)
    assert ack.result == mavlink.MAV_RESULT_ACCEPTED
    hb = heartbeat(gcs)
    assert hb.custom_mode == CopterMode.GUIDED
    assert hb.base_mode & mavlink.MAV_MODE_FLAG_GUIDED_ENABLED


def test_an_unknown_mode_or_no_custom_flag_is_refused(gcs: Gcs) -> None:
    assert gcs.command(SET_MODE, CUSTOM, 99).result == mavlink.MAV_RESULT_FAILED
    assert gcs.command(SET_MODE, 0, CopterMode.LOITER).result == mavlink.MAV_RESULT_DENIED
    assert heartbeat(gcs).custom_mode == CopterMode.STABILIZE
