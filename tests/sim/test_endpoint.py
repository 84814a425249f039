"""The vehicle on its TCP port: one client at a time, what it streams, and how fast."""

import asyncio
import socket
import time

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import EndpointError, SimConfig, SimVehicle, port_for
from tests.sim.gcs import Gcs, RunningSim, connected, running

HOME = (34.9283, 134.8414, 50.0)
PREARM = mavlink.MAV_SYS_STATUS_PREARM_CHECK


def test_heartbeat_is_a_disarmed_ardupilot_quadrotor_in_stabilize(gcs: Gcs) -> None:
    hb = gcs.recv("HEARTBEAT")
    assert hb.get_srcSystem() == 1
    assert hb.get_srcComponent() == 1
    assert hb.get_msgbuf()[0] == 0xFD  # MAVLink 2
    assert hb.type == mavlink.MAV_TYPE_QUADROTOR
    assert hb.autopilot == mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA
    assert hb.base_mode & mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
    assert not hb.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED
    assert hb.custom_mode == 0  # STABILIZE
    assert hb.system_status == mavlink.MAV_STATE_STANDBY


def test_heartbeat_comes_once_a_second(sim: RunningSim) -> None:
    with connected(sim) as gcs:
        gcs.recv("HEARTBEAT")
        start = time.monotonic()
        gcs.recv("HEARTBEAT")
        assert 0.8 < time.monotonic() - start < 1.3


def test_vehicle_i_is_system_i_plus_1_on_sitl_port() -> None:
    assert [port_for(5760, i) for i in range(3)] == [5760, 5770, 5780]
    with running(system_id=3) as sim, connected(sim) as gcs:
        assert gcs.recv("HEARTBEAT").get_srcSystem() == 3


def test_home_on_connecting_then_position_and_status(sim: RunningSim) -> None:
    with connected(sim) as gcs:
        home = gcs.recv("HOME_POSITION")
        pos = gcs.recv("GLOBAL_POSITION_INT")
        status = gcs.recv("SYS_STATUS")
    assert (pos.lat, pos.lon) == (round(HOME[0] * 1e7), round(HOME[1] * 1e7))
    assert pos.relative_alt == 0
    assert pos.alt == round(HOME[2] * 1000)
    assert (home.latitude, home.longitude, home.altitude) == (pos.lat, pos.lon, pos.alt)
    assert status.onboard_control_sensors_health & PREARM
    assert status.voltage_battery > 40_000
    assert status.battery_remaining == 100


def test_no_position_and_arming_not_ready_until_the_delays_pass() -> None:
    with running(gps_delay_s=0.6, prearm_delay_s=1.2) as sim, connected(sim) as gcs:
        first = gcs.recv("SYS_STATUS")
        assert first.onboard_control_sensors_present & PREARM
        assert not first.onboard_control_sensors_health & PREARM
        assert not first.onboard_control_sensors_health & mavlink.MAV_SYS_STATUS_SENSOR_GPS
        ack = gcs.command(mavlink.MAV_CMD_GET_HOME_POSITION)
        assert ack.result == mavlink.MAV_RESULT_FAILED
        gcs.recv("GLOBAL_POSITION_INT", timeout=2.0)  # the fix comes
        gcs.recv("HOME_POSITION", timeout=1.0)  # and home is announced at once
        ready = gcs.recv(
            "SYS_STATUS", timeout=3.0, where=lambda m: m.onboard_control_sensors_health & PREARM
        )
        assert ready.onboard_control_sensors_health & mavlink.MAV_SYS_STATUS_SENSOR_GPS


def test_set_message_interval_speeds_up_and_stops_a_message(gcs: Gcs) -> None:
    position = mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT
    ack = gcs.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, position, 50_000)
    assert ack.result == mavlink.MAV_RESULT_ACCEPTED
    assert 7 <= len(gcs.collect("GLOBAL_POSITION_INT", 0.5)) <= 13  # 20 Hz
    gcs.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, position, -1)  # the ACK comes after
    gcs.nothing("GLOBAL_POSITION_INT", 0.4)
    gcs.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, position, 0)  # back to the default
    gcs.recv("GLOBAL_POSITION_INT", timeout=0.5)


def test_message_interval_for_an_unknown_message_is_denied(gcs: Gcs) -> None:
    ack = gcs.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, 9999, 100_000)
    assert ack.result == mavlink.MAV_RESULT_DENIED
    assert "9999" in gcs.recv("STATUSTEXT").text


def test_request_data_stream_sets_the_rate_of_its_group(gcs: Gcs) -> None:
    def stream(stream_id: int, rate_hz: int, start: int) -> None:
        gcs.send(mavlink.MAVLink_request_data_stream_message(1, 1, stream_id, rate_hz, start))

    stream(mavlink.MAV_DATA_STREAM_POSITION, 0, 0)
    gcs.sync()
    gcs.nothing("GLOBAL_POSITION_INT", 0.4)
    gcs.recv("SYS_STATUS")  # other groups go on
    stream(mavlink.MAV_DATA_STREAM_ALL, 10, 1)
    positions = gcs.collect(["GLOBAL_POSITION_INT"], 0.5)
    assert 3 <= len(positions) <= 7


