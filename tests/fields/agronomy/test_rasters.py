"""Opening images: ``fields.agronomy.rasters.open_image``, its grid, and windows over it.

Rasters are generated into ``tmp_path`` with known layouts: an OpenDroneMap-like multiband
orthomosaic with band descriptions and an alpha band, DJI Terra-like ``result_<band>.tif``
files, a minimal Sentinel-2 ``.SAFE`` product with 10, 20 and 60 m JPEG 2000 bands.
"""

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from rasterio.windows import Window

from fields.agronomy.errors import BadRaster, BandProblem, FieldOutsideImage
from fields.agronomy.rasters import open_image, window_bounds, window_for_bounds, windows
from tests.fields.agronomy.rasters import (
    KASAI_UTM53,
    field_over,
    grid,
    kasai_grid,
    write_raster,
    write_safe,
)

ODM_BANDS = ("Blue", "Green", "Red", "NIR", "RedEdge")


def _ortho(path: Path, *, descriptions: tuple[str, ...] | None = ODM_BANDS, **kw: object) -> Path:
    cube = np.stack([np.full((6, 8), 0.1 * (i + 1), dtype=np.float32) for i in range(5)])
    alpha = np.full((6, 8), 255, dtype=np.float32)
    return write_raster(path, cube, descriptions=descriptions, alpha=alpha, **kw)  # type: ignore[arg-type]


def test_a_multiband_orthomosaic_is_mapped_by_its_band_descriptions(tmp_path: Path) -> None:
    path = _ortho(
        tmp_path / "odm_orthophoto.tif",
        transform=kasai_grid(0.05),
        tags={"TIFFTAG_DATETIME": "2024:06:20 02:15:00+00:00"},
    )
    image = open_image(path)
    assert image.symbols == ("B", "G", "R", "RE1", "N")
    assert {s: b.index for s, b in image.bands.items()} == {
        "B": 1,
        "G": 2,
        "R": 3,
        "N": 4,
        "RE1": 5,
    }
    assert image.sensor.name == "generic"
    assert image.crs.to_epsg() == 32653
    assert (image.width, image.height) == (8, 6)
    assert image.resolution == (0.05, 0.05)
    left, bottom, right, top = image.bounds
    assert (left, top) == KASAI_UTM53
    assert right == pytest.approx(KASAI_UTM53[0] + 0.4)
    assert bottom == pytest.approx(KASAI_UTM53[1] - 0.3)
    assert image.date == date(2024, 6, 20)
    assert image.mask is None
    assert "generic" in image.describe()


def test_a_file_naming_no_band_takes_the_cameras_order(tmp_path: Path) -> None:
    path = _ortho(tmp_path / "p4m.tif", descriptions=None)
    image = open_image(path, sensor="dji-p4-multispectral")
    assert {s: b.index for s, b in image.bands.items()} == {
        "B": 1,
        "G": 2,
        "R": 3,
        "RE1": 4,
        "N": 5,
    }
    assert any("dji-p4-multispectral order" in n for n in image.notes)


def test_a_file_naming_no_band_is_refused_without_a_sensor(tmp_path: Path) -> None:
    path = _ortho(tmp_path / "ortho.tif", descriptions=None)
    with pytest.raises(BandProblem, match=r"no band of ortho\.tif is recognised.*--band"):
        open_image(path)


def test_too_few_bands_for_the_cameras_order_is_refused(tmp_path: Path) -> None:
    path = write_raster(tmp_path / "two.tif", np.zeros((2, 3, 3), dtype=np.float32))
    with pytest.raises(BandProblem, match=r"has 2 bands.*dji-mavic-3m image has 4"):
        open_image(path, sensor="dji-mavic-3m")


def test_a_band_map_overrides_descriptions(tmp_path: Path) -> None:
    path = _ortho(tmp_path / "ortho.tif")
    image = open_image(path, band_map=["N=5", "RE1=4"])
    assert (image.bands["N"].index, image.bands["RE1"].index) == (5, 4)
    assert image.bands["R"].index == 3


def test_a_band_map_name_prefers_the_exact_description(tmp_path: Path) -> None:
    path = _ortho(tmp_path / "ortho.tif", descriptions=("Blue", "Green", "Red", "NIR", "Red edge"))
    image = open_image(path, band_map={"R": "red"})
    assert image.bands["R"].index == 3
    assert image.bands["RE1"].index == 5


def test_a_band_map_to_a_missing_band_is_refused(tmp_path: Path) -> None:
    path = _ortho(tmp_path / "ortho.tif")
    with pytest.raises(BandProblem, match=r"ortho\.tif has no band 9"):
        open_image(path, band_map=["N=9"])
    with pytest.raises(BandProblem, match="N=thermal: no band or file"):
        open_image(path, band_map={"N": "thermal"})


