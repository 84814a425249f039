"""Reading bands as reflectance: ``fields.agronomy.reading``, masks, resampling and checks.

Besides generated rasters with known values, the real Sentinel-2 L2A sample that spyndex
ships (300 × 300 px, B02 B03 B04 B08 as digital numbers) is written to a GeoTIFF; it has no
georeference of its own, so it is placed on a 10 m UTM 53N grid at Kasai.
"""

from pathlib import Path

import numpy as np
import pytest
from rasterio.windows import Window

from fields.agronomy.errors import BandProblem
from fields.agronomy.rasters import open_image
from fields.agronomy.reading import ImageReader, read_bands
from tests.fields.agronomy.rasters import (
    KASAI_UTM53,
    grid,
    kasai_grid,
    spyndex_sentinel_dn,
    write_raster,
    write_safe,
)


def _red_nir(path: Path, red: np.ndarray, nir: np.ndarray, **kw: object) -> Path:
    return write_raster(path, np.stack([red, nir]), descriptions=("red", "nir"), **kw)  # type: ignore[arg-type]


def test_reflectance_is_read_as_float32_values(tmp_path: Path) -> None:
    red = np.full((3, 4), 0.1, np.float32)
    path = _red_nir(tmp_path / "x.tif", red, red * 5)
    bands = read_bands(open_image(path), ["R", "N"])
    assert bands["R"].dtype == np.float32
    assert bands["R"].shape == (3, 4)
    assert int(np.ma.getmaskarray(bands["N"]).sum()) == 0
    np.testing.assert_allclose(bands["N"], 0.5, rtol=1e-6)


def test_nodata_nan_and_alpha_pixels_are_masked(tmp_path: Path) -> None:
    red = np.full((3, 3), 0.1, np.float32)
    nir = np.full((3, 3), 0.4, np.float32)
    red[0, 0] = -9999
    nir[1, 1] = np.nan
    alpha = np.full((3, 3), 255, np.float32)
    alpha[2, 2] = 0
    path = write_raster(
        tmp_path / "x.tif", np.stack([red, nir]), descriptions=("red", "nir"), nodata=-9999
    )
    bands = read_bands(open_image(path), ["R", "N"])
    assert np.ma.getmaskarray(bands["R"])[0, 0]
    assert np.ma.getmaskarray(bands["N"])[1, 1]
    assert np.isnan(bands["R"].data[0, 0])
    path = write_raster(
        tmp_path / "a.tif", np.stack([red, nir]), descriptions=("red", "nir"), alpha=alpha
    )
    bands = read_bands(open_image(path), ["R", "N"])
    assert np.ma.getmaskarray(bands["R"])[2, 2]
    assert not np.ma.getmaskarray(bands["R"])[1, 1]


def _s2(tmp_path: Path, scl: np.ndarray, *, offset_dn: int | None = -1000) -> Path:
    b04 = np.full((4, 4), 1500, np.uint16)
    b04[0, 0] = 0  # L2A no data
    b05 = np.array([[2000, 3000], [4000, 5000]], np.uint16)
    return write_safe(
        tmp_path,
        {"B04": (10, b04), "B08": (10, np.full((4, 4), 5000, np.uint16)), "B05": (20, b05)}
        | {"SCL": (20, scl)},
        offset_dn=offset_dn,
    )


def test_sentinel2_counts_become_reflectance_with_the_products_offset(tmp_path: Path) -> None:
    image = open_image(_s2(tmp_path, np.full((2, 2), 4, np.uint16)))
    bands = read_bands(image, ["R", "N"])
    np.testing.assert_allclose(bands["R"].compressed(), 0.05, rtol=1e-5)
    np.testing.assert_allclose(bands["N"], 0.4, rtol=1e-5)
    assert np.ma.getmaskarray(bands["R"])[0, 0]
    assert int(np.ma.getmaskarray(bands["R"]).sum()) == 1


def test_a_20m_band_is_resampled_onto_the_10m_grid(tmp_path: Path) -> None:
    image = open_image(_s2(tmp_path, np.full((2, 2), 4, np.uint16)))
    red_edge = read_bands(image, ["RE1"])["RE1"]
    expected = np.array([[0.1, 0.1, 0.2, 0.2], [0.1, 0.1, 0.2, 0.2], [0.3, 0.3, 0.4, 0.4]] * 1)
    np.testing.assert_allclose(red_edge[:3], expected, rtol=1e-5)
    np.testing.assert_allclose(red_edge[3], [0.3, 0.3, 0.4, 0.4], rtol=1e-5)


def test_cloud_shadow_and_snow_pixels_of_the_scene_classification_are_masked(
    tmp_path: Path,
) -> None:
    scl = np.array([[4, 9], [3, 5]], np.uint16)  # vegetation, cloud / shadow, bare soil
    image = open_image(_s2(tmp_path, scl))
    nir = read_bands(image, ["N"])["N"]
    expected = np.zeros((4, 4), bool)
    expected[0:2, 2:4] = True
    expected[2:4, 0:2] = True
    np.testing.assert_array_equal(nir.mask, expected)


