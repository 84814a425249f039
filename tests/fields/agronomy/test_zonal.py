"""Per-field and per-zone index statistics on small generated GeoTIFFs with known answers."""

import math
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.warp import transform_geom
from shapely import Polygon

from fields.agronomy.errors import AgronomyError, BadRaster, BandProblem, FieldOutsideImage
from fields.agronomy.model import FieldShape, IndexStats
from fields.agronomy.zonal import (
    FieldProblem,
    FieldStats,
    FieldStatsResult,
    ProblemReason,
    index_time_series,
    zonal_stats,
    zone_stats,
)

WEST, NORTH = 134.80, 34.95
"""North-west corner of the test grids in degrees, near Kasai."""
PX = 0.001
"""Pixel size of the test grids in degrees."""
Grid = npt.NDArray[np.floating[Any]]


def write_tif(
    path: Path,
    bands: Grid | list[Grid],
    *,
    crs: str | None = "EPSG:4326",
    transform: Affine | None = None,
    nodata: float | None = None,
    block: int | None = None,
) -> Path:
    arrays = bands if isinstance(bands, list) else [bands]
    height, width = arrays[0].shape
    profile: dict[str, Any] = {
        "driver": "GTiff", "width": width, "height": height, "count": len(arrays),
        "dtype": "float32", "crs": crs, "nodata": nodata,
        "transform": transform or north_up(WEST, NORTH, PX),
    }  # fmt: skip
    if block:
        profile.update(tiled=True, blockxsize=block, blockysize=block, compress="deflate")
    with rasterio.open(path, "w", **profile) as dst:
        for i, array in enumerate(arrays, start=1):
            dst.write(array.astype("float32"), i)
    return path


def north_up(west: float, north: float, size: float) -> Affine:
    """The transform of a north-up grid (rasterio's from_origin warns under affine 3)."""
    return Affine(size, 0.0, west, 0.0, -size, north)


def cells(col0: float, row0: float, col1: float, row1: float) -> Polygon:
    """A WGS84 rectangle over grid columns col0..col1 and rows row0..row1 (fractions allowed)."""
    return shapely.box(WEST + col0 * PX, NORTH - row1 * PX, WEST + col1 * PX, NORTH - row0 * PX)


def from_utm(polygon: Polygon) -> Polygon:
    """A polygon drawn in UTM 53N, given in WGS84."""
    mapping = transform_geom("EPSG:32653", "EPSG:4326", polygon.__geo_interface__)
    shape = shapely.geometry.shape(mapping)
    assert isinstance(shape, Polygon)
    return shape


def halves() -> npt.NDArray[np.float32]:
    """10 × 10: the left five columns 0.8, the right five 0.4."""
    grid = np.full((10, 10), 0.8, dtype=np.float32)
    grid[:, 5:] = 0.4
    return grid


def stats_of(result: FieldStatsResult) -> IndexStats:
    assert isinstance(result, FieldStats), result
    return result.stats


def test_field_over_the_middle_four_columns_averages_both_halves(tmp_path: Path) -> None:
    raster = write_tif(tmp_path / "halves.tif", halves())

    (result,) = zonal_stats(raster, [FieldShape(id="mid", geometry=cells(3, 0, 7, 10))])

    stats = stats_of(result)
    assert result.field_id == "mid"
    assert stats.mean == pytest.approx(0.6)
    assert stats.pixels == pytest.approx(40.0)
    assert stats.valid_fraction == pytest.approx(1.0)
    assert (stats.min, stats.max) == pytest.approx((0.4, 0.8))
    assert stats.std == pytest.approx(0.2)


def test_pixels_cut_by_the_boundary_count_by_their_covered_share(tmp_path: Path) -> None:
    raster = write_tif(tmp_path / "halves.tif", halves())
    # one whole 0.8 pixel and the left half of its 0.4 neighbour: a centre rule gives 0.8
    straddling = cells(4, 2, 5.5, 3)
    triangle = Polygon([(WEST + 1.3 * PX, NORTH - 1.1 * PX), (WEST + 8.6 * PX, NORTH - 2.4 * PX),
                        (WEST + 3.2 * PX, NORTH - 7.9 * PX)])  # fmt: skip

    results = zonal_stats(
        raster,
        [FieldShape(id="straddling", geometry=straddling), FieldShape(id="tri", geometry=triangle)],
    )

    edge, tri = (stats_of(r) for r in results)
    assert edge.pixels == pytest.approx(1.5)
    assert edge.mean == pytest.approx((0.8 * 1 + 0.4 * 0.5) / 1.5)
    # the 0.4 half pixel holds a third of the weight: below the median, above p25
    assert (edge.p25, edge.median) == pytest.approx((0.4, 0.8))
    assert tri.pixels == pytest.approx(triangle.area / PX**2)
    assert tri.valid_fraction == pytest.approx(1.0)


