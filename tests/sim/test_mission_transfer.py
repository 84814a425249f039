"""The mission protocol for the mission, the fence and rally points, as ArduPilot answers it."""

from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import MissionCapacity, MissionKind, MissionRequest
from tests.sim.gcs import Gcs, Row, connected, item_message, running

LAT, LON = 34.9283, 134.8414
MISSION, FENCE, RALLY = 0, 1, 2
ACCEPTED = mavlink.MAV_MISSION_ACCEPTED
REL = mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT
CMD = mavlink.MAV_FRAME_MISSION


def row(seq: int, command: int, frame: int = REL, *, x: float = LAT, y: float = LON,
        z: float = 10.0, mission_type: int = MISSION, **params: float) -> Row:  # fmt: skip
    global_frame = frame != CMD
    return {
        "seq": seq, "frame": frame, "command": command, "current": 0, "autocontinue": 1,
        "param1": params.get("param1", 0.0), "param2": params.get("param2", 0.0),
        "param3": params.get("param3", 0.0), "param4": params.get("param4", 0.0),
        "x": round(x * 1e7) if global_frame else 0, "y": round(y * 1e7) if global_frame else 0,
        "z": z if global_frame else 0.0, "mission_type": mission_type,
    }  # fmt: skip


def spray_rows() -> list[Row]:
    """Home placeholder, take-off, a spray pass, RTL: what mission_planner.build writes."""
    return [
        row(0, mavlink.MAV_CMD_NAV_WAYPOINT, mavlink.MAV_FRAME_GLOBAL, z=0.0),
        row(1, mavlink.MAV_CMD_NAV_TAKEOFF, z=5.0),
        row(2, mavlink.MAV_CMD_NAV_WAYPOINT, x=LAT + 0.0003, z=3.0),
        row(3, mavlink.MAV_CMD_DO_CHANGE_SPEED, CMD, param1=1.0, param2=5.0, param3=-1.0),
        row(4, mavlink.MAV_CMD_DO_SPRAYER, CMD, param1=1.0),
        row(5, mavlink.MAV_CMD_NAV_WAYPOINT, x=LAT + 0.0003, y=LON + 0.0004, z=3.0),
        row(6, mavlink.MAV_CMD_DO_SPRAYER, CMD, param1=0.0),
        row(7, mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH, CMD),
    ]


def fence_rows() -> list[Row]:
    square = [(LAT - 0.001, LON - 0.001), (LAT + 0.001, LON - 0.001),
              (LAT + 0.001, LON + 0.001), (LAT - 0.001, LON + 0.001)]  # fmt: skip
    return [
        row(k, mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, mavlink.MAV_FRAME_GLOBAL,
            x=lat, y=lon, z=0.0, param1=4.0, mission_type=FENCE)
        for k, (lat, lon) in enumerate(square)
    ]  # fmt: skip


def rally_rows() -> list[Row]:
    return [row(0, mavlink.MAV_CMD_NAV_RALLY_POINT, x=LAT - 0.0002, z=20.0, mission_type=RALLY)]


def same(items: list[Any], rows: list[Row], *, xy_e7: int = 0) -> None:
    """The downloaded items are the uploaded rows, every field: integers exactly (x and y
    within ``xy_e7``), floats as float32 carries them."""
    assert len(items) == len(rows)
    for item, expected in zip(items, rows, strict=True):
        for name, value in expected.items():
            got = getattr(item, name)
            where = f"item {expected['seq']} {name}"
            if name in ("x", "y"):
                assert abs(got - value) <= xy_e7, where
            elif isinstance(value, int):
                assert got == value, where
            else:
                assert got == pytest.approx(value, rel=1e-7, abs=1e-9), where


def home_item(items: list[Any]) -> None:
    home = items[0]
    assert (home.seq, home.command, home.frame) == (0, 16, mavlink.MAV_FRAME_GLOBAL)
    assert (home.x, home.y, home.z) == (round(LAT * 1e7), round(LON * 1e7), 50.0)


@pytest.mark.parametrize(
    ("request_kind", "request_type"),
    [(MissionRequest.LEGACY, "MISSION_REQUEST"), (MissionRequest.INT, "MISSION_REQUEST_INT")],
)
def test_a_mission_goes_up_item_by_item_and_reads_back_with_home_first(
    request_kind: MissionRequest, request_type: str
) -> None:
    rows = spray_rows()
    with running(mission_request=request_kind) as sim, connected(sim) as gcs:
        gcs.send(mavlink.MAVLink_mission_count_message(1, 1, len(rows), MISSION))
        for seq, r in enumerate(rows):
            request = gcs.recv(["MISSION_REQUEST", "MISSION_REQUEST_INT"])
            assert (request.get_type(), request.seq, request.mission_type) == (
                request_type, seq, MISSION,
            )  # fmt: skip
            assert (request.target_system, request.target_component) == (255, 190)
            gcs.send(item_message(r))
        ack = gcs.recv("MISSION_ACK")
        assert (ack.type, ack.mission_type) == (ACCEPTED, MISSION)
        items = gcs.download(MISSION)
    home_item(items)
    same(items[1:], rows[1:])


