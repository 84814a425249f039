"""Storing paddy water: paddies, the device registry, readings once each, gate commands,
overrides and the audit log. Every function takes the engine; every database error leaves
through :func:`api.db.storage_errors`.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from api.db import as_utc, aware, storage_errors
from api.errors import Conflict, NotFound
from api.irrigation.tables import (
    DeviceRow,
    EventRow,
    GateCommandRow,
    OverrideRow,
    PaddyRow,
    ReadingRow,
)
from core.clock import Clock, SystemClock
from irrigation import (
    ControlMode,
    Device,
    DeviceKind,
    GateAck,
    GateAction,
    GateCommand,
    GateRole,
    Metric,
    Override,
    Paddy,
    Reading,
)

__all__ = [
    "AuditEvent",
    "StoreResult",
    "StoredOverride",
    "StoredPaddy",
    "active_overrides",
    "add_override",
    "add_paddy",
    "cancel_override",
    "count_readings",
    "delete_readings",
    "get_device",
    "get_paddy",
    "latest_readings",
    "list_devices",
    "list_events",
    "list_paddies",
    "log_event",
    "readings",
    "record_ack",
    "record_command",
    "register_device",
    "save_control",
    "store_readings",
    "update_paddy",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredPaddy:
    """A paddy as stored: the controller's view, its owner, mode and memory."""

    paddy: Paddy
    owner: str
    mode: ControlMode
    calendar: dict[str, Any] | None
    control_state: dict[str, Any] | None
    version: int
    updated_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class StoreResult:
    """What a batch of readings did: stored, already there, from unregistered devices."""

    stored: int
    duplicates: int
    unregistered: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredOverride:
    """An override with its row id and whether it was cancelled."""

    id: int
    override: Override
    created_at: datetime
    cancelled_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEvent:
    """One line of a paddy's audit log."""

    id: int
    paddy_id: str
    at: datetime
    kind: str
    by: str
    summary: str
    details: dict[str, Any]


_PADDY_MEMBERS = (
    "area_m2",
    "levee_height_cm",
    "outlet_crest_cm",
    "inlet_flow_m3_h",
    "outlet_flow_m3_h",
    "daily_water_limit_m3",
    "safe_margin_cm",
    "variety",
    "field_id",
)


def _paddy_of(row: PaddyRow) -> StoredPaddy:
    paddy = Paddy(
        id=row.id,
        farm=row.farm,
        transplanted_on=date.fromisoformat(row.transplanted_on) if row.transplanted_on else None,
        **{name: getattr(row, name) for name in _PADDY_MEMBERS},
    )
    return StoredPaddy(
        paddy=paddy,
        owner=row.owner,
        mode=ControlMode(row.mode),
        calendar=row.calendar,
        control_state=row.control_state,
        version=row.version,
        updated_at=aware(row.updated_at),
    )


def add_paddy(
    engine: Engine,
    paddy: Paddy,
    *,
    owner: str,
    calendar: dict[str, Any] | None = None,
    clock: Clock | None = None,
) -> StoredPaddy:
    """Register a paddy for ``owner``.

    Raises
    ------
    Conflict
        A paddy of that id exists.
    """
    now = (clock or SystemClock()).now()
    with storage_errors(), Session(engine) as session:
        if session.get(PaddyRow, paddy.id) is not None:
            raise Conflict(f"paddy {paddy.id} exists")
        row = PaddyRow(
            id=paddy.id,
            owner=owner,
            farm=paddy.farm or owner,
            transplanted_on=paddy.transplanted_on.isoformat() if paddy.transplanted_on else None,
            calendar=calendar,
            mode=ControlMode.AUTO.value,
            created_at=now,
            updated_at=now,
            **{name: getattr(paddy, name) for name in _PADDY_MEMBERS},
        )
        session.add(row)
        session.commit()
        session.refresh(row)
        return _paddy_of(row)


def get_paddy(engine: Engine, paddy_id: str) -> StoredPaddy:
    """One paddy.

    Raises
    ------
    NotFound
        No such paddy.
    """
    with storage_errors(), Session(engine) as session:
        row = session.get(PaddyRow, paddy_id)
        if row is None:
            raise NotFound(f"no paddy {paddy_id}")
        return _paddy_of(row)


def list_paddies(engine: Engine, *, owner: str | None = None) -> list[StoredPaddy]:
    """Paddies by id, all of them or one owner's."""
    query = select(PaddyRow).order_by(col(PaddyRow.id))
    if owner is not None:
        query = query.where(PaddyRow.owner == owner)
    with storage_errors(), Session(engine) as session:
        return [_paddy_of(row) for row in session.exec(query)]


