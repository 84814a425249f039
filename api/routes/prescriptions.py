"""Fertiliser prescriptions: management zones of a field on an image, an N rule and a
product, turned into a rate per zone; stored as computed, and downloaded as the files
spreaders, drones and GIS load (GeoJSON, Shapefile, GeoPackage, a GeoTIFF grid, ISOXML).

A farmer makes and reads only their own; operators read every one (they fly them); city
staff make and read all.
"""

import uuid
import zipfile
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.accounts import Principal, Role
from api.agronomy import service, store
from api.agronomy.access import visible_field, visible_image, visible_prescription
from api.agronomy.jobs import budget_for, edited_rule, write_prescription_files
from api.agronomy.store import StoredPrescription
from api.deps import ServicesDep, require
from api.routes.common import Page, ProblemResponses, safe_upload_name
from api.routes.field_agronomy import IndexName
from fields.agronomy.prescription import NITROGEN_RULES
from fields.agronomy.products import PRODUCTS, product_named

__all__ = ["PrescriptionFormat", "router"]

router = APIRouter(prefix="/prescriptions", tags=["agronomy"], responses=ProblemResponses)

_Makers = Annotated[Principal, Depends(require(Role.FARMER, Role.CITY_ADMIN))]
_Readers = Annotated[Principal, Depends(require(Role.FARMER, Role.OPERATOR, Role.CITY_ADMIN))]


class PrescriptionCreate(BaseModel):
    """Zones of a field on an image and how to dose them. Unset rule figures are the
    preset's; a rule given its own ``target_index`` applies to the ``index`` asked for."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "field_id": "B000",
                    "image_id": "0f8e2c1a-5b7d-4c3e-9a21-6d4f8b0e7c15",
                    "zones": 3,
                    "product": "硫安",
                    "rule": "rice_panicle",
                    "budget_n_kg": 8,
                }
            ]
        },
    )

    field_id: str = Field(min_length=1, max_length=200)
    image_id: str = Field(min_length=1, max_length=36)
    index: IndexName = IndexName.NDVI
    zones: int = Field(default=3, ge=1, le=10, description="How many zones to aim for.")
    min_zone_area_m2: float = Field(default=200.0, ge=0, le=1_000_000)
    product: str = Field(default="硫安", max_length=200, description=", ".join(PRODUCTS))
    rule: str = Field(default="rice_panicle", max_length=100, description=", ".join(NITROGEN_RULES))
    target_index: float | None = Field(default=None, ge=-1, le=1)
    base_n_kg_ha: float | None = Field(default=None, ge=0, le=1000)
    response_kg_ha_per_unit: float | None = Field(default=None, ge=-10_000, le=10_000)
    min_n_kg_ha: float | None = Field(default=None, ge=0, le=1000)
    max_n_kg_ha: float | None = Field(default=None, ge=0, le=1000)
    budget_n_kg: float | None = Field(default=None, ge=0, description="Most kg N for the field.")
    budget_product: float | None = Field(
        default=None, ge=0, description="Most product for the field, kg (solid) or L (liquid)."
    )
    rate_step: float = Field(default=0.1, gt=0, le=1000, description="The machine's rate step.")


class BudgetPublic(BaseModel):
    """The most the field may get: one of the three is set."""

    n_kg: float | None
    product_kg: float | None
    product_l: float | None


class RulePublic(BaseModel):
    """The N rule as used: kg N/ha = base + response × (target − zone mean), within limits."""

    name: str
    index: str
    target_index: float
    base_n_kg_ha: float
    response_kg_ha_per_unit: float
    min_n_kg_ha: float
    max_n_kg_ha: float
    budget: BudgetPublic | None


class ZoneRate(BaseModel):
    """One zone's dose."""

    zone: int
    area_m2: float
    index_mean: float
    n_kg_ha: float = Field(description="The N the rule (and budget) asks for.")
    rate: float = Field(description="Product rate in ``unit``, rounded to the rate step.")