def test_legacy_mission_items_are_taken_and_legacy_requests_answered() -> None:
    rows = spray_rows()
    with running() as sim, connected(sim) as gcs:
        assert gcs.upload(rows, legacy=True) == ACCEPTED
        floats = gcs.download(legacy=True)
        ints = gcs.download()
    # MISSION_ITEM carries degrees as float32: about 4e-6 degrees (0.4 m) at 35 degrees north,
    # which is why MISSION_ITEM_INT exists.
    same(ints[1:], rows[1:], xy_e7=40)
    assert [m.get_type() for m in floats] == ["MISSION_ITEM"] * len(rows)
    assert floats[2].x == pytest.approx(LAT + 0.0003, abs=4e-6)
    assert floats[3].param2 == 5.0


def test_fence_and_rally_are_lists_of_their_own(gcs: Gcs) -> None:
    assert gcs.upload(spray_rows()) == ACCEPTED
    assert gcs.upload(fence_rows(), FENCE) == ACCEPTED
    assert gcs.upload(rally_rows(), RALLY) == ACCEPTED
    same(gcs.download(FENCE), fence_rows())
    same(gcs.download(RALLY), rally_rows())
    assert len(gcs.download(MISSION)) == len(spray_rows())


def test_a_fence_polygon_with_the_wrong_vertex_count_is_refused_and_the_old_one_kept(
    gcs: Gcs,
) -> None:
    assert gcs.upload(fence_rows(), FENCE) == ACCEPTED
    broken = [{**r, "param1": 5.0} for r in fence_rows()]
    assert gcs.upload(broken, FENCE) == mavlink.MAV_MISSION_ERROR
    same(gcs.download(FENCE), fence_rows())


def test_an_item_out_of_order_is_refused_and_the_upload_goes_on(gcs: Gcs) -> None:
    rows = spray_rows()
    gcs.send(mavlink.MAVLink_mission_count_message(1, 1, len(rows), MISSION))
    assert gcs.recv("MISSION_REQUEST").seq == 0
    gcs.send(item_message(rows[3]))
    assert gcs.recv("MISSION_ACK").type == mavlink.MAV_MISSION_INVALID_SEQUENCE
    for seq, r in enumerate(rows):
        if seq > 0:
            assert gcs.recv("MISSION_REQUEST").seq == seq
        gcs.send(item_message(r))
    assert gcs.recv("MISSION_ACK").type == ACCEPTED


@pytest.mark.parametrize(
    ("change", "result"),
    [
        ({"command": 31000}, mavlink.MAV_MISSION_UNSUPPORTED),  # not a command Copter knows
        ({"command": mavlink.MAV_CMD_NAV_RALLY_POINT}, mavlink.MAV_MISSION_UNSUPPORTED),
        ({"frame": mavlink.MAV_FRAME_BODY_NED}, mavlink.MAV_MISSION_UNSUPPORTED_FRAME),
        ({"x": 910_000_000}, mavlink.MAV_MISSION_INVALID_PARAM5_X),
        ({"y": -1_810_000_000}, mavlink.MAV_MISSION_INVALID_PARAM6_Y),
    ],
)
def test_a_bad_item_ends_the_upload_and_the_old_mission_stays(
    gcs: Gcs, change: Row, result: int
) -> None:
    good = spray_rows()
    assert gcs.upload(good) == ACCEPTED
    bad = [dict(r) for r in good]
    bad[2].update(change)
    assert gcs.upload(bad) == result
    same(gcs.download()[1:], good[1:])


def test_more_items_than_the_vehicle_holds_is_no_space() -> None:
    capacity = MissionCapacity(mission=5, fence=3, rally=1)
    with running(mission_capacity=capacity) as sim, connected(sim) as gcs:
        assert gcs.upload(spray_rows()) == mavlink.MAV_MISSION_NO_SPACE
        assert gcs.recv("STATUSTEXT").text == "Only 5 items are supported"
        assert gcs.upload(fence_rows(), FENCE) == mavlink.MAV_MISSION_NO_SPACE
        assert gcs.upload(rally_rows(), RALLY) == ACCEPTED


