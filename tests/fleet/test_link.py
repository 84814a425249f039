"""The link, its transports and the commander, against the simulator over real sockets."""

import os
import socket
import time
from collections.abc import Iterator

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from fleet.commands import Commander
from fleet.errors import CommandFailed, LinkError
from fleet.events import EventKind, VehicleEvent
from fleet.link import Link
from fleet.transport import open_transport, parse_url
from sim.wire import MavCodec
from tests.sim.gcs import RunningSim, running


@pytest.fixture
def sim() -> Iterator[RunningSim]:
    with running(speedup=5.0) as started:
        yield started


@pytest.fixture
def link(sim: RunningSim) -> Iterator[Link]:
    with Link(f"tcp:127.0.0.1:{sim.port}") as opened:
        opened.wait_for_vehicle(1, timeout_s=5.0)
        yield opened


def _until(condition, timeout_s: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


# -- connection strings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind", "where"),
    [
        ("tcp:127.0.0.1:5760", "tcp", ("127.0.0.1", 5760)),
        ("udp:0.0.0.0:14550", "udpin", ("0.0.0.0", 14550)),
        ("udpin:127.0.0.1:14550", "udpin", ("127.0.0.1", 14550)),
        ("udpout:10.0.0.2:14550", "udpout", ("10.0.0.2", 14550)),
    ],
)
def test_network_urls(url: str, kind: str, where: tuple[str, int]) -> None:
    endpoint = parse_url(url)
    assert (endpoint.kind, endpoint.host, endpoint.port) == (kind, *where)


def test_serial_urls() -> None:
    assert parse_url("serial:/dev/ttyUSB0:115200").device == "/dev/ttyUSB0"
    assert parse_url("/dev/ttyACM0").baud == 57600
    assert parse_url("COM3:921600").device == "COM3"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("tcp:127.0.0.1", "tcp:HOST:PORT"),
        ("tcp:host:99999", "tcp:HOST:PORT"),
        ("http://x", "expected tcp:HOST:PORT, udpin"),
        ("", "expected tcp:HOST:PORT"),
    ],
)
def test_bad_urls_are_named(url: str, says: str) -> None:
    with pytest.raises(LinkError, match=says) as caught:
        parse_url(url)
    assert repr(url) in str(caught.value)


def test_nobody_listening_is_a_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LinkError, match=f"cannot connect to tcp:127.0.0.1:{port}"):
        open_transport(f"tcp:127.0.0.1:{port}", timeout_s=1.0)


def test_serial_link_reads_a_heartbeat_from_a_pty() -> None:
    """A pseudo-terminal stands in for a telemetry radio's serial port."""
    pytest.importorskip("serial")
    controller, device = os.openpty()
    try:
        with Link(f"serial:{os.ttyname(device)}:57600", heartbeat_s=0) as link:
            codec = MavCodec(system_id=7)
            heartbeat = mavlink.MAVLink_heartbeat_message(2, 3, 1, 0, 3, 3)
            os.write(controller, codec.encode(heartbeat))
            assert link.wait_for_vehicle(timeout_s=3.0) == 7
            assert link.tracker(7).status.mode == "STABILIZE"
    finally:
        os.close(controller)
        os.close(device)


def test_udp_link_answers_whoever_sent() -> None:
    """udpin: the vehicle (here a raw socket as SITL's --out) sends first; replies go back."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    vehicle = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    vehicle.bind(("127.0.0.1", 0))
    vehicle.settimeout(3.0)
    try:
        with Link(f"udpin:127.0.0.1:{port}", heartbeat_s=0.2) as link:
            codec = MavCodec(system_id=3)
            vehicle.sendto(
                codec.encode(mavlink.MAVLink_heartbeat_message(2, 3, 0, 0, 3, 3)),
                ("127.0.0.1", port),
            )
            assert link.wait_for_vehicle(timeout_s=3.0) == 3
            data, _ = vehicle.recvfrom(4096)  # the ground station's heartbeat, sent back
            replies = MavCodec(system_id=200).decode(data)
            assert replies[0].get_type() == "HEARTBEAT"
            assert replies[0].type == mavlink.MAV_TYPE_GCS
            assert replies[0].get_srcSystem() == 255
    finally:
        vehicle.close()


# -- the link and its telemetry ---------------------------------------------------------


def test_link_tracks_the_vehicle(link: Link) -> None:
    status = link.tracker(1).status
    _until(lambda: status.position_known and status.home_lat_deg and status.landed is not None)
    assert status.autopilot == "ardupilot"
    assert status.mode == "STABILIZE"
    assert not status.armed
    assert status.lat_deg == pytest.approx(34.9283, abs=1e-4)
    assert status.battery_pct == pytest.approx(100.0, abs=1.0)
    assert status.landed is True


def test_the_vehicle_hears_our_heartbeat(sim: RunningSim, link: Link) -> None:
    """ArduPilot's ground-station failsafe counts on it: system 255, type GCS."""
    seen: list[int] = []
    original = sim.vehicle.dispatch

    def spy(message):  # type: ignore[no-untyped-def]
        if message.get_type() == "HEARTBEAT":
            seen.append(message.get_srcSystem())
        original(message)

    sim.call(lambda: setattr(sim.vehicle, "dispatch", spy))
    _until(lambda: len(seen) >= 2, timeout_s=3.0)
    assert set(seen) == {255}


