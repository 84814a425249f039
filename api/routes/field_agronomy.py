"""A field's agronomy: vegetation indices on an image, their series across images, and
management zones. A farmer uses only their own fields and images; city staff all.

Index rasters are computed over the field on first use and kept with the image, so a
second question about the same field and image answers from them.
"""

import json
from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.accounts import Principal, Role
from api.agronomy import service, store
from api.agronomy.access import sees_everything, visible_field, visible_image
from api.deps import ServicesDep, require
from api.routes.common import ProblemResponses
from fields.agronomy.model import IndexStats
from fields.agronomy.zones_io import zone_map_document

__all__ = ["IndexGridPublic", "IndexName", "IndexStatsPublic", "router", "stats_public"]

router = APIRouter(prefix="/fields", tags=["agronomy"], responses=ProblemResponses)

Keepers = Annotated[Principal, Depends(require(Role.FARMER, Role.CITY_ADMIN))]


class IndexName(StrEnum):
    """The vegetation indices Tanbo computes (``fields.agronomy.indices.INDEX_NAMES``)."""

    NDVI = "NDVI"
    NDRE = "NDRE"
    GNDVI = "GNDVI"
    SAVI = "SAVI"
    OSAVI = "OSAVI"
    MSAVI2 = "MSAVI2"


class IndexStatsPublic(BaseModel):
    """An index over a field, pixels weighted by the share of them inside it; the figures
    are null when no pixel was valid (cloud, nodata)."""

    mean: float | None
    median: float | None
    std: float | None
    min: float | None
    max: float | None
    p10: float | None
    p25: float | None
    p75: float | None
    p90: float | None
    pixels: float = Field(description="Pixels covered (fractional at the edge).")
    valid_fraction: float = Field(description="Share of the covered pixels not masked.")


class FieldIndices(BaseModel):
    """A field's index statistics on one image."""

    field_id: str
    image_id: str
    image_date: date | None
    indices: dict[str, IndexStatsPublic]


class SeriesPointPublic(BaseModel):
    """A field's index on one image date."""

    image_id: str
    image_date: date
    stats: IndexStatsPublic


class FieldSeries(BaseModel):
    """A field's index across images, oldest first; ``problems`` names images left out."""

    field_id: str
    index: IndexName
    points: list[SeriesPointPublic]
    problems: list[str]


def stats_public(s: IndexStats) -> IndexStatsPublic:
    """Statistics with NaN (no valid pixel) as null."""

    def number(value: float) -> float | None:
        return None if value != value else value  # NaN is the only value unequal to itself

    return IndexStatsPublic(
        mean=number(s.mean),
        median=number(s.median),
        std=number(s.std),
        min=number(s.min),
        max=number(s.max),
        p10=number(s.p10),
        p25=number(s.p25),
        p75=number(s.p75),
        p90=number(s.p90),
        pixels=s.pixels,
        valid_fraction=s.valid_fraction,
    )


_ImageId = Annotated[str, Query(description="An uploaded image (POST /images).")]
_Indices = Annotated[list[IndexName] | None, Query(description="Repeatable; default NDVI.")]


@router.get("/{field_id}/indices", response_model=FieldIndices, summary="A field's indices")
def field_indices(
    field_id: str,
    services: ServicesDep,
    caller: Keepers,
    image_id: _ImageId,
    index: _Indices = None,
) -> FieldIndices:
    """Mean, median, spread and percentiles of each index over the field on the image."""
    field = service.field_shape(visible_field(services.engine, caller, field_id))
    image = visible_image(services.engine, caller, image_id)
    names = [i.value for i in dict.fromkeys(index or [IndexName.NDVI])]
    found = service.field_indices(services.settings.data_dir, image, field, names)
    return FieldIndices(
        field_id=field_id,
        image_id=image.id,
        image_date=image.image_date,
        indices={name: stats_public(s) for name, s in found.items()},
    )


@router.get(
    "/{field_id}/indices/series", response_model=FieldSeries, summary="A field's index over time"
)
def field_index_series(
    field_id: str,
    services: ServicesDep,
    caller: Keepers,
    index: Annotated[IndexName, Query(description="Which index.")] = IndexName.NDVI,
) -> FieldSeries:
    """The index over the field on each dated image over it (a farmer's own images; all for
    staff), oldest first; a date under cloud stays, with valid_fraction 0."""
    record = visible_field(services.engine, caller, field_id)
    owner = None if sees_everything(caller) else caller.account_id
    over, _ = store.list_images(services.engine, owner=owner, overlapping=record.geometry.bounds)
    points, problems = service.field_series(
        services.settings.data_dir, over, service.field_shape(record), index.value
    )
    return FieldSeries(
        field_id=field_id,
        index=index,
        points=[
            SeriesPointPublic(
                image_id=p.image.id, image_date=p.image_date, stats=stats_public(p.stats)
            )
            for p in points
        ],
        problems=problems,
    )


