"""Mission, fence and rally transfer over real TCP: against the simulator, and against a
small vehicle of our own on a raw socket where the point is a lost or odd message."""

import dataclasses
import math
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from fleet.errors import InvalidUpload, TransferFailed
from fleet.link import Link
from fleet.transfer import RETRIES, TIMEOUT_S, MissionTransfer
from fleet.validate import check_readback
from mission_planner import MissionType, build_mission, mission_items_int
from sim import MissionCapacity, MissionKind, MissionRequest
from sim.wire import MavCodec
from tests.mission_planner.flight_plans import two_sortie_spray
from tests.sim.gcs import RunningSim, running

Row = dict[str, Any]
MISSION, FENCE, RALLY = MissionType.MISSION, MissionType.FENCE, MissionType.RALLY
CANCELLED = mavlink.MAV_MISSION_OPERATION_CANCELLED


def planned(kind: MissionType = MISSION) -> list[Row]:
    """A two-sortie spray plan's wire rows, as mission_planner builds them."""
    return [dict(row) for row in mission_items_int(build_mission(two_sortie_spray()), kind)]


def short_mission() -> list[Row]:
    """Home, take-off, one waypoint, RTL: a mission that is already on board."""
    rows = planned()
    keep = [rows[0], rows[1], rows[2], rows[-1]]
    return [{**row, "seq": k} for k, row in enumerate(keep)]


def stored(sim: RunningSim, kind: MissionType) -> list[Row]:
    """What the simulator holds in list ``kind``, as rows (home first for the mission)."""
    items = sim.call(lambda: sim.vehicle.missions.items(MissionKind(int(kind))))
    return [dataclasses.asdict(item) for item in items]


@pytest.fixture
def sim() -> Iterator[RunningSim]:
    with running() as started:
        yield started


def connect(sim: RunningSim) -> Link:
    link = Link(f"tcp:127.0.0.1:{sim.port}")
    link.wait_for_vehicle(1, timeout_s=5.0)
    return link


@pytest.fixture
def link(sim: RunningSim) -> Iterator[Link]:
    with connect(sim) as opened:
        yield opened


# -- against the simulator ---------------------------------------------------------------


@pytest.mark.parametrize("request_kind", [MissionRequest.LEGACY, MissionRequest.INT])
def test_a_planned_mission_fence_and_rally_go_up_and_read_back_the_same(
    request_kind: MissionRequest,
) -> None:
    with running(mission_request=request_kind) as sim, connect(sim) as link:
        transfer = MissionTransfer(link, 1)
        for kind in MissionType:
            rows = planned(kind)
            result = transfer.upload_verified(rows, kind)
            assert (result.count, result.mission_type, result.retries) == (len(rows), kind, 0)
            on_board = stored(sim, kind)
            first = 1 if kind == MISSION else 0  # the simulator's item 0 is its home
            for row, item in zip(rows[first:], on_board[first:], strict=True):
                for name in ("command", "frame", "x", "y", "autocontinue"):
                    assert item[name] == row[name], (kind, row["seq"], name)
                for name in ("param1", "param2", "param3", "param4", "z"):
                    assert item[name] == pytest.approx(row[name], rel=1e-6), (row["seq"], name)
            assert transfer.believed(kind) == transfer.download(kind)


def test_download_gives_home_first_then_the_items(sim: RunningSim, link: Link) -> None:
    transfer = MissionTransfer(link, 1)
    rows = planned()
    transfer.upload(rows)
    assert transfer.believed() is None  # sent, not yet read back
    done: list[tuple[int, int]] = []
    got = transfer.download(progress=lambda k, n: done.append((k, n)))
    assert got[0]["x"] == round(34.9283 * 1e7)  # the vehicle's home, not the placeholder
    assert got[0]["z"] == 50.0
    check_readback(rows, got, MISSION)
    assert done == [(k, len(rows)) for k in range(1, len(rows) + 1)]
    assert transfer.believed() == got


def test_upload_reports_progress_item_by_item(link: Link) -> None:
    done: list[tuple[int, int]] = []
    rows = planned(FENCE)
    MissionTransfer(link, 1).upload(rows, FENCE, progress=lambda k, n: done.append((k, n)))
    assert done == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_clear_empties_each_list_and_the_mission_keeps_home(sim: RunningSim, link: Link) -> None:
    transfer = MissionTransfer(link, 1)
    for kind in MissionType:
        transfer.upload(planned(kind), kind)
        result = transfer.clear(kind)
        assert (result.operation, result.mission_type) == ("clear", kind)
        assert transfer.believed(kind) is None
    assert len(transfer.download(MISSION)) == 1
    assert transfer.download(FENCE) == []
    assert transfer.download(RALLY) == []


