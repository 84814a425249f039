"""Multispectral images: upload (one multiband file, or a file per band), list, read, delete.

A farmer sees and uses only their own images (others' answer 404, as if absent); city
staff all. An image is checked when it is uploaded, so a file that is not a georeferenced
raster, bands that cannot be told apart, or raw counts instead of reflectance are refused
with 422 naming the file and the band, and nothing is kept.
"""

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from api.accounts import Principal, Role
from api.agronomy import images, store
from api.agronomy.access import sees_everything, visible_field, visible_image
from api.agronomy.store import StoredImage
from api.deps import ServicesDep, require
from api.errors import Forbidden
from api.routes.common import Page, ProblemResponses
from fields.agronomy.bands import PROFILES, parse_band_map

__all__ = ["ImagePublic", "image_public", "router"]

router = APIRouter(prefix="/images", tags=["agronomy"], responses=ProblemResponses)

Keepers = Annotated[Principal, Depends(require(Role.FARMER, Role.CITY_ADMIN))]


class ImagePublic(BaseModel):
    """An uploaded image: its sensor, bands, grid, place and date."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0f8e2c1a-5b7d-4c3e-9a21-6d4f8b0e7c15",
                    "owner": "5f0c…",
                    "name": "odm_orthophoto",
                    "sensor": "generic",
                    "sensor_note": "generic: no sensor given or recognised",
                    "image_date": "2026-07-20",
                    "crs": "EPSG:32653",
                    "width_px": 240,
                    "height_px": 300,
                    "pixel_size": 0.5,
                    "bounds_wgs84": [134.8391, 34.9281, 134.8405, 34.9295],
                    "bands": ["B", "G", "R", "RE1", "N"],
                    "band_map": {},
                    "scale": None,
                    "notes": [],
                    "files": ["odm_orthophoto.tif"],
                    "size_bytes": 1440000,
                    "created_at": "2026-07-21T01:00:00Z",
                }
            ]
        }
    )

    id: str
    owner: str
    name: str
    sensor: str = Field(description="The sensor profile the image is read with.")
    sensor_note: str = Field(description="Which profile was chosen, and why.")
    image_date: date | None
    crs: str
    width_px: int
    height_px: int
    pixel_size: float = Field(description="Pixel width in CRS units (m, or ° if geographic).")
    bounds_wgs84: tuple[float, float, float, float] = Field(
        description="west, south, east, north (WGS84 degrees)."
    )
    bands: list[str] = Field(description="Band symbols: B G R RE1 RE2 RE3 N N2 S1 S2.")
    band_map: dict[str, int | str]
    scale: float | None
    notes: list[str]
    files: list[str]
    size_bytes: int
    created_at: datetime


def image_public(s: StoredImage) -> ImagePublic:
    """The API's view of a stored image."""
    return ImagePublic(
        id=s.id,
        owner=s.owner,
        name=s.name,
        sensor=s.sensor,
        sensor_note=s.sensor_note,
        image_date=s.image_date,
        crs=s.crs,
        width_px=s.width_px,
        height_px=s.height_px,
        pixel_size=s.pixel_size,
        bounds_wgs84=s.bounds_wgs84,
        bands=list(s.bands),
        band_map=s.band_map,
        scale=s.scale,
        notes=list(s.notes),
        files=list(s.files),
        size_bytes=s.size_bytes,
        created_at=s.created_at,
    )


_TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: ProblemResponses[422] | {"description": "Over 2 GiB in all."}
}


@router.post(
    "",
    response_model=ImagePublic,
    status_code=201,
    summary="Upload a multispectral image",
    responses=_TOO_LARGE,
)
def upload_image(
    files: Annotated[
        list[UploadFile],
        File(description="A multiband GeoTIFF, or one GeoTIFF / JPEG 2000 file per band."),
    ],
    response: Response,
    services: ServicesDep,
    caller: Keepers,
    sensor: Annotated[
        str | None, Form(description=f"One of {', '.join(PROFILES)}; default: detected.")
    ] = None,
    band: Annotated[
        list[str] | None,
        Form(description='Which band is which, repeatable: "N=4", "RE1=rededge".'),
    ] = None,
    scale: Annotated[
        float | None,
        Form(gt=0, le=1000, description="Reflectance = value × scale (+ the offset)."),
    ] = None,
    image_date: Annotated[date | None, Form(description="When the files do not say.")] = None,
    owner: Annotated[str | None, Form(description="Whose image (staff only).")] = None,
) -> ImagePublic:
    """Upload an image; it is opened and test-read, and refused (422) if unusable."""
    if owner not in (None, caller.account_id) and not sees_everything(caller):
        raise Forbidden("only city staff upload images for someone else")
    options = images.ImageOptions(
        sensor=sensor,
        band_map=parse_band_map(band or []),
        scale=scale,
        image_date=image_date,
    )
    stored = images.receive_image(
        services.engine,
        services.settings.data_dir,
        [images.Upload(filename=f.filename, stream=f.file, size_bytes=f.size) for f in files],
        options,
        owner=owner or caller.account_id,
        clock=services.clock,
    )
    response.headers["Location"] = f"/images/{stored.id}"
    return image_public(stored)


@router.get("", response_model=Page[ImagePublic], summary="List images")
def list_images(
    services: ServicesDep,
    caller: Keepers,
    field_id: Annotated[str | None, Query(description="Only images over this field.")] = None,
    owner: Annotated[str | None, Query(description="Only this owner's (staff).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[ImagePublic]:
    """Images, newest image date first: a farmer's own; anyone's for city staff."""
    if not sees_everything(caller):
        owner = caller.account_id
    box = None
    if field_id is not None:
        box = visible_field(services.engine, caller, field_id).geometry.bounds
    rows, count = store.list_images(
        services.engine, owner=owner, overlapping=box, limit=limit, offset=offset
    )
    return Page(data=[image_public(r) for r in rows], count=count, limit=limit, offset=offset)


@router.get("/{image_id}", response_model=ImagePublic, summary="Read an image's description")
def read_image(image_id: str, services: ServicesDep, caller: Keepers) -> ImagePublic:
    """One image: sensor, bands, grid, bounds, date and files."""
    return image_public(visible_image(services.engine, caller, image_id))


@router.delete("/{image_id}", status_code=204, summary="Delete an image")
def delete_image(image_id: str, services: ServicesDep, caller: Keepers) -> Response:
    """Delete an image and its files; prescriptions made from it are kept."""
    visible_image(services.engine, caller, image_id)
    images.remove_image(services.engine, services.settings.data_dir, image_id)
    return Response(status_code=204)