def test_a_window_reads_only_its_pixels_and_bounds_pick_the_window(tmp_path: Path) -> None:
    red = np.arange(36, dtype=np.float32).reshape(6, 6) / 100
    image = open_image(_red_nir(tmp_path / "x.tif", red, red + 0.1))
    with ImageReader(image) as reader:
        part = reader.read(["R"], window=Window(2, 1, 3, 2))["R"]
        np.testing.assert_allclose(part, red[1:3, 2:5])
        x0, y0 = KASAI_UTM53
        same = reader.read(["R"], bounds=(x0 + 20, y0 - 30, x0 + 50, y0 - 10))["R"]
        np.testing.assert_array_equal(same, part)
        with pytest.raises(ValueError, match="not both"):
            reader.read(["R"], window=Window(0, 0, 1, 1), bounds=(x0, y0 - 10, x0 + 10, y0))


def test_a_band_in_another_crs_is_reprojected_onto_the_grid(tmp_path: Path) -> None:
    utm = kasai_grid(10.0)
    write_raster(tmp_path / "result_Red.tif", np.full((20, 20), 0.1, np.float32), transform=utm)
    # the NIR file covers the same place in degrees, a little larger
    degrees = grid(0.0001, (134.8395, 34.9315))
    write_raster(
        tmp_path / "result_NIR.tif",
        np.full((60, 60), 0.4, np.float32),
        crs="EPSG:4326",
        transform=degrees,
    )
    image = open_image(tmp_path)
    assert image.crs.to_epsg() == 32653
    assert any("N" in n and "reprojected" in n for n in image.notes)
    nir = read_bands(image, ["N"])["N"]
    assert nir.shape == (20, 20)
    assert np.ma.count(nir) > 0.9 * nir.size
    np.testing.assert_allclose(nir.compressed(), 0.4)


def test_raw_counts_are_refused_naming_band_and_file(tmp_path: Path) -> None:
    red = np.full((3, 3), 1200, np.uint16)
    red[1, 1] = 8731
    path = _red_nir(tmp_path / "counts.tif", red, red)
    with pytest.raises(
        BandProblem,
        match=r'R \(band 1 "red" of counts\.tif\) holds values up to 8,731: raw counts, not '
        r"reflectance; give the sensor \(--sensor sentinel-2-l2a\) or a scale",
    ):
        read_bands(open_image(path), ["R"])
    bands = read_bands(open_image(path, scale=1e-4), ["R"])
    assert float(bands["R"].max()) == pytest.approx(0.8731, rel=1e-5)


def test_reflectance_scaled_again_is_refused(tmp_path: Path) -> None:
    red = np.full((3, 3), 0.12, np.float32)
    path = write_raster(tmp_path / "refl.tif", np.stack([red, red]), descriptions=("B04", "B08"))
    with pytest.raises(BandProblem, match=r"holds reflectance already.*give a scale of 1"):
        read_bands(open_image(path), ["R"])
    assert read_bands(open_image(path, scale=1.0), ["R"])["R"][0, 0] == pytest.approx(0.12)


def test_a_missing_band_is_named(tmp_path: Path) -> None:
    red = np.full((2, 2), 0.1, np.float32)
    image = open_image(_red_nir(tmp_path / "x.tif", red, red))
    with pytest.raises(BandProblem, match=r"x has no RE1 \(red edge 1\) band; it has R N"):
        read_bands(image, ["N", "RE1"])


def _spyndex_sample(tmp_path: Path) -> Path:
    dn = spyndex_sentinel_dn()
    return write_raster(
        tmp_path / "spyndex_s2.tif",
        np.stack(list(dn.values())),
        descriptions=tuple(dn),
        transform=kasai_grid(10.0),
    )


def test_the_real_sentinel2_sample_is_refused_as_raw_counts_without_a_scale(
    tmp_path: Path,
) -> None:
    image = open_image(_spyndex_sample(tmp_path), sensor="generic", band_map=["R=3", "N=4"])
    with pytest.raises(BandProblem, match=r"R \(band 3 \"B04\" of spyndex_s2\.tif\).*raw counts"):
        read_bands(image, ["R", "N"])


def test_the_real_sentinel2_sample_is_reflectance_with_the_sentinel_profile(
    tmp_path: Path,
) -> None:
    image = open_image(_spyndex_sample(tmp_path))
    assert image.sensor.name == "sentinel-2-l2a"
    assert image.sensor.offset == 0.0  # no baseline known: no offset
    bands = read_bands(image, ["B", "G", "R", "N"])
    for symbol, (low, high) in {"B": (0.01, 0.1), "R": (0.02, 0.2), "N": (0.15, 0.35)}.items():
        assert low < float(np.median(bands[symbol].compressed())) < high, symbol


def test_the_real_sample_with_a_wrong_offset_is_refused(tmp_path: Path) -> None:
    image = open_image(_spyndex_sample(tmp_path), offset=-0.1)
    with pytest.raises(BandProblem, match=r"B \(band 1 \"B02\".*below -0.05.*offset -0.1"):
        read_bands(image, ["B", "N"])


def test_a_scene_classification_band_inside_a_multiband_file_masks_too(tmp_path: Path) -> None:
    b04 = np.full((2, 3), 1200, np.uint16)
    b08 = np.full((2, 3), 3600, np.uint16)
    scl = np.array([[4, 10, 4], [11, 5, 0]], np.uint16)  # thin cirrus, snow, no data
    path = write_raster(
        tmp_path / "gee_export.tif", np.stack([b04, b08, scl]), descriptions=("B4", "B8", "SCL")
    )
    image = open_image(path)
    assert image.mask is not None
    assert image.mask.index == 3
    nir = read_bands(image, ["N"])["N"]
    assert np.ma.getmaskarray(nir).tolist() == [[False, True, False], [True, False, True]]
    np.testing.assert_allclose(nir.compressed(), 0.36, rtol=1e-5)
