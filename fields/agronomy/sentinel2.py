"""Sentinel-2 Level-2A products: their band files, scene classes and reflectance offset.

An L2A product (``S2B_MSIL2A_20240715T015659_N0510_R060_T53SNU_20240715T041152.SAFE``) keeps
its bands as JPEG 2000 files under ``GRANULE/*/IMG_DATA/R10m|R20m|R60m``, the same band
often at several resolutions; the caller keeps the finest. Digital numbers become surface
reflectance as ``(DN + BOA_ADD_OFFSET) / BOA_QUANTIFICATION_VALUE``: the quantification is
10000, and since processing baseline 04.00 (products from 25 January 2022, and the
reprocessed archive) the offset is −1000, so a product read with the wrong offset is
0.1 off everywhere. The offset is therefore taken from the product's own metadata
(``MTD_MSIL2A.xml``), else from the baseline in the product name (``_N0510_``), and
otherwise not applied, with a note saying so.

The scene classification (SCL, 20 m) marks the pixels to drop: no data, saturated or
defective, cloud shadow, cloud of medium and high probability, thin cirrus, snow.
"""

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType

__all__ = [
    "BASELINE_WITH_OFFSET",
    "SCL_CLASSES",
    "SCL_MASKED",
    "L2aOffset",
    "band_files",
    "l2a_offset",
    "product_date",
    "safe_root",
]

SCL_CLASSES: Mapping[int, str] = MappingProxyType(
    {
        0: "no data",
        1: "saturated or defective",
        2: "cast shadows (dark area)",
        3: "cloud shadows",
        4: "vegetation",
        5: "not vegetated",
        6: "water",
        7: "unclassified",
        8: "cloud, medium probability",
        9: "cloud, high probability",
        10: "thin cirrus",
        11: "snow or ice",
    }
)
"""The Sen2Cor scene classes of the SCL band."""

SCL_MASKED = frozenset({0, 1, 3, 8, 9, 10, 11})
"""SCL classes whose pixels are not used for an index."""

BASELINE_WITH_OFFSET = (4, 0)
"""The first processing baseline whose DN carry BOA_ADD_OFFSET (−1000)."""

_RASTER_SUFFIXES = {".jp2", ".tif", ".tiff"}
_BASELINE = re.compile(r"_N(\d{2})(\d{2})_")
_SENSING = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})T\d{6}(?!\d)")


@dataclass(frozen=True, kw_only=True, slots=True)
class L2aOffset:
    """The reflectance offset of an L2A product, and how it was known."""

    offset: float
    """Added to ``DN * scale``: −0.1 from baseline 04.00, else 0."""
    note: str


def safe_root(path: Path) -> Path | None:
    """The ``.SAFE`` folder that ``path`` is, or lies in, if any."""
    for candidate in (path, *path.parents):
        if candidate.suffix.upper() == ".SAFE":
            return candidate
    return None


def band_files(folder: Path) -> list[Path]:
    """The raster files of a product or band folder, sorted by name.

    In a ``.SAFE`` product these are the files under ``GRANULE/*/IMG_DATA`` (the quality
    masks under ``QI_DATA`` reuse the band names, so they are left out); in any other
    folder, its JPEG 2000 and GeoTIFF files, less those named ``MSK_*``.
    """
    if safe_root(folder) == folder:
        found = folder.glob("GRANULE/*/IMG_DATA/**/*")
    else:
        found = folder.iterdir()
    return sorted(
        p
        for p in found
        if p.is_file()
        and p.suffix.lower() in _RASTER_SUFFIXES
        and not p.name.upper().startswith("MSK_")
    )


def _metadata(root: Path) -> dict[str, list[str]]:
    xml = root / "MTD_MSIL2A.xml"
    if not xml.is_file():
        return {}
    values: dict[str, list[str]] = {}
    try:
        tree = ET.parse(xml)
    except ET.ParseError:
        return {}
    for element in tree.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if element.text and element.text.strip():
            values.setdefault(tag, []).append(element.text.strip())
    return values


def l2a_offset(paths: Iterable[Path]) -> L2aOffset:
    """The BOA_ADD_OFFSET to apply to an L2A product's bands, as reflectance.

    From ``MTD_MSIL2A.xml`` when the files lie in a ``.SAFE`` folder that has it, else
    from the processing baseline in a product name in the paths (``_N0400_`` and later
    have the offset), else none.
    """
    paths = list(paths)
    for root in {r for p in paths if (r := safe_root(p)) is not None}:
        meta = _metadata(root)
        offsets = {float(v) for v in meta.get("BOA_ADD_OFFSET", [])}
        quantification = float(meta.get("BOA_QUANTIFICATION_VALUE", ["10000"])[0])
        if len(offsets) == 1:
            dn = offsets.pop()
            return L2aOffset(
                offset=dn / quantification,
                note=f"BOA_ADD_OFFSET {dn:g} from {root.name}/MTD_MSIL2A.xml",
            )
        if meta and not offsets:
            return L2aOffset(offset=0.0, note=f"no BOA_ADD_OFFSET in {root.name}/MTD_MSIL2A.xml")
    for path in paths:
        match = _BASELINE.search(str(path))
        if match:
            baseline = (int(match[1]), int(match[2]))
            applies = baseline >= BASELINE_WITH_OFFSET
            return L2aOffset(
                offset=-0.1 if applies else 0.0,
                note=(
                    f"processing baseline {match[1]}.{match[2]} (from the product name): "
                    + ("BOA_ADD_OFFSET -1000 applied" if applies else "no BOA_ADD_OFFSET")
                ),
            )
    return L2aOffset(
        offset=0.0,
        note=(
            "processing baseline unknown, no BOA_ADD_OFFSET applied; for a product of "
            "baseline 04.00 or later give offset -0.1"
        ),
    )


def product_date(paths: Iterable[Path]) -> date | None:
    """The sensing date in a Sentinel-2 product or band file name (``..._20240715T015659_...``)."""
    for path in paths:
        for match in _SENSING.finditer(str(path)):
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                continue
    return None
