"""Images and prescriptions as stored: rows in, values out.

A prescription is stored in full (the rule, the product, each zone's outline and rates),
and :func:`prescription_of` rebuilds the very :class:`~fields.agronomy.prescription.Prescription`
that was computed, so its files can be written again at any time and come out the same.
"""

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import shapely
from shapely import MultiPolygon, Polygon
from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from api.agronomy.tables import ImageRow, PrescriptionRow
from api.db import aware, storage_errors
from api.errors import NotFound
from fields.agronomy.prescription import Budget, NitrogenRule, Prescription, ZonePrescription
from fields.agronomy.products import Product

__all__ = [
    "StoredImage",
    "StoredPrescription",
    "WGS84Box",
    "add_image",
    "add_prescription",
    "delete_image",
    "get_image",
    "get_prescription",
    "list_images",
    "list_prescriptions",
    "prescription_of",
]

WGS84Box = tuple[float, float, float, float]
"""``(west, south, east, north)`` in degrees."""


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredImage:
    """An uploaded image as stored: what it is, where, when, and how to open it again."""

    id: str
    owner: str
    name: str
    sensor: str
    sensor_note: str
    image_date: date | None
    crs: str
    width_px: int
    height_px: int
    pixel_size: float
    bounds_wgs84: WGS84Box
    bands: tuple[str, ...]
    band_map: dict[str, int | str]
    scale: float | None
    notes: tuple[str, ...]
    files: tuple[str, ...]
    size_bytes: int
    created_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredPrescription:
    """A prescription as stored: whose, from which image, and the prescription itself."""

    id: str
    owner: str
    image_id: str | None
    created_at: datetime
    prescription: Prescription


def _image_of(row: ImageRow) -> StoredImage:
    return StoredImage(
        id=row.id,
        owner=row.owner,
        name=row.name,
        sensor=row.sensor,
        sensor_note=row.sensor_note,
        image_date=row.image_date,
        crs=row.crs,
        width_px=row.width_px,
        height_px=row.height_px,
        pixel_size=row.pixel_size,
        bounds_wgs84=(row.min_lon, row.min_lat, row.max_lon, row.max_lat),
        bands=tuple(row.bands),
        band_map=dict(row.band_map),
        scale=row.scale,
        notes=tuple(row.notes),
        files=tuple(row.files),
        size_bytes=row.size_bytes,
        created_at=aware(row.created_at),
    )


def add_image(engine: Engine, image: StoredImage) -> StoredImage:
    """Store an image's row (its files are already in place)."""
    west, south, east, north = image.bounds_wgs84
    row = ImageRow(
        **{
            f.name: getattr(image, f.name)
            for f in dataclasses.fields(StoredImage)
            if f.name not in ("bounds_wgs84", "bands", "notes", "files")
        },
        min_lon=west,
        min_lat=south,
        max_lon=east,
        max_lat=north,
        bands=list(image.bands),
        notes=list(image.notes),
        files=list(image.files),
    )
    with storage_errors(), Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
        return _image_of(row)


def get_image(engine: Engine, image_id: str) -> StoredImage:
    """One image.

    Raises
    ------
    NotFound
        No such image.
    """
    with storage_errors(), Session(engine) as session:
        row = session.get(ImageRow, image_id)
        if row is None:
            raise NotFound(f"no image {image_id}")
        return _image_of(row)


def list_images(
    engine: Engine,
    *,
    owner: str | None = None,
    overlapping: WGS84Box | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[StoredImage], int]:
    """Images, newest image date first (undated last); optionally one owner's, or only
    those whose bounds overlap a box; one page of them and how many match in all."""
    where: list[Any] = []
    if owner is not None:
        where.append(col(ImageRow.owner) == owner)
    if overlapping is not None:
        west, south, east, north = overlapping
        where += [
            col(ImageRow.min_lon) <= east,
            col(ImageRow.max_lon) >= west,
            col(ImageRow.min_lat) <= north,
            col(ImageRow.max_lat) >= south,
        ]
    query = (
        select(ImageRow)
        .where(*where)
        .order_by(
            col(ImageRow.image_date).desc().nulls_last(),
            col(ImageRow.created_at).desc(),
            col(ImageRow.id),
        )
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    with storage_errors(), Session(engine) as session:
        count = session.exec(select(func.count()).select_from(ImageRow).where(*where)).one()
        return [_image_of(row) for row in session.exec(query)], int(count)


def delete_image(engine: Engine, image_id: str) -> None:
    """Remove an image's row; its prescriptions stay, without it.

    Raises
    ------
    NotFound
        No such image.
    """
    with storage_errors(), engine.begin() as connection:
        result = connection.execute(delete(ImageRow).where(col(ImageRow.id) == image_id))
        if result.rowcount != 1:
            raise NotFound(f"no image {image_id}")


def _rule_spec(rule: NitrogenRule) -> dict[str, Any]:
    return dataclasses.asdict(rule)


def _rule_of(spec: dict[str, Any]) -> NitrogenRule:
    budget = spec.get("budget")
    return NitrogenRule(**{**spec, "budget": Budget(**budget) if budget else None})


def _zones_text(p: Prescription) -> str:
    features = [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(z.geometry),
            "properties": {
                "zone": z.zone,
                "area_m2": z.area_m2,
                "index_mean": z.index_mean,
                "n_kg_ha": z.n_kg_ha,
                "rate": z.rate,
            },
        }
        for z in p.zones
    ]
    # Floats are written by repr, so they read back to the very same values.
    document = {"type": "FeatureCollection", "features": features}
    return json.dumps(document, ensure_ascii=False, allow_nan=False)


