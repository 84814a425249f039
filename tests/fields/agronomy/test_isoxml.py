"""ISO 11783-10 task data: ``fields.agronomy.isoxml.write_taskdata``, read back with ElementTree.

The field of ``test_prescription``: zone 1 (east) 178.6 kg/ha of 硫安 = 17,860 mg/m²,
zone 2 (west) 83.3 kg/ha = 8,330 mg/m².
"""

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from shapely import Polygon

from fields.agronomy.errors import BadPrescription
from fields.agronomy.isoxml import (
    DDI_SETPOINT_MASS_PER_AREA,
    DDI_SETPOINT_VOLUME_PER_AREA,
    setpoint,
    write_taskdata,
)
from fields.agronomy.model import ManagementZone, ZoneMap
from fields.agronomy.prescription import Prescription, prescribe
from fields.agronomy.products import PRODUCTS
from tests.common.geometries import at, polygon_with_hole, rect
from tests.fields.agronomy.test_prescription import (
    AMMONIUM_SULPHATE,
    RICE,
    half_and_half,
    stats,
)

EAST_CENTRE = at(75, 25)
WEST_CENTRE = at(25, 25)
CLOSE_DEG = 1e-8
"""Coordinates are written to 9 decimals of a degree."""
M_PER_DEG_LAT = 110_940.0
"""Near Kasai (34.9° N), as in tests.common.geometries."""


@pytest.fixture
def rx() -> Prescription:
    return prescribe(half_and_half(), RICE, AMMONIUM_SULPHATE)


def parse(folder: Path) -> ET.Element:
    return ET.parse(folder / "TASKDATA.XML").getroot()


def pdv_values(task: ET.Element) -> dict[int, tuple[str, int]]:
    """TZN code → (DDI, value) of its one PDV."""
    out = {}
    for tzn in task.iter("TZN"):
        (pdv,) = tzn.findall("PDV")
        out[int(tzn.attrib["A"])] = (pdv.attrib["A"], int(pdv.attrib["B"]))
    return out


def cell(grd: ET.Element, lonlat: tuple[float, float]) -> int:
    """Index in the grid file of the cell holding a point (rows from the south)."""
    lon, lat = lonlat
    row = math.floor((lat - float(grd.attrib["A"])) / float(grd.attrib["C"]))
    col = math.floor((lon - float(grd.attrib["B"])) / float(grd.attrib["D"]))
    return row * int(grd.attrib["E"]) + col


def test_root_names_version_3_and_tanbo_as_the_fmis(rx: Prescription, tmp_path: Path) -> None:
    root = parse(write_taskdata(rx, tmp_path))
    assert root.tag == "ISO11783_TaskData"
    assert root.attrib | {"ManagementSoftwareVersion": "x"} == {
        "VersionMajor": "3",
        "VersionMinor": "3",
        "ManagementSoftwareManufacturer": "Tanbo",
        "ManagementSoftwareVersion": "x",
        "DataTransferOrigin": "1",
    }
    assert [e.tag for e in root] == ["CTR", "FRM", "PFD", "PDT", "TSK", "VPN"]
    assert [e.attrib["A"] for e in root] == ["CTR1", "FRM1", "PFD1", "PDT1", "TSK1", "VPN1"]
    assert (
        (tmp_path / "TASKDATA" / "TASKDATA.XML")
        .read_bytes()
        .startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    )


def test_partfield_boundary_is_a_type_1_polygon_of_the_field(
    rx: Prescription, tmp_path: Path
) -> None:
    pfd = parse(write_taskdata(rx, tmp_path)).find("PFD")
    assert pfd is not None
    assert pfd.attrib["D"] == "5000"  # m²
    assert (pfd.attrib["E"], pfd.attrib["F"]) == ("CTR1", "FRM1")
    (pln,) = pfd.findall("PLN")
    (lsg,) = pln.findall("LSG")
    assert (pln.attrib["A"], lsg.attrib["A"]) == ("1", "1")
    ring = [(float(p.attrib["D"]), float(p.attrib["C"])) for p in lsg.findall("PNT")]
    field = Polygon([at(0, 0), at(100, 0), at(100, 50), at(0, 50)])
    assert Polygon(ring).hausdorff_distance(field) < CLOSE_DEG
    assert len(ring) == 5  # the vertices the zones shared on the edges are dropped


def test_task_zones_carry_mass_setpoints_in_mg_per_m2(rx: Prescription, tmp_path: Path) -> None:
    task = parse(write_taskdata(rx, tmp_path)).find("TSK")
    assert task is not None
    assert {k: task.attrib[k] for k in "ACDEG"} == {
        "A": "TSK1",
        "C": "CTR1",
        "D": "FRM1",
        "E": "PFD1",
        "G": "1",
    }
    mean = round((178.6 + 83.3) / 2 * 100)
    assert pdv_values(task) == {
        0: ("0006", 0),
        1: ("0006", 17860),
        2: ("0006", 8330),
        3: ("0006", mean),
    }
    assert (task.attrib["J"], task.attrib["I"]) == ("0", "3")  # out of field 0; lost: mean
    assert all(pdv.attrib["C"] == "PDT1" for pdv in task.iter("PDV"))


