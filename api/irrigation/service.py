"""The runner's ports on the database: paddies, readings and the controller's memory in
the tables of :mod:`api.irrigation.tables`, alerts to the farmer's notifications.

:class:`DatabaseControlStore` reads every controlled paddy in a handful of queries and
keeps a whole tick in one transaction, so a tick over ten thousand paddies costs a few
statements, not ten thousand.
"""

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, update
from sqlmodel import Session, col, select

from api.db import as_utc, aware, insert_or_ignore, storage_errors
from api.irrigation.audit import command_event, command_values, event_values, record_acks
from api.irrigation.paddies import paddy_of
from api.irrigation.tables import (
    DeviceRow,
    EventRow,
    GateCommandRow,
    OverrideRow,
    PaddyRow,
    ReadingRow,
)
from api.scheduling.notify import Notice, Notifier
from irrigation import (
    Alert,
    ControlMode,
    GateAck,
    GateAction,
    GateRole,
    Metric,
    Override,
    Reading,
)
from irrigation.calendar import WaterCalendar, WaterStage, calendar_for
from irrigation.controller import Decision
from irrigation.errors import BadPaddy, IrrigationError
from irrigation.runner import ControlledPaddy, GateAddress, dump_state, load_state

__all__ = ["DatabaseControlStore", "NotifierAlerts", "calendar_of"]

logger = logging.getLogger(__name__)

_EDITABLE = ("depth_cm", "length_days")


def calendar_of(variety: str | None, edits: Mapping[str, Any] | None) -> WaterCalendar:
    """The variety's preset calendar with a farmer's edits, ``{stage: {depth_cm,
    length_days}}`` (e.g. ``{"rooting": {"depth_cm": 6}}``).

    Raises
    ------
    BadPaddy
        An edit names no stage of the calendar, or a member that cannot be edited, or
        makes the calendar invalid.
    """
    calendar = calendar_for(variety)
    for name, change in (edits or {}).items():
        try:
            stage = WaterStage(name)
        except ValueError:
            stages = ", ".join(s.value for s in WaterStage)
            raise BadPaddy(f"calendar: no stage {name!r} (stages: {stages})") from None
        if not isinstance(change, Mapping) or not set(change) <= set(_EDITABLE) or not change:
            raise BadPaddy(f"calendar: {name} takes depth_cm and/or length_days")
        try:
            calendar = calendar.with_stage(
                stage,
                depth_cm=None if change.get("depth_cm") is None else float(change["depth_cm"]),
                length_days=(
                    None if change.get("length_days") is None else int(change["length_days"])
                ),
            )
        except (TypeError, ValueError) as exc:
            raise BadPaddy(f"calendar: {name}: {exc}") from exc
    return calendar


