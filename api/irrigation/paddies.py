"""Paddies and the device registry as stored: the controller's view of each paddy, its
owner, mode and memory; which sensor or gate serves which paddy."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from api.db import aware, storage_errors
from api.errors import Conflict, NotFound
from api.irrigation.tables import DeviceRow, PaddyRow
from core.clock import Clock, SystemClock
from irrigation import ControlMode, Device, DeviceKind, GateRole, Metric, Paddy

__all__ = [
    "StoredPaddy",
    "add_paddy",
    "get_device",
    "get_paddy",
    "list_devices",
    "list_paddies",
    "paddy_of",
    "register_device",
    "save_control",
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


def paddy_of(row: PaddyRow) -> StoredPaddy:
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
        return paddy_of(row)


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
        return paddy_of(row)


def list_paddies(engine: Engine, *, owner: str | None = None) -> list[StoredPaddy]:
    """Paddies by id, all of them or one owner's."""
    query = select(PaddyRow).order_by(col(PaddyRow.id))
    if owner is not None:
        query = query.where(PaddyRow.owner == owner)
    with storage_errors(), Session(engine) as session:
        return [paddy_of(row) for row in session.exec(query)]


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
