"""The payload's temperature on its way: the log cleaned, excursions found, a verdict.

A payload sensor (over MQTT or the vehicle link) reports readings; they may arrive late,
out of order and more than once (MQTT delivers at least once). :func:`clean_log` sorts them
and keeps one per instant. Between two readings the payload is taken to stay at the
temperature last read (as a data logger counts its intervals): a spell out of range runs
from the first reading outside the class's range (:attr:`TemperatureClass.range_c`, ends
included) to the first reading back inside it, or to the last reading when the log ends
outside.

The rule. A spell counts as an :class:`Excursion` only when it lasts *longer than*
``tolerance_s`` (120 s by default). Opening the box to load or hand over the parcel lets
warm air past the probe for a minute or so while the parcel itself, with its cold packs,
barely changes; counting those spikes would flag nearly every delivery and make the alert
worthless. Every spell still counts in :attr:`ColdChainSummary.out_of_range_s`, so the
proof of delivery shows them.

>>> from datetime import UTC, datetime, timedelta
>>> t0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
>>> log = [TemperatureReading(at=t0 + timedelta(minutes=m), temperature_c=c)
...        for m, c in [(0, 5.0), (10, 9.5), (11, 5.0), (20, 11.0), (26, 6.0)]]
>>> [(e.start.minute, e.minutes, e.worst_c) for e in excursions(log, TemperatureClass.COOL)]
[(20, 6.0, 11.0)]
>>> s = summary(log, TemperatureClass.COOL)
>>> s.verdict.value, s.out_of_range_s, s.min_c, s.max_c, s.mean_c
('excursion', 420.0, 5.0, 11.0, 7.3)
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from logistics.errors import BadRequest
from logistics.model import TemperatureClass

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "ColdChainSummary",
    "ColdChainVerdict",
    "Excursion",
    "TemperatureReading",
    "clean_log",
    "excursions",
    "summary",
]

DEFAULT_TOLERANCE_S = 120.0
"""How long a spell out of range may last before it is an excursion, s (a box opened)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TemperatureReading:
    """The payload's temperature at one instant, as its sensor read it.

    Raises
    ------
    BadRequest
        A time without a zone, or a temperature that is not a finite number.
    """

    at: datetime
    temperature_c: float

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise BadRequest(f"a temperature reading at {self.at.isoformat()} needs a time zone")
        value = self.temperature_c
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise BadRequest(
                f"the temperature at {self.at.isoformat()} is {self.temperature_c!r}, "
                "not a finite number of °C (a faulty or unplugged probe?)"
            )


@dataclass(frozen=True, kw_only=True, slots=True)
class Excursion:
    """A spell out of range longer than the tolerance.

    ``start`` is the first reading outside the range; ``end`` the first back inside, or
    the last reading when the log ends outside (then ``ongoing``); ``worst_c`` the
    reading farthest outside; ``minutes`` from ``start`` to ``end``.
    """

    start: datetime
    end: datetime
    worst_c: float
    minutes: float
    ongoing: bool = False