class DatabaseControlStore:
    """:class:`irrigation.runner.ControlStore` on the database."""

    def __init__(self, engine: Engine, *, only: Sequence[str] | None = None) -> None:
        self._engine = engine
        self._only = None if only is None else set(only)
        """Steer only these paddies (a demo, a test); None: every paddy."""
        self._modes: dict[str, ControlMode] = {}

    def controlled(self, now: datetime) -> Sequence[ControlledPaddy]:
        """Every paddy, with its calendar, memory, overrides in force and gates."""
        query = select(PaddyRow).order_by(col(PaddyRow.id))
        if self._only is not None:
            query = query.where(col(PaddyRow.id).in_(sorted(self._only)))
        with storage_errors(), Session(self._engine) as session:
            rows = list(session.exec(query))
            overrides: dict[str, list[Override]] = {}
            for o in session.exec(
                select(OverrideRow)
                .where(
                    col(OverrideRow.until) > as_utc(now), col(OverrideRow.cancelled_at).is_(None)
                )
                .order_by(col(OverrideRow.created_at).desc())
            ):
                overrides.setdefault(o.paddy_id, []).append(
                    Override(
                        paddy_id=o.paddy_id,
                        role=GateRole(o.role),
                        action=GateAction(o.action),
                        until=aware(o.until),
                        by=o.by,
                        reason=o.reason,
                    )
                )
            gates: dict[str, dict[GateRole, GateAddress]] = {}
            for d in session.exec(select(DeviceRow).where(DeviceRow.kind == "gate")):
                if d.paddy_id is not None and d.role is not None:
                    gates.setdefault(d.paddy_id, {})[GateRole(d.role)] = GateAddress(
                        farm=d.farm, device=d.id
                    )
        out: list[ControlledPaddy] = []
        for row in rows:
            stored = paddy_of(row)
            try:
                calendar = calendar_of(stored.paddy.variety, stored.calendar)
            except BadPaddy as exc:
                # Refused when kept (routes check the calendar); only a hand-edited row gets
                # here. The default calendar still steers it, and its inlet is guarded.
                logger.error(
                    "paddy %s: its calendar cannot be read (%s); the default steers", row.id, exc
                )
                calendar = calendar_for(None)
            try:
                state = load_state(row.control_state) if row.control_state else None
            except IrrigationError as exc:
                # One unreadable memory must not stop every paddy: this one starts afresh
                # (its first tick closes the inlet until a depth is believed).
                logger.error(
                    "paddy %s: its controller memory is lost (%s); starting afresh", row.id, exc
                )
                state = None
            self._modes[row.id] = stored.mode
            out.append(
                ControlledPaddy(
                    paddy=stored.paddy,
                    owner=stored.owner,
                    calendar=calendar,
                    state=state,
                    overrides=tuple(overrides.get(row.id, ())),
                    gates=gates.get(row.id, {}),
                )
            )
        return out

    def newest_levels(
        self, paddy_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, Reading]:
        """Each paddy's newest water level (device time) among those received from ``since``
        up to ``until`` (a tick never reads what arrives after its own moment)."""
        newest: dict[str, Reading] = {}
        # Only the paddy's registered level sensors steer it: a spare sensor in a shed or any
        # client of the broker naming the paddy in a topic is stored, never believed.
        query = (
            select(ReadingRow)
            .join(DeviceRow, col(DeviceRow.id) == col(ReadingRow.device_id))
            .where(
                col(DeviceRow.kind) == "sensor",
                col(DeviceRow.paddy_id) == col(ReadingRow.paddy_id),
                col(ReadingRow.metric) == Metric.WATER_LEVEL.value,
                col(ReadingRow.received_at) >= as_utc(since),
                col(ReadingRow.received_at) <= as_utc(until),
                col(ReadingRow.paddy_id).is_not(None),
            )
            .order_by(col(ReadingRow.device_time))
        )
        wanted = set(paddy_ids)
        with storage_errors(), Session(self._engine) as session:
            for row in session.exec(query):
                if row.paddy_id in wanted:
                    newest[row.paddy_id] = Reading(
                        device_id=row.device_id,
                        metric=Metric.WATER_LEVEL,
                        value=row.value,
                        device_time=aware(row.device_time),
                        received_at=aware(row.received_at),
                        paddy_id=row.paddy_id,
                    )
        return newest

    def rain_mm(
        self, paddy_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, float]:
        """Rain each paddy's gauge reported from ``since`` up to ``until`` (received), mm."""
        query = (
            select(ReadingRow.paddy_id, func.sum(ReadingRow.value))
            .join(DeviceRow, col(DeviceRow.id) == col(ReadingRow.device_id))
            .where(
                col(DeviceRow.kind) == "sensor",
                col(DeviceRow.paddy_id) == col(ReadingRow.paddy_id),
                col(ReadingRow.metric) == Metric.RAIN.value,
                col(ReadingRow.received_at) >= as_utc(since),
                col(ReadingRow.received_at) < as_utc(until),
            )
            .group_by(col(ReadingRow.paddy_id))
        )
        wanted = set(paddy_ids)
        with storage_errors(), Session(self._engine) as session:
            return {
                paddy_id: float(total)
                for paddy_id, total in session.exec(query)
                if paddy_id in wanted and total is not None
            }

    def keep(
        self, results: Sequence[tuple[ControlledPaddy, Decision]], acks: Sequence[GateAck]
    ) -> None:
        """One transaction: memories and modes, commands, alerts, mode changes, acks."""
        states = [
            {
                "pid": c.paddy.id,
                "mode": d.state.mode.value,
                "control_state": dump_state(d.state),
            }
            for c, d in results
        ]
        commands: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for controlled, decision in results:
            paddy_id = controlled.paddy.id
            for command in decision.commands:
                address = controlled.gates.get(command.role)
                commands.append(command_values(command, address.device if address else None))
                events.append(command_event(command, "controller"))
            for alert in decision.alerts:
                events.append(
                    event_values(
                        paddy_id,
                        alert.at,
                        "alert",
                        "controller",
                        alert.text_en,
                        {"kind": alert.kind.value, "severity": alert.severity.value},
                    )
                )
            before = self._modes.get(paddy_id)
            if before is not None and before is not decision.state.mode:
                events.append(
                    event_values(
                        paddy_id,
                        decision.state.at,
                        "mode",
                        "controller",
                        f"mode {before.value} → {decision.state.mode.value}",
                        {"from": before.value, "to": decision.state.mode.value},
                    )
                )
            self._modes[paddy_id] = decision.state.mode
        with storage_errors(), self._engine.begin() as connection:
            if states:
                connection.execute(
                    update(PaddyRow)
                    .where(col(PaddyRow.id) == bindparam("pid"))
                    .values(mode=bindparam("mode"), control_state=bindparam("control_state")),
                    states,
                )
            if commands:
                # A command id names the paddy, gate and instant: the same one again is the
                # same command (a tick replayed), kept once.
                connection.execute(insert_or_ignore(self._engine, GateCommandRow), commands)
            events += record_acks(connection, acks)
            if events:
                connection.execute(insert(EventRow), events)


class NotifierAlerts:
    """Alerts to the farmer through the notifier of the city app (and any other port)."""

    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    def alert(self, owner: str, alert: Alert) -> None:
        """Tell the paddy's owner, in Japanese and English."""
        self._notifier.notify(
            Notice(
                recipient=owner,
                mission_id=None,
                kind=f"water.{alert.kind.value}"[:30],
                text_ja=f"水田 {alert.paddy_id}: {alert.text_ja}",
                text_en=f"Paddy {alert.paddy_id}: {alert.text_en}",
            )
        )
