"""Fields: list, read, import a boundary file, change, delete.

A farmer sees and changes only their own fields (others' answer 404, as if absent);
operators read every field (they fly them); city staff read and change all.
"""

import json
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import shapely.geometry
from fastapi import APIRouter, Body, Depends, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from api import registry
from api.accounts import Principal, Role
from api.deps import CurrentUser, IfMatch, Services, ServicesDep, check_if_match, require
from api.errors import Conflict, Forbidden, NotFound
from api.routes.common import Page, ProblemResponses, VersionedResponses, saved_upload
from api.scheduling import MissionStatus, list_missions
from api.stamped import (
    Stamped,
    delete_field_checked,
    etag,
    get_field_stamped,
    page_fields,
    update_field_checked,
)
from core.ids import OwnerName
from core.units import m2_to_ha
from fields import FieldRecord

__all__ = ["router"]

router = APIRouter(prefix="/fields", tags=["fields"], responses=ProblemResponses)

_UNFINISHED = [
    MissionStatus.REQUESTED,
    MissionStatus.APPROVED,
    MissionStatus.SCHEDULED,
    MissionStatus.HELD,
    MissionStatus.DISPATCHED,
    MissionStatus.FLYING,
]
_READERS = (Role.FARMER, Role.OPERATOR, Role.CITY_ADMIN)
_WRITERS = (Role.FARMER, Role.CITY_ADMIN)


class FieldPublic(BaseModel):
    """A field as the API shows it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "kasai-0042",
                    "owner": "5f0c…",
                    "name": "北条町 2-14",
                    "crop": "rice",
                    "variety": "Koshihikari",
                    "transplanted_on": "2026-05-20",
                    "land_use": "paddy",
                    "municipality_code": "282200",
                    "area_ha": 0.31,
                    "perimeter_m": 236.0,
                    "geometry": {"type": "Polygon", "coordinates": [[[134.83, 34.92], "…"]]},
                    "created_at": "2026-04-01T00:00:00Z",
                    "updated_at": "2026-05-20T03:00:00Z",
                }
            ]
        }
    )

    id: str
    owner: str
    name: str
    crop: str | None
    variety: str | None
    transplanted_on: date | None
    land_use: str | None
    municipality_code: str | None
    area_ha: float
    perimeter_m: float
    geometry: dict[str, Any] = Field(description="GeoJSON geometry, WGS84 lon/lat.")
    created_at: datetime
    updated_at: datetime


class FieldChange(BaseModel):
    """What a field's owner may change; absent members stay as they are."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"crop": "rice", "transplanted_on": "2026-05-20"}]},
    )

    name: str | None = Field(default=None, min_length=1, max_length=500)
    crop: str | None = Field(default=None, max_length=200)
    variety: str | None = Field(default=None, max_length=200)
    transplanted_on: date | None = None


class ImportProblem(BaseModel):
    """A feature that was rejected or repaired."""

    feature: str
    reason: str


class ImportResult(BaseModel):
    """What an upload did: the good features are imported, the bad ones listed."""

    source: str
    format: str
    features: int
    created: list[str]
    updated: list[str]
    repaired: list[ImportProblem]
    rejected: list[ImportProblem]


def _public(stamped: Stamped[FieldRecord]) -> FieldPublic:
    f = stamped.record
    return FieldPublic(
        id=f.id,
        owner=f.owner,
        name=f.name,
        crop=f.crop,
        variety=f.variety,
        transplanted_on=f.transplanted_on,
        land_use=f.land_use.value if f.land_use else None,
        municipality_code=f.municipality_code,
        area_ha=round(m2_to_ha(f.area_m2), 4),
        perimeter_m=round(f.perimeter_m, 1),
        geometry=shapely.geometry.mapping(f.geometry),
        created_at=stamped.created_at,
        updated_at=stamped.updated_at,
    )


def _visible(caller: Principal, stamped: Stamped[FieldRecord]) -> Stamped[FieldRecord]:
    if caller.has(Role.OPERATOR, Role.CITY_ADMIN) or stamped.record.owner == caller.account_id:
        return stamped
    raise NotFound(f"no field with id {stamped.record.id!r}")


def _writable(caller: Principal, stamped: Stamped[FieldRecord]) -> Stamped[FieldRecord]:
    _visible(caller, stamped)
    if caller.has(Role.CITY_ADMIN) or stamped.record.owner == caller.account_id:
        return stamped
    raise Forbidden(f"field {stamped.record.id} belongs to someone else")


def _field_tag(stamped: Stamped[FieldRecord]) -> str:
    return etag("field", stamped.record.id, stamped.updated_at)


@router.get("", response_model=Page[FieldPublic], summary="List fields")
def list_fields(
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require(*_READERS))],
    owner: Annotated[str | None, Query(description="Only this owner's (staff).")] = None,
    crop: str | None = None,
    municipality_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[FieldPublic]:
    """Fields by id: a farmer's own; everyone's for operators and city staff."""
    if not caller.has(Role.OPERATOR, Role.CITY_ADMIN):
        owner = caller.account_id
    rows, total = page_fields(
        services.engine,
        owner=owner,
        crop=crop,
        municipality_code=municipality_code,
        limit=limit,
        offset=offset,
    )
    return Page(data=[_public(r) for r in rows], count=total, limit=limit, offset=offset)


