"""Uploaded images on disk: received, checked, kept, opened again, removed.

An image's files live in ``<data_dir>/agronomy/images/<id>/``. An upload is streamed into a
private folder beside it, opened and test-read there (a file that is not a raster, a band
mix-up or raw counts is refused before anything is kept), moved into place in one rename,
and only then recorded; if recording fails the folder goes again. Removal is the reverse:
the folder is set aside, the row deleted, and only then the files, so a failure half-way
leaves the image as it was.
"""

import contextlib
import dataclasses
import logging
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from rasterio.warp import transform_bounds
from rasterio.windows import Window
from sqlalchemy import Engine

from api.agronomy import store
from api.agronomy.store import StoredImage
from api.errors import TooLarge
from api.routes.common import safe_upload_name
from core.clock import Clock
from fields.agronomy.errors import AgronomyError, BadRaster
from fields.agronomy.rasters import Image, open_image
from fields.agronomy.reading import ImageReader

__all__ = [
    "IMAGE_UPLOAD_LIMIT_BYTES",
    "ImageOptions",
    "Upload",
    "agronomy_folder",
    "cache_folder",
    "open_stored",
    "receive_image",
    "remove_image",
    "scrubbed",
]

IMAGE_UPLOAD_LIMIT_BYTES = 2 << 30
"""The most an image upload may hold, all its files together (2 GiB)."""

_SUFFIXES = (".tif", ".tiff", ".jp2")
_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+", b"\xff\x4f\xff\x51")
_JP2_MAGIC = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_SAMPLE_PX = 128
_CHUNK = 1 << 20
_log = logging.getLogger("tanbo.api")


@dataclass(frozen=True, kw_only=True, slots=True)
class Upload:
    """One uploaded file: the name the client gave and its content."""

    filename: str | None
    stream: BinaryIO
    size_bytes: int | None = None
    """The size if known beforehand (an over-large upload is refused before copying)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ImageOptions:
    """How to read an upload: the sensor, a band map and a reflectance scale (None: found
    from the files), and the image date when the files do not carry it."""

    sensor: str | None = None
    band_map: dict[str, int | str] = field(default_factory=dict)
    scale: float | None = None
    image_date: date | None = None


def agronomy_folder(data_dir: Path) -> Path:
    """Where agronomy keeps its files."""
    return data_dir / "agronomy"


def _image_folder(data_dir: Path, image_id: str) -> Path:
    return agronomy_folder(data_dir) / "images" / image_id


def cache_folder(data_dir: Path, image_id: str) -> Path:
    """Where an image's index rasters are kept once computed."""
    return agronomy_folder(data_dir) / "cache" / image_id


@contextlib.contextmanager
def scrubbed(folder: Path) -> Iterator[None]:
    """Agronomy errors with the server's folder taken out of their message: the client
    named the file, not where the server keeps it."""
    try:
        yield
    except AgronomyError as exc:
        text = str(exc)
        for prefix in (f"{folder.resolve()}/", f"{folder}/"):
            text = text.replace(prefix, "")
        if text == str(exc):
            raise
        raise type(exc)(text) from exc


def _safe_names(uploads: Sequence[Upload]) -> list[str]:
    if not uploads:
        raise BadRaster("no image file in the upload")
    names = [
        safe_upload_name(u.filename, default=f"band{i + 1}.tif") for i, u in enumerate(uploads)
    ]
    for given, name in zip(uploads, names, strict=True):
        if Path(name).suffix.lower() not in _SUFFIXES:
            raise BadRaster(
                f"{given.filename or name}: not a GeoTIFF or JPEG 2000 file "
                f"({', '.join(_SUFFIXES)})"
            )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BadRaster(f"{twice[0]}: two files of the upload have this name")
    return names


def _too_large(name: str) -> TooLarge:
    return TooLarge(
        f"{name}: the upload is larger than {IMAGE_UPLOAD_LIMIT_BYTES >> 30} GiB; "
        "cut the image to the fields, or run tanbo agronomy on it"
    )


def _receive(uploads: Sequence[Upload], names: Sequence[str], folder: Path) -> int:
    """Stream each upload to ``folder``; the bytes written."""
    if sum(u.size_bytes or 0 for u in uploads) > IMAGE_UPLOAD_LIMIT_BYTES:
        raise _too_large(names[-1])
    written = 0
    for upload, name in zip(uploads, names, strict=True):
        path = folder / name
        with path.open("wb") as sink:
            while chunk := upload.stream.read(_CHUNK):
                written += len(chunk)
                if written > IMAGE_UPLOAD_LIMIT_BYTES:
                    raise _too_large(name)
                sink.write(chunk)
        with path.open("rb") as head:
            start = head.read(12)
        if not (start.startswith(_MAGIC) or start == _JP2_MAGIC):
            raise BadRaster(f"{name}: not a GeoTIFF or JPEG 2000 file (its first bytes)")
    return written


