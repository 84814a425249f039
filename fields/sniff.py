"""A file is what its extension says, checked by its first bytes before GDAL opens it.

GDAL picks its driver by content, not by name: a ``.geojson`` that is really a VRT (an XML
file pointing at other files), or a ``.gpkg`` that is any SQLite database, would be read
through drivers that can open other local files or URLs. Files that reach Tanbo from
outside (API uploads) are checked here, and the drivers Tanbo never needs (VRT, CSV,
plain SQLite and the like) are switched off for the whole process.
"""

import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pyogrio

from fields.errors import UnreadableFile

__all__ = ["check_content", "skip_unneeded_drivers"]

_SKIPPED = "VRT,CSV,SQLite,OGR_GMT,GPSBabel,WFS,OAPIF,PGDUMP,MapML,XLSX,ODS,OSM,GML"
"""Drivers no Tanbo format needs, and the ones that reach out (VRT, WFS, OAPIF …)."""

_SHP = b"\x00\x00\x27\x0a"
_GPKG_IDS = (b"GPKG", b"GP10", b"GP11")
_SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml"}


def skip_unneeded_drivers() -> None:
    """Switch off, for this process, the GDAL drivers no Tanbo format needs."""
    pyogrio.set_gdal_config_options({"OGR_SKIP": _SKIPPED, "GDAL_HTTP_TIMEOUT": "1"})


def _head(path: Path, size: int = 4096) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def _json_like(head: bytes) -> bool:
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return text[:1] in (b"{", b"[")


def _gpkg(head: bytes) -> bool:
    return head.startswith(b"SQLite format 3\x00") and head[68:72] in _GPKG_IDS


def _zip_members(path: Path, allowed: set[str]) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            for name in names:
                if name.startswith("__MACOSX/"):
                    continue
                suffix = PurePosixPath(name).suffix.lower()
                if suffix not in allowed:
                    return False
                if suffix == ".shp" and archive.read(name)[:4] != _SHP:
                    return False
                if suffix == ".kml" and b"<kml" not in archive.read(name)[:4096]:
                    return False
    except (zipfile.BadZipFile, OSError):
        return False
    return True


def check_content(path: Path) -> None:
    """Refuse a file whose first bytes are not those of the format its extension names.

    Raises
    ------
    UnreadableFile
        The content is not the format of the extension (naming both).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    >>> check_content(folder / "a.geojson")
    >>> _ = (folder / "b.geojson").write_text("<OGRVRTDataSource/>")
    >>> check_content(folder / "b.geojson")
    Traceback (most recent call last):
    ...
    fields.errors.UnreadableFile: b.geojson: the content is not GeoJSON
    """
    suffix = path.suffix.lower()
    head = _head(path)
    checks: dict[str, tuple[str, Callable[[], bool]]] = {
        ".geojson": ("GeoJSON", lambda: _json_like(head)),
        ".json": ("GeoJSON", lambda: _json_like(head)),
        ".gpkg": ("a GeoPackage", lambda: _gpkg(head)),
        ".shp": ("a Shapefile", lambda: head[:4] == _SHP),
        ".zip": ("a zipped Shapefile", lambda: _zip_members(path, _SHAPEFILE_PARTS)),
        ".fgb": ("FlatGeobuf", lambda: head[:3] == b"fgb"),
        ".parquet": ("GeoParquet", lambda: head[:4] == b"PAR1"),
        ".geoparquet": ("GeoParquet", lambda: head[:4] == b"PAR1"),
        ".kml": ("KML", lambda: b"<kml" in head),
        ".kmz": ("KMZ", lambda: _zip_members(path, {".kml", ".png", ".jpg", ".jpeg"})),
    }
    expected = checks.get(suffix)
    if expected is not None and not expected[1]():
        raise UnreadableFile(f"{path.name}: the content is not {expected[0]}")