@router.get("/{field_id}", response_model=FieldPublic, summary="Read a field")
def read_field(
    field_id: str,
    response: Response,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require(*_READERS))],
) -> FieldPublic:
    """One field; its ETag names this version for a later change."""
    stamped = _visible(caller, get_field_stamped(services.engine, field_id))
    response.headers["ETag"] = _field_tag(stamped)
    return _public(stamped)


@router.patch(
    "/{field_id}",
    response_model=FieldPublic,
    summary="Change a field",
    responses=VersionedResponses,
)
def change_field(
    field_id: str,
    change: FieldChange,
    response: Response,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require(*_WRITERS))],
    if_match: IfMatch = None,
) -> FieldPublic:
    """Change name, crop, variety or transplanting date; needs If-Match (the ETag read)."""
    current = _writable(caller, get_field_stamped(services.engine, field_id))
    check_if_match(if_match, _field_tag(current))
    changes = change.model_dump(exclude_unset=True)
    changed = update_field_checked(
        services.engine,
        field_id,
        changes,
        expected_updated_at=current.updated_at,
        clock=services.clock,
    )
    response.headers["ETag"] = _field_tag(changed)
    return _public(changed)


@router.delete(
    "/{field_id}", status_code=204, summary="Delete a field", responses=VersionedResponses
)
def delete_field(
    field_id: str,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require(*_WRITERS))],
    if_match: IfMatch = None,
) -> Response:
    """Delete a field; needs If-Match (the ETag read)."""
    current = _writable(caller, get_field_stamped(services.engine, field_id))
    check_if_match(if_match, _field_tag(current))
    pending, _ = list_missions(
        services.engine, owner=current.record.owner, status=_UNFINISHED, limit=10_000
    )
    using = [m for m in pending if field_id in m.field_ids]
    if using:
        m = using[0]
        raise Conflict(f"field {field_id} is in mission {m.id} ({m.status.value}); cancel it first")
    delete_field_checked(services.engine, field_id, expected_updated_at=current.updated_at)
    return Response(status_code=204)


def _owner_for(caller: Principal, owner: str | None) -> str:
    """Whose the imported fields are: a farmer's own; staff may name the farmer."""
    if caller.has(Role.CITY_ADMIN):
        return owner or caller.account_id
    if caller.has(Role.FARMER):
        if owner not in (None, caller.account_id):
            raise Forbidden("a farmer imports fields as their own")
        return caller.account_id
    raise Forbidden("this needs the role farmer, city_admin")


def _imported(services: Services, path: Path, owner: str, **given: Any) -> ImportResult:
    options = services.settings.import_options(owner=OwnerName(owner), **given)
    report = registry.import_fields(services.engine, path, options, clock=services.clock)
    return ImportResult(
        source=report.source,
        format=report.format,
        features=report.features,
        created=list(report.created),
        updated=list(report.updated),
        repaired=[ImportProblem(feature=p.feature, reason=p.reason) for p in report.repaired],
        rejected=[ImportProblem(feature=p.feature, reason=p.reason) for p in report.rejected],
    )


_Owner = Annotated[str | None, Query(description="Owner of every field (staff only).")]


@router.post("/import", response_model=ImportResult, summary="Import a boundary file")
def import_fields(
    file: UploadFile,
    services: ServicesDep,
    caller: CurrentUser,
    owner: _Owner = None,
    crop: str | None = None,
    variety: str | None = None,
    transplanted_on: date | None = None,
) -> ImportResult:
    """Import GeoJSON, GeoPackage, zipped Shapefile, FlatGeobuf, GeoParquet or KML.

    The good features are imported in one transaction; the bad ones are listed in
    ``rejected`` with the reason. A farmer's fields are always their own.
    """
    whose = _owner_for(caller, owner)
    with saved_upload(file, default="fields.geojson") as path:
        return _imported(
            services, path, whose, crop=crop, variety=variety, transplanted_on=transplanted_on
        )


@router.post("", response_model=ImportResult, summary="Register fields from GeoJSON")
def create_fields(
    body: Annotated[
        dict[str, Any],
        Body(
            description="A GeoJSON Feature or FeatureCollection (WGS84 lon/lat); "
            "properties id, name, crop, variety, transplanted_on as in a file.",
            examples=[
                {
                    "type": "Feature",
                    "properties": {"id": "kasai-0042", "name": "北条町 2-14", "crop": "rice"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [
                            [[134.83, 34.92], [134.831, 34.92], [134.831, 34.921], [134.83, 34.92]]
                        ],
                    },
                }
            ],
        ),
    ],
    services: ServicesDep,
    caller: CurrentUser,
    owner: _Owner = None,
) -> ImportResult:
    """Register (or update) fields given as GeoJSON, checked as an imported file is."""
    whose = _owner_for(caller, owner)
    if body.get("type") not in ("Feature", "FeatureCollection"):
        raise ValueError("the body must be a GeoJSON Feature or FeatureCollection")
    with tempfile.TemporaryDirectory(prefix="tanbo-body-") as folder:
        path = Path(folder) / "fields.geojson"
        path.write_text(json.dumps(body))
        return _imported(services, path, whose)