def _sample_windows(image: Image) -> Iterator[Window]:
    """The centre of the image and of each quarter, a small window each."""
    w, h = min(_SAMPLE_PX, image.width), min(_SAMPLE_PX, image.height)
    for fx, fy in ((0.5, 0.5), (0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)):
        col = min(max(0, round(fx * image.width - w / 2)), image.width - w)
        row = min(max(0, round(fy * image.height - h / 2)), image.height - h)
        yield Window(col, row, w, h)


def _test_read(image: Image) -> None:
    """Read a few small windows of every band, so raw counts or a wrong offset are refused
    now rather than at the first index."""
    with ImageReader(image) as reader:
        for window in _sample_windows(image):
            reader.read(image.symbols, window=window)


def _opened(folder: Path, files: Sequence[str], options: ImageOptions) -> Image:
    paths = [folder / name for name in files]
    image = open_image(
        paths[0] if len(paths) == 1 else paths,
        sensor=options.sensor,
        band_map=options.band_map or None,
        scale=options.scale,
    )
    if options.image_date is not None:
        image = dataclasses.replace(image, date=options.image_date)
    return image


def _described(
    image: Image,
    options: ImageOptions,
    *,
    image_id: str,
    owner: str,
    files: Sequence[str],
    size_bytes: int,
    clock: Clock,
) -> StoredImage:
    if image.crs.is_geographic:
        west, south, east, north = image.bounds
    else:
        west, south, east, north = transform_bounds(
            image.crs, "EPSG:4326", *image.bounds, densify_pts=21
        )
    epsg = image.crs.to_epsg()
    return StoredImage(
        id=image_id,
        owner=owner,
        name=image.name[:200],
        sensor=image.sensor.name,
        sensor_note=image.sensor_note[:1000],
        image_date=image.date,
        crs=f"EPSG:{epsg}" if epsg else image.crs.to_wkt(),
        width_px=image.width,
        height_px=image.height,
        pixel_size=image.resolution[0],
        bounds_wgs84=(west, south, east, north),
        bands=image.symbols,
        band_map=dict(options.band_map),
        scale=options.scale,
        notes=tuple(n for n in image.notes if n),
        files=tuple(files),
        size_bytes=size_bytes,
        created_at=clock.now(),
    )


def receive_image(
    engine: Engine,
    data_dir: Path,
    uploads: Sequence[Upload],
    options: ImageOptions,
    *,
    owner: str,
    clock: Clock,
) -> StoredImage:
    """Keep an uploaded image (one multiband file, or a file per band) and record it.

    Raises
    ------
    BadRaster, BandProblem
        A file is not a georeferenced GeoTIFF or JPEG 2000, the bands cannot be told
        apart, or they hold raw counts; the message names the file and the band.
    TooLarge
        The files together exceed :data:`IMAGE_UPLOAD_LIMIT_BYTES`.
    """
    names = _safe_names(uploads)
    image_id = str(uuid.uuid4())
    final = _image_folder(data_dir, image_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    incoming = final.with_name(f".incoming-{image_id}")
    incoming.mkdir()
    try:
        size = _receive(uploads, names, incoming)
        with scrubbed(incoming):
            image = _opened(incoming, names, options)
            _test_read(image)
        described = _described(
            image,
            options,
            image_id=image_id,
            owner=owner,
            files=names,
            size_bytes=size,
            clock=clock,
        )
        notes = tuple(n.replace(f"{incoming}/", "") for n in described.notes)
        described = dataclasses.replace(described, notes=notes)
        incoming.rename(final)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    try:
        return store.add_image(engine, described)
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        raise


def open_stored(data_dir: Path, stored: StoredImage) -> Image:
    """A stored image, opened as it was at upload (same sensor, band map, scale and date).

    Raises
    ------
    BadRaster
        Its files are gone or no longer readable.
    """
    folder = _image_folder(data_dir, stored.id)
    options = ImageOptions(
        sensor=stored.sensor,
        band_map=stored.band_map,
        scale=stored.scale,
        image_date=stored.image_date,
    )
    with scrubbed(folder):
        image = _opened(folder, stored.files, options)
    return dataclasses.replace(image, name=stored.name)


def remove_image(engine: Engine, data_dir: Path, image_id: str) -> None:
    """Delete an image: its row, its files and its cached index rasters.

    Raises
    ------
    NotFound
        No such image.
    """
    folder = _image_folder(data_dir, image_id)
    aside = folder.with_name(f".deleting-{image_id}-{uuid.uuid4().hex[:8]}")
    moved = folder.is_dir()
    if moved:
        folder.rename(aside)
    try:
        store.delete_image(engine, image_id)
    except BaseException:
        if moved:
            aside.rename(folder)
        raise
    for gone in (aside, cache_folder(data_dir, image_id)):
        try:
            shutil.rmtree(gone)
        except FileNotFoundError:
            pass
        except OSError as exc:  # the row is gone; leftover files harm nothing
            _log.warning("could not remove %s: %s", gone, exc)
