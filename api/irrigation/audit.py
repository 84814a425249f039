"""The audit log of a paddy: gate commands and their acknowledgements, overrides, mode
changes and alerts, one line each, never changed; and the overrides in force."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, update
from sqlmodel import Session, col, select

from api.db import as_utc, aware, storage_errors
from api.errors import NotFound
from api.irrigation.paddies import get_paddy
from api.irrigation.tables import EventRow, GateCommandRow, OverrideRow
from irrigation import GateAck, GateAction, GateCommand, GateRole, Override

__all__ = [
    "AuditEvent",
    "StoredOverride",
    "ack_event",
    "active_overrides",
    "add_override",
    "cancel_override",
    "command_event",
    "command_values",
    "event_values",
    "list_events",
    "record_ack",
    "record_acks",
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


def event_values(
    paddy_id: str, at: datetime, kind: str, by: str, summary: str, details: dict[str, Any]
) -> dict[str, Any]:
    """The values of one audit-log row (commands, acks, alerts, mode changes)."""
    return {
        "paddy_id": paddy_id,
        "at": as_utc(at),
        "kind": kind,
        "by": by,
        "summary": summary[:1000],
        "details": details,
    }


def command_values(command: GateCommand, device_id: str | None) -> dict[str, Any]:
    """The ``gate_command`` row of a command sent to ``device_id`` (None: no gate of its role
    is registered, which the row says)."""
    return {
        "command_id": command.command_id,
        "paddy_id": command.paddy_id,
        "device_id": device_id,
        "role": command.role.value,
        "action": command.action.value,
        "opening_pct": command.opening_pct,
        "reason": command.reason[:500],
        "issued_at": as_utc(command.issued_at),
        "ack_detail": "" if device_id else "no gate of this role registered",
    }


def command_event(command: GateCommand, by: str) -> dict[str, Any]:
    """The audit-log row of a command."""
    return event_values(
        command.paddy_id,
        command.issued_at,
        "command",
        by,
        f"{command.role.value} {command.action.value} {command.opening_pct:g} %: {command.reason}",
        {"command_id": command.command_id},
    )


def ack_event(ack: GateAck, *, paddy_id: str, role: str, device_id: str | None) -> dict[str, Any]:
    """The audit-log row of a gate's answer to a command."""
    return event_values(
        paddy_id,
        ack.at,
        "ack",
        device_id or "gate",
        f"{role} {'done' if ack.ok else 'refused'}" + (f": {ack.detail}" if ack.detail else ""),
        {"command_id": ack.command_id, "ok": ack.ok},
    )


def record_acks(connection: Connection, acks: Sequence[GateAck]) -> list[dict[str, Any]]:
    """Keep the answers to commands that were sent (others are ignored) on ``connection``,
    in two statements however many; returns their audit-log rows, to be inserted."""
    if not acks:
        return []
    sent = {
        row.command_id: row
        for row in connection.execute(
            select(
                GateCommandRow.command_id,
                GateCommandRow.paddy_id,
                GateCommandRow.role,
                GateCommandRow.device_id,
            ).where(col(GateCommandRow.command_id).in_([a.command_id for a in acks]))
        )
    }
    known = [ack for ack in acks if ack.command_id in sent]
    if known:
        connection.execute(
            update(GateCommandRow)
            .where(col(GateCommandRow.command_id) == bindparam("cid"))
            .values(
                acked_at=bindparam("at"), ack_ok=bindparam("ok"), ack_detail=bindparam("detail")
            ),
            [
                {"cid": a.command_id, "at": as_utc(a.at), "ok": a.ok, "detail": a.detail[:500]}
                for a in known
            ],
        )
    return [
        ack_event(
            ack,
            paddy_id=sent[ack.command_id].paddy_id,
            role=sent[ack.command_id].role,
            device_id=sent[ack.command_id].device_id,
        )
        for ack in known
    ]


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
        connection.execute(insert(GateCommandRow).values(**command_values(command, device_id)))
        connection.execute(insert(EventRow).values(**command_event(command, by)))


def record_ack(engine: Engine, ack: GateAck) -> None:
    """Keep a gate's answer to a command, and log it.

    Raises
    ------
    NotFound
        No such command was sent.
    """
    with storage_errors(), engine.begin() as connection:
        events = record_acks(connection, [ack])
        if not events:
            raise NotFound(f"no gate command {ack.command_id}")
        connection.execute(insert(EventRow), events)


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
