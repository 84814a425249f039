"""The open datasets: what each one holds, and how it is written (CSV, GeoJSON).

Values in, text out: the cells come from :func:`api.city_stats.aggregate.aggregate`, the
blanks from :func:`api.city_stats.suppress.suppressed`.
"""

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import shapely.geometry

from api.city_stats.districts import DistrictMap
from api.city_stats.model import Cell, Group
from api.city_stats.suppress import Key

__all__ = [
    "DATASETS",
    "LICENCE",
    "LICENCE_URL",
    "Column",
    "Dataset",
    "DatasetId",
    "dataset",
    "describe",
    "suppression_rule",
    "to_csv",
    "to_geojson",
]

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


class DatasetId(StrEnum):
    """The open datasets' names (the file names under ``/open-data``)."""

    ACTIVITY = "activity-by-district-month"
    DELIVERIES = "deliveries-by-district-month"
    PADDY_WATER = "paddy-water-by-district-month"


@dataclass(frozen=True, kw_only=True, slots=True)
class Column:
    """A figure of a dataset: its name, unit, meaning, and how it is read from a cell."""

    name: str
    unit: str
    description: str
    digits: int = 0
    """Decimal places written (0: a whole number)."""
    source: str = ""
    """The cell's attribute it is read from (default: its name)."""

    def read(self, cell: Cell) -> float | int | None:
        """Its value in a cell."""
        value: float | int | None = getattr(cell, self.source or self.name)
        return value


@dataclass(frozen=True, kw_only=True, slots=True)
class Dataset:
    """One published table: a row per district and month."""

    id: DatasetId
    title: str
    title_ja: str
    description: str
    groups: tuple[Group, ...]
    """Whose records the figures are made from: what suppression counts."""
    parties: str
    """Who the parties are, in words."""
    columns: tuple[Column, ...]


def _column(name: str, unit: str, description: str, **more: Any) -> Column:
    return Column(name=name, unit=unit, description=description, **more)


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        id=DatasetId.ACTIVITY,
        title="Drone work by district and month",
        title_ja="地区別・月別のドローン作業",
        description="Hectares sprayed and surveyed by completed missions (each field's "
        "registered area, once per completed mission), and flights with their hours from "
        "the flight logs (飛行日誌).",
        groups=(Group.SPRAY, Group.SURVEY, Group.FLIGHTS),
        parties="farmers (the owners of the missions' fields; the pilot, for a flight of no "
        "known mission)",
        columns=(
            _column(
                "sprayed_ha", "ha", "area of the fields of completed spraying missions", digits=2
            ),
            _column(
                "surveyed_ha", "ha", "area of the fields of completed survey missions", digits=2
            ),
            _column("flights", "flights", "finished flights in the flight logs"),
            _column("flight_h", "h", "their time in the air", digits=1),
        ),
    ),
    Dataset(
        id=DatasetId.DELIVERIES,
        title="Drone deliveries by district and month",
        title_ja="地区別・月別のドローン配送",
        description="Deliveries of medicine and food by the district of their drop point, in "
        "the month they ended: made (the recipient confirmed), failed, or flown back to the "
        "pharmacy.",
        groups=(Group.DELIVERIES_MADE, Group.DELIVERIES_FAILED, Group.DELIVERIES_RETURNED),
        parties="recipients",
        columns=(
            _column("deliveries_made", "deliveries", "confirmed by the recipient"),
            _column("deliveries_failed", "deliveries", "failed"),
            _column(
                "deliveries_returned", "deliveries", "flown back to the pharmacy with the parcel"
            ),
        ),
    ),
    Dataset(
        id=DatasetId.PADDY_WATER,
        title="Paddy water by district and month",
        title_ja="地区別・月別の水田水管理",
        description="Water let into automatically controlled paddies (estimated from each "
        "inlet's rated flow and the openings it was told: no flow is metered), the water "
        "saved against continuous flooding (blank where the city gives no 減水深 to compare "
        "with), storm water held in 田んぼダム mode, and the controller's alerts.",
        groups=(Group.WATER, Group.PADDY_DAM, Group.ALERTS),
        parties="farmers (the owners of the paddies)",
        columns=(
            _column(
                "watched_paddy_days",
                "paddy-days",
                "days with water-level readings, over the paddies",
            ),
            _column("inlet_water_m3", "m3", "water let in through the inlets (estimated)"),
            _column(
                "water_saved_m3",
                "m3",
                "continuous flooding's need (減水深 less recorded rain, on the "
                "watched days) less the inlet water; blank without a 減水深",
            ),
            _column(
                "paddy_dam_storage_m3",
                "m3",
                "storm water held: the level's rise in 田んぼダム mode",
            ),
            _column("paddy_dam_h", "h", "hours in 田んぼダム mode", digits=1),
            _column(
                "alerts",
                "alerts",
                "paddy alerts (level, sensor, gate, daily limit, 田んぼダム)",
                source="alert_count",
            ),
        ),
    ),
)
"""Every open dataset, by id."""


