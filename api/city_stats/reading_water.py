"""Reading the facts of paddy water from the database: inlet water, the days each paddy was
watched and the rain it recorded, 田んぼダム episodes and their levels, alerts.

What is counted, and what cannot be, is in :mod:`api.city_stats.water`. A paddy is in the
district of its field (``paddy.field_id``); a paddy of no field is ``unknown``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Engine, and_, func, or_
from sqlmodel import Session, col, select

from api.city_stats.districts import UNKNOWN, DistrictMap
from api.city_stats.model import AlertRaised, DamEpisode, WaterUse
from api.city_stats.months import JST, Month, month_of
from api.city_stats.reading import placed_fields
from api.city_stats.water import (
    HOUR,
    InletChange,
    ModeChange,
    dam_spans,
    flooding_need_m3_by_month,
    held_m3,
    inlet_m3_by_month,
)
from api.db import as_utc, aware, storage_errors
from api.irrigation.store import list_paddies
from api.irrigation.tables import EventRow, GateCommandRow, ReadingRow, WarningRow
from irrigation import Metric

__all__ = ["WaterFacts", "read_water"]


@dataclass(frozen=True, kw_only=True, slots=True)
class WaterFacts:
    """The paddy-water facts of a period."""

    water: Sequence[WaterUse]
    dams: Sequence[DamEpisode]
    alerts: Sequence[AlertRaised]
    rain_warnings: Mapping[Month, int]
    """Heavy-rain warnings (大雨警報) declared, by the month they began (city-wide)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class _Paddy:
    owner: str
    district: str
    area_m2: float
    inlet_flow_m3_h: float


def _opening(action: str, opening_pct: float) -> float:
    return opening_pct if action == "open" else 0.0


def _taken() -> ColumnElement[bool]:
    """Inlet commands a gate took: sent to a registered gate and not refused."""
    return and_(
        col(GateCommandRow.role) == "inlet",
        col(GateCommandRow.device_id).is_not(None),
        or_(col(GateCommandRow.ack_ok).is_(None), col(GateCommandRow.ack_ok).is_(True)),
    )


def _inlets(
    session: Session, start: datetime, end: datetime
) -> tuple[dict[str, float], dict[str, list[InletChange]]]:
    """Each paddy's inlet opening before ``start``, and its changes in ``[start, end)``."""
    last = (
        select(GateCommandRow.paddy_id, func.max(GateCommandRow.issued_at).label("at"))
        .where(_taken(), col(GateCommandRow.issued_at) < as_utc(start))
        .group_by(col(GateCommandRow.paddy_id))
        .subquery()
    )
    before = (
        select(GateCommandRow.paddy_id, GateCommandRow.action, GateCommandRow.opening_pct)
        .join(
            last,
            and_(
                col(GateCommandRow.paddy_id) == last.c.paddy_id,
                col(GateCommandRow.issued_at) == last.c.at,
            ),
        )
        .where(_taken())
    )
    opening = {pid: _opening(action, pct) for pid, action, pct in session.exec(before)}
    changes: dict[str, list[InletChange]] = {}
    during = (
        select(GateCommandRow.paddy_id, GateCommandRow.issued_at, GateCommandRow.action,
               GateCommandRow.opening_pct)
        .where(_taken(), col(GateCommandRow.issued_at) >= as_utc(start),
               col(GateCommandRow.issued_at) < as_utc(end))
        .order_by(col(GateCommandRow.issued_at))
    )  # fmt: skip
    for pid, at, action, pct in session.exec(during):
        changes.setdefault(pid, []).append(
            InletChange(at=aware(at), opening_pct=_opening(action, pct))
        )
    return opening, changes


def _days(start: datetime, end: datetime) -> list[date]:
    first, days = start.astimezone(JST).date(), []
    while datetime.combine(first, time(0), JST) < end:
        days.append(first)
        first += timedelta(days=1)
    return days


def _watched(
    session: Session, start: datetime, end: datetime, *, rain: bool
) -> dict[str, dict[date, float]]:
    """For each paddy, the days (Japan) some water-level reading arrived, with the rain its
    gauges recorded that day (mm; 0 unless ``rain``)."""
    watched: dict[str, dict[date, float]] = {}
    arrived = col(ReadingRow.received_at)
    first, last = session.execute(
        select(func.min(arrived), func.max(arrived)).where(
            col(ReadingRow.metric) == Metric.WATER_LEVEL.value,
            arrived >= as_utc(start),
            arrived < as_utc(end),
        )
    ).one()
    if first is None or last is None:
        return watched
    # Only the days between the first and last reading: a question over decades costs
    # what the records hold, not what it asks.
    for day in _days(aware(first), aware(last) + timedelta(microseconds=1)):
        since = datetime.combine(day, time(0), JST)
        until = since + timedelta(days=1)
        within = (
            col(ReadingRow.received_at) >= as_utc(since),
            col(ReadingRow.received_at) < as_utc(until),
            col(ReadingRow.paddy_id).is_not(None),
        )
        levels = (
            select(ReadingRow.paddy_id)
            .where(col(ReadingRow.metric) == Metric.WATER_LEVEL.value, *within)
            .distinct()
        )
        for (pid,) in session.execute(levels):
            watched.setdefault(pid, {})[day] = 0.0
        if rain:
            fallen = (
                select(ReadingRow.paddy_id, func.sum(ReadingRow.value))
                .where(col(ReadingRow.metric) == Metric.RAIN.value, *within)
                .group_by(col(ReadingRow.paddy_id))
            )
            for pid, mm in session.execute(fallen):
                if day in watched.get(pid, {}):
                    watched[pid][day] = float(mm or 0.0)
    return watched


