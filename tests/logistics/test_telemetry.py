"""A delivery follows its vehicle's reports: items reached, the autopilot's words, the landing."""

import dataclasses

import pytest

from logistics import dispatch
from logistics.errors import LogisticsError
from logistics.lifecycle import DeliveryState
from logistics.telemetry import Signal, SignalKind, delivery_marks, next_state
from mission_planner import PayloadRelease
from mission_planner.build import build_mission
from mission_planner.model import Command, Mission
from tests.logistics import scenario as s

S = DeliveryState


def _mission(release: PayloadRelease) -> Mission:
    drops = {k: dataclasses.replace(v, releases=(release,)) for k, v in s.DROPS.items()}
    places = dataclasses.replace(s.PLACES, drop_points=drops)
    vehicle = dataclasses.replace(s.vehicle("A"), releases=(release,))
    plan = dispatch([s.request("R", "EAST")], [s.VehicleState(vehicle=vehicle, ready_at=s.NOW)],
                    places, now=s.NOW)  # fmt: skip
    return build_mission(plan.trips[0].plan)


def _reached(seq: int) -> Signal:
    return Signal(kind=SignalKind.ITEM_REACHED, seq=seq)


@pytest.mark.parametrize("release", [PayloadRelease.WINCH, PayloadRelease.GRIPPER])
def test_marks_are_the_drop_waypoint_and_the_item_after_the_release(release) -> None:
    mission = _mission(release)
    marks = delivery_marks(mission, s.DROPS["EAST"].location)
    arrived = mission.items[marks.arrived_seq - 1]
    assert arrived.command is Command.NAV_WAYPOINT
    assert arrived.lat_deg == pytest.approx(s.DROPS["EAST"].location.lat_deg, abs=1e-6)
    before = mission.items[marks.released_seq - 2]  # the DO command just before
    assert before.command in (Command.DO_WINCH, Command.DO_GRIPPER)
    assert marks.gripper is (release is PayloadRelease.GRIPPER)


def test_a_landing_delivery_arrives_and_releases_on_touching_down() -> None:
    mission = _mission(PayloadRelease.LAND)
    marks = delivery_marks(mission, s.DROPS["EAST"].location)
    assert marks.arrived_seq == marks.released_seq
    assert mission.items[marks.arrived_seq - 1].command is Command.NAV_LAND


def test_a_winch_delivery_walks_the_main_line_on_reports_alone() -> None:
    mission = _mission(PayloadRelease.WINCH)
    marks = delivery_marks(mission, s.DROPS["EAST"].location)
    state, seen = S.LOADING, []
    signals = [Signal(kind=SignalKind.TOOK_OFF)] + [
        _reached(q) for q in range(1, len(mission.items) + 1)
    ]
    for signal in signals:
        new = next_state(state, signal, marks)
        if new is not None:
            state = new
            seen.append((new, signal.seq))
    assert seen == [
        (S.IN_FLIGHT, None),
        (S.ARRIVED, marks.arrived_seq),
        (S.RELEASED, marks.released_seq),
    ]


def test_the_autopilots_gripper_words_release_only_a_gripper_delivery() -> None:
    words = Signal(kind=SignalKind.STATUS_TEXT, text="Gripper Released")
    gripper = delivery_marks(_mission(PayloadRelease.GRIPPER), s.DROPS["EAST"].location)
    winch = delivery_marks(_mission(PayloadRelease.WINCH), s.DROPS["EAST"].location)
    assert next_state(S.ARRIVED, words, gripper) is S.RELEASED
    assert next_state(S.ARRIVED, words, winch) is None
    assert next_state(S.IN_FLIGHT, words, gripper) is None  # not before arriving


def test_landing_with_the_parcel_aboard_is_a_return_or_a_failure() -> None:
    marks = delivery_marks(_mission(PayloadRelease.WINCH), s.DROPS["EAST"].location)
    home = Signal(kind=SignalKind.LANDED, at_depot=True)
    away = Signal(kind=SignalKind.LANDED, at_depot=False)
    assert next_state(S.IN_FLIGHT, home, marks) is S.RETURNED_TO_PHARMACY
    assert next_state(S.ARRIVED, away, marks) is S.FAILED
    assert next_state(S.RELEASED, home, marks) is None  # a landing after release: record_landing


def test_a_mission_that_never_reaches_the_drop_point_is_refused() -> None:
    mission = _mission(PayloadRelease.WINCH)
    with pytest.raises(LogisticsError, match="never reaches the drop point"):
        delivery_marks(mission, s.offset(9000, 9000))
