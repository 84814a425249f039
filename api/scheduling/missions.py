"""Missions in the database: the request, the lifecycle's verbs, queries and history.

Every change is one transaction that moves the status (only along
:data:`~api.scheduling.model.TRANSITIONS`), bumps ``version`` by compare-and-set
(``UPDATE … WHERE id = ? AND version = ?``), writes a history line, and commits; the
farmer's notice is sent after the commit. Two writers of one mission — an operator and
the scheduler, two schedulers, two API processes — can therefore never both win: the
loser re-reads and re-checks (and, if it named an ``expected_version``, gets
:class:`VersionConflict`). Leaving a status that holds a vehicle's time (scheduled,
dispatched, flying) frees that time in the same transaction.
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, delete, func, insert, update
from sqlmodel import Session, col, select

from api.scheduling.errors import MissionNotFound, VersionConflict
from api.scheduling.model import (
    ACTIVE,
    Mission,
    MissionRequest,
    MissionStatus,
    StatusChange,
    check_transition,
)
from api.scheduling.notify import Notifier, notice_for, send
from api.scheduling.tables import (
    BookingRow,
    MissionRow,
    StatusChangeRow,
    mission_of,
    status_change_of,
    storage,
)
from api.scheduling.weather import Hold
from core.clock import Clock, SystemClock

__all__ = [
    "AfterChange",
    "abort",
    "approve",
    "cancel",
    "change_status",
    "get_mission",
    "history",
    "list_missions",
    "reject",
    "request_mission",
]

AfterChange = Callable[[Session, MissionRow], None]
"""More work inside a change's transaction (booking the vehicle's time), before the commit."""

_ATTEMPTS = 5
_REASON_CHARS = 1000


def _now(clock: Clock | None) -> datetime:
    return (clock or SystemClock()).now().astimezone(UTC)


def request_mission(
    engine: Engine, request: MissionRequest, *, owner: str, clock: Clock | None = None
) -> Mission:
    """Store a farmer's request; it waits, ``requested``, for an operator.

    Raises
    ------
    StorageError
        The database refused or could not be reached; nothing was stored.
    """
    now = _now(clock)
    estimate = request.estimate
    row = MissionRow(
        owner=owner,
        kind=request.kind.value,
        field_ids=list(request.field_ids),
        params=dict(request.params),
        place_lat=request.place.lat_deg,
        place_lon=request.place.lon_deg,
        window_start=request.window_start,
        window_end=request.window_end,
        sorties=estimate.sorties,
        flight_time_s=estimate.flight_time_s,
        area_ha=estimate.area_ha,
        volume_l=estimate.volume_l,
        status=MissionStatus.REQUESTED.value,
        note=request.note,
        version=1,
        created_at=now,
        updated_at=now,
    )
    with storage(), Session(engine) as session:
        session.add(row)
        session.flush()
        assert row.id is not None
        session.execute(insert(StatusChangeRow), [_change(row.id, now, owner, None, row.status)])
        session.commit()
        return mission_of(row)


def _change(
    mission_id: int, at: datetime, by: str, before: str | None, after: str, reason: str = ""
) -> dict[str, Any]:
    return {
        "mission_id": mission_id,
        "at": at,
        "by": by,
        "from_status": before,
        "to_status": after,
        "reason": reason,
    }


def _row(session: Session, mission_id: int) -> MissionRow:
    row = session.get(MissionRow, mission_id)
    if row is None:
        raise MissionNotFound(mission_id)
    return row


def change_status(
    engine: Engine,
    mission_id: int,
    to: MissionStatus,
    *,
    by: str,
    now: datetime,
    reason: str = "",
    expected_version: int | None = None,
    changes: Mapping[str, Any] | None = None,
    then: AfterChange | None = None,
    notifier: Notifier | None = None,
    hold: Hold | None = None,
) -> Mission:
    """Move a mission to ``to`` in one transaction (the scheduler's verb; routes use the named
    ones). ``changes`` are more columns to set; ``then`` more work before the commit.

    Raises
    ------
    MissionNotFound
        No such mission.
    IllegalTransition
        The lifecycle does not allow the change from the mission's status now.
    VersionConflict
        ``expected_version`` is given and the mission is at another version.
    """
    if len(reason) > _REASON_CHARS:  # a fleet's error can be long; the column is not
        reason = reason[: _REASON_CHARS - 1] + "…"
    read = expected_version or 0
    for _ in range(_ATTEMPTS):
        with storage(), Session(engine) as session:
            row = _row(session, mission_id)
            read = row.version
            if expected_version is not None and row.version != expected_version:
                raise VersionConflict(mission_id, expected_version, row.version)
            before = MissionStatus(row.status)
            check_transition(mission_id, before, to)
            values = {
                **(changes or {}),
                "status": to.value,
                "reason": reason or None,
                "version": row.version + 1,
                "updated_at": now,
            }
            done = session.execute(
                update(MissionRow)
                .where(col(MissionRow.id) == mission_id, col(MissionRow.version) == row.version)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if cast("CursorResult[Any]", done).rowcount != 1:
                session.rollback()  # someone else changed it between our read and write
                if expected_version is not None:
                    raise VersionConflict(
                        mission_id, expected_version, _row(session, mission_id).version
                    )
                continue
            if before in ACTIVE and to not in ACTIVE:
                session.execute(delete(BookingRow).where(col(BookingRow.mission_id) == mission_id))
            if then is not None:
                then(session, row)
            session.execute(
                insert(StatusChangeRow), [_change(mission_id, now, by, before, to, reason)]
            )
            session.commit()
            mission = mission_of(row)  # expired by the commit: read back as stored
        send(notifier, notice_for(mission, hold=hold))
        return mission
    raise VersionConflict(mission_id, read, get_mission(engine, mission_id).version)


def approve(
    engine: Engine,
    mission_id: int,
    *,
    by: str,
    expected_version: int | None = None,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
) -> Mission:
    """An operator approves a request: the scheduler books it at its next tick.

    Raises
    ------
    MissionNotFound, IllegalTransition, VersionConflict
        As :func:`change_status`.
    """
    return change_status(
        engine,
        mission_id,
        MissionStatus.APPROVED,
        by=by,
        now=_now(clock),
        expected_version=expected_version,
        notifier=notifier,
    )


def reject(
    engine: Engine,
    mission_id: int,
    *,
    by: str,
    reason: str,
    expected_version: int | None = None,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
) -> Mission:
    """An operator turns a request down, saying why.

    Raises
    ------
    MissionNotFound, IllegalTransition, VersionConflict
        As :func:`change_status`.
    """
    return change_status(
        engine,
        mission_id,
        MissionStatus.REJECTED,
        by=by,
        now=_now(clock),
        reason=reason,
        expected_version=expected_version,
        notifier=notifier,
    )


def cancel(
    engine: Engine,
    mission_id: int,
    *,
    by: str,
    reason: str = "",
    expected_version: int | None = None,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
) -> Mission:
    """The farmer or an operator calls a mission off before it is dispatched; a booked
    vehicle's time is freed.

    Raises
    ------
    MissionNotFound, IllegalTransition, VersionConflict
        As :func:`change_status` (a dispatched or flying mission is aborted instead).
    """
    return change_status(
        engine,
        mission_id,
        MissionStatus.CANCELLED,
        by=by,
        now=_now(clock),
        reason=reason,
        expected_version=expected_version,
        notifier=notifier,
    )


def abort(
    engine: Engine,
    mission_id: int,
    *,
    by: str,
    reason: str,
    expected_version: int | None = None,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
) -> Mission:
    """An operator stops a dispatched or flying mission. This records it; telling the vehicle
    to return (RTL) is the fleet's, which the caller does too.

    Raises
    ------
    MissionNotFound, IllegalTransition, VersionConflict
        As :func:`change_status`.
    """
    return change_status(
        engine,
        mission_id,
        MissionStatus.ABORTED,
        by=by,
        now=_now(clock),
        reason=reason,
        expected_version=expected_version,
        notifier=notifier,
    )


def get_mission(engine: Engine, mission_id: int) -> Mission:
    """One mission.

    Raises
    ------
    MissionNotFound
        No such mission.
    """
    with storage(), Session(engine) as session:
        return mission_of(_row(session, mission_id))


def list_missions(
    engine: Engine,
    *,
    owner: str | None = None,
    status: MissionStatus | Collection[MissionStatus] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Mission], int]:
    """Missions, newest first, and how many match in all; optionally one owner's, or in
    some statuses."""
    where = []
    if owner is not None:
        where.append(col(MissionRow.owner) == owner)
    if status is not None:
        wanted = [status] if isinstance(status, MissionStatus) else list(status)
        where.append(col(MissionRow.status).in_([s.value for s in wanted]))
    query = (
        select(MissionRow)
        .where(*where)
        .order_by(col(MissionRow.id).desc())
        .offset(offset)
        .limit(limit)
    )
    with storage(), Session(engine) as session:
        total = session.exec(select(func.count()).select_from(MissionRow).where(*where)).one()
        return [mission_of(row) for row in session.exec(query)], total


def history(engine: Engine, mission_id: int) -> Sequence[StatusChange]:
    """A mission's status changes, oldest first (the request is the first).

    Raises
    ------
    MissionNotFound
        No such mission.
    """
    query = (
        select(StatusChangeRow)
        .where(col(StatusChangeRow.mission_id) == mission_id)
        .order_by(col(StatusChangeRow.id))
    )
    with storage(), Session(engine) as session:
        _row(session, mission_id)
        return [status_change_of(row) for row in session.exec(query)]