def _level(
    session: Session,
    pid: str,
    *,
    before: datetime | None = None,
    during: tuple[datetime, datetime] | None = None,
    first_in: tuple[datetime, datetime] | None = None,
) -> float | None:
    """A paddy's water level: the last read at or before ``before``, the highest read
    ``during`` a span, or the first read in the span ``first_in``."""
    level = col(ReadingRow.value)
    where = [col(ReadingRow.paddy_id) == pid, col(ReadingRow.metric) == Metric.WATER_LEVEL.value]
    when = col(ReadingRow.device_time)
    if during is not None:
        where += [when >= as_utc(during[0]), when <= as_utc(during[1])]
        found = session.execute(select(func.max(level)).where(*where)).scalar()
    elif first_in is not None:
        where += [when >= as_utc(first_in[0]), when <= as_utc(first_in[1])]
        found = session.execute(select(level).where(*where).order_by(when).limit(1)).scalar()
    else:
        assert before is not None
        where.append(when <= as_utc(before))
        found = session.execute(select(level).where(*where).order_by(when.desc()).limit(1)).scalar()
    return None if found is None else float(found)


def _events(session: Session, kind: str, start: datetime, end: datetime) -> list[EventRow]:
    query = select(EventRow).where(
        col(EventRow.kind) == kind,
        col(EventRow.at) >= as_utc(start),
        col(EventRow.at) < as_utc(end),
    )
    return list(session.exec(query.order_by(col(EventRow.at), col(EventRow.id))))


def _uses(
    session: Session, paddies: dict[str, _Paddy], start: datetime, end: datetime,
    flooding_mm_day: float | None,
) -> list[WaterUse]:  # fmt: skip
    opening, changes = _inlets(session, start, end)
    watched = _watched(session, start, end, rain=flooding_mm_day is not None)
    uses: list[WaterUse] = []
    for pid, p in paddies.items():
        inlet = inlet_m3_by_month(
            changes.get(pid, []), inlet_flow_m3_h=p.inlet_flow_m3_h,
            opening_before_pct=opening.get(pid, 0.0), start=start, end=end,
        )  # fmt: skip
        days = watched.get(pid, {})
        need = None
        if flooding_mm_day is not None:
            need = flooding_need_m3_by_month(days, need_mm_day=flooding_mm_day, area_m2=p.area_m2)
        counted: dict[Month, int] = {}
        for day in days:
            counted[month_of(day)] = counted.get(month_of(day), 0) + 1
        for month in sorted(set(inlet) | set(counted)):
            uses.append(WaterUse(
                month=month, district=p.district, party=p.owner,
                inlet_m3=inlet.get(month, 0.0), watched_days=counted.get(month, 0),
                flooding_need_m3=None if need is None else need.get(month, 0.0),
            ))  # fmt: skip
    return uses


def _dams(
    session: Session, paddies: dict[str, _Paddy], start: datetime, end: datetime
) -> list[DamEpisode]:
    modes: dict[str, list[ModeChange]] = {}
    for e in _events(session, "mode", start, end):
        change = ModeChange(at=aware(e.at), from_mode=str(e.details.get("from", "")),
                            to_mode=str(e.details.get("to", "")))  # fmt: skip
        modes.setdefault(e.paddy_id, []).append(change)
    dams: list[DamEpisode] = []
    for pid, changes in modes.items():
        p = paddies.get(pid)
        area_m2 = p.area_m2 if p else 0.0
        for began, ended in dam_spans(changes, start=start, end=end):
            start_cm = _level(session, pid, before=began)
            if start_cm is None:  # no level before: the first one read in the episode
                start_cm = _level(session, pid, first_in=(began, ended))
            peak_cm = _level(session, pid, during=(began, ended))
            dams.append(DamEpisode(
                month=month_of(began), district=p.district if p else UNKNOWN,
                party=p.owner if p else f"paddy:{pid}",
                stored_m3=held_m3(start_cm=start_cm, peak_cm=peak_cm, area_m2=area_m2),
                hours=(ended - began) / HOUR,
            ))  # fmt: skip
    return dams


def read_water(
    engine: Engine,
    districts: DistrictMap,
    *,
    start: datetime,
    end: datetime,
    flooding_mm_day: float | None,
) -> WaterFacts:
    """The paddy-water facts of ``[start, end)`` (``end`` no later than now)."""
    stored = list_paddies(engine)
    field_ids = {p.paddy.field_id for p in stored if p.paddy.field_id}
    fields = placed_fields(engine, field_ids, districts)
    paddies = {
        p.paddy.id: _Paddy(
            owner=p.owner,
            district=fields[p.paddy.field_id].district if p.paddy.field_id in fields else UNKNOWN,
            area_m2=p.paddy.area_m2,
            inlet_flow_m3_h=p.paddy.inlet_flow_m3_h,
        )
        for p in stored
    }
    with storage_errors(), Session(engine) as session:
        uses = _uses(session, paddies, start, end, flooding_mm_day)
        dams = _dams(session, paddies, start, end)
        alerts = [
            AlertRaised(
                month=month_of(aware(e.at)),
                district=paddies[e.paddy_id].district if e.paddy_id in paddies else UNKNOWN,
                party=paddies[e.paddy_id].owner if e.paddy_id in paddies else f"paddy:{e.paddy_id}",
                kind=str(e.details.get("kind", "other")),
            )
            for e in _events(session, "alert", start, end)
        ]
        warnings: dict[Month, int] = {}
        began = col(WarningRow.starts_at)
        for (at,) in session.execute(
            select(began).where(began >= as_utc(start), began < as_utc(end))
        ):
            warnings[month_of(aware(at))] = warnings.get(month_of(aware(at)), 0) + 1
    return WaterFacts(water=uses, dams=dams, alerts=alerts, rain_warnings=warnings)