def test_two_bands_with_one_name_are_refused(tmp_path: Path) -> None:
    path = _ortho(tmp_path / "ortho.tif", descriptions=("Blue", "Green", "Red", "NIR", "nir"))
    with pytest.raises(BandProblem, match=r"N is found twice.*band 4.*band 5.*--band N="):
        open_image(path)


def test_one_file_per_band_is_mapped_by_file_name(tmp_path: Path) -> None:
    for i, name in enumerate(("Green", "Red", "RedEdge", "NIR")):
        write_raster(tmp_path / f"result_{name}.tif", np.full((4, 4), 0.1 * (i + 1), np.float32))
    write_raster(tmp_path / "result.tif", np.zeros((3, 4, 4), dtype=np.uint8))
    image = open_image(tmp_path)
    assert image.symbols == ("G", "R", "RE1", "N")
    assert image.bands["RE1"].path.name == "result_RedEdge.tif"
    assert image.name == tmp_path.name
    assert any("ignored result.tif" in n for n in image.notes)


def test_a_band_number_is_refused_for_a_set_of_files(tmp_path: Path) -> None:
    for name in ("Red", "NIR"):
        write_raster(tmp_path / f"result_{name}.tif", np.zeros((4, 4), np.float32))
    with pytest.raises(BandProblem, match="band number needs a single multiband file"):
        open_image(tmp_path, band_map=["N=1"])
    image = open_image(tmp_path, band_map={"N": "*_NIR.tif"})
    assert image.bands["N"].path.name == "result_NIR.tif"


def _safe(tmp_path: Path) -> Path:
    dn10 = np.full((6, 6), 1500, dtype=np.uint16)
    dn20 = np.full((3, 3), 2500, dtype=np.uint16)
    dn60 = np.full((1, 1), 900, dtype=np.uint16)
    return write_safe(
        tmp_path,
        {
            "B02": (10, dn10),
            "B04": (10, dn10),
            "B08": (10, dn10),
            "B05": (20, dn20),
            "B8A": (20, dn20),
            "SCL": (20, np.full((3, 3), 4, dtype=np.uint16)),
            "B01": (60, dn60),
        },
    )


def test_a_sentinel2_product_is_read_at_its_finest_resolution(tmp_path: Path) -> None:
    root = _safe(tmp_path)
    # the same bands at 20 and 60 m, as real products carry them
    write_safe(tmp_path, {"B02": (20, np.zeros((3, 3), np.uint16))})
    coarse = np.zeros((1, 1), np.uint16)
    write_safe(tmp_path, {"B02": (60, coarse), "SCL": (60, coarse)})
    image = open_image(root)
    assert image.sensor.name == "sentinel-2-l2a"
    assert "detected" in image.sensor_note
    assert image.symbols == ("B", "R", "RE1", "N", "N2")
    assert image.bands["B"].path.name.endswith("_B02_10m.jp2")
    assert image.mask is not None
    assert image.mask.path.name.endswith("_SCL_20m.jp2")
    assert image.resolution == (10.0, 10.0)
    assert (image.width, image.height) == (6, 6)
    assert image.sensor.offset == pytest.approx(-0.1)
    assert image.date == date(2024, 7, 15)
    assert image.name.startswith("S2B_MSIL2A_20240715")
    assert any("RE1" in n and "resampled" in n for n in image.notes)
    assert any("BOA_ADD_OFFSET -1000" in n for n in image.notes)


def test_a_given_offset_and_scale_override_the_profile(tmp_path: Path) -> None:
    image = open_image(_safe(tmp_path), offset=0.0, scale=2e-4)
    assert (image.sensor.scale, image.sensor.offset) == (2e-4, 0.0)


def test_a_raster_in_degrees_keeps_its_crs(tmp_path: Path) -> None:
    transform = grid(0.0001, (134.84, 34.93))
    path = _ortho(tmp_path / "wgs84.tif", crs="EPSG:4326", transform=transform)
    image = open_image(path)
    assert image.crs.to_epsg() == 4326
    assert image.resolution == pytest.approx((0.0001, 0.0001))
    assert "°" in image.describe()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.tif", "no such file"),
        (lambda p: p.joinpath("text.tif").write_text("hello") and p / "text.tif", "cannot be read"),
        (
            lambda p: write_raster(p / "nocrs.tif", np.zeros((2, 2), np.float32), crs=None),
            "no coordinate reference system",
        ),
    ],
    ids=["missing", "not-a-raster", "no-crs"],
)
def test_unusable_files_are_refused_by_name(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(BadRaster, match=message):
        open_image(path)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadRaster, match=r"no \.tif, \.tiff or \.jp2 files"):
        open_image(tmp_path)


