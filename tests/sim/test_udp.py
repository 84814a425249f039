"""SITL's ``--out udp:HOST:PORT``: vehicles stream to a ground station and answer it there."""

import asyncio
import re
import socket
import time
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import EndpointError, SimConfig, SimVehicle
from sim.cluster import SimCluster
from sim.udp import UdpOut, parse_udp_target


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("127.0.0.1:14550", ("127.0.0.1", 14550)),
        ("udp:127.0.0.1:14550", ("127.0.0.1", 14550)),
        ("gcs.local:1", ("gcs.local", 1)),
        ("[::1]:65535", ("::1", 65535)),
    ],
)
def test_a_udp_target_is_host_colon_port(text: str, target: tuple[str, int]) -> None:
    assert parse_udp_target(text) == target


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("127.0.0.1", "expected HOST:PORT"),
        (":14550", "no host"),
        ("127.0.0.1:", "is not a number in 1..65535"),
        ("127.0.0.1:0", "is not a number in 1..65535"),
        ("127.0.0.1:65536", "is not a number in 1..65535"),
        ("127.0.0.1:14550x", "is not a number"),
        ("::1:14550", "IPv6 as [ADDR]:PORT"),
        ("[::1]", "expected [IPv6]:PORT"),
        ("my host:14550", "no host"),
    ],
)
def test_a_bad_udp_target_says_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_udp_target(text)


class GroundStation:
    """A UDP ground station on 127.0.0.1 that, as QGroundControl, tells vehicles apart by system
    id and answers each at the address its frames came from."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self._parsers: dict[Any, Any] = {}
        self._out = mavlink.MAVLink(None, srcSystem=255, srcComponent=190)

    def close(self) -> None:
        self.sock.close()

    def recv(self, kind: str, timeout: float = 3.0, **where: Any) -> tuple[Any, Any]:
        """The next ``kind`` message whose fields match ``where``, and the address it came from."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data, addr = self.sock.recvfrom(65536)
            except TimeoutError:
                continue
            parser = self._parsers.setdefault(addr, mavlink.MAVLink(None))
            parser.robust_parsing = True
            for msg in parser.parse_buffer(data) or []:
                if msg.get_type() == kind and all(getattr(msg, k) == v for k, v in where.items()):
                    return msg, addr
        raise AssertionError(f"no {kind} {where} within {timeout} s")

    def send(self, message: Any, addr: Any) -> None:
        self.sock.sendto(message.pack(self._out), addr)


def test_two_vehicles_stream_to_one_ground_station_and_answer_it_there() -> None:
    station = GroundStation()
    cluster = SimCluster(
        2,
        SimConfig(port=0, gps_delay_s=0.0, prearm_delay_s=0.0),
        udp_targets=[("127.0.0.1", station.port)],
    )

    def ground_station(cluster: SimCluster) -> dict[int, Any]:
        senders: dict[int, Any] = {}
        while len(senders) < 2:
            heartbeat, addr = station.recv("HEARTBEAT")
            senders[heartbeat.get_srcSystem()] = addr
        for sysid, addr in senders.items():
            request = mavlink.MAVLink_param_request_read_message(sysid, 1, b"SYSID_THISMAV", -1)
            station.send(request, addr)
            value, came_from = station.recv("PARAM_VALUE", param_id="SYSID_THISMAV")
            assert (value.get_srcSystem(), value.param_value, came_from) == (sysid, sysid, addr)
            command = mavlink.MAVLink_command_long_message(
                sysid, 1, mavlink.MAV_CMD_GET_HOME_POSITION, 0, 0, 0, 0, 0, 0, 0, 0
            )
            station.send(command, addr)
            ack, came_from = station.recv("COMMAND_ACK", command=command.command)
            assert (ack.get_srcSystem(), ack.result, came_from) == (
                sysid, mavlink.MAV_RESULT_ACCEPTED, addr,
            )  # fmt: skip
        return senders

    async def main() -> dict[int, Any]:
        async with cluster:
            senders = await asyncio.to_thread(ground_station, cluster)
            rows = cluster.status()
            assert all(r.udp_heard_s is not None and r.udp_heard_s < 5.0 for r in rows)
            return senders

    try:
        senders = asyncio.run(main())
    finally:
        station.close()
    assert sorted(senders) == [1, 2]
    assert senders[1] != senders[2]  # each vehicle from a socket of its own
    assert f"udp to 127.0.0.1:{station.port}" in repr(cluster)


def test_streaming_to_nobody_is_not_an_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as spare:
        spare.bind(("127.0.0.1", 0))
        closed_port = spare.getsockname()[1]

    async def main() -> str:
        async with (
            SimVehicle(SimConfig(port=0)) as vehicle,
            UdpOut(vehicle, "127.0.0.1", closed_port) as link,
        ):
            await asyncio.sleep(1.2)  # heartbeats go out; ICMP port unreachable comes back
            assert vehicle.connected
            return repr(link)

    shown = asyncio.run(main())
    assert shown.startswith(f"UdpOut(system 1 -> 127.0.0.1:{closed_port}, from :")


def test_an_unknown_host_is_an_endpoint_error_naming_it() -> None:
    async def main() -> None:
        async with SimVehicle(SimConfig(port=0)) as vehicle:
            with pytest.raises(
                EndpointError, match=r"cannot send UDP to no-such-host\.invalid:14550"
            ):
                await UdpOut(vehicle, "no-such-host.invalid", 14550).start()
            assert not vehicle.connected

    asyncio.run(main())
