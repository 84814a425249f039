"""Calendar months in Japan time: what the city's figures are counted by.

>>> june = Month.parse("2026-06")
>>> str(june), str(june.next()), june.start.isoformat()
('2026-06', '2026-07', '2026-06-01T00:00:00+09:00')
>>> [str(m) for m in months_between(Month.parse("2026-11"), Month.parse("2027-02"))]
['2026-11', '2026-12', '2027-01', '2027-02']
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["JST", "Month", "month_of", "months_asked", "months_between"]

JST = ZoneInfo("Asia/Tokyo")
"""Where the city's months are months."""

_PATTERN = re.compile(r"^(2\d{3})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, kw_only=True, slots=True, order=True)
class Month:
    """A calendar month in Japan time."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 2000 <= self.year <= 2999):
            raise ValueError(f"{self.year:04d}-{self.month:02d} is not a month Tanbo counts")

    @classmethod
    def parse(cls, text: str) -> "Month":
        """A month from ``YYYY-MM``.

        Raises
        ------
        ValueError
            ``text`` is not ``YYYY-MM`` with a month 01…12.
        """
        found = _PATTERN.match(text)
        if found is None:
            raise ValueError(f"{text!r} is not a month (YYYY-MM, e.g. 2026-06)")
        return cls(year=int(found[1]), month=int(found[2]))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> "Month":
        """The month after."""
        if self.month == 12:
            return Month(year=self.year + 1, month=1)
        return Month(year=self.year, month=self.month + 1)

    def previous(self) -> "Month":
        """The month before."""
        if self.month == 1:
            return Month(year=self.year - 1, month=12)
        return Month(year=self.year, month=self.month - 1)

    @property
    def start(self) -> datetime:
        """Its first instant, midnight in Japan on the 1st."""
        return datetime(self.year, self.month, 1, tzinfo=JST)

    @property
    def end(self) -> datetime:
        """The first instant of the next month (the month is ``[start, end)``)."""
        return self.next().start


def month_of(moment: datetime | date) -> Month:
    """The month (Japan time) of an aware time, or of a date already in Japan time.

    >>> from datetime import UTC
    >>> str(month_of(datetime(2026, 6, 30, 15, 30, tzinfo=UTC)))  # 00:30 on 1 July in Japan
    '2026-07'
    """
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError(f"{moment.isoformat()} has no time zone")
        moment = moment.astimezone(JST)
    return Month(year=moment.year, month=moment.month)


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last``, both included (given in either order)."""
    first, last = min(first, last), max(first, last)
    months = [first]
    while months[-1] < last:
        months.append(months[-1].next())
    return months


def _parse(name: str, text: str | None) -> Month | None:
    try:
        return None if text is None else Month.parse(text)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def months_asked(
    first: str | None,
    last: str | None,
    *,
    default_last: Month,
    latest: Month,
    default_count: int = 12,
) -> list[Month]:
    """The months a question asks for, ``from`` and ``to`` as ``YYYY-MM`` (either or both
    left out, in either order), none after ``latest`` (the current month: later ones have
    no figures yet). By default the ``default_count`` months up to ``default_last``; with
    only ``from``, up to ``default_last`` (or ``from`` itself if later); with only ``to``,
    the ``default_count`` months up to it.

    >>> june = Month.parse("2026-06")
    >>> [str(m) for m in months_asked("2026-05", None, default_last=june, latest=june)]
    ['2026-05', '2026-06']
    >>> [str(m) for m in months_asked("2026-04", "2026-09", default_last=june, latest=june)]
    ['2026-04', '2026-05', '2026-06']

    Raises
    ------
    ValueError
        ``from`` or ``to`` is not ``YYYY-MM``; the message names it.
    """
    start, end = _parse("from", first), _parse("to", last)
    if end is None:
        end = default_last if start is None or default_last >= start else start
    if start is None:
        start = end
        for _ in range(default_count - 1):
            if start.year == 2000 and start.month == 1:
                break  # the first month Tanbo counts
            start = start.previous()
    low, high = min(start, end), max(start, end)
    return [] if low > latest else months_between(low, min(high, latest))