class PrescriptionPublic(BaseModel):
    """A stored prescription: a rate per zone, and the totals at the rounded rates."""

    id: str
    owner: str
    field_id: str
    image_id: str | None
    image_date: date | None
    index: str
    product: str
    unit: str = Field(description="kg/ha (solid) or L/ha (liquid).")
    rule: RulePublic
    rate_step: float
    budget_bound: bool = Field(description="Whether the rates were scaled to the budget.")
    area_m2: float
    total_n_kg: float
    total_product: float
    amount_unit: str = Field(description="The unit of total_product: kg or L.")
    mean_rate: float
    zones: list[ZoneRate]
    created_at: datetime


def _public(s: StoredPrescription) -> PrescriptionPublic:
    p = s.prescription
    r = p.rule
    budget = None
    if r.budget is not None:
        b = r.budget
        budget = BudgetPublic(n_kg=b.n_kg, product_kg=b.product_kg, product_l=b.product_l)
    return PrescriptionPublic(
        id=s.id,
        owner=s.owner,
        field_id=p.field_id,
        image_id=s.image_id,
        image_date=date.fromisoformat(p.image_date) if p.image_date else None,
        index=p.index,
        product=p.product.name,
        unit=p.unit,
        rule=RulePublic(
            name=r.name,
            index=r.index,
            target_index=r.target_index,
            base_n_kg_ha=r.base_n_kg_ha,
            response_kg_ha_per_unit=r.response_kg_ha_per_unit,
            min_n_kg_ha=r.min_n_kg_ha,
            max_n_kg_ha=r.max_n_kg_ha,
            budget=budget,
        ),
        rate_step=p.rate_step,
        budget_bound=p.budget_bound,
        area_m2=round(p.area_m2, 2),
        total_n_kg=round(p.total_n_kg, 3),
        total_product=round(p.total_product, 3),
        amount_unit=p.product.amount_unit,
        mean_rate=round(p.mean_rate, 3),
        zones=[
            ZoneRate(
                zone=z.zone,
                area_m2=round(z.area_m2, 2),
                index_mean=round(z.index_mean, 4),
                n_kg_ha=round(z.n_kg_ha, 2),
                rate=z.rate,
            )
            for z in p.zones
        ],
        created_at=s.created_at,
    )


@router.post("", response_model=PrescriptionPublic, status_code=201, summary="Make a prescription")
def make_prescription(
    body: PrescriptionCreate, response: Response, services: ServicesDep, caller: _Makers
) -> PrescriptionPublic:
    """Zone the field on the image, dose each zone by the N rule, and keep the result."""
    record = visible_field(services.engine, caller, body.field_id)
    image = visible_image(services.engine, caller, body.image_id)
    product = product_named(body.product)
    rule = edited_rule(
        body.rule,
        target_index=body.target_index,
        base_n_kg_ha=body.base_n_kg_ha,
        response_kg_ha_per_unit=body.response_kg_ha_per_unit,
        min_n_kg_ha=body.min_n_kg_ha,
        max_n_kg_ha=body.max_n_kg_ha,
        budget=budget_for(product, n_kg=body.budget_n_kg, product_amount=body.budget_product),
    )
    zone_map = service.field_zones(
        services.settings.data_dir,
        image,
        service.field_shape(record),
        index=body.index.value,
        n_zones=body.zones,
        min_zone_area_m2=body.min_zone_area_m2,
    )
    prescription = service.prescription_for(
        zone_map,
        rule,
        product,
        rate_step=body.rate_step,
        own_target=body.target_index is not None,
    )
    stored = store.add_prescription(
        services.engine,
        prescription,
        prescription_id=str(uuid.uuid4()),
        owner=record.owner,
        image_id=image.id,
        created_at=services.clock.now(),
    )
    response.headers["Location"] = f"/prescriptions/{stored.id}"
    return _public(stored)