def update_paddy(
    engine: Engine,
    paddy_id: str,
    changes: dict[str, Any],
    *,
    expected_version: int,
    clock: Clock | None = None,
    check: Callable[[Paddy, dict[str, Any] | None], None] | None = None,
) -> StoredPaddy:
    """Change a paddy's members (``calendar``, ``transplanted_on`` and those of
    :class:`irrigation.Paddy`) if it is still at ``expected_version``; the result is checked
    as a whole.

    Raises
    ------
    NotFound
        No such paddy.
    Conflict
        It changed since ``expected_version``.
    irrigation.BadPaddy
        The changed paddy is not a paddy (a crest above the levee …), or ``check`` (given
        the changed paddy and its calendar edits) refuses it.
    """
    current = get_paddy(engine, paddy_id)
    allowed = {*_PADDY_MEMBERS, "transplanted_on", "calendar"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValueError(f"a paddy has no changeable member {', '.join(unknown)}")
    values = dict(changes)
    if isinstance(values.get("transplanted_on"), str):
        values["transplanted_on"] = date.fromisoformat(values["transplanted_on"])
    checked = replace(current.paddy, **{k: v for k, v in values.items() if k != "calendar"})
    if check is not None:
        check(checked, values.get("calendar", current.calendar))
    row_values: dict[str, Any] = {name: getattr(checked, name) for name in _PADDY_MEMBERS}
    row_values["transplanted_on"] = (
        checked.transplanted_on.isoformat() if checked.transplanted_on else None
    )
    if "calendar" in values:
        row_values["calendar"] = values["calendar"]
    row_values["version"] = current.version + 1
    row_values["updated_at"] = (clock or SystemClock()).now()
    with storage_errors(), engine.begin() as connection:
        result = connection.execute(
            update(PaddyRow)
            .where(col(PaddyRow.id) == paddy_id, col(PaddyRow.version) == expected_version)
            .values(**row_values)
        )
        if result.rowcount != 1:
            raise Conflict(f"paddy {paddy_id} changed meanwhile; read it again")
    return get_paddy(engine, paddy_id)


def save_control(
    engine: Engine,
    paddy_id: str,
    *,
    mode: ControlMode,
    control_state: dict[str, Any] | None,
) -> None:
    """Keep the controller's mode and memory after a tick (not a user's change: the
    version stays, so a farmer's pending edit is not refused for it); None forgets the
    memory (the next tick starts afresh)."""
    with storage_errors(), engine.begin() as connection:
        connection.execute(
            update(PaddyRow)
            .where(col(PaddyRow.id) == paddy_id)
            .values(mode=mode.value, control_state=control_state)
        )


def _device_of(row: DeviceRow) -> Device:
    return Device(
        id=row.id,
        farm=row.farm,
        kind=DeviceKind(row.kind),
        paddy_id=row.paddy_id,
        role=GateRole(row.role) if row.role else None,
        calibration={Metric(k): v for k, v in row.calibration.items()},
        battery_pct=row.battery_pct,
        last_seen_at=aware(row.last_seen_at) if row.last_seen_at else None,
    )


def register_device(engine: Engine, device: Device, *, clock: Clock | None = None) -> Device:
    """Register a device, or change an existing one's paddy, role and calibration.

    Raises
    ------
    NotFound
        Its paddy is not registered.
    """
    now = (clock or SystemClock()).now()
    with storage_errors(), Session(engine) as session:
        if device.paddy_id is not None and session.get(PaddyRow, device.paddy_id) is None:
            raise NotFound(f"device {device.id}: no paddy {device.paddy_id}")
        row = session.get(DeviceRow, device.id)
        calibration = {m.value: v for m, v in device.calibration.items()}
        if row is None:
            row = DeviceRow(
                id=device.id,
                farm=device.farm,
                paddy_id=device.paddy_id,
                kind=device.kind.value,
                role=device.role.value if device.role else None,
                calibration=calibration,
                created_at=now,
                updated_at=now,
            )
        else:
            row.farm = device.farm
            row.paddy_id = device.paddy_id
            row.kind = device.kind.value
            row.role = device.role.value if device.role else None
            row.calibration = calibration
            row.updated_at = now
        session.add(row)
        session.commit()
        session.refresh(row)
        return _device_of(row)


def get_device(engine: Engine, device_id: str) -> Device:
    """One device.

    Raises
    ------
    NotFound
        No such device.
    """
    with storage_errors(), Session(engine) as session:
        row = session.get(DeviceRow, device_id)
        if row is None:
            raise NotFound(f"no device {device_id}")
        return _device_of(row)


def list_devices(
    engine: Engine, *, paddy_id: str | None = None, owner: str | None = None
) -> list[Device]:
    """Devices by id: all, one paddy's, or those on one owner's paddies."""
    query = select(DeviceRow).order_by(col(DeviceRow.id))
    if paddy_id is not None:
        query = query.where(DeviceRow.paddy_id == paddy_id)
    if owner is not None:
        owned = select(PaddyRow.id).where(PaddyRow.owner == owner)
        query = query.where(col(DeviceRow.paddy_id).in_(owned))
    with storage_errors(), Session(engine) as session:
        return [_device_of(row) for row in session.exec(query)]


def _insert_ignoring_duplicates(engine: Engine) -> Any:
    if engine.dialect.name == "postgresql":
        return postgresql.insert(ReadingRow).on_conflict_do_nothing(constraint="water_reading_once")
    return sqlite.insert(ReadingRow).on_conflict_do_nothing()


def store_readings(
    engine: Engine,
    batch: Sequence[Reading],
    *,
    source: str,
    clock: Clock | None = None,
) -> StoreResult:
    """Store readings once each, in one transaction: a reading whose (device, metric,
    device time) is stored already — a QoS 1 redelivery, a retried webhook — is counted
    as a duplicate and left. The registry decides the paddy (else the topic's) and the
    calibration; battery readings and arrival times update the devices.
    """
    if not batch:
        return StoreResult(stored=0, duplicates=0)
    now = (clock or SystemClock()).now()
    ids = sorted({r.device_id for r in batch})
    with storage_errors(), engine.begin() as connection:
        known = {
            row.id: row
            for row in connection.execute(select(DeviceRow).where(col(DeviceRow.id).in_(ids)))
        }
        rows: list[dict[str, Any]] = []
        for reading in batch:
            device = known.get(reading.device_id)
            offset = (device.calibration or {}).get(reading.metric.value, 0.0) if device else 0.0
            rows.append(
                {
                    "device_id": reading.device_id,
                    "paddy_id": (device.paddy_id if device else None) or reading.paddy_id,
                    "metric": reading.metric.value,
                    "raw_value": reading.value,
                    "value": reading.value + offset,
                    "device_time": reading.device_time.astimezone(UTC),
                    "received_at": (reading.received_at or now).astimezone(UTC),
                    "source": source,
                }
            )
        # RETURNING names only the rows inserted: the duplicates are what is left over.
        inserted = connection.execute(
            _insert_ignoring_duplicates(engine).returning(col(ReadingRow.id)), rows
        ).all()
        stored = len(inserted)
        seen: dict[str, datetime] = {}
        battery: dict[str, Reading] = {}
        for reading in batch:
            if reading.device_id not in known:
                continue
            arrived = as_utc(reading.received_at or now)
            if arrived > seen.get(reading.device_id, arrived - timedelta(seconds=1)):
                seen[reading.device_id] = arrived
            if reading.metric is Metric.BATTERY:
                newest = battery.get(reading.device_id)
                if newest is None or reading.device_time > newest.device_time:
                    battery[reading.device_id] = reading
        # One statement per batch, not per device: a device seen earlier than it already
        # was (a late reading) changes nothing.
        not_newer = (col(DeviceRow.last_seen_at).is_(None)) | (
            col(DeviceRow.last_seen_at) <= bindparam("seen")
        )
        if battery:
            connection.execute(
                update(DeviceRow)
                .where(col(DeviceRow.id) == bindparam("did"), not_newer)
                .values(battery_pct=bindparam("pct")),
                [{"did": d, "pct": r.value, "seen": seen[d]} for d, r in battery.items()],
            )
        if seen:
            connection.execute(
                update(DeviceRow)
                .where(col(DeviceRow.id) == bindparam("did"), not_newer)
                .values(last_seen_at=bindparam("seen")),
                [{"did": d, "seen": at} for d, at in seen.items()],
            )
    return StoreResult(
        stored=stored,
        duplicates=len(batch) - stored,
        unregistered=tuple(sorted(set(ids) - set(known))),
    )


def delete_readings(
    engine: Engine, paddy_id: str, *, since: datetime, until: datetime | None = None
) -> int:
    """Forget a paddy's readings measured (device time) from ``since`` (until ``until``):
    retention, or a replay of a simulated day. Returns how many went."""
    where = [col(ReadingRow.paddy_id) == paddy_id, col(ReadingRow.device_time) >= as_utc(since)]
    if until is not None:
        where.append(col(ReadingRow.device_time) < as_utc(until))
    with storage_errors(), engine.begin() as connection:
        return int(connection.execute(delete(ReadingRow).where(*where)).rowcount)


def count_readings(engine: Engine, *, device_prefix: str | None = None) -> int:
    """How many readings are stored (those of devices whose id starts ``device_prefix``)."""
    query = select(func.count()).select_from(ReadingRow)
    if device_prefix is not None:
        query = query.where(col(ReadingRow.device_id).startswith(device_prefix))
    with storage_errors(), Session(engine) as session:
        return int(session.exec(query).one())


def _reading_of(row: ReadingRow) -> Reading:
    return Reading(
        device_id=row.device_id,
        metric=Metric(row.metric),
        value=row.value,
        device_time=aware(row.device_time),
        received_at=aware(row.received_at),
        paddy_id=row.paddy_id,
    )


def readings(
    engine: Engine,
    paddy_id: str,
    *,
    metric: Metric | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[Reading], int]:
    """A paddy's readings in device-time order (calibrated), a page and the count."""
    where = [col(ReadingRow.paddy_id) == paddy_id]
    if metric is not None:
        where.append(col(ReadingRow.metric) == metric.value)
    if since is not None:
        where.append(col(ReadingRow.device_time) >= as_utc(since))
    if until is not None:
        where.append(col(ReadingRow.device_time) < as_utc(until))
    with storage_errors(), Session(engine) as session:
        count = session.exec(select(func.count()).select_from(ReadingRow).where(*where)).one()
        rows = session.exec(
            select(ReadingRow)
            .where(*where)
            .order_by(col(ReadingRow.device_time), col(ReadingRow.id))
            .offset(offset)
            .limit(limit)
        )
        return [_reading_of(row) for row in rows], int(count)


def latest_readings(
    engine: Engine, paddy_ids: Iterable[str], *, metric: Metric, since: datetime
) -> dict[str, list[Reading]]:
    """Each paddy's readings of ``metric`` taken since ``since`` (device time), in order:
    what a control tick needs, in one query for every paddy."""
    ids = list(paddy_ids)
    out: dict[str, list[Reading]] = {paddy_id: [] for paddy_id in ids}
    if not ids:
        return out
    query = (
        select(ReadingRow)
        .where(
            col(ReadingRow.paddy_id).in_(ids),
            col(ReadingRow.metric) == metric.value,
            col(ReadingRow.device_time) >= as_utc(since),
        )
        .order_by(col(ReadingRow.device_time), col(ReadingRow.id))
    )
    with storage_errors(), Session(engine) as session:
        for row in session.exec(query):
            assert row.paddy_id is not None
            out[row.paddy_id].append(_reading_of(row))
    return out


def log_event(
    engine: Engine,
    paddy_id: str,
    *,
    kind: str,
    by: str,
    summary: str,
    details: dict[str, Any] | None = None,
    at: datetime,
) -> None:
    """Append one line to a paddy's audit log."""
    with storage_errors(), engine.begin() as connection:
        connection.execute(
            insert(EventRow).values(
                paddy_id=paddy_id,
                at=as_utc(at),
                kind=kind,
                by=by,
                summary=summary[:1000],
                details=details or {},
            )
        )


def list_events(
    engine: Engine,
    paddy_id: str,
    *,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """A paddy's audit log, newest first, a page and the count."""
    where = [col(EventRow.paddy_id) == paddy_id]
    if kind is not None:
        where.append(col(EventRow.kind) == kind)
    with storage_errors(), Session(engine) as session:
        count = session.exec(select(func.count()).select_from(EventRow).where(*where)).one()
        rows = session.exec(
            select(EventRow)
            .where(*where)
            .order_by(col(EventRow.at).desc(), col(EventRow.id).desc())
            .offset(offset)
            .limit(limit)
        )
        events = [
            AuditEvent(
                id=row.id or 0,
                paddy_id=row.paddy_id,
                at=aware(row.at),
                kind=row.kind,
                by=row.by,
                summary=row.summary,
                details=dict(row.details),
            )
            for row in rows
        ]
        return events, int(count)


def record_command(
    engine: Engine, command: GateCommand, *, device_id: str | None, by: str = "controller"
) -> None:
    """Keep a command sent to a gate, and log it."""
    with storage_errors(), engine.begin() as connection:
        connection.execute(
            insert(GateCommandRow).values(
                command_id=command.command_id,
                paddy_id=command.paddy_id,
                device_id=device_id,
                role=command.role.value,
                action=command.action.value,
                opening_pct=command.opening_pct,
                reason=command.reason[:500],
                issued_at=as_utc(command.issued_at),
                ack_detail="",
            )
        )
        connection.execute(
            insert(EventRow).values(
                paddy_id=command.paddy_id,
                at=as_utc(command.issued_at),
                kind="command",
                by=by,
                summary=f"{command.role.value} {command.action.value}: {command.reason}"[:1000],
                details={
                    "command_id": command.command_id,
                    "device_id": device_id,
                    "opening_pct": command.opening_pct,
                },
            )
        )


def record_ack(engine: Engine, ack: GateAck) -> None:
    """Keep a gate's answer to a command, and log it.

    Raises
    ------
    NotFound
        No such command was sent.
    """
    with storage_errors(), engine.begin() as connection:
        row = connection.execute(
            select(GateCommandRow).where(col(GateCommandRow.command_id) == ack.command_id)
        ).first()
        if row is None:
            raise NotFound(f"no gate command {ack.command_id}")
        connection.execute(
            update(GateCommandRow)
            .where(col(GateCommandRow.command_id) == ack.command_id)
            .values(acked_at=as_utc(ack.at), ack_ok=ack.ok, ack_detail=ack.detail[:500])
        )
        connection.execute(
            insert(EventRow).values(
                paddy_id=row.paddy_id,
                at=as_utc(ack.at),
                kind="ack",
                by=row.device_id or "gate",
                summary=f"{row.role} {row.action} {'done' if ack.ok else 'refused'}"
                + (f": {ack.detail}" if ack.detail else ""),
                details={"command_id": ack.command_id, "ok": ack.ok},
            )
        )


def _override_of(row: OverrideRow) -> StoredOverride:
    return StoredOverride(
        id=row.id or 0,
        override=Override(
            paddy_id=row.paddy_id,
            role=GateRole(row.role),
            action=GateAction(row.action),
            until=aware(row.until),
            by=row.by,
            reason=row.reason,
        ),
        created_at=aware(row.created_at),
        cancelled_at=aware(row.cancelled_at) if row.cancelled_at else None,
    )


def add_override(engine: Engine, override: Override, *, at: datetime) -> StoredOverride:
    """Put a person's hand on a gate until the override expires; logged.

    Raises
    ------
    NotFound
        No such paddy.
    """
    get_paddy(engine, override.paddy_id)
    with storage_errors(), Session(engine) as session:
        row = OverrideRow(
            paddy_id=override.paddy_id,
            role=override.role.value,
            action=override.action.value,
            until=as_utc(override.until),
            by=override.by,
            reason=override.reason,
            created_at=as_utc(at),
        )
        session.add(row)
        session.add(
            EventRow(
                paddy_id=override.paddy_id,
                at=as_utc(at),
                kind="override",
                by=override.by,
                summary=(
                    f"{override.role.value} {override.action.value} by hand until "
                    f"{override.until.isoformat()}"
                    + (f": {override.reason}" if override.reason else "")
                )[:1000],
                details={"until": override.until.isoformat()},
            )
        )
        session.commit()
        session.refresh(row)
        return _override_of(row)


def active_overrides(engine: Engine, paddy_id: str, *, now: datetime) -> list[StoredOverride]:
    """A paddy's overrides in force at ``now``, newest first."""
    query = (
        select(OverrideRow)
        .where(
            col(OverrideRow.paddy_id) == paddy_id,
            col(OverrideRow.until) > as_utc(now),
            col(OverrideRow.cancelled_at).is_(None),
        )
        .order_by(col(OverrideRow.created_at).desc(), col(OverrideRow.id).desc())
    )
    with storage_errors(), Session(engine) as session:
        return [_override_of(row) for row in session.exec(query)]


def cancel_override(engine: Engine, override_id: int, *, by: str, at: datetime) -> StoredOverride:
    """End an override before it expires; logged.

    Raises
    ------
    NotFound
        No such override, or it has ended.
    """
    with storage_errors(), Session(engine) as session:
        row = session.get(OverrideRow, override_id)
        if row is None or row.cancelled_at is not None or aware(row.until) <= at:
            raise NotFound(f"no override {override_id} in force")
        row.cancelled_at = as_utc(at)
        session.add(row)
        session.add(
            EventRow(
                paddy_id=row.paddy_id,
                at=as_utc(at),
                kind="override_end",
                by=by,
                summary=f"override of the {row.role} ended by hand",
                details={"override_id": override_id},
            )
        )
        session.commit()
        session.refresh(row)
        return _override_of(row)