def test_no_space_is_a_transfer_failure_carrying_the_result_and_the_vehicles_words() -> None:
    with running(mission_capacity=MissionCapacity(mission=5)) as sim, connect(sim) as link:
        transfer = MissionTransfer(link, 1)
        transfer.upload_verified(short_mission())
        with pytest.raises(TransferFailed) as caught:
            transfer.upload(planned())
        assert caught.value.result == "MAV_MISSION_NO_SPACE"
        assert "mission upload of 30 items" in str(caught.value)
        assert "Only 5 items are supported" in str(caught.value)
        check_readback(short_mission(), transfer.download(), MISSION)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"param1": math.nan}, "param1"),
        ({"x": 910_000_000}, "x"),
        ({"command": 176}, "command"),  # DO_SET_MODE: not one Copter runs in a mission
    ],
)
def test_an_invalid_upload_sends_nothing_and_leaves_the_vehicle_as_it_was(
    sim: RunningSim, link: Link, change: Row, field: str
) -> None:
    transfer = MissionTransfer(link, 1)
    transfer.upload_verified(short_mission())
    before = stored(sim, MISSION)
    rows = planned()
    rows[2].update(change)
    with pytest.raises(InvalidUpload) as caught:
        transfer.upload_verified(rows)
    assert (caught.value.index, caught.value.field) == (2, field)
    assert stored(sim, MISSION) == before
    assert transfer.believed() is not None  # nothing was sent, so nothing was forgotten


def test_a_vehicle_that_vanishes_mid_upload_times_out_and_nothing_new_is_believed() -> None:
    # At QGroundControl's timing, since the time it takes is part of the point: 1.5 s × 6.
    with running() as sim, connect(sim) as link:
        transfer = MissionTransfer(link, 1)
        old = short_mission()
        transfer.upload_verified(old)

        def cut_after_the_first_item(done: int, total: int) -> None:
            if done == 1:
                sim.call(lambda: setattr(sim.vehicle, "link_up", False))

        started = time.monotonic()
        with pytest.raises(TransferFailed) as caught:
            transfer.upload(planned(), progress=cut_after_the_first_item)
        took = time.monotonic() - started
        assert caught.value.result == "TIMEOUT"
        # item 1 may already have been asked for when the link went down
        assert re.search(
            r"stopped asking .* nothing after item [01] \(NAV_\w+\) of 30", str(caught.value)
        )
        assert TIMEOUT_S * (RETRIES + 1) <= took < TIMEOUT_S * (RETRIES + 1) + 1.0
        assert transfer.believed() is None  # not the old mission, and never the new one
        check_readback(old, stored(sim, MISSION), MISSION)  # the vehicle kept the old one
        sim.call(lambda: setattr(sim.vehicle, "link_up", True))
        check_readback(old, transfer.download(), MISSION)


def test_transfers_to_one_vehicle_run_one_at_a_time(sim: RunningSim, link: Link) -> None:
    uploads = [planned(), short_mission(), planned(), short_mission()]
    errors: list[BaseException] = []

    def upload(rows: list[Row]) -> None:
        try:
            MissionTransfer(link, 1).upload_verified(rows)  # an object per thread, one vehicle
        except BaseException as exc:  # handed to the test
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(rows,)) for rows in uploads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30.0)
    assert errors == []  # no upload broke into another
    final = MissionTransfer(link, 1).download()
    assert len(final) in (4, 30)
    assert MissionTransfer(link, 1).believed() == final  # shared by every object


def test_the_defaults_are_qgroundcontrols(link: Link) -> None:
    transfer = MissionTransfer(link, 1)
    assert (TIMEOUT_S, RETRIES) == (1.5, 5)
    assert (transfer.timeout_s, transfer.retries) == (1.5, 5)


# -- against a vehicle of our own ------------------------------------------------------------


