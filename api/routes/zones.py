"""No-spray and no-fly zones: everyone signed in reads them, operators and staff import them."""

from typing import Annotated, Any

import shapely.geometry
from fastapi import APIRouter, Depends, Query, UploadFile
from pydantic import BaseModel, Field

from api import registry
from api.accounts import Principal, Role
from api.deps import CurrentUser, ServicesDep, require
from api.errors import NotFound
from api.routes.common import Page, ProblemResponses, saved_upload
from api.routes.fields import ImportProblem
from fields import Restriction, ZoneKind, ZoneRecord

__all__ = ["router"]

router = APIRouter(prefix="/zones", tags=["zones"], responses=ProblemResponses)


class ZonePublic(BaseModel):
    """A zone: its kind (house, school, beehive, water, …), what it forbids, its buffer."""

    id: str
    kind: ZoneKind
    restriction: Restriction
    name: str
    buffer_m: float = Field(description="The zone's own buffer, else its kind's default.")
    geometry: dict[str, Any] = Field(description="GeoJSON geometry, WGS84 lon/lat.")


class ZoneImportResult(BaseModel):
    """What an upload did: the good zones are stored, the bad ones listed."""

    source: str
    created: list[str]
    updated: list[str]
    rejected: list[ImportProblem]


def _public(zone: ZoneRecord, buffers: dict[ZoneKind, float]) -> ZonePublic:
    return ZonePublic(
        id=zone.id,
        kind=zone.kind,
        restriction=zone.restriction,
        name=zone.name,
        buffer_m=zone.buffer_m if zone.buffer_m is not None else buffers.get(zone.kind, 0.0),
        geometry=shapely.geometry.mapping(zone.geometry),
    )


@router.get("", response_model=Page[ZonePublic], summary="List zones")
def list_zones(
    services: ServicesDep,
    caller: CurrentUser,
    kind: ZoneKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[ZonePublic]:
    """Zones by id, optionally of one kind."""
    rows = registry.list_zones(services.engine, kind=kind)
    buffers = services.settings.buffers_m
    return Page(
        data=[_public(z, buffers) for z in rows[offset : offset + limit]],
        count=len(rows),
        limit=limit,
        offset=offset,
    )


@router.get("/{zone_id}", response_model=ZonePublic, summary="Read a zone")
def read_zone(zone_id: str, services: ServicesDep, caller: CurrentUser) -> ZonePublic:
    """One zone."""
    for zone in registry.list_zones(services.engine):
        if zone.id == zone_id:
            return _public(zone, services.settings.buffers_m)
    raise NotFound(f"no zone with id {zone_id!r}")


@router.post("/import", response_model=ZoneImportResult, summary="Import a zone file")
def import_zones(
    file: UploadFile,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require(Role.OPERATOR, Role.CITY_ADMIN))],
    kind: Annotated[ZoneKind | None, Query(description="Kind of every zone in the file.")] = None,
    buffer_m: Annotated[float | None, Query(ge=0, le=1000)] = None,
) -> ZoneImportResult:
    """Import zones (any format fields/ reads); known ids are updated."""
    with saved_upload(file, default="zones.geojson") as path:
        report = registry.import_zones(
            services.engine,
            path,
            kind=kind,
            buffer_m=buffer_m,
            buffers_m=services.settings.buffers_m,
            clock=services.clock,
        )
    return ZoneImportResult(
        source=report.source,
        created=list(report.created),
        updated=list(report.updated),
        rejected=[ImportProblem(feature=p.feature, reason=p.reason) for p in report.rejected],
    )
