"""A prescription as ISO 11783-10 task data (ISOXML), for ISOBUS spreaders and sprayers.

The terminal loads a ``TASKDATA`` folder: ``TASKDATA.XML`` with a customer, farm and
partfield (CTR, FRM, PFD with the field boundary, PLN type 1), the product (PDT), a value
presentation (VPN, so the terminal shows kg/ha or L/ha) and one planned task (TSK) whose
treatment zones (TZN) each carry the setpoint as a process data variable (PDV):

- solids: DDI 0x0006 Setpoint Mass Per Area Application Rate, mg/m² (1 kg/ha = 100 mg/m²);
- liquids: DDI 0x0001 Setpoint Volume Per Area Application Rate, mm³/m² (1 L/ha = 100).

Zones reach the terminal in one of two ways. As polygons, each TZN holds its zone as PLN
type 2 (treatment zone). As a grid (GRD), cells of a fixed size in degrees, stored south
row first and west to east in ``GRD00001.BIN``: type 1 holds one byte per cell, the TZN
code (the form most terminals take); type 2 holds the setpoint itself as a little-endian
int32 per cell, with the GRD naming the TZN whose PDV gives the DDI. A cell takes the
zone its centre lies in. Everywhere else, TZN 0 sets rate 0 (OutOfFieldTreatmentZone);
with no position the terminal falls back to the field's mean rate (PositionLost).

Version 3 (``VersionMajor="3" VersionMinor="3"``) is written by default: nothing here
needs version 4, and a version-3 file is the one both older and current terminals take.
``version=4`` writes 4.0 and adds what only version 4 knows (product type and density).
Ids take the standard's form (CTR1, FRM1, PFD1, PDT1, VPN1, TSK1); designators are cut
to the standard's 32 characters.
"""

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import shapely
from shapely import MultiPolygon, Polygon

from fields.agronomy.errors import BadPrescription
from fields.agronomy.prescription import Prescription

__all__ = [
    "DDI_SETPOINT_MASS_PER_AREA",
    "DDI_SETPOINT_VOLUME_PER_AREA",
    "GRID_FILENAME",
    "IsoxmlLayout",
    "setpoint",
    "write_taskdata",
]

DDI_SETPOINT_VOLUME_PER_AREA = 0x0001
"""Setpoint Volume Per Area Application Rate, mm³/m²."""
DDI_SETPOINT_MASS_PER_AREA = 0x0006
"""Setpoint Mass Per Area Application Rate, mg/m²."""
GRID_FILENAME = "GRD00001"
"""The grid's binary file, without its ``.BIN``; the standard wants ``GRD`` and 5 digits."""

IsoxmlLayout = Literal["grid", "polygons"]
"""Treatment zones as a grid (GRD) or as polygons (PLN type 2 in each TZN)."""
_ZoneForm = Literal["outlined", "coded", "none"]

_PER_HA_TO_PER_M2 = 100
"""1 kg/ha = 100 mg/m², 1 L/ha = 100 mm³/m²."""
_OUT_OF_FIELD = 0
_MAX_CODE = 254
_WGS84_A_M = 6_378_137.0
_WGS84_E2 = 6.694379990141317e-3
_DESIGNATOR_CHARS = 32


def setpoint(p: Prescription, rate: float) -> tuple[int, int]:
    """The PDV for a rate in ``p.unit``: (DDI, integer value in mg/m² or mm³/m²).

    30 kg/ha of a solid is (0x0006, 3000); 12.5 L/ha of a liquid is (0x0001, 1250).
    """
    ddi = DDI_SETPOINT_MASS_PER_AREA if p.product.form == "solid" else DDI_SETPOINT_VOLUME_PER_AREA
    return ddi, round(rate * _PER_HA_TO_PER_M2)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Grid:
    south_deg: float
    west_deg: float
    cell_north_deg: float
    cell_east_deg: float
    codes: npt.NDArray[np.uint8]
    """TZN code per cell, row 0 the southernmost."""


