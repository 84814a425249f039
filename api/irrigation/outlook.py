"""The weather a paddy's controller looks ahead at: forecast rain from the weather provider
the scheduler uses, and heavy-rain warnings (大雨警報) — those city staff declare for an area
through the API, and, failing one, a forecast heavy enough to count as one.

Both are read once per tick (a tick asks for every paddy at the same moment), so ten
thousand paddies cost one query and one forecast.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.db import as_utc, aware, storage_errors
from api.errors import NotFound
from api.irrigation.tables import WarningRow
from api.scheduling.weather import WeatherProvider
from core.geo import GeoPoint
from irrigation import Paddy

__all__ = [
    "ALL_AREAS",
    "DatabaseOutlook",
    "RainWarning",
    "active_warnings",
    "declare_warning",
    "end_warning",
]

ALL_AREAS = "*"


@dataclass(frozen=True, kw_only=True, slots=True)
class RainWarning:
    """A declared heavy-rain warning."""

    id: int
    area: str
    starts_at: datetime
    ends_at: datetime
    by: str
    reason: str


def _warning_of(row: WarningRow) -> RainWarning:
    return RainWarning(
        id=row.id or 0,
        area=row.area,
        starts_at=aware(row.starts_at),
        ends_at=aware(row.ends_at),
        by=row.by,
        reason=row.reason,
    )


def declare_warning(
    engine: Engine,
    *,
    area: str,
    starts_at: datetime,
    ends_at: datetime,
    by: str,
    reason: str = "",
    at: datetime,
) -> RainWarning:
    """Declare a heavy-rain warning for a farm (or ``*``: everywhere).

    Raises
    ------
    ValueError
        It ends before it starts.
    """
    if ends_at <= starts_at:
        raise ValueError("a warning must end after it starts")
    with storage_errors(), Session(engine) as session:
        row = WarningRow(
            area=area,
            starts_at=as_utc(starts_at),
            ends_at=as_utc(ends_at),
            by=by,
            reason=reason,
            created_at=as_utc(at),
        )
        session.add(row)
        session.commit()
        session.refresh(row)
        return _warning_of(row)


def active_warnings(engine: Engine, now: datetime) -> list[RainWarning]:
    """Warnings in force at ``now``, newest first."""
    query = (
        select(WarningRow)
        .where(col(WarningRow.starts_at) <= as_utc(now), col(WarningRow.ends_at) > as_utc(now))
        .order_by(col(WarningRow.starts_at).desc())
    )
    with storage_errors(), Session(engine) as session:
        return [_warning_of(row) for row in session.exec(query)]


def end_warning(engine: Engine, warning_id: int, *, at: datetime) -> RainWarning:
    """End a warning now (the paddies then let the stored water out slowly).

    Raises
    ------
    NotFound
        No such warning in force.
    """
    with storage_errors(), Session(engine) as session:
        row = session.get(WarningRow, warning_id)
        if row is None or aware(row.ends_at) <= at or aware(row.starts_at) > at:
            raise NotFound(f"no warning {warning_id} in force")
        row.ends_at = as_utc(at)
        session.add(row)
        session.commit()
        session.refresh(row)
        return _warning_of(row)


class DatabaseOutlook:
    """:class:`irrigation.runner.WeatherOutlook` from the declared warnings and a forecast.

    Parameters
    ----------
    place
        Where the forecast is asked for (one station serves a town's paddies).
    heavy_rain_mm_24h
        Forecast rain over the next 24 h that counts as a warning where none is declared.
    """

    def __init__(
        self,
        engine: Engine,
        weather: WeatherProvider | None,
        *,
        place: GeoPoint,
        heavy_rain_mm_24h: float = 80.0,
    ) -> None:
        self._engine = engine
        self._weather = weather
        self._place = place
        self._heavy_mm = heavy_rain_mm_24h
        self._at: datetime | None = None
        self._areas: set[str] = set()
        self._rain: dict[float, float] = {}

    def _refresh(self, now: datetime) -> None:
        if self._at == now:
            return
        self._at = now
        self._areas = {w.area for w in active_warnings(self._engine, now)}
        self._rain = {}

    def _rain_mm(self, now: datetime, hours: float) -> float:
        if hours not in self._rain:
            total = 0.0
            if self._weather is not None:
                end = now + timedelta(hours=hours)
                for hour in self._weather.forecast(self._place, now, end):
                    total += hour.precipitation_mm or 0.0
            self._rain[hours] = total
        return self._rain[hours]

    def forecast_rain_mm(self, paddy: Paddy, now: datetime, hours: float) -> float:
        """Rain forecast over the next ``hours``, mm."""
        self._refresh(now)
        return self._rain_mm(now, hours)

    def heavy_rain_warning(self, paddy: Paddy, now: datetime) -> bool:
        """A declared warning for the paddy's farm or everywhere, or a forecast that heavy."""
        self._refresh(now)
        if ALL_AREAS in self._areas or (paddy.farm or "") in self._areas:
            return True
        return self._rain_mm(now, 24.0) >= self._heavy_mm

    def areas(self) -> Sequence[str]:
        """The areas under a warning at the last refresh."""
        return sorted(self._areas)