def dataset(dataset_id: DatasetId) -> Dataset:
    """The dataset of that id.

    Raises
    ------
    KeyError
        No such dataset.
    """
    for data in DATASETS:
        if data.id == dataset_id:
            return data
    raise KeyError(dataset_id)


def suppression_rule(min_group: int) -> str:
    """The suppression rule in words."""
    return (
        f"A cell is left blank (suppressed = true) when any of its figures is made from "
        f"fewer than {min_group} distinct parties; and wherever a month or a district would "
        "have exactly one blank cell, the cell beside it made from the fewest parties is "
        "blanked too, so that no blank can be worked out from a total."
    )


def describe(data: Dataset, min_group: int) -> str:
    """A dataset's documentation in Markdown: contents, columns, licence, suppression."""
    lines = [
        f"**{data.id}** — {data.title} ({data.title_ja}). {data.description}",
        "",
        "Columns: `month` (YYYY-MM, Japan time), `district` (from the city's districts "
        "file; without one the municipality code; `unknown` where no place is known), "
        + ", ".join(f"`{c.name}` ({c.unit}: {c.description})" for c in data.columns)
        + ", `suppressed` (true/false).",
        "",
        f"Parties: {data.parties}. {suppression_rule(min_group)}",
        "",
        f"Licence: [{LICENCE}]({LICENCE_URL}).",
    ]
    return "\n".join(lines)


def _value(column: Column, cell: Cell, blank: bool) -> float | int | None:
    value = None if blank else column.read(cell)
    if value is None or not math.isfinite(value):
        return None
    return round(value, column.digits) if column.digits else round(value)


def _rows(data: Dataset, cells: Sequence[Cell], blank: set[Key]) -> list[dict[str, Any]]:
    rows = []
    for cell in cells:
        hidden = (cell.month, cell.district) in blank
        row: dict[str, Any] = {"month": str(cell.month), "district": cell.district}
        row |= {c.name: _value(c, cell, hidden) for c in data.columns}
        rows.append(row | {"suppressed": hidden})
    return rows


def to_csv(data: Dataset, cells: Sequence[Cell], blank: set[Key]) -> str:
    """The dataset as CSV (header first; a blank value is empty)."""
    sink = io.StringIO()
    names = ["month", "district", *(c.name for c in data.columns), "suppressed"]
    writer = csv.DictWriter(sink, fieldnames=names, lineterminator="\r\n")
    writer.writeheader()
    for row in _rows(data, cells, blank):
        writer.writerow(
            {k: "" if v is None else str(v).lower() if isinstance(v, bool) else v
             for k, v in row.items()}
        )  # fmt: skip
    return sink.getvalue()


def to_geojson(
    data: Dataset,
    cells: Sequence[Cell],
    blank: set[Key],
    districts: DistrictMap,
    *,
    about: Mapping[str, Any],
) -> dict[str, Any]:
    """The dataset as a GeoJSON FeatureCollection: one feature per district, its area as the
    geometry (null for a district not in the districts file), and as properties its name
    and, for each month ``YYYY-MM``, ``<column>_<YYYY-MM>`` and ``suppressed_<YYYY-MM>``."""
    properties: dict[str, dict[str, Any]] = {}
    for row in _rows(data, cells, blank):
        month = row.pop("month")
        district = row.pop("district")
        wide = properties.setdefault(district, {"district": district})
        wide |= {f"{name}_{month}": value for name, value in row.items()}
    features = []
    for district, props in properties.items():
        area = districts.geometry_of(district)
        geometry = None if area is None else shapely.geometry.mapping(area)
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "name": data.id.value, **about, "features": features}
