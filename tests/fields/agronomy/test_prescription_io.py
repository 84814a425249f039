"""Prescription files: ``write_prescription`` and ``read_prescription`` (and the rate grid).

Tanbo's own files must read back as the rates written; other programs' rate polygons must
read when they are usable and be refused, naming the feature, when they are not.
"""

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
from shapely import LineString, MultiPolygon, Polygon

from fields.agronomy.errors import BadPrescription
from fields.agronomy.model import ManagementZone, ZoneMap
from fields.agronomy.prescription import Prescription, prescribe
from fields.agronomy.prescription_io import read_prescription, write_prescription
from fields.agronomy.products import PRODUCTS
from fields.agronomy.rate_grid import NODATA
from fields.errors import UnsupportedFormat
from tests.common.geometries import at, rect
from tests.fields.agronomy.test_prescription import (
    AMMONIUM_SULPHATE,
    RICE,
    half_and_half,
    stats,
)

EAST_CENTRE = at(75, 25)
"""The middle of zone 1 (east half, 178.6 kg/ha of 硫安)."""
WEST_CENTRE = at(25, 25)
"""The middle of zone 2 (west half, 83.3 kg/ha)."""
OUTSIDE = at(150, 25)


@pytest.fixture
def rx() -> Prescription:
    return prescribe(half_and_half(), RICE, AMMONIUM_SULPHATE)


def third_party(path: Path, rows: list[dict[str, Any]], geoms: list[Any], crs: Any) -> Path:
    """Write a rate file as another program might: any columns, any CRS (or none)."""
    pyogrio.write_dataframe(gpd.GeoDataFrame(rows, geometry=geoms, crs=crs), path)
    return path


