"""The water a paddy really got, for the season's forecast: from the inlet commands Tanbo's
own controller (``irrigation``) sent and the gates acknowledged.

A paddy under Tanbo's control is registered for a field; its inlet's open and close
commands, with the inlet's flow, give the water let in, hour by hour, summed per day (Japan
time) and spread over the paddy's area as mm. A season whose commands stop before its end
(a forecast made mid-season) is run with the controller's own aim instead, the ponded
management of ``PADDY_WATER``: a schedule that simply stops would starve the crop.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.db import aware
from api.irrigation.paddies import StoredPaddy, list_paddies
from api.irrigation.tables import GateCommandRow
from fields.agronomy.season_inputs import IrrigationSchedule
from irrigation import GateAction, GateRole

__all__ = ["PaddyWater", "paddy_water"]

_JST = ZoneInfo("Asia/Tokyo")
_SEASON_DAYS = 180
"""Inlet water counted from transplanting on: a rice season, never the next year's."""
_MAX_MM_DAY = 500.0
"""A day's water is capped where the season model's schedule stops believing it."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PaddyWater:
    """What Tanbo knows of a field's paddy: its transplanting and the water it let in."""

    paddy_id: str
    transplanted_on: date | None
    schedule: IrrigationSchedule | None
    """mm per day from the inlet commands the gate acknowledged as done, from transplanting
    on; None when there were none."""
    last_day: date | None
    """The last day the schedule covers."""


def paddy_water(engine: Engine, field_id: str) -> PaddyWater | None:
    """The paddy registered for ``field_id`` and its inlet water, or None if there is none."""
    paddies = [p for p in list_paddies(engine) if p.paddy.field_id == field_id]
    if not paddies:
        return None
    stored = paddies[0]
    with Session(engine) as session:
        rows = session.exec(
            select(GateCommandRow)
            .where(GateCommandRow.paddy_id == stored.paddy.id)
            .where(GateCommandRow.role == GateRole.INLET.value)
            .where(col(GateCommandRow.ack_ok).is_(True))
            .order_by(col(GateCommandRow.issued_at))
        ).all()
    first = stored.paddy.transplanted_on
    commands = [(aware(r.issued_at), r.action, r.opening_pct) for r in rows]
    mm = {
        day: min(value, _MAX_MM_DAY)
        for day, value in _mm_by_day(stored, commands).items()
        if first is None or first <= day <= first + timedelta(days=_SEASON_DAYS)
    }
    return PaddyWater(
        paddy_id=stored.paddy.id,
        transplanted_on=stored.paddy.transplanted_on,
        schedule=IrrigationSchedule.from_mapping(mm) if mm else None,
        last_day=max(mm) if mm else None,
    )


def _mm_by_day(
    stored: StoredPaddy, commands: list[tuple[datetime, str, float]]
) -> dict[date, float]:
    """Open → close spans of the inlet, as mm per Japan-time day over the paddy."""
    flow_m3_h, area_m2 = stored.paddy.inlet_flow_m3_h, stored.paddy.area_m2
    mm: dict[date, float] = {}
    opened: tuple[datetime, float] | None = None
    for at, action, pct in commands:
        if opened is not None:
            _add(mm, opened[0], at, flow_m3_h * opened[1] / 100.0, area_m2)
            opened = None
        if action == GateAction.OPEN.value and pct > 0:
            opened = (at, pct)
    return mm


def _add(
    mm: dict[date, float], start: datetime, end: datetime, m3_h: float, area_m2: float
) -> None:
    here = start.astimezone(_JST)
    stop = end.astimezone(_JST)
    while here < stop:
        midnight = datetime.combine(here.date() + timedelta(days=1), datetime.min.time(), _JST)
        piece_end = min(midnight, stop)
        hours = (piece_end - here).total_seconds() / 3600.0
        mm[here.date()] = mm.get(here.date(), 0.0) + m3_h * hours / area_m2 * 1000.0
        here = piece_end
