"""Management zones on small generated index rasters with known answers."""

import itertools
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import rasterio
import shapely
from affine import Affine
from shapely import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from fields.agronomy.errors import BadRaster, FieldOutsideImage, NotEnoughData
from fields.agronomy.mgmt_zones import management_zones
from fields.agronomy.model import FieldShape, ZoneMap
from fields.crs import LocalCrs, area_m2, local_crs_for, to_local, to_wgs84
from tests.common.geometries import KASAI

UTM53 = LocalCrs(epsg=32653, name="WGS 84 / UTM zone 53N")
_ORIGIN = to_local(Point(*KASAI), UTM53)
X0, Y0 = round(_ORIGIN.x), round(_ORIGIN.y)
"""South-west corner of the test field in UTM 53N metres, near Kasai city hall."""
MARGIN_PX = 5
LOCAL = local_crs_for(*KASAI)


def utm_field(
    width_m: float = 40, height_m: float = 20, dx_m: float = 0, dy_m: float = 0
) -> Polygon:
    """A rectangle drawn in UTM 53N and given in WGS84, so it sits on the UTM pixel grid."""
    utm = box(X0 + dx_m, Y0 + dy_m, X0 + dx_m + width_m, Y0 + dy_m + height_m)
    wgs84 = to_wgs84(utm, UTM53)
    assert isinstance(wgs84, Polygon)
    return wgs84


def write_utm(path: Path, values: npt.NDArray[np.float64], **tags: str) -> Path:
    """Write ``values`` as a 1 m float32 GeoTIFF in UTM 53N, NaN as nodata, whose inner part
    (``MARGIN_PX`` in from each side) starts at (X0, Y0) in the south-west."""
    rows = values.shape[0]
    transform = from_origin(X0 - MARGIN_PX, Y0 + rows - MARGIN_PX, 1.0, 1.0)
    return _write(path, values, transform, "EPSG:32653", tags)


def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    """rasterio's from_origin, without the matrix ``*`` affine now warns about."""
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def _write(
    path: Path, values: npt.NDArray[np.float64], transform: Affine, crs: str, tags: dict[str, str]
) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=np.nan,
    ) as ds:
        ds.write(values.astype(np.float32), 1)
        ds.update_tags(**tags)
    return path


