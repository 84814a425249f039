"""Open data: anonymous aggregates of Tanbo's work by district and month, for anyone (no
login), as CSV and GeoJSON under CC BY 4.0."""

import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from api.city_stats import (
    DATASETS,
    LICENCE,
    LICENCE_URL,
    CityFigures,
    Dataset,
    DatasetId,
    Key,
    Month,
    city_figures,
    dataset,
    describe,
    month_of,
    months_asked,
    suppressed,
    suppression_rule,
    to_csv,
    to_geojson,
)
from api.deps import Services, ServicesDep
from api.routes.city import MONTH_PATTERN
from api.routes.common import ProblemResponses

__all__ = ["Catalogue", "ColumnPublic", "DatasetPublic", "router"]

router = APIRouter(
    prefix="/open-data",
    tags=["open data"],
    responses={k: v for k, v in ProblemResponses.items() if k not in (401, 403)},
)

_DEFAULT_MIN_GROUP = 3
_DOCS = "\n\n".join(describe(d, _DEFAULT_MIN_GROUP) for d in DATASETS)
_PERIOD = (
    "`from` and `to` (YYYY-MM, Japan time, in either order) choose the months; by default "
    "the twelve complete months before this one; months after this one have no figures yet "
    "and are left out. The minimum group is the server's `open_data_min_group` (3 by "
    "default; `GET /open-data` gives this server's)."
)


class ColumnPublic(BaseModel):
    """A column of a dataset."""

    name: str = Field(examples=["sprayed_ha"])
    unit: str = Field(examples=["ha"])
    description: str


class DatasetPublic(BaseModel):
    """A dataset, what it holds and where to fetch it."""

    id: DatasetId
    title: str
    title_ja: str
    description: str
    parties: str = Field(description="Whose records the figures are made from.")
    columns: list[ColumnPublic]
    csv_url: str
    geojson_url: str


class Catalogue(BaseModel):
    """The open datasets and the terms they are published under."""

    licence: str = Field(examples=[LICENCE])
    licence_url: str
    min_group: int = Field(description="Figures made from fewer distinct parties are blank.")
    suppression: str
    datasets: list[DatasetPublic]


def _months(services: Services, first: str | None, last: str | None) -> list[Month]:
    """The months asked for, complete months only (by default the twelve before this one):
    a month still filling would let successive downloads tell one party's newest records
    apart, round the group-size blanking."""
    last_complete = month_of(services.clock.now()).previous()
    return months_asked(first, last, default_last=last_complete, latest=last_complete)


_FROM = Query(alias="from", pattern=MONTH_PATTERN, examples=["2025-04"],
              description="The first month (YYYY-MM); default 11 months before `to`.")  # fmt: skip
_TO = Query(alias="to", pattern=MONTH_PATTERN, examples=["2026-03"],
            description="The last month, included (YYYY-MM); default last month.")  # fmt: skip
_DATASET = PathParam(
    description="The dataset (see `GET /open-data`).", examples=["activity-by-district-month"]
)
_HEADERS = {"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"}


def _disposition(how: str, file_name: str) -> dict[str, str]:
    return {"Content-Disposition": f'{how}; filename="{file_name}"'}


@router.get("", response_model=Catalogue, summary="The open-data catalogue")
def catalogue(services: ServicesDep) -> Catalogue:
    """Every open dataset: its columns and units, whose records it counts, the suppression
    rule that keeps persons and single farms out of it, the licence (CC BY 4.0), and its
    CSV and GeoJSON addresses. No login needed."""
    base = services.settings.public_url.rstrip("/") + router.prefix
    k = services.settings.open_data_min_group
    return Catalogue(
        licence=LICENCE,
        licence_url=LICENCE_URL,
        min_group=k,
        suppression=suppression_rule(k),
        datasets=[
            DatasetPublic(
                id=d.id, title=d.title, title_ja=d.title_ja, description=describe(d, k),
                parties=d.parties,
                columns=[ColumnPublic(name=c.name, unit=c.unit, description=c.description)
                         for c in d.columns],
                csv_url=f"{base}/{d.id.value}.csv", geojson_url=f"{base}/{d.id.value}.geojson",
            )
            for d in DATASETS
        ],
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class _Table:
    data: Dataset
    figures: CityFigures
    blank: set[Key]

    def file_name(self, suffix: str) -> str:
        months = self.figures.months
        span = f"_{months[0]}_{months[-1]}" if months else ""
        return f"{self.data.id.value}{span}.{suffix}"


def _table(
    services: Services, dataset_id: DatasetId, first: str | None, last: str | None
) -> _Table:
    """The dataset's cells over the months asked for, and which are blank."""
    data = dataset(dataset_id)
    figures = city_figures(services, _months(services, first, last), grid=True)
    k = services.settings.open_data_min_group
    return _Table(
        data=data,
        figures=figures,
        blank=suppressed(figures.cells, groups=data.groups, min_group=k),
    )


@router.get(
    "/{dataset_id}.csv",
    summary="An open dataset as CSV",
    description=f"The dataset as CSV (UTF-8 with a BOM, a header row). {_PERIOD}\n\n{_DOCS}",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def dataset_csv(
    dataset_id: Annotated[DatasetId, _DATASET],
    services: ServicesDep,
    first: Annotated[str | None, _FROM] = None,
    last: Annotated[str | None, _TO] = None,
) -> Response:
    table = _table(services, dataset_id, first, last)
    text = to_csv(table.data, table.figures.cells, table.blank)
    return Response(
        content=text.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers=_HEADERS | _disposition("attachment", table.file_name("csv")),
    )


@router.get(
    "/{dataset_id}.geojson",
    summary="An open dataset as GeoJSON",
    description="The dataset as a GeoJSON FeatureCollection: one feature per district, its "
    "area as the geometry (null for a district outside the city's districts file: "
    "municipality codes, `unknown`), and as properties `district` and, for each month, "
    "`<column>_<YYYY-MM>` and `suppressed_<YYYY-MM>` (the CSV's rows side by side). "
    f"{_PERIOD}\n\n{_DOCS}",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def dataset_geojson(
    dataset_id: Annotated[DatasetId, _DATASET],
    services: ServicesDep,
    first: Annotated[str | None, _FROM] = None,
    last: Annotated[str | None, _TO] = None,
) -> Response:
    table = _table(services, dataset_id, first, last)
    months, k = table.figures.months, services.settings.open_data_min_group
    about = {
        "title": table.data.title, "title_ja": table.data.title_ja, "licence": LICENCE,
        "licence_url": LICENCE_URL, "months": [str(m) for m in months],
        "min_group": k, "suppression": suppression_rule(k),
    }  # fmt: skip
    collection = to_geojson(
        table.data, table.figures.cells, table.blank, table.figures.districts, about=about
    )
    return Response(
        content=json.dumps(collection, ensure_ascii=False).encode("utf-8"),
        media_type="application/geo+json",
        headers=_HEADERS | _disposition("inline", table.file_name("geojson")),
    )