def test_windows_tile_the_image_exactly(tmp_path: Path) -> None:
    image = open_image(write_raster(tmp_path / "x.tif", np.zeros((2, 10, 7), np.float32),
                                    descriptions=("red", "nir")))  # fmt: skip
    tiles = list(windows(image, 4))
    assert len(tiles) == 3 * 2
    covered = np.zeros((10, 7), dtype=int)
    for w in tiles:
        covered[w.row_off : w.row_off + w.height, w.col_off : w.col_off + w.width] += 1
    assert (covered == 1).all()
    with pytest.raises(ValueError, match="window size"):
        list(windows(image, 0))


def test_bounds_select_the_pixels_they_touch(tmp_path: Path) -> None:
    image = open_image(write_raster(tmp_path / "x.tif", np.zeros((2, 10, 10), np.float32),
                                    descriptions=("red", "nir")))  # fmt: skip
    x0, y0 = KASAI_UTM53
    exact = window_for_bounds(image, (x0 + 20, y0 - 50, x0 + 40, y0 - 30))
    assert exact == Window(2, 3, 2, 2)
    inside = window_for_bounds(image, (x0 + 25, y0 - 45, x0 + 35, y0 - 35))
    assert inside == Window(2, 3, 2, 2)
    clipped = window_for_bounds(image, (x0 - 500, y0 - 20, x0 + 15, y0 + 500))
    assert clipped == Window(0, 0, 2, 2)
    assert window_bounds(image, exact) == (x0 + 20, y0 - 50, x0 + 40, y0 - 30)
    assert (
        sum(w.width * w.height for w in windows(image, 1, bounds=(x0, y0 - 30, x0 + 30, y0))) == 9
    )


def test_bounds_outside_the_image_are_refused(tmp_path: Path) -> None:
    image = open_image(write_raster(tmp_path / "x.tif", np.zeros((2, 4, 4), np.float32),
                                    descriptions=("red", "nir")))  # fmt: skip
    x0, y0 = KASAI_UTM53
    with pytest.raises(FieldOutsideImage, match="do not overlap the image x"):
        window_for_bounds(image, (x0 + 1000, y0, x0 + 1100, y0 + 100))


def test_a_test_fields_bounds_select_its_pixels(tmp_path: Path) -> None:
    transform = kasai_grid(10.0)
    image = open_image(write_raster(tmp_path / "x.tif", np.zeros((2, 20, 20), np.float32),
                                    descriptions=("red", "nir"), transform=transform))  # fmt: skip
    local, shape = field_over(transform, rows=(3, 8), cols=(5, 15))
    assert window_for_bounds(image, local.bounds) == Window(5, 3, 10, 5)
    lon, lat = shape.geometry.centroid.coords[0]
    assert lon == pytest.approx(134.84, abs=0.01)
    assert lat == pytest.approx(34.93, abs=0.01)


@pytest.mark.parametrize(
    ("name", "tags", "expected"),
    [
        ("field_2024-05-30.tif", {}, date(2024, 5, 30)),
        ("x.tif", {"ACQUISITION_DATE": "2023-08-01T01:00:00Z"}, date(2023, 8, 1)),
        ("x_20240601.tif", {"TIFFTAG_DATETIME": "2024:09:09 10:00:00"}, date(2024, 6, 1)),
        ("x.tif", {"TIFFTAG_DATETIME": "2024:09:09 10:00:00"}, date(2024, 9, 9)),
        ("x.tif", {}, None),
    ],
)
def test_the_image_date_comes_from_tags_or_the_file_name(
    tmp_path: Path, name: str, tags: dict[str, str], expected: date | None
) -> None:
    path = write_raster(
        tmp_path / name, np.zeros((2, 2, 2), np.float32), descriptions=("red", "nir"), tags=tags
    )
    image = open_image(path)
    assert image.date == expected
    assert any(n.startswith("image date") for n in image.notes)


def test_bands_left_unrecognised_are_noted(tmp_path: Path) -> None:
    path = write_raster(
        tmp_path / "altum.tif",
        np.zeros((4, 2, 2), np.float32),
        descriptions=("Blue", "Green", "Red", "Gray-0"),
    )
    image = open_image(path)
    assert image.symbols == ("B", "G", "R")
    assert any("band 4 of altum.tif (Gray-0) is not recognised" in n for n in image.notes)