class WirePeer:
    """A vehicle on a raw TCP socket speaking the mission protocol with pymavlink, with
    faults to order: a peer on the wire, not a mock.

    ``drop`` names messages to ignore once each (``"MISSION_COUNT"``, ``"item 2"``,
    ``"request 1"``); ``script`` is the order items are asked for (a number beyond the
    count is asked and then passed over); ``accept_after`` acknowledges ACCEPTED after that
    many items; ``refuse`` answers an item with an error; ``silent_after`` stops answering
    after that item, and ``mute`` answers nothing at all; ``alter`` changes what a download
    reports, and ``legacy_items`` reports it as float-degree MISSION_ITEMs.
    """

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._codec = MavCodec(system_id=1)
        self._conn: socket.socket | None = None
        self._closing = threading.Event()
        self.received: list[Any] = []
        self.stored: list[Row] = []
        self.drop: set[str] = set()
        self.script: list[int] | None = None
        self.accept_after: int | None = None
        self.refuse: dict[int, int] = {}
        self.silent_after: int | None = None
        self.alter: dict[int, Row] = {}
        self.legacy_items = False
        self._count = 0
        self._asks: list[int] = []
        self._got: dict[int, Row] = {}
        self.mute = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        self._server.close()
        if self._conn is not None:
            self._conn.close()
        self._thread.join(timeout=2.0)

    def mission_messages(self) -> list[Any]:
        return [m for m in self.received if m.get_type().startswith("MISSION")]

    def _serve(self) -> None:
        try:
            self._conn, _ = self._server.accept()
        except OSError:
            return
        self._conn.settimeout(0.1)
        while not self._closing.is_set():
            try:
                data = self._conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            for msg in self._codec.decode(data):
                self.received.append(msg)
                self._handle(msg)

    def _send(self, msg: Any) -> None:
        if self._conn is not None:
            self._conn.sendall(self._codec.encode(msg))

    def _dropped(self, key: str) -> bool:
        if key in self.drop:
            self.drop.discard(key)
            return True
        return False

    def _ask_next(self) -> None:
        while self._asks:
            seq = self._asks.pop(0)
            self._send(mavlink.MAVLink_mission_request_int_message(255, 190, seq, 0))
            if seq < self._count:
                return
        self.stored = [self._got[k] for k in sorted(self._got)]
        self._send(mavlink.MAVLink_mission_ack_message(255, 190, 0, 0))

    def _handle(self, msg: Any) -> None:
        kind = msg.get_type()
        if self.mute or kind == "HEARTBEAT":
            return
        if kind == "MISSION_COUNT" and not self._dropped("MISSION_COUNT"):
            self._count, self._got = msg.count, {}
            self._asks = list(self.script if self.script is not None else range(msg.count))
            self._ask_next()
        elif kind == "MISSION_ITEM_INT" and not self._dropped(f"item {msg.seq}"):
            self._got[msg.seq] = {name: getattr(msg, name) for name in ROW_FIELDS}
            if msg.seq in self.refuse:
                self._send(mavlink.MAVLink_mission_ack_message(255, 190, self.refuse[msg.seq], 0))
            elif msg.seq == self.silent_after:
                self.mute = True
            elif self.accept_after is not None and len(self._got) == self.accept_after:
                self._send(mavlink.MAVLink_mission_ack_message(255, 190, 0, 0))
            else:
                self._ask_next()
        elif kind == "MISSION_REQUEST_LIST":
            self._send(mavlink.MAVLink_mission_count_message(255, 190, len(self.stored), 0))
        elif kind == "MISSION_REQUEST_INT" and not self._dropped(f"request {msg.seq}"):
            row = {**self.stored[msg.seq], **self.alter.get(msg.seq, {})}
            if self.legacy_items and row["frame"] != 2:
                row.update(x=row["x"] / 1e7, y=row["y"] / 1e7)
            item = mavlink.MAVLink_mission_item_message if self.legacy_items else ITEM_INT
            self._send(item(255, 190, *(row[name] for name in ROW_FIELDS)))


ITEM_INT = mavlink.MAVLink_mission_item_int_message
ROW_FIELDS = (
    "seq", "frame", "command", "current", "autocontinue", "param1", "param2", "param3",
    "param4", "x", "y", "z", "mission_type",
)  # fmt: skip