def halves(
    width_px: int = 40, height_px: int = 20, outside: float | None = None
) -> npt.NDArray[np.float64]:
    """A 1 m grid over a width × height field plus the margin: NDVI 0.8 west, 0.4 east."""
    grid = np.full((height_px + 2 * MARGIN_PX, width_px + 2 * MARGIN_PX), 0.4)
    grid[:, : MARGIN_PX + width_px // 2] = 0.8
    if outside is not None:
        grid[:MARGIN_PX], grid[-MARGIN_PX:] = outside, outside
        grid[:, :MARGIN_PX], grid[:, -MARGIN_PX:] = outside, outside
    return grid


def wgs84_halves(path: Path) -> tuple[Path, Polygon]:
    """The same two halves on a lon/lat grid (EPSG:4326), and a field on that grid."""
    step = 1e-5  # about 0.9 × 1.1 m here
    west, north = KASAI[0] - MARGIN_PX * step, KASAI[1] + (20 + MARGIN_PX) * step
    values = halves()
    _write(path, values, from_origin(west, north, step, step), "EPSG:4326", {})
    return path, box(KASAI[0], KASAI[1], KASAI[0] + 40 * step, KASAI[1] + 20 * step)


def local_area(geom: BaseGeometry) -> float:
    return area_m2(geom, LOCAL)


def assert_zones_tile(zone_map: ZoneMap, field: Polygon) -> None:
    """Union of the zones is the field, no two zones overlap, all valid and polygonal."""
    geoms = [z.geometry for z in zone_map.zones]
    assert all(g.is_valid and isinstance(g, Polygon | MultiPolygon) for g in geoms)
    union = shapely.union_all(geoms)
    assert local_area(shapely.symmetric_difference(union, field)) < 1e-3  # m²
    for a, b in itertools.combinations(geoms, 2):
        assert local_area(shapely.intersection(a, b)) < 1e-3


def parts(zone_map: ZoneMap) -> list[Polygon]:
    return [p for z in zone_map.zones for p in shapely.get_parts(z.geometry)]


@pytest.mark.parametrize("n_zones", [2, 3])
def test_left_half_08_and_right_half_04_give_two_zones_with_those_means(
    tmp_path: Path, n_zones: int
) -> None:
    raster = write_utm(tmp_path / "ndvi.tif", halves())
    field = utm_field()

    zone_map = management_zones(raster, FieldShape(id="F1", geometry=field), n_zones=n_zones)

    assert (zone_map.field_id, zone_map.index) == ("F1", "NDVI")
    assert [z.zone for z in zone_map.zones] == [1, 2]
    low, high = zone_map.zones
    assert low.stats.mean == pytest.approx(0.4, abs=0.01)
    assert high.stats.mean == pytest.approx(0.8, abs=0.01)
    assert low.area_m2 == pytest.approx(400, rel=0.01)
    assert high.area_m2 == pytest.approx(400, rel=0.01)
    assert high.geometry.centroid.x < low.geometry.centroid.x  # 0.8 is the west half
    assert low.stats.pixels == pytest.approx(400, rel=0.01)
    assert low.stats.valid_fraction == 1.0
    assert_zones_tile(zone_map, field)


def test_a_lon_lat_raster_gives_the_same_two_zones(tmp_path: Path) -> None:
    raster, field = wgs84_halves(tmp_path / "ndvi_4326.tif")

    zone_map = management_zones(raster, FieldShape(id="F1", geometry=field), n_zones=3)

    assert [round(z.stats.mean, 2) for z in zone_map.zones] == [0.4, 0.8]
    half = local_area(field) / 2
    assert [z.area_m2 for z in zone_map.zones] == pytest.approx([half, half], rel=0.01)
    assert_zones_tile(zone_map, field)


@pytest.mark.parametrize("smoothing_px", [0, 1])
def test_a_two_pixel_speck_is_merged_into_the_zone_around_it(
    tmp_path: Path, smoothing_px: int
) -> None:
    values = halves()
    values[MARGIN_PX + 8 : MARGIN_PX + 10, MARGIN_PX + 6 : MARGIN_PX + 8] = 0.4
    raster = write_utm(tmp_path / "speck.tif", values)
    field = utm_field()

    zone_map = management_zones(
        raster,
        FieldShape(id="F1", geometry=field),
        n_zones=2,
        min_zone_area_m2=200,
        smoothing_px=smoothing_px,
    )

    assert len(zone_map.zones) == 2
    assert all(local_area(p) >= 200 for p in parts(zone_map))
    west = zone_map.zones[1]
    assert isinstance(west.geometry, Polygon)
    assert not west.geometry.interiors  # the speck's hole is filled
    assert west.stats.mean == pytest.approx((396 * 0.8 + 4 * 0.4) / 400, abs=1e-6)
    assert west.stats.median == pytest.approx(0.8, abs=1e-6)  # a weighted median, not 0.6
    assert west.stats.min == pytest.approx(0.4, abs=1e-6)
    assert_zones_tile(zone_map, field)


def test_a_small_separate_part_of_a_field_keeps_a_zone(tmp_path: Path) -> None:
    raster = write_utm(tmp_path / "ndvi.tif", halves())
    # a 32 m paddy (0.8 on 20 m, 0.4 on 12 m), a 2 m ditch, and a 6 × 10 m plot of 0.4
    paddies = MultiPolygon([utm_field(32, 20), utm_field(6, 10, dx_m=34)])

    zone_map = management_zones(
        raster, FieldShape(id="F1", geometry=paddies), n_zones=2, min_zone_area_m2=200
    )

    assert_zones_tile(zone_map, paddies)
    assert [round(z.stats.mean, 2) for z in zone_map.zones] == [0.4, 0.8]
    assert zone_map.zones[0].area_m2 == pytest.approx(12 * 20 + 6 * 10, rel=0.01)
    assert len(shapely.get_parts(zone_map.zones[0].geometry)) == 2  # the 60 m² plot is kept


def test_no_piece_of_a_noisy_field_is_smaller_than_the_minimum_area(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(0.6, 0.15, size=(50, 70))
    raster = write_utm(tmp_path / "noise.tif", values)
    field = utm_field(60, 40)

    zone_map = management_zones(
        raster, FieldShape(id="F1", geometry=field), n_zones=3, min_zone_area_m2=150
    )

    assert all(local_area(p) >= 150 for p in parts(zone_map))
    means = [z.stats.mean for z in zone_map.zones]
    assert means == sorted(means)
    assert_zones_tile(zone_map, field)


def test_the_same_seed_gives_the_same_zones(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    raster = write_utm(tmp_path / "noise.tif", rng.uniform(0.2, 0.9, size=(40, 60)))
    field = FieldShape(id="F1", geometry=utm_field(50, 30))

    first = management_zones(raster, field, n_zones=3, min_zone_area_m2=50, seed=11)
    second = management_zones(raster, field, n_zones=3, min_zone_area_m2=50, seed=11)

    assert [z.geometry.wkb for z in first.zones] == [z.geometry.wkb for z in second.zones]
    assert [z.stats for z in first.zones] == [z.stats for z in second.zones]


def test_a_road_along_the_edge_makes_no_zone_of_its_own(tmp_path: Path) -> None:
    raster = write_utm(tmp_path / "road.tif", halves(outside=0.05))
    field = utm_field(39.5, 19.5, dx_m=0.25, dy_m=0.25)  # cuts through the edge pixels

    zone_map = management_zones(raster, FieldShape(id="F1", geometry=field), n_zones=3)

    assert len(zone_map.zones) == 2
    assert_zones_tile(zone_map, field)


def test_a_uniform_field_is_one_zone(tmp_path: Path) -> None:
    raster = write_utm(tmp_path / "flat.tif", np.full((30, 50), 0.55))
    field = utm_field()

    zone_map = management_zones(raster, FieldShape(id="F1", geometry=field), n_zones=4)

    (zone,) = zone_map.zones
    assert zone.stats.mean == pytest.approx(0.55, abs=1e-6)
    assert zone.area_m2 == pytest.approx(800, rel=0.01)


def test_masked_pixels_inside_the_field_still_get_a_zone(tmp_path: Path) -> None:
    values = halves()
    values[MARGIN_PX : MARGIN_PX + 10, MARGIN_PX + 25 : MARGIN_PX + 35] = np.nan  # a cloud
    raster = write_utm(tmp_path / "cloud.tif", values)
    field = utm_field()

    zone_map = management_zones(raster, FieldShape(id="F1", geometry=field), n_zones=2)

    low, high = zone_map.zones
    assert low.stats.mean == pytest.approx(0.4, abs=0.01)
    assert low.stats.valid_fraction == pytest.approx(300 / 400, abs=0.01)
    assert high.stats.valid_fraction == 1.0
    assert_zones_tile(zone_map, field)


def test_the_image_date_comes_from_the_tiff_tags(tmp_path: Path) -> None:
    raster = write_utm(tmp_path / "dated.tif", halves(), TIFFTAG_DATETIME="2025:07:14 10:32:00")

    zone_map = management_zones(raster, FieldShape(id="F1", geometry=utm_field()))

    assert zone_map.image_date == "2025-07-14"


def test_too_few_pixels_for_the_zones_asked_is_refused(tmp_path: Path) -> None:
    raster = write_utm(tmp_path / "ndvi.tif", halves())
    small = FieldShape(id="tiny-paddy", geometry=utm_field(3, 3))

    with pytest.raises(NotEnoughData, match="tiny-paddy"):
        management_zones(raster, small, n_zones=3)


def test_a_field_off_the_image_is_refused(tmp_path: Path) -> None:
    raster = write_utm(tmp_path / "ndvi.tif", halves())
    far = FieldShape(id="far-away", geometry=utm_field(dx_m=1000))

    with pytest.raises(FieldOutsideImage, match="far-away"):
        management_zones(raster, far)


def test_a_field_under_nothing_but_nodata_is_refused(tmp_path: Path) -> None:
    raster = write_utm(tmp_path / "blank.tif", np.full((30, 50), np.nan))

    with pytest.raises(FieldOutsideImage, match="F1"):
        management_zones(raster, FieldShape(id="F1", geometry=utm_field()))


def test_a_multi_band_file_is_not_an_index_raster(tmp_path: Path) -> None:
    path = tmp_path / "rgb.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=8,
        height=8,
        count=3,
        dtype="uint8",
        crs="EPSG:32653",
        transform=from_origin(X0, Y0 + 8, 1, 1),
    ) as ds:
        ds.write(np.zeros((3, 8, 8), dtype=np.uint8))

    with pytest.raises(BadRaster, match=r"rgb\.tif"):
        management_zones(path, FieldShape(id="F1", geometry=utm_field(4, 4)))


def test_a_file_that_is_not_a_raster_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.tif"
    path.write_text("not an image")

    with pytest.raises(BadRaster, match=r"notes\.tif"):
        management_zones(path, FieldShape(id="F1", geometry=utm_field()))


@pytest.mark.parametrize(
    "kwargs",
    [{"n_zones": 0}, {"min_zone_area_m2": -1.0}, {"smoothing_px": -1}, {"simplify_px": -1.0}],
)
def test_out_of_range_settings_are_refused(tmp_path: Path, kwargs: dict[str, float]) -> None:
    raster = write_utm(tmp_path / "ndvi.tif", halves())

    with pytest.raises(ValueError, match="n_zones"):
        management_zones(raster, FieldShape(id="F1", geometry=utm_field()), **kwargs)  # type: ignore[arg-type]
