"""The city's figures for a span of months: the districts, the database reads and the
aggregation put together (what the dashboard and the open data routes call)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from api.city_stats.aggregate import Facts, aggregate, month_totals
from api.city_stats.districts import DistrictMap, load_districts
from api.city_stats.model import Cell
from api.city_stats.months import Month
from api.city_stats.reading import read_deliveries, read_flights, read_work
from api.city_stats.reading_water import read_water
from api.deps import Services

__all__ = ["CityFigures", "city_figures", "districts_of", "notes_on"]

_CACHE = "city_stats.districts"


@dataclass(frozen=True, kw_only=True, slots=True)
class CityFigures:
    """Every cell of the months asked for, each month's city-wide total, and the districts."""

    months: Sequence[Month]
    cells: Sequence[Cell]
    totals: Sequence[Cell]
    rain_warnings: Mapping[Month, int]
    districts: DistrictMap


def districts_of(services: Services) -> DistrictMap:
    """The districts of the settings' ``districts_file``, read once per change of the file.

    Raises
    ------
    ConfigError
        The file cannot be read or is not a districts file.
    """
    path = services.settings.districts_file
    if path is None:
        return DistrictMap()
    try:
        stamp = (str(path), path.stat().st_mtime_ns)
    except OSError:
        stamp = (str(path), -1)
    cached = services.extras.get(_CACHE)
    if cached is not None and cached[0] == stamp:
        districts: DistrictMap = cached[1]
        return districts
    districts = load_districts(path)
    services.extras[_CACHE] = (stamp, districts)
    return districts


def city_figures(services: Services, months: Sequence[Month], *, grid: bool) -> CityFigures:
    """The figures of ``months`` (in order, none skipped; maybe none) up to now.

    With ``grid``, every district (of the districts file, or with a fact) has a cell in
    every month (zero where nothing happened), as a published table needs; otherwise only
    the cells with facts.
    """
    districts = districts_of(services)
    if not months:
        return CityFigures(months=(), cells=(), totals=(), rain_warnings={}, districts=districts)
    start = months[0].start
    end = min(months[-1].end, services.clock.now())
    engine = services.engine
    if end > start:
        water = read_water(
            engine,
            districts,
            start=start,
            end=end,
            flooding_mm_day=services.settings.continuous_flooding_mm_day,
        )
        facts = Facts(
            work=read_work(engine, districts, start=start, end=end),
            flights=read_flights(engine, districts, start=start, end=end),
            deliveries=read_deliveries(engine, districts, start=start, end=end),
            water=water.water,
            dams=water.dams,
            alerts=water.alerts,
        )
        warnings = water.rain_warnings
    else:
        facts, warnings = Facts(), {}
    cells = aggregate(facts, months, districts.names, fill=grid)
    return CityFigures(
        months=months,
        cells=cells,
        totals=month_totals(cells, months),
        rain_warnings=dict(warnings),
        districts=districts,
    )


def notes_on(services: Services) -> list[str]:
    """What the figures are made from, and what they cannot say, in words."""
    districts = services.settings.districts_file
    notes = [
        (
            f"Districts from {districts.name}: a field is in the district holding its "
            "centroid, a flight in that of its take-off, a delivery in that of its drop point."
            if districts
            else "No districts file: fields are grouped by their municipality code; "
            "deliveries and flights of no known mission are 'unknown'."
        ),
        "Hectares: the registered area of each field of each mission completed in the month, "
        "once per completion (a field sprayed twice counts twice); failed and aborted "
        "missions, and flights outside the scheduler, add no hectares.",
        "Flights and hours: the finished flight logs (飛行日誌) dated in the month; "
        "simulator flights are included and also counted apart.",
        "Deliveries: in the month confirmed (made), failed, or returned to the pharmacy.",
        "Inlet water is estimated from each inlet's rated flow and the openings it was told "
        "(no flow meter is read); refused commands are left out.",
        "田んぼダム storage: the rise of the water level while in paddy-dam mode, over the "
        "paddy's area, for episodes that began in the month.",
    ]
    need = services.settings.continuous_flooding_mm_day
    if need is None:
        notes.append(
            "Water saved is not given: no paddy is flooded continuously to compare with, and "
            "no 減水深 is configured (continuous_flooding_mm_day); only inlet water is counted."
        )
    else:
        notes.append(
            f"Water saved: continuous flooding's need ({need:g} mm/day of 減水深, less the rain "
            "each paddy's gauge recorded) on the days the paddy sent water levels, less the "
            "inlet water."
        )
    return notes