class ColdChainVerdict(StrEnum):
    """What the log says of the parcel's way."""

    IN_RANGE = "in_range"
    EXCURSION = "excursion"
    NO_READINGS = "no_readings"
    """Nothing to show: a missing log proves nothing either way."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ColdChainSummary:
    """A delivery's temperature log in figures, for its proof of delivery.

    ``mean_c`` is the mean of the readings (one per instant); ``out_of_range_s`` the time
    of every spell out of range, tolerated spikes included. The figures are None without
    readings.
    """

    temperature: TemperatureClass
    readings: int
    first_at: datetime | None
    last_at: datetime | None
    min_c: float | None
    max_c: float | None
    mean_c: float | None
    out_of_range_s: float
    excursions: tuple[Excursion, ...]
    verdict: ColdChainVerdict


def _outside_by_c(temperature_c: float, range_c: tuple[float, float]) -> float:
    """How far outside the range, °C; 0 inside (ends included)."""
    low, high = range_c
    return max(low - temperature_c, temperature_c - high, 0.0)


def clean_log(
    readings: Iterable[TemperatureReading], temperature: TemperatureClass
) -> tuple[TemperatureReading, ...]:
    """The readings in time order, one per instant.

    A repeated reading is kept once. Two different temperatures at the same instant (two
    sources, a sensor resending a corrected value) keep the one farther outside the range,
    then the warmer: the safe side, and the same answer whatever order they came in.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 6, 1, tzinfo=UTC)
    >>> a, b = (TemperatureReading(at=t, temperature_c=c) for c in (5.0, 9.0))
    >>> clean_log([a, b, a], TemperatureClass.COOL) == (b,)
    True
    """
    range_c = temperature.range_c
    kept: dict[datetime, TemperatureReading] = {}
    for reading in readings:
        before = kept.get(reading.at)
        if before is None or _rank(reading, range_c) > _rank(before, range_c):
            kept[reading.at] = reading
    return tuple(kept[at] for at in sorted(kept))


def _rank(reading: TemperatureReading, range_c: tuple[float, float]) -> tuple[float, float]:
    return _outside_by_c(reading.temperature_c, range_c), reading.temperature_c


def _spells(log: tuple[TemperatureReading, ...], range_c: tuple[float, float]) -> list[Excursion]:
    """Every spell out of range, however short (``log`` clean)."""
    spells: list[Excursion] = []
    spell: list[TemperatureReading] = []
    for reading in log:
        if _outside_by_c(reading.temperature_c, range_c) > 0:
            spell.append(reading)
        elif spell:
            spells.append(_spell(spell, reading.at, range_c, ongoing=False))
            spell = []
    if spell:
        spells.append(_spell(spell, log[-1].at, range_c, ongoing=True))
    return spells


def _spell(
    spell: list[TemperatureReading], end: datetime, range_c: tuple[float, float], *, ongoing: bool
) -> Excursion:
    worst = max(spell, key=lambda r: _outside_by_c(r.temperature_c, range_c))
    minutes = (end - spell[0].at).total_seconds() / 60.0
    return Excursion(
        start=spell[0].at, end=end, worst_c=worst.temperature_c, minutes=minutes, ongoing=ongoing
    )


def _check_tolerance(tolerance_s: float) -> None:
    if not (math.isfinite(tolerance_s) and tolerance_s >= 0):
        raise BadRequest(f"tolerance_s must be a number of seconds >= 0, not {tolerance_s!r}")


def excursions(
    readings: Iterable[TemperatureReading],
    temperature: TemperatureClass,
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> tuple[Excursion, ...]:
    """The spells out of ``temperature``'s range that last longer than ``tolerance_s``.

    Parameters
    ----------
    readings
        In any order, repeats allowed (see :func:`clean_log`).
    temperature
        The parcel's class, whose :attr:`~TemperatureClass.range_c` it must keep.
    tolerance_s
        A spell this long or shorter is a box opened, not an excursion, s.

    Raises
    ------
    BadRequest
        ``tolerance_s`` negative or not finite.
    """
    _check_tolerance(tolerance_s)
    spells = _spells(clean_log(readings, temperature), temperature.range_c)
    return tuple(s for s in spells if s.minutes * 60.0 > tolerance_s)


def summary(
    readings: Iterable[TemperatureReading],
    temperature: TemperatureClass,
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> ColdChainSummary:
    """The log in figures and its verdict: an excursion if any spell out of range lasted
    longer than ``tolerance_s``; in range otherwise; no readings, no verdict either way.

    Raises
    ------
    BadRequest
        ``tolerance_s`` negative or not finite.
    """
    _check_tolerance(tolerance_s)
    log = clean_log(readings, temperature)
    if not log:
        return ColdChainSummary(
            temperature=temperature, readings=0, first_at=None, last_at=None, min_c=None,
            max_c=None, mean_c=None, out_of_range_s=0.0, excursions=(),
            verdict=ColdChainVerdict.NO_READINGS,
        )  # fmt: skip
    spells = _spells(log, temperature.range_c)
    found = tuple(s for s in spells if s.minutes * 60.0 > tolerance_s)
    values = [r.temperature_c for r in log]
    return ColdChainSummary(
        temperature=temperature, readings=len(log), first_at=log[0].at, last_at=log[-1].at,
        min_c=min(values), max_c=max(values), mean_c=math.fsum(values) / len(values),
        out_of_range_s=math.fsum(s.minutes * 60.0 for s in spells), excursions=found,
        verdict=ColdChainVerdict.EXCURSION if found else ColdChainVerdict.IN_RANGE,
    )  # fmt: skip