def write_taskdata(
    p: Prescription,
    folder: Path,
    *,
    layout: IsoxmlLayout = "grid",
    grid_type: Literal[1, 2] = 1,
    cell_m: float = 5.0,
    version: Literal[3, 4] = 3,
    customer: str = "Tanbo",
    farm: str = "Tanbo",
    overwrite: bool = False,
) -> Path:
    """Write ``folder/TASKDATA/TASKDATA.XML`` (and ``GRD00001.BIN`` for a grid).

    Parameters
    ----------
    p
        The prescription; zones become TZN 1..n in zone order.
    folder
        Where the ``TASKDATA`` folder goes, e.g. the root of the terminal's USB stick.
    layout
        ``"grid"`` (a GRD) or ``"polygons"`` (a PLN per zone).
    grid_type
        1: a byte per cell naming the TZN; 2: a 32-bit setpoint per cell.
    cell_m
        Grid cell size in metres, turned into degrees at the field's latitude.
    version
        ISOXML major version, 3 (3.3) or 4 (4.0).
    customer, farm
        Names for the CTR and FRM the terminal files the task under.
    overwrite
        Replace an existing ``TASKDATA.XML``; by default it is kept, as a terminal's
        stick may hold logged work.

    Returns
    -------
    Path
        The ``TASKDATA`` folder.

    Raises
    ------
    BadPrescription
        ``TASKDATA.XML`` exists and ``overwrite`` is false, more zones than a grid of
        type 1 can code, a cell size that is not positive, or no cell centre in a zone.
    """
    taskdata = folder / "TASKDATA"
    xml_path = taskdata / "TASKDATA.XML"
    if xml_path.exists() and not overwrite:
        raise BadPrescription(f"{xml_path}: already there; pass overwrite=True to replace it")
    if len(p.zones) + 1 > _MAX_CODE:
        raise BadPrescription(f"field {p.field_id}: {len(p.zones)} zones, ISOXML codes 253")
    grid = _grid(p, cell_m) if layout == "grid" else None
    root = ET.Element("ISO11783_TaskData", _root_attributes(version))
    ET.SubElement(root, "CTR", A="CTR1", B=_designator(customer))
    ET.SubElement(root, "FRM", A="FRM1", B=_designator(farm), I="CTR1")
    _partfield(root, p, version)
    _product(root, p, version)
    task = ET.SubElement(
        root,
        "TSK",
        A="TSK1",
        B=_designator(f"{p.product.name} {p.field_id}"),
        C="CTR1",
        D="FRM1",
        E="PFD1",
        G="1",
    )
    zones: _ZoneForm = "outlined" if grid is None else "coded" if grid_type == 1 else "none"
    mean_code = _treatment_zones(task, p, zones)
    task.set("I", str(mean_code))
    task.set("J", str(_OUT_OF_FIELD))
    taskdata.mkdir(parents=True, exist_ok=True)
    if grid is not None:
        data = _grid_bytes(p, grid, grid_type)
        (taskdata / f"{GRID_FILENAME}.BIN").write_bytes(data)
        _grid_element(task, grid, grid_type, len(data), mean_code)
    ET.SubElement(root, "VPN", A="VPN1", B="0", C="0.01", D="1", E=p.unit)
    ET.indent(root)
    # Written by hand: ElementTree's declaration uses single quotes, which some parsers balk at.
    text = ET.tostring(root, encoding="unicode")
    xml_path.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n' + text.encode() + b"\n")
    return taskdata


def _software_version() -> str:
    try:
        return metadata.version("tanbo")
    except metadata.PackageNotFoundError:
        return "unknown"


def _root_attributes(major: int) -> dict[str, str]:
    return {
        "VersionMajor": str(major),
        "VersionMinor": "3" if major == 3 else "0",
        "ManagementSoftwareManufacturer": "Tanbo",
        "ManagementSoftwareVersion": _software_version(),
        "DataTransferOrigin": "1",
    }


def _designator(text: str) -> str:
    return " ".join(text.split())[:_DESIGNATOR_CHARS]


def _parts(geom: Polygon | MultiPolygon) -> list[Polygon]:
    return list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]


def _ring(parent: ET.Element, coords: list[tuple[float, float]], kind: str) -> None:
    lsg = ET.SubElement(parent, "LSG", A=kind)
    for lon, lat in coords:
        ET.SubElement(lsg, "PNT", A="2", C=f"{lat:.9f}", D=f"{lon:.9f}")


def _polygon(parent: ET.Element, polygons: list[Polygon], kind: str) -> None:
    """One PLN of type ``kind`` holding every ring of ``polygons`` (exteriors LSG type 1)."""
    pln = ET.SubElement(parent, "PLN", A=kind)
    for polygon in polygons:
        oriented = shapely.orient_polygons(polygon)
        _ring(pln, list(oriented.exterior.coords), "1")
        for hole in oriented.interiors:
            _ring(pln, list(hole.coords), "2")


def _partfield(root: ET.Element, p: Prescription, major: int) -> None:
    pfd = ET.SubElement(
        root,
        "PFD",
        A="PFD1",
        B=_designator(p.field_id),
        C=_designator(p.field_id),
        D=str(round(p.area_m2)),
        E="CTR1",
        F="FRM1",
    )
    # simplify(0) drops the vertices zones shared inside one straight edge of the boundary.
    parts = _parts_of(shapely.union_all([z.geometry for z in p.zones]).simplify(0.0))
    # Version 3 allows one boundary PLN per partfield, with several exterior rings.
    if major == 3:
        _polygon(pfd, parts, "1")
    else:
        for part in parts:
            _polygon(pfd, [part], "1")