class IndexGridPublic(BaseModel):
    """A field's index pixel by pixel, on a grid aligned with longitude and latitude (an
    image a web map lays over ``bounds_wgs84``), north row first; null outside the field
    and where the image has no valid pixel."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "field_id": "B000",
                    "image_id": "0f8e2c1a-5b7d-4c3e-9a21-6d4f8b0e7c15",
                    "image_date": "2026-07-20",
                    "index": "NDVI",
                    "bounds_wgs84": [134.8391, 34.9281, 134.8395, 34.929],
                    "width_px": 3,
                    "height_px": 2,
                    "pixel_m": 0.5,
                    "values": [[None, 0.712, 0.745], [0.598, 0.631, None]],
                }
            ]
        }
    )

    field_id: str
    image_id: str
    image_date: date | None
    index: IndexName
    bounds_wgs84: tuple[float, float, float, float] = Field(
        description="west, south, east, north (WGS84 degrees): the field's bounds."
    )
    width_px: int
    height_px: int
    pixel_m: float = Field(description="The grid's pixel size on the ground, metres.")
    values: list[list[float | None]] = Field(description="height_px rows of width_px values.")


@router.get(
    "/{field_id}/indices/grid", response_model=IndexGridPublic, summary="A field's index pixels"
)
def field_index_grid(
    field_id: str,
    services: ServicesDep,
    caller: Keepers,
    image_id: _ImageId,
    index: Annotated[IndexName, Query(description="Which index.")] = IndexName.NDVI,
    max_px: Annotated[
        int, Query(ge=1, le=1000, description="The most pixels a side; coarser beyond.")
    ] = 400,
) -> IndexGridPublic:
    """The index over the field pixel by pixel (nearest pixel, at about the image's own
    pixel size unless that exceeds max_px), for drawing it on a map."""
    field = service.field_shape(visible_field(services.engine, caller, field_id))
    image = visible_image(services.engine, caller, image_id)
    grid = service.field_index_grid(
        services.settings.data_dir, image, field, index=index.value, max_px=max_px
    )
    rows = [
        [None if v != v else round(float(v), 4) for v in row]  # NaN: no value there
        for row in grid.values.tolist()
    ]
    return IndexGridPublic(
        field_id=field_id,
        image_id=image.id,
        image_date=image.image_date,
        index=index,
        bounds_wgs84=(grid.west_deg, grid.south_deg, grid.east_deg, grid.north_deg),
        width_px=grid.values.shape[1],
        height_px=grid.values.shape[0],
        pixel_m=round(grid.pixel_m, 3),
        values=rows,
    )


_ZONES_EXAMPLE = {
    "type": "FeatureCollection",
    "index": "NDVI",
    "image_date": "2026-07-20",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[[134.8391, 34.9281], "…"]]},
            "properties": {"field_id": "B000", "zone": 1, "index": "NDVI", "area_m2": 812.5},
        }
    ],
}


@router.get(
    "/{field_id}/zones",
    summary="A field's management zones",
    response_class=Response,
    responses={
        200: {
            "description": "GeoJSON FeatureCollection (WGS84), a feature per zone, zone 1 "
            "the lowest index, with the index statistics of each.",
            "content": {"application/geo+json": {"example": _ZONES_EXAMPLE}},
        }
    },
)
def field_zones(
    field_id: str,
    services: ServicesDep,
    caller: Keepers,
    image_id: _ImageId,
    index: Annotated[IndexName, Query(description="Which index to zone by.")] = IndexName.NDVI,
    zones: Annotated[int, Query(ge=1, le=10, description="How many zones to aim for.")] = 3,
    min_zone_area_m2: Annotated[
        float, Query(ge=0, le=1_000_000, description="Smaller patches join a neighbour.")
    ] = 200.0,
) -> Response:
    """The field split into zones of like index on the image, tiling the part it covers."""
    field = service.field_shape(visible_field(services.engine, caller, field_id))
    image = visible_image(services.engine, caller, image_id)
    zone_map = service.field_zones(
        services.settings.data_dir,
        image,
        field,
        index=index.value,
        n_zones=zones,
        min_zone_area_m2=min_zone_area_m2,
    )
    text = json.dumps(zone_map_document(zone_map), ensure_ascii=False, allow_nan=False)
    return Response(content=text, media_type="application/geo+json")