def test_covered_share_of_a_masked_half_pixel_lowers_the_valid_fraction(tmp_path: Path) -> None:
    grid = halves()
    grid[4, 3] = np.nan
    raster = write_tif(tmp_path / "hole.tif", grid)
    # three whole valid pixels and half of the masked one
    field = FieldShape(id="f", geometry=cells(0, 4, 3.5, 5))

    stats = stats_of(zonal_stats(raster, [field])[0])

    assert stats.pixels == pytest.approx(3.5)
    assert stats.valid_fraction == pytest.approx(3 / 3.5)
    assert stats.mean == pytest.approx(0.8)


@pytest.mark.parametrize("nodata", [None, -9999.0], ids=["nan", "declared-nodata"])
def test_masked_pixels_lower_valid_fraction_and_stay_out_of_the_mean(
    tmp_path: Path, nodata: float | None
) -> None:
    grid = halves()
    grid[:5, :] = np.nan if nodata is None else nodata  # the top half is cloud
    raster = write_tif(tmp_path / "cloud.tif", grid, nodata=nodata)

    stats = stats_of(zonal_stats(raster, [FieldShape(id="f", geometry=cells(3, 0, 7, 10))])[0])

    assert stats.valid_fraction == pytest.approx(0.5)
    assert stats.pixels == pytest.approx(40.0)
    assert stats.mean == pytest.approx(0.6)
    assert stats.min == pytest.approx(0.4)


def test_median_and_percentiles_of_whole_pixels_are_within_a_step_of_numpy(
    tmp_path: Path,
) -> None:
    ramp = np.tile(np.arange(10, dtype=np.float32) / 10, (10, 1))
    raster = write_tif(tmp_path / "ramp.tif", ramp)

    stats = stats_of(zonal_stats(raster, [FieldShape(id="row", geometry=cells(0, 3, 10, 4))])[0])

    got = [stats.p10, stats.p25, stats.median, stats.p75, stats.p90]
    # the inverse of the weighted CDF: the pixel values of rank ⌈q·10⌉, not interpolated
    assert got == pytest.approx([0.0, 0.2, 0.4, 0.7, 0.8], abs=1e-6)
    interpolated = np.quantile(ramp[3], [0.1, 0.25, 0.5, 0.75, 0.9])  # numpy's linear
    assert (np.abs(np.array(got) - interpolated) < 0.1).all()  # less than one step apart
    assert stats.std == pytest.approx(float(ramp[3].std()), abs=1e-6)


def test_a_few_low_pixels_do_not_move_the_median_of_a_uniform_field(tmp_path: Path) -> None:
    # exactextract's own median and quantiles interpolate between the distinct values
    # regardless of their weights: median 0.6, p25 0.5, p90 0.76 for this field
    grid = np.full((20, 20), 0.8, dtype=np.float32)
    grid[0:2, 0:2] = 0.4
    raster = write_tif(
        tmp_path / "corner.tif", grid, transform=north_up(134.0, 35.0, PX), nodata=math.nan
    )
    field = FieldShape(id="f", geometry=shapely.box(134.0, 34.98, 134.02, 35.0))

    stats = stats_of(zonal_stats(raster, [field])[0])

    got = [stats.p10, stats.p25, stats.median, stats.p75, stats.p90]
    assert got == pytest.approx([0.8] * 5, abs=1e-6)
    assert (stats.min, stats.max) == pytest.approx((0.4, 0.8), abs=1e-6)
    assert stats.mean == pytest.approx(0.796, abs=1e-6)
    assert stats.pixels == pytest.approx(400.0)
    assert stats.valid_fraction == pytest.approx(1.0)