def _parts_of(geom: shapely.Geometry) -> list[Polygon]:
    if isinstance(geom, Polygon | MultiPolygon):
        return _parts(geom)
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]


def _product(root: ET.Element, p: Prescription, major: int) -> None:
    pdt = ET.SubElement(root, "PDT", A="PDT1", B=_designator(p.product.name))
    if major >= 4:
        pdt.set("F", "1")  # a single product, not a mixture
        if p.product.density_kg_l is not None:
            pdt.set("H", str(round(p.product.density_kg_l * 1_000_000)))  # mg/L


def _zone_element(
    task: ET.Element,
    p: Prescription,
    code: int,
    name: str,
    rate: float,
    outline: Polygon | MultiPolygon | None = None,
) -> None:
    tzn = ET.SubElement(task, "TZN", A=str(code), B=_designator(name))
    if outline is not None:
        for part in _parts(outline):
            _polygon(tzn, [part], "2")
    ddi, value = setpoint(p, rate)
    ET.SubElement(tzn, "PDV", A=f"{ddi:04X}", B=str(value), C="PDT1", E="VPN1")


def _treatment_zones(task: ET.Element, p: Prescription, zones: _ZoneForm) -> int:
    """Write the TZNs (a zone's code is its number); return the code at the mean rate."""
    _zone_element(task, p, _OUT_OF_FIELD, "Outside the field", 0.0)
    if zones == "none":
        mean_code = 1
    else:
        for z in p.zones:
            outline = z.geometry if zones == "outlined" else None
            _zone_element(task, p, z.zone, f"Zone {z.zone} {z.rate:g} {p.unit}", z.rate, outline)
        mean_code = len(p.zones) + 1
    _zone_element(task, p, mean_code, "Field mean", p.mean_rate)
    return mean_code


def _metres_per_degree(lat_deg: float) -> tuple[float, float]:
    """(north, east) metres per degree on the WGS84 ellipsoid at ``lat_deg``."""
    phi = math.radians(lat_deg)
    w = 1.0 - _WGS84_E2 * math.sin(phi) ** 2
    meridian_m = _WGS84_A_M * (1.0 - _WGS84_E2) / w**1.5
    prime_vertical_m = _WGS84_A_M / math.sqrt(w)
    return math.radians(meridian_m), math.radians(prime_vertical_m * math.cos(phi))


def _grid(p: Prescription, cell_m: float) -> _Grid:
    if not (math.isfinite(cell_m) and cell_m > 0):
        raise BadPrescription(f"field {p.field_id}: cell size {cell_m} m must be positive")
    west, south, east, north = shapely.union_all([z.geometry for z in p.zones]).bounds
    north_m, east_m = _metres_per_degree((south + north) / 2)
    cell_n, cell_e = cell_m / north_m, cell_m / east_m
    rows = max(1, math.ceil((north - south) / cell_n))
    cols = max(1, math.ceil((east - west) / cell_e))
    lat = south + (np.arange(rows) + 0.5) * cell_n
    lon = west + (np.arange(cols) + 0.5) * cell_e
    lons, lats = np.meshgrid(lon, lat)
    codes = np.full((rows, cols), _OUT_OF_FIELD, dtype=np.uint8)
    for z in p.zones:
        inside = shapely.contains_xy(z.geometry, lons, lats) & (codes == _OUT_OF_FIELD)
        codes[inside] = z.zone
    if not (codes != _OUT_OF_FIELD).any():
        raise BadPrescription(
            f"field {p.field_id}: no {cell_m:g} m cell has its centre in a zone; use smaller cells"
        )
    return _Grid(
        south_deg=south, west_deg=west, cell_north_deg=cell_n, cell_east_deg=cell_e, codes=codes
    )


def _grid_bytes(p: Prescription, grid: _Grid, grid_type: int) -> bytes:
    if grid_type == 1:
        return grid.codes.tobytes(order="C")
    values = np.zeros(len(p.zones) + 1, dtype="<i4")
    for z in p.zones:
        values[z.zone] = setpoint(p, z.rate)[1]
    return values[grid.codes].astype("<i4").tobytes(order="C")


def _grid_element(
    task: ET.Element, grid: _Grid, grid_type: int, size: int, template_code: int
) -> None:
    rows, cols = grid.codes.shape
    grd = ET.SubElement(
        task,
        "GRD",
        A=f"{grid.south_deg:.9f}",
        B=f"{grid.west_deg:.9f}",
        C=f"{grid.cell_north_deg:.14f}",
        D=f"{grid.cell_east_deg:.14f}",
        E=str(cols),
        F=str(rows),
        G=GRID_FILENAME,
        H=str(size),
        I=str(grid_type),
    )
    if grid_type == 2:
        grd.set("J", str(template_code))