def until(condition: Callable[[], bool], timeout_s: float = 2.0) -> None:
    """Wait for the peer to have read what was sent to it."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the peer did not get it in time"
        time.sleep(0.01)


@pytest.fixture
def peer() -> Iterator[WirePeer]:
    vehicle = WirePeer()
    yield vehicle
    vehicle.close()


@pytest.fixture
def quick(peer: WirePeer) -> Iterator[MissionTransfer]:
    """A transfer to ``peer`` with short timeouts (the point of these tests is not timing)."""
    with Link(f"tcp:127.0.0.1:{peer.port}", heartbeat_s=0) as link:
        yield MissionTransfer(link, 1, timeout_s=0.2)


def test_a_lost_count_and_a_lost_item_are_sent_again(
    peer: WirePeer, quick: MissionTransfer
) -> None:
    peer.drop = {"MISSION_COUNT", "item 2"}
    rows = short_mission()
    result = quick.upload(rows)
    assert result.retries == 2
    counts = [m for m in peer.received if m.get_type() == "MISSION_COUNT"]
    assert len(counts) == 2
    assert [m.seq for m in peer.received if m.get_type() == "MISSION_ITEM_INT"] == [0, 1, 2, 2, 3]
    check_readback(rows, peer.stored, MISSION, autopilot="px4")  # stored exactly as sent


def test_a_lost_item_of_a_download_is_asked_for_again(
    peer: WirePeer, quick: MissionTransfer
) -> None:
    quick.upload(short_mission())
    peer.drop = {"request 1"}
    rows = quick.download()
    assert quick.last_result is not None
    assert quick.last_result.retries == 1
    assert rows == peer.stored
    until(lambda: peer.received[-1].get_type() == "MISSION_ACK")  # the download is closed


def test_float_degree_items_read_back_as_int_degrees(
    peer: WirePeer, quick: MissionTransfer
) -> None:
    rows = short_mission()
    quick.upload(rows)
    peer.legacy_items = True
    got = quick.download()
    for mine, theirs in zip(rows, got, strict=True):
        assert abs(theirs["x"] - mine["x"]) <= 40  # float32 degrees: about 0.4 m
        assert abs(theirs["y"] - mine["y"]) <= 80
        assert (theirs["command"], theirs["z"]) == (mine["command"], mine["z"])


def test_earlier_repeated_and_unknown_requests_are_all_answered_sensibly(
    peer: WirePeer, quick: MissionTransfer
) -> None:
    peer.script = [0, 1, 0, 1, 99, 2, 3]
    rows = short_mission()
    done: list[tuple[int, int]] = []
    quick.upload(rows, progress=lambda k, n: done.append((k, n)))
    items = [m.seq for m in peer.received if m.get_type() == "MISSION_ITEM_INT"]
    assert items == [0, 1, 0, 1, 2, 3]  # nothing for 99, which is beyond the count
    assert done == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_an_accept_before_every_item_was_sent_is_not_success(
    peer: WirePeer, quick: MissionTransfer
) -> None:
    peer.accept_after = 2
    with pytest.raises(TransferFailed) as caught:
        quick.upload_verified(short_mission())
    assert caught.value.result == "INCOMPLETE"
    assert "only 2 of 4 items" in str(caught.value)
    assert quick.believed() is None


def test_an_item_the_vehicle_refuses_is_named_with_the_result(
    peer: WirePeer, quick: MissionTransfer
) -> None:
    peer.refuse = {2: mavlink.MAV_MISSION_INVALID_PARAM1}
    with pytest.raises(TransferFailed) as caught:
        quick.upload(short_mission())
    assert caught.value.result == "MAV_MISSION_INVALID_PARAM1"
    assert "at item 2 (NAV_WAYPOINT): MAV_MISSION_INVALID_PARAM1" in str(caught.value)
    assert "param1 is invalid" in str(caught.value)
    acks = [m for m in peer.received if m.get_type() == "MISSION_ACK"]
    assert acks == []  # the vehicle ended the upload itself: nothing to cancel


def test_a_silent_vehicle_is_told_the_upload_is_cancelled(
    peer: WirePeer, quick: MissionTransfer
) -> None:
    peer.silent_after = 1
    with pytest.raises(TransferFailed) as caught:
        quick.upload(short_mission())
    assert caught.value.result == "TIMEOUT"
    items = [m.seq for m in peer.received if m.get_type() == "MISSION_ITEM_INT"]
    assert items == [0, 1, 1, 1, 1, 1, 1]  # item 1 sent again RETRIES times
    until(lambda: peer.mission_messages()[-1].get_type() == "MISSION_ACK")
    last = peer.mission_messages()[-1]
    assert (last.type, last.mission_type) == (CANCELLED, 0)


def test_a_vehicle_that_never_answers_the_count_times_out_saying_so(
    peer: WirePeer, quick: MissionTransfer
) -> None:
    peer.mute = True
    with pytest.raises(TransferFailed, match="did not answer MISSION_COUNT") as caught:
        quick.upload(short_mission())
    assert caught.value.result == "TIMEOUT"
    counts = [m for m in peer.received if m.get_type() == "MISSION_COUNT"]
    assert len(counts) == RETRIES + 1


def test_a_read_back_that_differs_is_a_mismatch_naming_item_and_field(
    peer: WirePeer, quick: MissionTransfer
) -> None:
    rows = short_mission()
    peer.alter = {2: {"x": rows[2]["x"] + 1}}
    with pytest.raises(TransferFailed) as caught:
        quick.upload_verified(rows)
    assert caught.value.result == "MISMATCH"
    assert "item 2 (NAV_WAYPOINT): x reads back as" in str(caught.value)
    believed = quick.believed()
    assert believed is not None
    assert believed[2]["x"] == rows[2]["x"] + 1  # what the vehicle holds, not what was sent


def test_nothing_at_all_is_sent_for_an_invalid_upload(
    peer: WirePeer, quick: MissionTransfer
) -> None:
    rows = short_mission()
    rows[1]["param4"] = math.inf
    with pytest.raises(InvalidUpload):
        quick.upload(rows)
    time.sleep(0.1)
    assert peer.mission_messages() == []