def test_a_client_that_stops_mid_upload_is_asked_again_then_timed_out() -> None:
    rows = spray_rows()
    with running(item_retry_s=0.2, upload_timeout_s=0.7) as sim, connected(sim) as gcs:
        assert gcs.upload(rows[:3]) == ACCEPTED  # an old mission, kept whole
        gcs.send(mavlink.MAVLink_mission_count_message(1, 1, len(rows), MISSION))
        for r in rows[:2]:
            gcs.recv("MISSION_REQUEST")
            gcs.send(item_message(r))
        again = gcs.collect(["MISSION_REQUEST", "MISSION_ACK"], 1.2)
        requests = [m for m in again if m.get_type() == "MISSION_REQUEST"]
        assert len(requests) >= 2
        assert {m.seq for m in requests} == {2}  # the missing one, asked for again
        assert again[-1].get_type() == "MISSION_ACK"
        assert again[-1].type == mavlink.MAV_MISSION_OPERATION_CANCELLED
        items = gcs.download()
    same(items[1:], rows[1:3])


def test_downloading_during_an_upload_is_denied(gcs: Gcs) -> None:
    gcs.send(mavlink.MAVLink_mission_count_message(1, 1, 3, MISSION))
    gcs.recv("MISSION_REQUEST")
    gcs.send(mavlink.MAVLink_mission_request_list_message(1, 1, MISSION))
    assert gcs.recv("MISSION_ACK").type == mavlink.MAV_MISSION_DENIED
    gcs.send(mavlink.MAVLink_mission_clear_all_message(1, 1, MISSION))
    assert gcs.recv("MISSION_ACK").type == mavlink.MAV_MISSION_ERROR
    gcs.send(mavlink.MAVLink_mission_request_list_message(1, 1, FENCE))  # other lists are free
    assert gcs.recv("MISSION_COUNT").count == 0


def test_an_item_nobody_asked_for_is_an_error(gcs: Gcs) -> None:
    gcs.send(item_message(spray_rows()[1]))
    assert gcs.recv("MISSION_ACK").type == mavlink.MAV_MISSION_ERROR


def test_asking_for_an_item_beyond_the_list_is_invalid_sequence(gcs: Gcs) -> None:
    gcs.send(mavlink.MAVLink_mission_request_int_message(1, 1, 1, MISSION))
    assert gcs.recv("MISSION_ACK").type == mavlink.MAV_MISSION_INVALID_SEQUENCE


def test_clear_all_empties_a_list_and_the_mission_keeps_home(gcs: Gcs) -> None:
    for rows, kind in ((spray_rows(), MISSION), (fence_rows(), FENCE), (rally_rows(), RALLY)):
        assert gcs.upload(rows, kind) == ACCEPTED
        gcs.send(mavlink.MAVLink_mission_clear_all_message(1, 1, kind))
        assert gcs.recv("MISSION_ACK").type == ACCEPTED
    home_item(gcs.download(MISSION))
    assert len(gcs.download(MISSION)) == 1
    assert gcs.download(FENCE) == []
    assert gcs.download(RALLY) == []
    assert gcs.upload(fence_rows(), FENCE) == ACCEPTED
    assert gcs.upload([], FENCE) == ACCEPTED  # a count of 0 clears too
    assert gcs.download(FENCE) == []


def test_set_current_answers_with_mission_current(gcs: Gcs) -> None:
    assert gcs.upload(spray_rows()) == ACCEPTED
    gcs.send(mavlink.MAVLink_mission_set_current_message(1, 1, 5))
    current = gcs.recv("MISSION_CURRENT", where=lambda m: m.seq == 5)
    assert current.total == len(spray_rows())
    gcs.send(mavlink.MAVLink_mission_set_current_message(1, 1, 42))
    assert "42" in gcs.recv("STATUSTEXT").text
    assert gcs.recv("MISSION_CURRENT").seq == 5


def test_the_store_never_holds_home_as_an_uploaded_item() -> None:
    with running() as sim, connected(sim) as gcs:
        rows = spray_rows()
        rows[0] = row(0, mavlink.MAV_CMD_NAV_WAYPOINT, mavlink.MAV_FRAME_GLOBAL, x=1.0, y=2.0)
        assert gcs.upload(rows) == ACCEPTED
        stored = sim.call(lambda: sim.vehicle.missions.items(MissionKind.MISSION))
    assert stored[0].x == round(LAT * 1e7)  # home, not the uploaded placeholder
    assert [item.seq for item in stored] == list(range(len(rows)))
