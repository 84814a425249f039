"""The audit log of a paddy: gate commands and their acknowledgements, overrides, mode
changes and alerts, one line each, never changed; and the overrides in force."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, update
from sqlmodel import Session, col, select

from api.db import as_utc, aware, storage_errors
from api.errors import NotFound
from api.irrigation.paddies import get_paddy
from api.irrigation.tables import EventRow, GateCommandRow, OverrideRow
from irrigation import GateAck, GateAction, GateCommand, GateRole, Override

__all__ = [
    "AuditEvent",
    "StoredOverride",
    "active_overrides",
    "add_override",
    "cancel_override",
    "list_events",
    "log_event",
    "record_ack",
    "record_command",
]


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