def _zones_of(text: str) -> tuple[ZonePrescription, ...]:
    zones = []
    for feature in json.loads(text)["features"]:
        geometry = shapely.geometry.shape(feature["geometry"])
        assert isinstance(geometry, Polygon | MultiPolygon)
        props = feature["properties"]
        zones.append(
            ZonePrescription(
                zone=int(props["zone"]),
                geometry=geometry,
                area_m2=float(props["area_m2"]),
                index_mean=float(props["index_mean"]),
                n_kg_ha=float(props["n_kg_ha"]),
                rate=float(props["rate"]),
            )
        )
    return tuple(zones)


def prescription_of(row: PrescriptionRow) -> StoredPrescription:
    """The stored prescription, rebuilt exactly as it was computed."""
    prescription = Prescription(
        field_id=row.field_id,
        index=row.index,
        product=Product(**row.product_spec),
        rule=_rule_of(row.rule),
        zones=_zones_of(row.zones),
        budget_bound=row.budget_bound,
        rate_step=row.rate_step,
        image_date=row.image_date.isoformat() if row.image_date else None,
    )
    return StoredPrescription(
        id=row.id,
        owner=row.owner,
        image_id=row.image_id,
        created_at=aware(row.created_at),
        prescription=prescription,
    )


def add_prescription(
    engine: Engine,
    p: Prescription,
    *,
    prescription_id: str,
    owner: str,
    image_id: str | None,
    created_at: datetime,
) -> StoredPrescription:
    """Store a computed prescription in full."""
    row = PrescriptionRow(
        id=prescription_id,
        owner=owner,
        field_id=p.field_id,
        image_id=image_id,
        image_date=date.fromisoformat(p.image_date) if p.image_date else None,
        index=p.index,
        product=p.product.name,
        unit=p.unit,
        product_spec=dataclasses.asdict(p.product),
        rule=_rule_spec(p.rule),
        rate_step=p.rate_step,
        zones=_zones_text(p),
        area_m2=p.area_m2,
        total_n_kg=p.total_n_kg,
        total_product=p.total_product,
        budget_bound=p.budget_bound,
        created_at=created_at,
    )
    with storage_errors(), Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
        return prescription_of(row)


def get_prescription(engine: Engine, prescription_id: str) -> StoredPrescription:
    """One prescription, rebuilt.

    Raises
    ------
    NotFound
        No such prescription.
    """
    with storage_errors(), Session(engine) as session:
        row = session.get(PrescriptionRow, prescription_id)
        if row is None:
            raise NotFound(f"no prescription {prescription_id}")
        return prescription_of(row)


def list_prescriptions(
    engine: Engine,
    *,
    owner: str | None = None,
    field_ids: Sequence[str] | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[list[StoredPrescription], int]:
    """Prescriptions, newest first; optionally one owner's or some fields'."""
    where: list[Any] = []
    if owner is not None:
        where.append(col(PrescriptionRow.owner) == owner)
    if field_ids is not None:
        where.append(col(PrescriptionRow.field_id).in_(list(field_ids)))
    query = (
        select(PrescriptionRow)
        .where(*where)
        .order_by(col(PrescriptionRow.created_at).desc(), col(PrescriptionRow.id))
        .offset(offset)
        .limit(limit)
    )
    with storage_errors(), Session(engine) as session:
        count = session.exec(select(func.count()).select_from(PrescriptionRow).where(*where)).one()
        return [prescription_of(row) for row in session.exec(query)], int(count)
