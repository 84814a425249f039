"""Adding the facts up by month and district: values in, values out.

>>> from api.city_stats.months import Month
>>> june = Month(year=2026, month=6)
>>> facts = Facts(work=(
...     WorkDone(month=june, district="北条", kind=WorkKind.SPRAY, area_ha=0.3, party="a"),
...     WorkDone(month=june, district="北条", kind=WorkKind.SPRAY, area_ha=0.3, party="a")))
>>> (cell,) = aggregate(facts, [june])
>>> cell.district, round(cell.sprayed_ha, 6), cell.sprayed_fields
('北条', 0.6, 2)
>>> sorted(cell.parties_of(Group.SPRAY))
['a']
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from api.city_stats.districts import UNKNOWN
from api.city_stats.model import (
    AlertRaised,
    Cell,
    DamEpisode,
    DeliveryDone,
    DeliveryOutcome,
    FlightDone,
    Group,
    WaterUse,
    WorkDone,
    WorkKind,
)
from api.city_stats.months import Month

__all__ = ["ALL_DISTRICTS", "Facts", "aggregate", "month_totals"]

ALL_DISTRICTS = "all"
"""The district of a month's city-wide total."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Facts:
    """Everything the figures are added up from."""

    work: Sequence[WorkDone] = ()
    flights: Sequence[FlightDone] = ()
    deliveries: Sequence[DeliveryDone] = ()
    water: Sequence[WaterUse] = ()
    dams: Sequence[DamEpisode] = ()
    alerts: Sequence[AlertRaised] = ()


@dataclass(kw_only=True, slots=True)
class _Sum:
    """A cell being added up."""

    numbers: dict[str, float] = field(default_factory=dict)
    need_m3: float | None = None
    saved_m3: float | None = None
    alerts: Counter[str] = field(default_factory=Counter)
    parties: dict[Group, set[str]] = field(default_factory=dict)

    def add(self, group: Group, party: str, **numbers: float) -> None:
        self.parties.setdefault(group, set()).add(party)
        for name, value in numbers.items():
            self.numbers[name] = self.numbers.get(name, 0.0) + value


_DELIVERY_FIGURES = {
    DeliveryOutcome.MADE: ("deliveries_made", Group.DELIVERIES_MADE),
    DeliveryOutcome.FAILED: ("deliveries_failed", Group.DELIVERIES_FAILED),
    DeliveryOutcome.RETURNED: ("deliveries_returned", Group.DELIVERIES_RETURNED),
}
_COUNTS = (
    "sprayed_fields", "surveyed_fields", "flights", "simulated_flights", "deliveries_made",
    "deliveries_failed", "deliveries_returned", "watched_paddy_days",
)  # fmt: skip


def _add_operations(sums: dict[tuple[Month, str], _Sum], facts: Facts) -> None:
    for w in facts.work:
        cell = sums.setdefault((w.month, w.district), _Sum())
        if w.kind is WorkKind.SPRAY:
            cell.add(Group.SPRAY, w.party, sprayed_ha=w.area_ha, sprayed_fields=1)
        else:
            cell.add(Group.SURVEY, w.party, surveyed_ha=w.area_ha, surveyed_fields=1)
    for f in facts.flights:
        cell = sums.setdefault((f.month, f.district), _Sum())
        simulated = 1.0 if f.simulated else 0.0
        cell.add(
            Group.FLIGHTS, f.party, flights=1, flight_h=f.flight_h, simulated_flights=simulated
        )
    for d in facts.deliveries:
        name, group = _DELIVERY_FIGURES[d.outcome]
        sums.setdefault((d.month, d.district), _Sum()).add(group, d.party, **{name: 1.0})


def _add_water(sums: dict[tuple[Month, str], _Sum], facts: Facts) -> None:
    for u in facts.water:
        cell = sums.setdefault((u.month, u.district), _Sum())
        cell.add(Group.WATER, u.party, inlet_water_m3=u.inlet_m3, watched_paddy_days=u.watched_days)
        if u.flooding_need_m3 is not None:
            cell.need_m3 = (cell.need_m3 or 0.0) + u.flooding_need_m3
            cell.saved_m3 = (cell.saved_m3 or 0.0) + u.flooding_need_m3 - u.inlet_m3
    for e in facts.dams:
        cell = sums.setdefault((e.month, e.district), _Sum())
        cell.add(Group.PADDY_DAM, e.party, paddy_dam_storage_m3=e.stored_m3, paddy_dam_h=e.hours)
    for a in facts.alerts:
        cell = sums.setdefault((a.month, a.district), _Sum())
        cell.add(Group.ALERTS, a.party)
        cell.alerts[a.kind] += 1


def _cell(month: Month, district: str, s: _Sum) -> Cell:
    numbers: dict[str, Any] = {
        name: round(value) if name in _COUNTS else value for name, value in s.numbers.items()
    }
    return Cell(
        month=month,
        district=district,
        **numbers,
        flooding_need_m3=s.need_m3,
        water_saved_m3=s.saved_m3,
        alerts=dict(sorted(s.alerts.items())),
        parties={g: frozenset(p) for g, p in sorted(s.parties.items())},
    )


def aggregate(
    facts: Facts, months: Sequence[Month], districts: Sequence[str] = (), *, fill: bool = False
) -> list[Cell]:
    """The cells of ``months`` that have facts (facts of other months are left out), by
    month, then in the order of ``districts``, then other districts by name, ``unknown``
    last. With ``fill``, every one of ``districts``, and every other district with a fact,
    has a cell in every month (zero where nothing happened), as a published table needs."""
    wanted = set(months)
    sums: dict[tuple[Month, str], _Sum] = {}
    _add_operations(sums, facts)
    _add_water(sums, facts)
    if fill:
        seen = {d for m, d in sums if m in wanted}
        for month in months:
            for district in {*districts, *seen}:
                sums.setdefault((month, district), _Sum())
    rank = {name: number for number, name in enumerate(districts)}

    def order(key: tuple[Month, str]) -> tuple[Month, int, int, str]:
        month, district = key
        if district in rank:
            return month, 0, rank[district], ""
        return month, 2 if district == UNKNOWN else 1, 0, district

    return [_cell(m, d, sums[(m, d)]) for m, d in sorted(sums, key=order) if m in wanted]


def _plus(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else a + b


def month_totals(cells: Sequence[Cell], months: Sequence[Month]) -> list[Cell]:
    """Each month's city-wide cell (district ``all``): the sums of its cells."""
    totals = {m: Cell(month=m, district=ALL_DISTRICTS) for m in months}
    for c in cells:
        t = totals[c.month]
        alerts = Counter(t.alerts)
        alerts.update(c.alerts)
        totals[c.month] = replace(
            t,
            **{name: getattr(t, name) + getattr(c, name) for name in _SUMMED},
            flooding_need_m3=_plus(t.flooding_need_m3, c.flooding_need_m3),
            water_saved_m3=_plus(t.water_saved_m3, c.water_saved_m3),
            alerts=dict(sorted(alerts.items())),
            parties={
                g: t.parties_of(g) | c.parties_of(g)
                for g in Group
                if t.parties_of(g) | c.parties_of(g)
            },
        )
    return [totals[m] for m in months]


_SUMMED = (
    "sprayed_ha", "surveyed_ha", "sprayed_fields", "surveyed_fields", "flights", "flight_h",
    "simulated_flights", "deliveries_made", "deliveries_failed", "deliveries_returned",
    "inlet_water_m3", "watched_paddy_days", "paddy_dam_storage_m3", "paddy_dam_h",
)  # fmt: skip