@pytest.mark.parametrize("suffix", [".geojson", ".shp", ".gpkg"])
def test_own_polygon_files_read_back_as_written(
    rx: Prescription, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"rx{suffix}"
    write_prescription(rx, path)
    rates = read_prescription(path)
    assert [(z.label, z.rate) for z in rates.zones] == [("1", 178.6), ("2", 83.3)]
    assert (rates.unit, rates.product, rates.field_ids) == ("kg/ha", "硫安", ("kasai-001",))
    assert rates.rate_at(*EAST_CENTRE) == 178.6
    assert rates.rate_at(*WEST_CENTRE) == 83.3
    assert rates.rate_at(*OUTSIDE) is None


def test_geojson_properties_are_the_planner_contract(rx: Prescription, tmp_path: Path) -> None:
    path = tmp_path / "rx.geojson"
    write_prescription(rx, path)
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    first = features[0]["properties"]
    assert {"field_id", "zone", "index_mean", "n_kg_ha", "rate", "unit", "product"} <= set(first)
    assert first == first | {
        "field_id": "kasai-001",
        "zone": 1,
        "index_mean": 0.4,
        "n_kg_ha": 37.5,
        "rate": 178.6,
        "unit": "kg/ha",
        "product": "硫安",
    }
    assert features[0]["geometry"]["type"] == "Polygon"


def test_shapefile_has_short_names_a_prj_and_utf8_product(rx: Prescription, tmp_path: Path) -> None:
    path = tmp_path / "rx.shp"
    write_prescription(rx, path)
    frame = pyogrio.read_dataframe(path)
    columns = [c for c in frame.columns if c != "geometry"]
    assert {"ZONE", "N_KG_HA", "RATE", "UNIT", "PRODUCT"} <= set(columns)
    assert all(len(c) <= 10 for c in columns)
    assert path.with_suffix(".prj").exists()
    assert path.with_suffix(".cpg").read_text().strip().upper() == "UTF-8"
    assert list(frame["PRODUCT"]) == ["硫安", "硫安"]


def test_liquid_prescription_reads_back_in_litres(tmp_path: Path) -> None:
    rx = prescribe(half_and_half(), RICE, PRODUCTS["UAN32"])
    write_prescription(rx, tmp_path / "rx.gpkg")
    rates = read_prescription(tmp_path / "rx.gpkg")
    assert rates.unit == "L/ha"
    assert [z.rate for z in rates.zones] == [88.8, 41.4]


def test_rate_grid_is_float32_in_utm_with_nodata_outside(rx: Prescription, tmp_path: Path) -> None:
    path = tmp_path / "rx.tif"
    write_prescription(rx, path, cell_m=2.0)
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 32653  # WGS 84 / UTM zone 53N over Kasai
        assert src.dtypes == ("float32",)
        assert src.res == (2.0, 2.0)
        assert src.nodata == NODATA
        assert src.tags()["unit"] == "kg/ha"
        assert src.tags()["product"] == "硫安"
        band = src.read(1)
        east, west = (src.index(*_utm(src, lonlat)) for lonlat in (EAST_CENTRE, WEST_CENTRE))
        assert band[east] == pytest.approx(178.6)
        assert band[west] == pytest.approx(83.3)
        assert band[0, 0] == NODATA or band[-1, -1] == NODATA
        covered_m2 = float((band != NODATA).sum()) * 4.0
    assert covered_m2 == pytest.approx(5_000.0, rel=0.05)


def _utm(src: Any, lonlat: tuple[float, float]) -> tuple[float, float]:
    xs, ys = rasterio.warp.transform("EPSG:4326", src.crs, [lonlat[0]], [lonlat[1]])
    return xs[0], ys[0]


def test_rate_grid_in_the_local_plane_on_request(rx: Prescription, tmp_path: Path) -> None:
    write_prescription(rx, tmp_path / "rx.tif", grid_crs="local")
    with rasterio.open(tmp_path / "rx.tif") as src:
        assert src.crs.to_epsg() == 6673  # JGD2011 / Japan Plane Rectangular CS V (Hyogo)


def test_rate_grid_reads_back_as_one_zone_per_rate(rx: Prescription, tmp_path: Path) -> None:
    write_prescription(rx, tmp_path / "rx.tif", cell_m=1.0)
    rates = read_prescription(tmp_path / "rx.tif")
    assert [z.rate for z in rates.zones] == [83.3, 178.6]
    assert (rates.unit, rates.product, rates.field_ids) == ("kg/ha", "硫安", ("kasai-001",))
    assert rates.rate_at(*EAST_CENTRE) == 178.6
    assert rates.rate_at(*WEST_CENTRE) == 83.3


def test_grid_cell_coarser_than_the_field_is_refused(rx: Prescription, tmp_path: Path) -> None:
    with pytest.raises(BadPrescription, match="no 500 m cell has its centre in a zone"):
        write_prescription(rx, tmp_path / "rx.tif", cell_m=500.0)


def test_unknown_extension_is_refused(rx: Prescription, tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormat, match=r"rx\.kml: cannot write \.kml"):
        write_prescription(rx, tmp_path / "rx.kml")


@pytest.mark.parametrize(
    ("column", "unit"),
    [("Rate", None), ("RATE", None), ("Target_Rat", None), ("rate_l_ha", "L/ha"), ("N", "kg/ha")],
)
def test_third_party_rate_column_is_found(tmp_path: Path, column: str, unit: str | None) -> None:
    path = third_party(
        tmp_path / "vra.shp",
        [{"Name": "a", column: 40.0}, {"Name": "b", column: 55.5}],
        [rect(0, 0, 50, 50), rect(50, 0, 50, 50)],
        "EPSG:4326",
    )
    rates = read_prescription(path)
    assert (rates.rate_column, rates.unit) == (column, unit)
    assert [(z.label, z.rate) for z in rates.zones] == [("a", 40.0), ("b", 55.5)]
    assert rates.product == ("N" if column == "N" else None)


def test_named_rate_column_in_a_projected_file(tmp_path: Path) -> None:
    utm = [rect(0, 0, 50, 50), rect(50, 0, 50, 50)]
    projected = gpd.GeoSeries(utm, crs="EPSG:4326").to_crs("EPSG:32653")
    path = third_party(
        tmp_path / "dose.gpkg", [{"Dosis": 12.0}, {"Dosis": 0.0}], list(projected), "EPSG:32653"
    )
    rates = read_prescription(path, rate_column="dosis", unit="l/ha", product="my液肥")
    assert (rates.rate_column, rates.unit, rates.product) == ("Dosis", "L/ha", "my液肥")
    assert rates.rate_at(*at(25, 25)) == 12.0
    assert rates.rate_at(*at(75, 25)) == 0.0


def test_no_rate_column_lists_the_columns(tmp_path: Path) -> None:
    path = third_party(
        tmp_path / "zones.geojson", [{"zone": "A", "yield_t": "high"}], [rect(0, 0, 9, 9)], 4326
    )
    with pytest.raises(BadPrescription, match="no numeric rate column among zone, yield_t"):
        read_prescription(path)


def test_named_column_that_is_text_is_refused(tmp_path: Path) -> None:
    path = third_party(tmp_path / "z.geojson", [{"rate": "lots"}], [rect(0, 0, 9, 9)], 4326)
    with pytest.raises(BadPrescription, match="column rate is not numeric"):
        read_prescription(path, rate_column="rate")


@pytest.mark.parametrize(
    ("value", "message"), [(-5.0, r"zone 2 \(feature #1\) has rate -5\.0"), (None, "rate None")]
)
def test_negative_or_missing_rate_names_the_feature(
    tmp_path: Path, value: float | None, message: str
) -> None:
    path = third_party(
        tmp_path / "vra.gpkg",
        [{"zone": 1, "rate": 30.0}, {"zone": 2, "rate": value}],
        [rect(0, 0, 50, 50), rect(50, 0, 50, 50)],
        "EPSG:4326",
    )
    with pytest.raises(BadPrescription, match=message):
        read_prescription(path)


def test_lines_are_not_rate_zones(tmp_path: Path) -> None:
    path = third_party(
        tmp_path / "vra.geojson",
        [{"rate": 30.0}, {"rate": 20.0}],
        [rect(0, 0, 50, 50), LineString([at(0, 0), at(50, 50)])],
        4326,
    )
    with pytest.raises(BadPrescription, match=r"feature #1 is a LineString, not a polygon"):
        read_prescription(path)


def test_shapefile_without_prj_is_refused(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        path = third_party(tmp_path / "vra.shp", [{"rate": 30.0}], [rect(0, 0, 50, 50)], None)
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(BadPrescription, match=r"vra\.shp: no CRS declared"):
        read_prescription(path)


def test_unit_that_contradicts_the_file_is_refused(rx: Prescription, tmp_path: Path) -> None:
    write_prescription(rx, tmp_path / "rx.geojson")
    with pytest.raises(BadPrescription, match="rate is in kg/ha, not the L/ha asked for"):
        read_prescription(tmp_path / "rx.geojson", unit="L/ha")


def test_foreign_unit_is_refused(tmp_path: Path) -> None:
    path = third_party(
        tmp_path / "us.geojson", [{"rate": 10.0, "unit": "gal/ac"}], [rect(0, 0, 9, 9)], 4326
    )
    with pytest.raises(BadPrescription, match="unit 'gal/ac' is not one of kg/ha, L/ha"):
        read_prescription(path)


@pytest.mark.parametrize(
    ("inner", "shared"),
    [(rect(50, 0, 50, 50), r"5\d\d\.\d m²"), (rect(10, 10, 20, 20), r"4\d\d\.\d m²")],
    ids=["overlapping", "nested"],
)
def test_zones_over_the_same_ground_are_refused(
    tmp_path: Path, inner: Polygon, shared: str
) -> None:
    path = third_party(
        tmp_path / "vra.geojson",
        [{"zone": "a", "rate": 30.0}, {"zone": "b", "rate": 20.0}],
        [rect(0, 0, 60, 50), inner],
        4326,
    )
    with pytest.raises(BadPrescription, match=rf"zones a and b overlap \({shared}\)"):
        read_prescription(path)


def test_repeated_labels_are_told_apart(tmp_path: Path) -> None:
    path = third_party(
        tmp_path / "vra.geojson",
        [{"zone": "low", "rate": 30.0}, {"zone": "low", "rate": 30.0}, {"zone": "hi", "rate": 9.0}],
        [rect(0, 0, 10, 10), rect(20, 0, 10, 10), rect(40, 0, 10, 10)],
        4326,
    )
    assert [z.label for z in read_prescription(path).zones] == ["low #0", "low #1", "hi"]


def test_self_intersecting_zone_is_repaired(tmp_path: Path) -> None:
    bow_tie = Polygon([at(0, 0), at(40, 40), at(40, 0), at(0, 40)])
    path = third_party(tmp_path / "vra.geojson", [{"rate": 30.0}], [bow_tie], 4326)
    zone = read_prescription(path).zones[0]
    assert zone.geometry.is_valid
    assert zone.geometry.geom_type == "MultiPolygon"  # both triangles kept
    assert zone.geometry.area == pytest.approx(bow_tie.exterior.envelope.area / 2, rel=1e-6)


def test_grid_with_negative_cell_names_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "bad.tif"
    data = np.full((3, 3), 20.0, dtype="float32")
    data[1, 2] = -1.0
    profile = {
        "driver": "GTiff",
        "width": 3,
        "height": 3,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:32653",
        "transform": rasterio.Affine(2.0, 0.0, 500_000.0, 0.0, -2.0, 3_865_000.0),
        "nodata": NODATA,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    with pytest.raises(BadPrescription, match=r"cell row 1, column 2 has rate -1\.0"):
        read_prescription(path)


@pytest.mark.parametrize("suffix", [".geojson", ".shp", ".gpkg"])
def test_multipolygon_zones_beside_polygons_are_written(tmp_path: Path, suffix: str) -> None:
    split = MultiPolygon([rect(0, 0, 20, 50), rect(80, 0, 20, 50)])
    zones = (
        ManagementZone(zone=1, geometry=rect(20, 0, 60, 50), area_m2=3_000.0, stats=stats(0.4)),
        ManagementZone(zone=2, geometry=split, area_m2=2_000.0, stats=stats(0.8)),
    )
    rx = prescribe(ZoneMap(field_id="split", index="NDVI", zones=zones), RICE, AMMONIUM_SULPHATE)
    write_prescription(rx, tmp_path / f"rx{suffix}")
    rates = read_prescription(tmp_path / f"rx{suffix}")
    assert rates.rate_at(*at(10, 25)) == rates.rate_at(*at(90, 25)) == 83.3
    assert rates.rate_at(*at(50, 25)) == 178.6