def test_one_bad_field_does_not_stop_the_others(tmp_path: Path) -> None:
    grid = halves()
    grid[:2, :2] = np.nan
    raster = write_tif(tmp_path / "halves.tif", grid)
    bow_tie = Polygon(
        [(WEST, NORTH), (WEST + PX, NORTH - PX), (WEST + PX, NORTH), (WEST, NORTH - PX)]
    )
    fields = [
        FieldShape(id="far", geometry=shapely.box(140.0, 40.0, 140.01, 40.01)),
        FieldShape(id="good", geometry=cells(3, 0, 7, 10)),
        FieldShape(id="cloudy", geometry=cells(0, 0, 2, 2)),
        FieldShape(id="bow", geometry=bow_tie),
    ]

    far, good, cloudy, bow = zonal_stats(raster, fields)

    assert stats_of(good).mean == pytest.approx(0.6)
    assert isinstance(far, FieldProblem)
    assert isinstance(cloudy, FieldProblem)
    assert isinstance(bow, FieldProblem)
    assert (far.reason, cloudy.reason, bow.reason) == (
        ProblemReason.OUTSIDE, ProblemReason.MASKED, ProblemReason.BAD_GEOMETRY,
    )  # fmt: skip
    assert far.message == "field far: outside the image halves.tif"
    assert isinstance(far.error(), FieldOutsideImage)
    assert isinstance(cloudy.error(), FieldOutsideImage)
    assert isinstance(bow.error(), AgronomyError)
    assert cloudy.pixels == pytest.approx(4.0)


def test_field_wrapped_round_a_corner_of_the_image_is_outside(tmp_path: Path) -> None:
    raster = write_tif(tmp_path / "halves.tif", halves())
    # an L east and north of the image: its bounding box overlaps the image, it does not
    hook = cells(5, -3, 13, -1).union(cells(11, -3, 13, 5))

    (result,) = zonal_stats(raster, [FieldShape(id="hook", geometry=hook)])

    assert isinstance(result, FieldProblem)
    assert result.reason is ProblemReason.OUTSIDE
    assert result.pixels == pytest.approx(hook.area / PX**2)


def test_swapped_coordinates_are_a_bad_outline_on_a_projected_image(tmp_path: Path) -> None:
    raster = write_tif(
        tmp_path / "utm.tif", halves(), crs="EPSG:32653", transform=north_up(484_000, 3_866_000, 10)
    )
    good = from_utm(shapely.box(484_020, 3_865_920, 484_080, 3_865_980))  # columns 2..8
    swapped = shapely.box(34.92, 134.82, 34.93, 134.83)  # latitude 134.8: PROJ refuses it
    fields = [FieldShape(id="swapped", geometry=swapped), FieldShape(id="good", geometry=good)]

    swapped_result, good_result = zonal_stats(raster, fields)

    assert isinstance(swapped_result, FieldProblem)
    assert swapped_result.reason is ProblemReason.BAD_GEOMETRY
    assert stats_of(good_result).mean == pytest.approx(0.6)
    assert fields[1].geometry.equals(good)  # the caller's outline is not moved


def test_part_of_a_field_off_the_image_counts_as_unseen(tmp_path: Path) -> None:
    raster = write_tif(tmp_path / "halves.tif", halves())

    stats = stats_of(zonal_stats(raster, [FieldShape(id="edge", geometry=cells(-2, 0, 2, 10))])[0])

    assert stats.valid_fraction == pytest.approx(0.5)
    assert stats.pixels == pytest.approx(40.0)
    assert stats.mean == pytest.approx(0.8)


def test_two_thousand_fields_across_tiles_come_back_in_order(tmp_path: Path) -> None:
    rows, cols = 80, 100
    values = np.add.outer(np.arange(rows) * 1000, np.arange(cols)).astype(np.float32)
    raster = write_tif(tmp_path / "grid.tif", values, block=16)
    rng = np.random.default_rng(7)
    col0s, row0s = rng.integers(0, cols - 2, 2000), rng.integers(0, rows - 2, 2000)
    corners = [(int(c), int(r)) for c, r in zip(col0s, row0s, strict=True)]
    fields = [
        FieldShape(id=f"f{i}", geometry=cells(c, r, c + 2, r + 2))
        for i, (c, r) in enumerate(corners)
    ]

    results = zonal_stats(raster, fields)

    assert [r.field_id for r in results] == [f.id for f in fields]
    means = [stats_of(r).mean for r in results]
    expected = [values[r : r + 2, c : c + 2].mean() for c, r in corners]
    assert means == pytest.approx(expected)


def test_utm_raster_measures_wgs84_fields_in_its_own_grid(tmp_path: Path) -> None:
    left, top = 484_000.0, 3_866_000.0
    ramp = np.tile(np.arange(50, dtype=np.float32) / 100, (50, 1))
    transform = north_up(left, top, 10)
    raster = write_tif(tmp_path / "utm.tif", ramp, crs="EPSG:32653", transform=transform)
    # columns 10.5..19.5 (values 0.10..0.19, half of each end column), rows 5.5..24.5,
    # drawn in UTM then given in WGS84: half-pixel margins keep round-off off the next column
    utm = shapely.box(left + 105, top - 245, left + 195, top - 55)
    wgs84 = from_utm(utm)
    assert 134.0 < wgs84.centroid.x < 135.0

    stats = stats_of(zonal_stats(raster, [FieldShape(id="utm", geometry=wgs84)])[0])

    assert stats.pixels == pytest.approx(9 * 19, rel=1e-6)
    assert stats.mean == pytest.approx(0.145, abs=1e-6)
    assert (stats.min, stats.max) == pytest.approx((0.10, 0.19))


