"""The agronomy tables (SQLModel).

- ``agronomy_image``: an uploaded multispectral image: whose, what sensor and bands, where
  (its WGS84 bounding box, for "which images cover this field"), when, and the files kept
  under ``data_dir/agronomy/images/<id>/``. How it was opened (sensor, band map, scale) is
  kept so it opens the same way each time.
- ``prescription``: a field's fertiliser prescription as it was computed: the rule and the
  product in full and the zones with their rates, so its files can be written again exactly.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, DateTime, Text
from sqlmodel import Field, SQLModel

__all__ = ["ImageRow", "PrescriptionRow"]


def _utc_column() -> Any:
    return Column(DateTime(timezone=True), nullable=False)


class ImageRow(SQLModel, table=True):
    """An uploaded multispectral image."""

    __tablename__ = "agronomy_image"
    __table_args__ = (
        CheckConstraint("min_lon <= max_lon AND min_lat <= max_lat", name="agronomy_image_bbox"),
        CheckConstraint(
            "width_px > 0 AND height_px > 0 AND size_bytes >= 0", name="agronomy_image_size"
        ),
        CheckConstraint("scale IS NULL OR scale > 0", name="agronomy_image_scale"),
    )

    id: str = Field(primary_key=True, max_length=36)
    owner: str = Field(index=True, max_length=200)
    name: str = Field(max_length=200)
    sensor: str = Field(max_length=100)
    """The sensor profile it is read with (given, or detected at upload)."""
    sensor_note: str = Field(default="", max_length=1000)
    image_date: date | None = None
    crs: str = Field(sa_column=Column(Text, nullable=False))
    """The image's CRS (``EPSG:32653``, or WKT when it has no EPSG code)."""
    width_px: int
    height_px: int
    pixel_size: float
    """Pixel width in CRS units (metres, or degrees for a geographic CRS)."""
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    bands: list[str] = Field(sa_column=Column(JSON, nullable=False))
    """Band symbols, in wavelength order (``["B", "G", "R", "RE1", "N"]``)."""
    band_map: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The band map given at upload (symbol → band number or name); empty when none."""
    scale: float | None = None
    """The reflectance scale given at upload (None: the sensor profile's)."""
    notes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    files: list[str] = Field(sa_column=Column(JSON, nullable=False))
    """File names in the image's folder, in upload order."""
    size_bytes: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(sa_column=_utc_column())


class PrescriptionRow(SQLModel, table=True):
    """A field's fertiliser prescription, as computed."""

    __tablename__ = "prescription"
    __table_args__ = (
        CheckConstraint(
            "area_m2 > 0 AND total_n_kg >= 0 AND total_product >= 0 AND rate_step > 0",
            name="prescription_figures",
        ),
        CheckConstraint("unit IN ('kg/ha', 'L/ha')", name="prescription_unit"),
    )

    id: str = Field(primary_key=True, max_length=36)
    owner: str = Field(index=True, max_length=200)
    field_id: str = Field(index=True, max_length=200)
    """The field it was made for; kept (as a record) if the field is deleted later."""
    image_id: str | None = Field(
        default=None, foreign_key="agronomy_image.id", ondelete="SET NULL", max_length=36
    )
    image_date: date | None = None
    index: str = Field(max_length=20)
    product: str = Field(max_length=200)
    unit: str = Field(max_length=10)
    product_spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The product in full (form, N fraction, density), as used."""
    rule: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The N rule in full (target, base, response, limits, budget), as used."""
    rate_step: float
    zones: str = Field(sa_column=Column(Text, nullable=False))
    """GeoJSON FeatureCollection (WGS84): per zone its rate, kg N/ha, index mean and area."""
    area_m2: float
    total_n_kg: float
    total_product: float
    """Product at the rounded rates, kg (solid) or L (liquid)."""
    budget_bound: bool
    created_at: datetime = Field(sa_column=_utc_column())
