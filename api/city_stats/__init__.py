"""The city's view: Tanbo's work added up by month and district for city staff (the
dashboard) and, made anonymous, for everyone (open data).

Pure: :mod:`.months`, :mod:`.districts`, :mod:`.model` (facts and cells), :mod:`.water` (what
paddy records allow to be counted), :mod:`.aggregate`, :mod:`.suppress` (no person or farm
picked out) and :mod:`.open_data` (the datasets, CSV and GeoJSON). Reading the database:
:mod:`.reading` (missions, flight logs, deliveries) and :mod:`.reading_water` (paddies).
:mod:`.service` puts them together for the routes (``api/routes/city.py``,
``api/routes/open_data.py``).
"""

from api.city_stats.aggregate import (
    ALL_DISTRICTS,
    Facts,
    aggregate,
    month_totals,
)
from api.city_stats.districts import (
    NAME_PROPERTIES,
    UNKNOWN,
    District,
    DistrictMap,
    load_districts,
    read_districts,
)
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
from api.city_stats.months import (
    JST,
    Month,
    month_of,
    months_asked,
    months_between,
)
from api.city_stats.open_data import (
    DATASETS,
    LICENCE,
    LICENCE_URL,
    Column,
    Dataset,
    DatasetId,
    dataset,
    describe,
    suppression_rule,
    to_csv,
    to_geojson,
)
from api.city_stats.reading import (
    PlacedField,
    placed_fields,
    read_deliveries,
    read_flights,
    read_work,
)
from api.city_stats.reading_water import (
    WaterFacts,
    read_water,
)
from api.city_stats.service import (
    CityFigures,
    city_figures,
    districts_of,
    notes_on,
)
from api.city_stats.suppress import (
    Key,
    is_too_few,
    suppressed,
)
from api.city_stats.water import (
    HOUR,
    InletChange,
    ModeChange,
    dam_spans,
    flooding_need_m3_by_month,
    held_m3,
    inlet_m3_by_month,
)

__all__ = [
    "ALL_DISTRICTS",
    "DATASETS",
    "HOUR",
    "JST",
    "LICENCE",
    "LICENCE_URL",
    "NAME_PROPERTIES",
    "UNKNOWN",
    "AlertRaised",
    "Cell",
    "CityFigures",
    "Column",
    "DamEpisode",
    "Dataset",
    "DatasetId",
    "DeliveryDone",
    "DeliveryOutcome",
    "District",
    "DistrictMap",
    "Facts",
    "FlightDone",
    "Group",
    "InletChange",
    "Key",
    "ModeChange",
    "Month",
    "PlacedField",
    "WaterFacts",
    "WaterUse",
    "WorkDone",
    "WorkKind",
    "aggregate",
    "city_figures",
    "dam_spans",
    "dataset",
    "describe",
    "districts_of",
    "flooding_need_m3_by_month",
    "held_m3",
    "inlet_m3_by_month",
    "is_too_few",
    "load_districts",
    "month_of",
    "month_totals",
    "months_asked",
    "months_between",
    "notes_on",
    "placed_fields",
    "read_deliveries",
    "read_districts",
    "read_flights",
    "read_water",
    "read_work",
    "suppressed",
    "suppression_rule",
    "to_csv",
    "to_geojson",
]
