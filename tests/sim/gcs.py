"""A ground station for the simulator's tests: pymavlink's mavutil over real TCP, and the
vehicle run on an event loop of its own in a thread (the tests themselves stay synchronous).
"""

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import SimConfig, SimVehicle

Row = dict[str, int | float]
T = TypeVar("T")

STREAMED = frozenset(
    {
        "HEARTBEAT", "SYS_STATUS", "GLOBAL_POSITION_INT", "MISSION_CURRENT", "ATTITUDE",
        "VFR_HUD", "BATTERY_STATUS", "EXTENDED_SYS_STATE", "GPS_RAW_INT", "FENCE_STATUS",
    }
)  # fmt: skip
"""Telemetry that comes again anyway: never kept for later."""

FAST = {"gps_delay_s": 0.0, "prearm_delay_s": 0.0, "port": 0}
"""Config for tests that do not care about start-up: ready at once, on a free port."""


class RunningSim:
    """A :class:`SimVehicle` on its own asyncio loop in a background thread."""

    def __init__(self, config: SimConfig) -> None:
        self.loop = asyncio.new_event_loop()
        self.vehicle = SimVehicle(config)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()
        self.run(self.vehicle.start())

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the vehicle's loop and wait (5 s at most) for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=5.0)

    def call(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` on the vehicle's loop (never touch the vehicle from another thread)."""
        future: Future[T] = Future()

        def job() -> None:
            try:
                future.set_result(fn())
            except Exception as exc:  # handed back to the test
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(job)
        return future.result(timeout=5.0)

    def stop(self) -> None:
        try:
            self.run(self.vehicle.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5.0)
            self.loop.close()

    @property
    def port(self) -> int:
        return self.call(lambda: self.vehicle.port)


@contextmanager
def running(**config: Any) -> Iterator[RunningSim]:
    """A started simulator with ``FAST`` settings overridden by ``config``."""
    sim = RunningSim(SimConfig(**{**FAST, **config}))
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


class Gcs:
    """A ground station (system 255, component 190, as MAVProxy) connected with mavutil."""

    def __init__(self, port: int) -> None:
        before = os.environ.get("MAVLINK20")
        os.environ["MAVLINK20"] = "1"  # mavutil reads it when it picks the dialect
        try:
            self.conn = mavutil.mavlink_connection(
                f"tcp:127.0.0.1:{port}", source_system=255, source_component=190,
                dialect="ardupilotmega",
            )  # fmt: skip
        finally:
            if before is None:
                del os.environ["MAVLINK20"]
            else:
                os.environ["MAVLINK20"] = before
        self.mav = self.conn.mav
        self.target = 1
        self._kept: list[Any] = []
        self._sending = threading.Lock()

    def close(self) -> None:
        self.conn.close()

    def send(self, message: Any) -> None:
        with self._sending:  # the heartbeat thread sends too
            self.conn.mav.send(message)

    @contextmanager
    def heartbeats(self, rate_hz: float) -> Iterator[None]:
        """Send a ground station's HEARTBEAT ``rate_hz`` times a (wall) second meanwhile."""
        stop = threading.Event()
        beat = mavlink.MAVLink_heartbeat_message(
            mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, mavlink.MAV_STATE_ACTIVE, 3
        )

        def run() -> None:
            while not stop.is_set():
                self.send(beat)
                stop.wait(1.0 / rate_hz)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=2.0)

    def _read(self, timeout: float) -> Any:
        msg = self.conn.recv_match(blocking=True, timeout=timeout)
        if msg is None or msg.get_type() == "BAD_DATA":
            return None
        return msg

    def recv(
        self,
        types: str | Sequence[str],
        timeout: float = 2.0,
        where: Callable[[Any], bool] = lambda m: True,
    ) -> Any:
        """The next message of one of ``types`` for which ``where`` holds; fails after ``timeout``.

        Replies passed over while waiting (anything but the streamed telemetry) are kept for
        later calls, so the order a vehicle answers in does not matter to a test.
        """
        wanted = {types} if isinstance(types, str) else set(types)
        for k, msg in enumerate(self._kept):
            if msg.get_type() in wanted and where(msg):
                return self._kept.pop(k)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            msg = self._read(left)
            if msg is None:
                continue
            if msg.get_type() in wanted and where(msg):
                return msg
            if msg.get_type() not in STREAMED:
                self._kept.append(msg)
        raise AssertionError(f"no {sorted(wanted)} within {timeout} s")

    def nothing(self, types: str | Sequence[str], within: float) -> None:
        """Assert that no message of ``types`` arrives for ``within`` seconds."""
        try:
            msg = self.recv(types, within)
        except AssertionError:
            return
        raise AssertionError(f"unexpected {msg}")

    def collect(self, types: str | Sequence[str], during: float) -> list[Any]:
        """Every message of ``types`` that arrives in the next ``during`` seconds."""
        out = []
        deadline = time.monotonic() + during
        while (left := deadline - time.monotonic()) > 0:
            try:
                out.append(self.recv(types, left))
            except AssertionError:
                break
        return out

    def sync(self) -> None:
        """Wait for the answer to a request, so telemetry sent before it has been read."""
        self.send(mavlink.MAVLink_param_request_read_message(self.target, 1, b"", 0))
        self.recv("PARAM_VALUE", where=lambda m: m.param_index == 0)

    def set_param(self, name: str, value: float) -> float:
        """PARAM_SET, and the value the vehicle stored."""
        self.send(mavlink.MAVLink_param_set_message(self.target, 1, name.encode(), value, 9))
        return float(self.recv("PARAM_VALUE", where=lambda m: m.param_id == name).param_value)

    def command(self, command: int, *params: float) -> Any:
        """COMMAND_LONG, and its COMMAND_ACK."""
        p = [*params, *[0.0] * (7 - len(params))]
        self.send(mavlink.MAVLink_command_long_message(self.target, 1, command, 0, *p))
        return self.recv("COMMAND_ACK", where=lambda m: m.command == command)

    # -- the mission protocol, client side ----------------------------------------------------

    def upload(self, rows: Sequence[Row], mission_type: int = 0, *, legacy: bool = False) -> int:
        """Upload ``rows`` (MISSION_ITEM_INT fields) as a ground station does; the ACK's result."""
        self.send(mavlink.MAVLink_mission_count_message(self.target, 1, len(rows), mission_type))
        while True:
            msg = self.recv(["MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"])
            if msg.get_type() == "MISSION_ACK":
                assert msg.mission_type == mission_type
                return int(msg.type)
            assert msg.mission_type == mission_type
            self.send(item_message(rows[msg.seq], self.target, legacy=legacy))

    def download(self, mission_type: int = 0, *, legacy: bool = False) -> list[Any]:
        """Read a list back: MISSION_REQUEST_LIST, then each item by seq; ends with an ACK."""
        self.send(mavlink.MAVLink_mission_request_list_message(self.target, 1, mission_type))
        count = self.recv("MISSION_COUNT").count
        items = []
        request = (
            mavlink.MAVLink_mission_request_message
            if legacy
            else mavlink.MAVLink_mission_request_int_message
        )
        reply = "MISSION_ITEM" if legacy else "MISSION_ITEM_INT"
        for seq in range(count):
            self.send(request(self.target, 1, seq, mission_type))
            items.append(self.recv(reply, where=_seq_is(seq)))
        self.send(mavlink.MAVLink_mission_ack_message(self.target, 1, 0, mission_type))
        return items


def _seq_is(seq: int) -> Callable[[Any], bool]:
    return lambda m: bool(m.seq == seq)


def item_message(row: Row, target: int = 1, *, legacy: bool = False) -> Any:
    """A MISSION_ITEM_INT (or, with ``legacy``, a float-degree MISSION_ITEM) from a row."""
    fields = [
        row["seq"], row["frame"], row["command"], row.get("current", 0),
        row.get("autocontinue", 1), row.get("param1", 0.0), row.get("param2", 0.0),
        row.get("param3", 0.0), row.get("param4", 0.0),
    ]  # fmt: skip
    if legacy:
        scale = 1e-7 if row["frame"] in (0, 3, 5, 6, 10, 11) else 1.0
        return mavlink.MAVLink_mission_item_message(
            target, 1, *fields, row["x"] * scale, row["y"] * scale, row["z"],
            row.get("mission_type", 0),
        )  # fmt: skip
    return mavlink.MAVLink_mission_item_int_message(
        target, 1, *fields, int(row["x"]), int(row["y"]), row["z"], row.get("mission_type", 0)
    )


@contextmanager
def connected(sim: RunningSim) -> Iterator[Gcs]:
    """A ground station connected to ``sim``, closed afterwards."""
    gcs = Gcs(sim.port)
    try:
        yield gcs
    finally:
        gcs.close()