def test_link_lost_and_restored_are_events(sim: RunningSim, link: Link) -> None:
    events: list[VehicleEvent] = []
    link.bus.subscribe(events.append)
    sim.call(lambda: setattr(sim.vehicle, "link_up", False))
    _until(lambda: any(e.kind == EventKind.LINK_LOST for e in events), timeout_s=6.0)
    assert not link.tracker(1).status.connected
    sim.call(lambda: setattr(sim.vehicle, "link_up", True))
    _until(lambda: any(e.kind == EventKind.LINK_RESTORED for e in events), timeout_s=3.0)
    with pytest.raises(LinkError, match="no heartbeat from vehicle 9"):
        link.wait_for_vehicle(9, timeout_s=0.3)


def test_send_on_a_closed_link_is_an_error(sim: RunningSim) -> None:
    link = Link(f"tcp:127.0.0.1:{sim.port}")
    link.close()
    link.close()  # twice is fine
    with pytest.raises(LinkError, match="closed"):
        link.send(mavlink.MAVLink_heartbeat_message(6, 8, 0, 0, 4, 3))


# -- commands ---------------------------------------------------------------------------


def test_mode_arm_and_disarm(link: Link) -> None:
    commander = Commander(link, 1)
    events: list[VehicleEvent] = []
    link.bus.subscribe(events.append)
    commander.set_mode("GUIDED")
    commander.arm()
    status = link.tracker(1).status
    _until(lambda: status.armed and status.mode == "GUIDED")
    commander.disarm()
    _until(lambda: not status.armed)
    kinds = [e.kind for e in events]
    assert kinds.index(EventKind.ARMED) < kinds.index(EventKind.DISARMED)
    assert EventKind.FAILSAFE not in kinds  # a commanded mode is not a failsafe


def test_arming_refusal_carries_the_prearm_reason() -> None:
    with (
        running(prearm_delay_s=3600.0, gps_delay_s=3600.0) as sim,
        Link(f"tcp:127.0.0.1:{sim.port}") as link,
    ):
        link.wait_for_vehicle(1, timeout_s=5.0)
        with pytest.raises(CommandFailed) as caught:
            Commander(link, 1).arm()
    error = caught.value
    assert error.result == "MAV_RESULT_FAILED"
    assert error.reason is not None
    assert "PreArm" in error.reason
    assert str(error).startswith("arming refused (MAV_RESULT_FAILED): PreArm:")


def test_unknown_mode_names_the_known_ones(link: Link) -> None:
    with pytest.raises(CommandFailed, match=r"mode 'HOVER' is unknown.*GUIDED"):
        Commander(link, 1).set_mode("HOVER")


def test_parameters_read_and_write(link: Link) -> None:
    commander = Commander(link, 1)
    assert commander.get_param("SPRAY_ENABLE") == 0.0
    assert commander.set_param("SPRAY_ENABLE", 1.0) == 1.0
    assert commander.get_param("SPRAY_ENABLE") == 1.0


def test_unknown_parameter_is_named(link: Link) -> None:
    commander = Commander(link, 1, retries=1)
    with pytest.raises(CommandFailed, match="parameter NO_SUCH_PARAM: no answer to read"):
        commander.get_param("NO_SUCH_PARAM")


def test_unanswered_command_times_out_with_retries(sim: RunningSim, link: Link) -> None:
    commander = Commander(link, 1, ack_timeout_s=0.2, retries=2)
    sim.call(lambda: setattr(sim.vehicle, "link_up", False))
    started = time.monotonic()
    with pytest.raises(CommandFailed, match=r"did not answer in 0\.6 s \(3 tries\)") as caught:
        commander.arm()
    assert caught.value.result == "NO_ACK"
    assert 0.55 <= time.monotonic() - started < 2.0


def test_refused_mode_change_is_explained() -> None:
    """GUIDED needs a position: with no GPS fix yet, the vehicle refuses it."""
    with running(gps_delay_s=3600.0) as sim, Link(f"tcp:127.0.0.1:{sim.port}") as link:
        link.wait_for_vehicle(1, timeout_s=5.0)
        with pytest.raises(CommandFailed, match="mode change to GUIDED refused"):
            Commander(link, 1).set_mode("GUIDED")
