"""The mission lifecycle in the database: each test on SQLite and on PostgreSQL."""

import itertools
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.errors import NotFound, PreconditionFailed
from api.scheduling import (
    TRANSITIONS,
    IllegalTransition,
    MissionNotFound,
    MissionStatus,
    ProgressEvent,
    ProgressKind,
    StatusChange,
    StoredNotifier,
    VersionConflict,
    abort,
    approve,
    cancel,
    change_status,
    get_mission,
    history,
    list_missions,
    list_notifications,
    record_progress,
    reject,
    request_mission,
)
from api.scheduling.tables import BookingRow
from core.clock import FakeClock
from fleet.registry import VehicleRecord
from tests.scheduling.conftest import FARMER, OPERATOR, NewMission, jst, spray_request

S = MissionStatus


def test_a_request_is_stored_as_asked_and_waits_for_an_operator(
    engine: Engine, clock: FakeClock
) -> None:
    request = spray_request(note="the east field first, please")
    mission = request_mission(engine, request, owner=FARMER, clock=clock)
    assert mission == get_mission(engine, mission.id)
    assert (mission.status, mission.owner, mission.version) == (S.REQUESTED, FARMER, 1)
    assert (mission.field_ids, mission.estimate, mission.place) == (
        request.field_ids, request.estimate, request.place,
    )  # fmt: skip
    assert (mission.window_start, mission.window_end) == (jst(1, 0), jst(4, 0))
    assert mission.params == {"swath_m": 5.0, "rate_l_ha": 10.0, "altitude_m": 3.0}
    assert mission.vehicle is None
    assert mission.slot_start is None
    assert history(engine, mission.id) == [
        StatusChange(mission_id=mission.id, at=clock.now(), by=FARMER, from_status=None,
                     to_status=S.REQUESTED, reason=""),
    ]  # fmt: skip


def test_every_transition_is_allowed_or_refused_as_the_lifecycle_says(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, clock: FakeClock
) -> None:
    for before, after in itertools.product(S, S):
        mission_id = new_mission(before)
        version = get_mission(engine, mission_id).version
        if after in TRANSITIONS[before]:
            changed = change_status(
                engine,
                mission_id,
                after,
                by=OPERATOR,
                now=clock.now(),
                reason=f"{before}->{after}",
                expected_version=version,
            )
            assert (changed.status, changed.version) == (after, version + 1)
            assert history(engine, mission_id)[-1].from_status is before
        else:
            with pytest.raises(IllegalTransition) as caught:
                change_status(engine, mission_id, after, by=OPERATOR, now=clock.now())
            assert (caught.value.from_status, caught.value.to_status) == (before, after)
            assert get_mission(engine, mission_id).status is before
            assert len(history(engine, mission_id)) == 1


def test_the_operators_verbs_record_who_and_why(
    engine: Engine, new_mission: NewMission, clock: FakeClock
) -> None:
    approved = approve(engine, new_mission(), by=OPERATOR, clock=clock)
    assert approved.status is S.APPROVED
    rejected = reject(engine, new_mission(), by=OPERATOR, reason="outside the service area")
    assert (rejected.status, rejected.reason) == (S.REJECTED, "outside the service area")
    cancelled = cancel(engine, approved.id, by=FARMER, reason="rice is not ready")
    last = history(engine, cancelled.id)[-1]
    assert (last.by, last.from_status, last.to_status, last.reason) == (
        FARMER, S.APPROVED, S.CANCELLED, "rice is not ready",
    )  # fmt: skip
    long = reject(engine, new_mission(), by=OPERATOR, reason="x" * 5000)
    assert long.reason is not None
    assert len(long.reason) == 1000
    assert history(engine, long.id)[-1].reason == long.reason
    with pytest.raises(IllegalTransition, match="is cancelled; it cannot become aborted"):
        abort(engine, cancelled.id, by=OPERATOR, reason="too late")
    with pytest.raises(MissionNotFound, match="no mission with id 999") as missing:
        approve(engine, 999, by=OPERATOR)
    assert isinstance(missing.value, NotFound)  # the API's 404, whatever it is of


def test_a_stale_version_is_refused_with_both_versions(
    engine: Engine, new_mission: NewMission
) -> None:
    mission = get_mission(engine, new_mission())
    approve(engine, mission.id, by=OPERATOR, expected_version=mission.version)
    with pytest.raises(VersionConflict) as caught:
        cancel(engine, mission.id, by=FARMER, expected_version=mission.version)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert isinstance(caught.value, PreconditionFailed)  # the API's 412
    assert get_mission(engine, mission.id).status is S.APPROVED
    assert cancel(engine, mission.id, by=FARMER, expected_version=2).version == 3