def test_type_1_grid_holds_the_zone_code_of_each_cell(rx: Prescription, tmp_path: Path) -> None:
    folder = write_taskdata(rx, tmp_path, cell_m=5.0)
    grd = parse(folder).find("TSK/GRD")
    assert grd is not None
    assert (grd.attrib["G"], grd.attrib["I"]) == ("GRD00001", "1")
    data = (folder / "GRD00001.BIN").read_bytes()
    rows, cols = int(grd.attrib["F"]), int(grd.attrib["E"])
    assert len(data) == rows * cols == int(grd.attrib["H"])
    assert (data[cell(grd, EAST_CENTRE)], data[cell(grd, WEST_CENTRE)]) == (1, 2)
    assert float(grd.attrib["C"]) * M_PER_DEG_LAT == pytest.approx(5.0, rel=0.005)
    assert (rows, cols) in [(10, 20), (10, 21), (11, 20), (11, 21)]  # 50 m × 100 m, rounded up
    assert data.count(1) == data.count(2) == 10 * 10
    assert set(data) <= {0, 1, 2}


def test_type_2_grid_holds_int32_setpoints(rx: Prescription, tmp_path: Path) -> None:
    folder = write_taskdata(rx, tmp_path, grid_type=2, cell_m=2.0)
    task = parse(folder).find("TSK")
    assert task is not None
    grd = task.find("GRD")
    assert grd is not None
    assert (grd.attrib["I"], grd.attrib["J"]) == ("2", "1")
    values = np.frombuffer((folder / "GRD00001.BIN").read_bytes(), dtype="<i4")
    assert values.size == int(grd.attrib["E"]) * int(grd.attrib["F"])
    assert values[cell(grd, EAST_CENTRE)] == 17860
    assert values[cell(grd, WEST_CENTRE)] == 8330
    assert sorted(pdv_values(task)) == [0, 1]  # outside, and the grid's template


def test_polygon_zones_are_type_2_polygons_without_a_grid(rx: Prescription, tmp_path: Path) -> None:
    folder = write_taskdata(rx, tmp_path, layout="polygons")
    task = parse(folder).find("TSK")
    assert task is not None
    assert task.find("GRD") is None
    assert not (folder / "GRD00001.BIN").exists()
    zone_1 = next(t for t in task.iter("TZN") if t.attrib["A"] == "1")
    (pln,) = zone_1.findall("PLN")
    assert pln.attrib["A"] == "2"  # treatment zone
    ring = [(float(p.attrib["D"]), float(p.attrib["C"])) for p in pln.iter("PNT")]
    assert Polygon(ring).hausdorff_distance(rx.zones[0].geometry) < CLOSE_DEG


def test_liquids_use_the_volume_ddi_in_mm3_per_m2(tmp_path: Path) -> None:
    rx = prescribe(half_and_half(), RICE, PRODUCTS["UAN32"])
    root = parse(write_taskdata(rx, tmp_path))
    task = root.find("TSK")
    assert task is not None
    assert pdv_values(task)[1] == ("0001", 8880)  # 88.8 L/ha
    vpn = root.find("VPN")
    assert vpn is not None
    assert (vpn.attrib["C"], vpn.attrib["E"]) == ("0.01", "L/ha")


def test_setpoint_conversions(rx: Prescription) -> None:
    assert setpoint(rx, 30.0) == (DDI_SETPOINT_MASS_PER_AREA, 3000)
    liquid = prescribe(half_and_half(), RICE, PRODUCTS["液肥N10"])
    assert setpoint(liquid, 12.5) == (DDI_SETPOINT_VOLUME_PER_AREA, 1250)


def test_version_4_adds_product_type_and_density(tmp_path: Path) -> None:
    rx = prescribe(half_and_half(), RICE, PRODUCTS["UAN32"])
    root = parse(write_taskdata(rx, tmp_path, version=4))
    assert (root.attrib["VersionMajor"], root.attrib["VersionMinor"]) == ("4", "0")
    pdt = root.find("PDT")
    assert pdt is not None
    assert (pdt.attrib["B"], pdt.attrib["F"], pdt.attrib["H"]) == ("UAN32", "1", "1320000")


def test_existing_taskdata_is_kept_unless_told(rx: Prescription, tmp_path: Path) -> None:
    write_taskdata(rx, tmp_path)
    with pytest.raises(BadPrescription, match=r"TASKDATA\.XML: already there"):
        write_taskdata(rx, tmp_path)
    write_taskdata(rx, tmp_path, layout="polygons", overwrite=True)
    assert parse(tmp_path / "TASKDATA").find("TSK/GRD") is None


def test_product_names_stay_utf8(rx: Prescription, tmp_path: Path) -> None:
    pdt = parse(write_taskdata(rx, tmp_path)).find("PDT")
    assert pdt is not None
    assert pdt.attrib["B"] == "硫安"


def test_zone_with_a_hole_keeps_it_as_an_interior_ring(tmp_path: Path) -> None:
    ring_zone = ManagementZone(
        zone=1, geometry=polygon_with_hole(), area_m2=3_500.0, stats=stats(0.4)
    )
    shed_zone = ManagementZone(
        zone=2, geometry=rect(25, 25, 10, 10), area_m2=100.0, stats=stats(0.8)
    )
    zone_map = ZoneMap(field_id="holey", index="NDVI", zones=(ring_zone, shed_zone))
    rx = prescribe(zone_map, RICE, AMMONIUM_SULPHATE)
    root = parse(write_taskdata(rx, tmp_path, layout="polygons"))
    zone_1 = next(t for t in root.iter("TZN") if t.attrib["A"] == "1")
    assert [lsg.attrib["A"] for lsg in zone_1.iter("LSG")] == ["1", "2"]
    boundary = root.find("PFD/PLN")
    assert boundary is not None
    assert [lsg.attrib["A"] for lsg in boundary.iter("LSG")] == ["1"]  # the zones fill the hole
