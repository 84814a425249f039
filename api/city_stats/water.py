"""Paddy water as the records allow it to be counted: values in, values out.

- **Inlet water** is not metered (no flow meter reading is stored): it is the inlet's rated
  flow (``Paddy.inlet_flow_m3_h``) times the opening the gate was told, over the time it
  was told it — what the controller itself counts against a daily limit. A command the gate
  refused, or sent with no gate registered, moved nothing and is left out.
- **Continuous flooding** is not recorded either (no paddy is flooded to compare): its
  need is the city's planning figure of 減水深, the depth a flooded paddy loses a day to
  evapotranspiration and percolation (``continuous_flooding_mm_day``), less the rain the
  paddy's own gauge recorded that day, on each day the paddy was *watched* (some water
  level reading arrived). Without that figure there is nothing honest to compare with, and
  no saving is given.
- **田んぼダム storage** is the rise of the water during an episode: the highest level
  read while the paddy was in paddy-dam mode less the level when it began, over the
  paddy's area.

>>> from datetime import UTC, datetime
>>> t = datetime(2026, 6, 10, 0, 0, tzinfo=UTC)
>>> changes = [InletChange(at=t, opening_pct=100.0), InletChange(at=t + HOUR, opening_pct=0.0)]
>>> inlet_m3_by_month(changes, inlet_flow_m3_h=25.0, opening_before_pct=0.0,
...                   start=t - HOUR, end=t + 3 * HOUR)
{Month(year=2026, month=6): 25.0}
>>> held_m3(start_cm=4.0, peak_cm=9.0, area_m2=3000.0)
150.0
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from api.city_stats.months import Month, month_of

__all__ = [
    "HOUR",
    "InletChange",
    "ModeChange",
    "dam_spans",
    "flooding_need_m3_by_month",
    "held_m3",
    "inlet_m3_by_month",
]

HOUR = timedelta(hours=1)
_PADDY_DAM = "paddy_dam"


@dataclass(frozen=True, kw_only=True, slots=True)
class InletChange:
    """The inlet told to open to ``opening_pct`` (0: close) at ``at``."""

    at: datetime
    opening_pct: float


@dataclass(frozen=True, kw_only=True, slots=True)
class ModeChange:
    """A paddy's control mode changed at ``at``."""

    at: datetime
    from_mode: str
    to_mode: str


def _split_by_month(start: datetime, end: datetime) -> Iterable[tuple[Month, float]]:
    """``[start, end)`` as hours in each month (Japan time)."""
    while start < end:
        month = month_of(start)
        stop = min(end, month.end)
        yield month, (stop - start) / HOUR
        start = stop


def inlet_m3_by_month(
    changes: Sequence[InletChange],
    *,
    inlet_flow_m3_h: float,
    opening_before_pct: float,
    start: datetime,
    end: datetime,
) -> dict[Month, float]:
    """Water let in through an inlet from ``start`` to ``end``, m³ by month.

    ``changes`` are the commands the gate took, in time order; ``opening_before_pct`` is
    the opening it was last told before ``start`` (0 if closed or never told).
    """
    totals: dict[Month, float] = {}
    opening, since = opening_before_pct, start
    for change in [*sorted(changes, key=lambda c: c.at), InletChange(at=end, opening_pct=0.0)]:
        at = min(max(change.at, start), end)
        if opening > 0 and at > since:
            for month, hours in _split_by_month(since, at):
                m3 = inlet_flow_m3_h * opening / 100.0 * hours
                totals[month] = totals.get(month, 0.0) + m3
        opening, since = change.opening_pct, max(since, at)
    return totals


def flooding_need_m3_by_month(
    watched: Mapping[date, float], *, need_mm_day: float, area_m2: float
) -> dict[Month, float]:
    """What a continuously flooded paddy of ``area_m2`` takes on the watched days, m³ by
    month: ``need_mm_day`` less each day's recorded rain (never below 0).

    ``watched`` maps each watched day (Japan time) to the rain recorded that day, mm.

    >>> flooding_need_m3_by_month({date(2026, 6, 1): 0.0, date(2026, 6, 2): 30.0},
    ...                           need_mm_day=20.0, area_m2=1000.0)
    {Month(year=2026, month=6): 20.0}
    """
    totals: dict[Month, float] = {}
    for day, rain_mm in watched.items():
        month = month_of(day)
        need = max(0.0, need_mm_day - rain_mm) / 1000.0 * area_m2
        totals[month] = totals.get(month, 0.0) + need
    return totals


def dam_spans(
    changes: Sequence[ModeChange], *, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The 田んぼダム episodes that began in ``[start, end)``, each ``(began, ended)``; one
    still going at ``end`` ends there.

    >>> from datetime import UTC
    >>> t = datetime(2026, 6, 10, tzinfo=UTC)
    >>> spans = dam_spans([ModeChange(at=t, from_mode="auto", to_mode="paddy_dam"),
    ...                    ModeChange(at=t + 6 * HOUR, from_mode="paddy_dam", to_mode="auto")],
    ...                   start=t - HOUR, end=t + 24 * HOUR)
    >>> [(b - t) / HOUR for b, e in spans], [(e - b) / HOUR for b, e in spans]
    ([0.0], [6.0])
    """
    spans: list[tuple[datetime, datetime]] = []
    began: datetime | None = None
    for change in sorted(changes, key=lambda c: c.at):
        if change.to_mode == _PADDY_DAM and began is None:
            began = change.at
        elif change.from_mode == _PADDY_DAM and change.to_mode != _PADDY_DAM and began:
            if start <= began < end:
                spans.append((began, min(change.at, end)))
            began = None
    if began is not None and start <= began < end:
        spans.append((began, end))
    return spans


def held_m3(*, start_cm: float | None, peak_cm: float | None, area_m2: float) -> float:
    """Storm water a paddy held: its level's rise over its area, m³ (0 without levels)."""
    if start_cm is None or peak_cm is None:
        return 0.0
    return max(0.0, peak_cm - start_cm) / 100.0 * area_m2