def test_request_message_sends_it_once(gcs: Gcs) -> None:
    ack = gcs.command(mavlink.MAV_CMD_REQUEST_MESSAGE, mavlink.MAVLINK_MSG_ID_HOME_POSITION)
    assert ack.result == mavlink.MAV_RESULT_ACCEPTED
    gcs.recv("HOME_POSITION", timeout=0.5)
    ack = gcs.command(mavlink.MAV_CMD_REQUEST_MESSAGE, 9999)
    assert ack.result == mavlink.MAV_RESULT_DENIED


def test_an_unknown_command_is_unsupported(gcs: Gcs) -> None:
    ack = gcs.command(mavlink.MAV_CMD_DO_FOLLOW)
    assert ack.result == mavlink.MAV_RESULT_UNSUPPORTED
    assert (ack.target_system, ack.target_component) == (255, 190)


def test_command_int_is_answered_too(gcs: Gcs) -> None:
    home = mavlink.MAVLINK_MSG_ID_HOME_POSITION
    gcs.send(
        mavlink.MAVLink_command_int_message(
            1, 1, 0, mavlink.MAV_CMD_REQUEST_MESSAGE, 0, 0, home, 0, 0, 0, 0, 0, 0
        )
    )
    assert gcs.recv("COMMAND_ACK").result == mavlink.MAV_RESULT_ACCEPTED


def test_one_client_at_a_time_and_a_disconnect_frees_the_port(sim: RunningSim) -> None:
    with connected(sim) as first:
        first.recv("HEARTBEAT")
        with socket.create_connection(("127.0.0.1", sim.port), timeout=2.0) as second:
            assert second.recv(100) == b""  # closed at once
        first.recv("GLOBAL_POSITION_INT")  # the first client is still served
    with connected(sim) as third:
        third.recv("HEARTBEAT")


def test_messages_for_another_vehicle_are_ignored(gcs: Gcs) -> None:
    gcs.send(mavlink.MAVLink_param_request_read_message(7, 1, b"RTL_ALT", -1))
    gcs.nothing("PARAM_VALUE", 0.3)
    gcs.send(mavlink.MAVLink_param_request_read_message(0, 0, b"RTL_ALT", -1))  # broadcast
    assert gcs.recv("PARAM_VALUE").param_id == "RTL_ALT"


def test_garbage_on_the_wire_does_not_stop_the_vehicle(gcs: Gcs) -> None:
    gcs.conn.write(b"\xfd\x09garbage\x00\xff" * 20)
    gcs.send(mavlink.MAVLink_param_request_read_message(1, 1, b"RTL_ALT", -1))
    assert gcs.recv("PARAM_VALUE").param_value == 1500.0


def test_a_taken_port_is_an_endpoint_error(sim: RunningSim) -> None:
    async def start_on_taken_port() -> None:
        async with SimVehicle(SimConfig(port=sim.port)):
            pass  # pragma: no cover - never reached

    with pytest.raises(EndpointError, match="cannot listen"):
        asyncio.run(start_on_taken_port())


def test_stop_closes_the_client_and_can_be_repeated() -> None:
    with running() as sim:
        with socket.create_connection(("127.0.0.1", sim.port), timeout=2.0) as client:
            assert client.recv(100)  # telemetry flows
            sim.run(sim.vehicle.stop())
            while client.recv(4096):  # drain what was sent before the close
                pass
        sim.run(sim.vehicle.stop())


def test_the_vehicle_says_nothing_until_a_client_connects() -> None:
    with running() as sim:
        time.sleep(0.1)
        assert sim.call(lambda: sim.vehicle.connected) is False
        with connected(sim) as gcs:
            hb = gcs.recv("HEARTBEAT", timeout=1.5)
            assert hb.get_srcSystem() == 1


def test_autopilot_version_says_arducopter_and_its_capabilities(gcs: Gcs) -> None:
    """QGroundControl asks for it first, both ways, to learn what the vehicle can do."""
    for command, *params in (
        (mavlink.MAV_CMD_REQUEST_MESSAGE, mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION),
        (mavlink.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES, 1),
    ):
        assert gcs.command(command, *params).result == mavlink.MAV_RESULT_ACCEPTED
        version = gcs.recv("AUTOPILOT_VERSION")
        assert version.flight_sw_version >> 24 == 4
        for capability in (
            mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_INT,
            mavlink.MAV_PROTOCOL_CAPABILITY_COMMAND_INT,
            mavlink.MAV_PROTOCOL_CAPABILITY_MAVLINK2,
            mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE,
            mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY,
        ):
            assert version.capabilities & capability
        assert version.uid & 0xFF == 1  # the system id in the board's unique id