def test_zone_stats_takes_labels_and_measures_like_fields(tmp_path: Path) -> None:
    raster = write_tif(tmp_path / "halves.tif", halves())

    low, high = zone_stats(raster, [(1, cells(5, 0, 10, 10)), (2, cells(0, 0, 5, 10))])

    assert (low.field_id, high.field_id) == ("1", "2")
    assert stats_of(low).mean == pytest.approx(0.4)
    assert stats_of(high).mean == pytest.approx(0.8)


def test_second_band_is_read_when_asked(tmp_path: Path) -> None:
    raster = write_tif(tmp_path / "two.tif", [halves(), halves() / 4])

    stats = stats_of(
        zonal_stats(raster, [FieldShape(id="f", geometry=cells(3, 0, 7, 10))], band=2)[0]
    )

    assert stats.mean == pytest.approx(0.15)


def test_time_series_is_sorted_by_date_and_keeps_a_cloudy_date(tmp_path: Path) -> None:
    cloudy = np.full((10, 10), np.nan, dtype=np.float32)
    rasters = [
        (date(2026, 7, 20), write_tif(tmp_path / "b.tif", halves() * 0.5)),
        (date(2026, 6, 20), write_tif(tmp_path / "a.tif", halves())),
        (date(2026, 7, 5), write_tif(tmp_path / "cloud.tif", cloudy)),
    ]
    fields = [
        FieldShape(id="mid", geometry=cells(3, 0, 7, 10)),
        FieldShape(id="far", geometry=shapely.box(140.0, 40.0, 140.01, 40.01)),
    ]

    series = index_time_series(rasters, fields)

    mid = series["mid"]
    assert [day for day, _ in mid] == [date(2026, 6, 20), date(2026, 7, 5), date(2026, 7, 20)]
    assert [s.valid_fraction for _, s in mid] == pytest.approx([1.0, 0.0, 1.0])
    assert mid[0][1].mean == pytest.approx(0.6)
    assert math.isnan(mid[1][1].mean)
    assert not mid[1][1].has_data
    assert mid[1][1].pixels == pytest.approx(40.0)
    assert mid[2][1].mean == pytest.approx(0.3)
    assert [s.has_data for _, s in series["far"]] == [False, False, False]


def test_time_series_refuses_a_field_id_given_twice(tmp_path: Path) -> None:
    raster = write_tif(tmp_path / "halves.tif", halves())
    twice = [FieldShape(id="a", geometry=cells(0, 0, 1, 1))] * 2

    with pytest.raises(AgronomyError, match="a"):
        index_time_series([(date(2026, 6, 1), raster)], twice)


def test_unreadable_file_is_a_bad_raster_naming_it(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tif"
    junk.write_text("not an image")

    with pytest.raises(BadRaster, match=r"junk\.tif"):
        zonal_stats(junk, [FieldShape(id="f", geometry=cells(0, 0, 1, 1))])


def test_raster_without_crs_is_a_bad_raster(tmp_path: Path) -> None:
    raster = write_tif(tmp_path / "nocrs.tif", halves(), crs=None)

    with pytest.raises(BadRaster, match="coordinate reference system"):
        zonal_stats(raster, [FieldShape(id="f", geometry=cells(0, 0, 1, 1))])


def test_south_up_raster_is_a_bad_raster(tmp_path: Path) -> None:
    south_up = Affine(PX, 0.0, WEST, 0.0, PX, NORTH - 10 * PX)
    raster = write_tif(tmp_path / "south_up.tif", halves(), transform=south_up)

    with pytest.raises(BadRaster, match="north-up"):
        zonal_stats(raster, [FieldShape(id="f", geometry=cells(0, 0, 1, 1))])


def test_missing_band_is_a_band_problem(tmp_path: Path) -> None:
    raster = write_tif(tmp_path / "halves.tif", halves())

    with pytest.raises(BandProblem, match="no band 3"):
        zonal_stats(raster, [FieldShape(id="f", geometry=cells(0, 0, 1, 1))], band=3)