@router.get("", response_model=Page[PrescriptionPublic], summary="List prescriptions")
def list_prescriptions(
    services: ServicesDep,
    caller: _Readers,
    field_id: Annotated[str | None, Query(description="Only this field's.")] = None,
    owner: Annotated[str | None, Query(description="Only this owner's (staff, operators).")] = (
        None
    ),
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[PrescriptionPublic]:
    """Prescriptions, newest first: a farmer's own; every one for operators and staff."""
    if not caller.has(Role.OPERATOR, Role.CITY_ADMIN):
        owner = caller.account_id
    rows, count = store.list_prescriptions(
        services.engine,
        owner=owner,
        field_ids=None if field_id is None else [field_id],
        limit=limit,
        offset=offset,
    )
    return Page(data=[_public(r) for r in rows], count=count, limit=limit, offset=offset)


@router.get("/{prescription_id}", response_model=PrescriptionPublic, summary="Read a prescription")
def read_prescription(
    prescription_id: str, services: ServicesDep, caller: _Readers
) -> PrescriptionPublic:
    """One prescription: the rule and product as used, and each zone's rate."""
    return _public(visible_prescription(services.engine, caller, prescription_id))


class PrescriptionFormat(StrEnum):
    """The file to download (``api.agronomy.jobs.PRESCRIPTION_FORMATS``)."""

    GEOJSON = "geojson"
    SHP = "shp"
    GPKG = "gpkg"
    TIF = "tif"
    ISOXML = "isoxml"


_MEDIA = {
    PrescriptionFormat.GEOJSON: "application/geo+json",
    PrescriptionFormat.SHP: "application/zip",
    PrescriptionFormat.GPKG: "application/geopackage+sqlite3",
    PrescriptionFormat.TIF: "image/tiff",
    PrescriptionFormat.ISOXML: "application/zip",
}
_SUFFIX = {
    PrescriptionFormat.GEOJSON: "_rx.geojson",
    PrescriptionFormat.SHP: "_rx_shp.zip",
    PrescriptionFormat.GPKG: "_rx.gpkg",
    PrescriptionFormat.TIF: "_rx.tif",
    PrescriptionFormat.ISOXML: "_TASKDATA.zip",
}


def _zipped(paths: list[Path], root: Path, target: Path) -> bytes:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(paths):
            archive.write(path, path.relative_to(root).as_posix())
    return target.read_bytes()


def _file_bytes(stored: StoredPrescription, fmt: PrescriptionFormat, stem: str) -> bytes:
    with TemporaryDirectory(prefix="tanbo-rx-") as folder:
        out = Path(folder) / "out"
        (written,) = write_prescription_files(stored.prescription, out, [fmt.value], stem=stem)
        if fmt is PrescriptionFormat.SHP:
            return _zipped(list(out.glob(f"{stem}_rx.*")), out, Path(folder) / "rx.zip")
        if fmt is PrescriptionFormat.ISOXML:
            files = [p for p in written.rglob("*") if p.is_file()]
            return _zipped(files, written.parent, Path(folder) / "rx.zip")
        return written.read_bytes()


@router.get(
    "/{prescription_id}/file",
    summary="Download a prescription file",
    response_class=Response,
    responses={
        200: {
            "description": "The prescription as a file: GeoJSON, a zipped Shapefile, a "
            "GeoPackage, a GeoTIFF rate grid, or a zipped ISOXML TASKDATA folder.",
            "content": {media: {} for media in dict.fromkeys(_MEDIA.values())},
        }
    },
)
def prescription_file(
    prescription_id: str,
    services: ServicesDep,
    caller: _Readers,
    format: Annotated[
        PrescriptionFormat, Query(description="Which file.")
    ] = PrescriptionFormat.GEOJSON,
) -> Response:
    """The stored prescription written as a spreader, drone or GIS file."""
    stored = visible_prescription(services.engine, caller, prescription_id)
    stem = safe_upload_name(stored.prescription.field_id, default="field")
    content = _file_bytes(stored, format, stem)
    name = f"{stem}{_SUFFIX[format]}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content=content, media_type=_MEDIA[format], headers=headers)