def test_two_operators_approving_at_once_approve_once(
    engine: Engine, new_mission: NewMission
) -> None:
    mission_id = new_mission()
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def approve_it() -> None:
        barrier.wait()
        try:
            outcomes.append(approve(engine, mission_id, by=OPERATOR))
        except IllegalTransition as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=approve_it) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["IllegalTransition", "Mission"]
    assert [c.to_status for c in history(engine, mission_id)] == [S.REQUESTED, S.APPROVED]
    assert get_mission(engine, mission_id).version == 2


def count_bookings(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(BookingRow)).one()


def test_progress_moves_a_dispatched_mission_and_tells_the_farmer(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, clock: FakeClock
) -> None:
    notifier = StoredNotifier(engine, clock=clock)
    mission_id = new_mission(S.DISPATCHED)
    took_off = ProgressEvent(kind=ProgressKind.TOOK_OFF, at=jst(1, 6, 1))
    assert record_progress(engine, mission_id, took_off, notifier=notifier).status is S.FLYING
    again = record_progress(engine, mission_id, took_off)  # the second sortie's take-off
    assert (again.status, again.version) == (S.FLYING, 2)
    done = ProgressEvent(kind=ProgressKind.COMPLETED, at=jst(1, 6, 40))
    assert record_progress(engine, mission_id, done, notifier=notifier).status is S.COMPLETED
    late = ProgressEvent(kind=ProgressKind.FAILED, at=jst(1, 6, 41), reason="link lost")
    assert record_progress(engine, mission_id, late).status is S.COMPLETED  # ignored
    assert [(c.by, c.at, c.to_status) for c in history(engine, mission_id)][1:] == [
        ("telemetry", jst(1, 6, 1), S.FLYING), ("telemetry", jst(1, 6, 40), S.COMPLETED),
    ]  # fmt: skip
    notes, total = list_notifications(engine, FARMER)
    assert total == 1  # taking off is not news; completing is
    assert notes[0].kind == "completed"
    assert notes[
        0
    ].text_ja == "散布ミッション 1（圃場 kasai-001、kasai-002）が完了しました。".replace(
        "1", str(mission_id), 1
    )


def test_a_completion_without_a_take_off_goes_through_flying_and_a_failure_says_why(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission
) -> None:
    missed = new_mission(S.DISPATCHED)
    done = ProgressEvent(kind=ProgressKind.COMPLETED, at=jst(1, 7))
    assert record_progress(engine, missed, done).status is S.COMPLETED
    assert [c.to_status for c in history(engine, missed)][-2:] == [S.FLYING, S.COMPLETED]
    failing = new_mission(S.FLYING)
    failsafe = ProgressEvent(kind=ProgressKind.FAILED, at=jst(1, 7), reason="battery failsafe: RTL")
    failed = record_progress(engine, failing, failsafe)
    assert (failed.status, failed.reason) == (S.FAILED, "battery failsafe: RTL")
    with pytest.raises(IllegalTransition, match="is scheduled; it cannot become flying"):
        record_progress(
            engine,
            new_mission(S.SCHEDULED),
            ProgressEvent(kind=ProgressKind.TOOK_OFF, at=jst(1, 7)),
        )


def test_leaving_a_booked_status_frees_the_vehicle_time(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, clock: FakeClock
) -> None:
    mission_id = new_mission(S.SCHEDULED)
    with Session(engine) as session:
        session.add(
            BookingRow(registration=fleet[0].registration, bucket_start_s=1, mission_id=mission_id)
        )
        session.commit()
    change_status(engine, mission_id, S.DISPATCHED, by="scheduler", now=clock.now())
    assert count_bookings(engine) == 1  # still flying it
    abort(engine, mission_id, by=OPERATOR, reason="a person in the field")
    assert count_bookings(engine) == 0
    aborted = get_mission(engine, mission_id)
    assert aborted.slot_start == jst(1, 6)  # the record keeps the slot it had
    assert aborted.duration_s == timedelta(minutes=35).total_seconds()


def test_missions_are_listed_newest_first_by_owner_and_status(
    engine: Engine, clock: FakeClock
) -> None:
    ids = [request_mission(engine, spray_request(), owner=owner, clock=clock).id
           for owner in (FARMER, "acct-farmer-2", FARMER, FARMER)]  # fmt: skip
    approve(engine, ids[2], by=OPERATOR)
    mine, total = list_missions(engine, owner=FARMER, limit=2)
    assert ([m.id for m in mine], total) == ([ids[3], ids[2]], 3)
    rest, _ = list_missions(engine, owner=FARMER, limit=2, offset=2)
    assert [m.id for m in rest] == [ids[0]]
    waiting, total = list_missions(engine, status=S.REQUESTED)
    assert ([m.id for m in waiting], total) == ([ids[3], ids[1], ids[0]], 3)
    either, total = list_missions(engine, status=[S.APPROVED, S.REJECTED])
    assert ([m.id for m in either], total) == ([ids[2]], 1)
