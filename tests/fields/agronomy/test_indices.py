"""Vegetation indices: ``fields.agronomy.indices`` formulas, masks and index GeoTIFFs."""

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import rasterio
import spyndex

import fields.agronomy.indices as indices_module
from fields.agronomy.errors import AgronomyError, BandProblem
from fields.agronomy.indices import (
    INDEX_NAMES,
    bands_for,
    compute_index,
    index_info,
    write_index_rasters,
)
from fields.agronomy.rasters import open_image
from fields.agronomy.reading import Masked, read_bands
from tests.fields.agronomy.rasters import (
    KASAI_UTM53,
    grid,
    kasai_grid,
    spyndex_sentinel_dn,
    write_raster,
    write_safe,
)

REFLECTANCE = {"B": 0.05, "G": 0.1, "R": 0.1, "RE1": 0.3, "N": 0.5}
EXPECTED = {
    "NDVI": 0.4 / 0.6,
    "NDRE": 0.2 / 0.8,
    "GNDVI": 0.4 / 0.6,
    "SAVI": 1.5 * 0.4 / 1.1,
    "OSAVI": 0.4 / 0.76,
    "MSAVI2": 0.5 * (2.0 - 0.8**0.5),
}
"""Each index by hand for N = 0.5, R = G = 0.1, RE1 = 0.3."""


def _bands(shape: tuple[int, ...] = (2, 3), **values: float) -> dict[str, Masked]:
    return {
        s: np.ma.MaskedArray(np.full(shape, v, np.float32), mask=np.zeros(shape, bool))
        for s, v in (REFLECTANCE | values).items()
    }


@pytest.mark.parametrize("name", INDEX_NAMES)
def test_formulas_are_the_catalogues_and_documented(name: str) -> None:
    info = index_info(name)
    entry = spyndex.indices[info.catalogue_name]
    assert info.formula == entry.formula
    assert info.reference == entry.reference
    doc = indices_module.__doc__ or ""
    assert info.formula in doc
    assert info.reference in doc


@pytest.mark.parametrize("name", INDEX_NAMES)
def test_each_index_gives_its_known_answer(name: str) -> None:
    result = compute_index(name, _bands())
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, EXPECTED[name], rtol=1e-6)


@pytest.mark.parametrize("name", INDEX_NAMES)
def test_each_index_agrees_with_spyndex(name: str) -> None:
    info = index_info(name)
    params = {b: REFLECTANCE[b] for b in info.bands} | dict(info.constants)
    expected = spyndex.computeIndex(info.catalogue_name, params)
    assert float(compute_index(name, _bands())[0, 0]) == pytest.approx(expected, rel=1e-6)


def test_ndvi_of_nir_half_and_red_tenth_is_two_thirds() -> None:
    assert float(compute_index("ndvi", _bands())[1, 2]) == pytest.approx(0.6667, abs=5e-5)


def test_bands_for_names_the_symbols() -> None:
    assert bands_for("NDVI") == ("N", "R")
    assert bands_for("NDRE") == ("N", "RE1")
    assert bands_for("SAVI") == ("N", "R")
    assert index_info("SAVI").constants == {"L": 0.5}


def test_masked_inputs_and_zero_denominators_stay_masked() -> None:
    bands = _bands()
    bands["R"][0, 0] = np.ma.masked
    bands["N"].data[0, 1] = 0.0
    bands["R"].data[0, 1] = 0.0
    result = compute_index("NDVI", bands)
    assert result.mask.tolist() == [[True, True, False], [False, False, False]]
    assert np.isnan(result.data[0, 0])
    assert np.isnan(result.data[0, 1])


def test_an_index_without_its_band_is_refused_naming_both() -> None:
    bands = _bands()
    del bands["RE1"]
    with pytest.raises(BandProblem, match=r"NDRE needs RE1 \(red edge 1\)"):
        compute_index("NDRE", bands)


def test_an_unknown_index_is_refused_with_the_known_ones() -> None:
    with pytest.raises(AgronomyError, match=r"'EVI'.*NDVI, NDRE, GNDVI, SAVI, OSAVI, MSAVI2"):
        bands_for("EVI")


def _ortho(path: Path, *, crs: str = "EPSG:32653", transform: object = None) -> Path:
    rows, cols = 40, 30
    nir = np.linspace(0.2, 0.6, rows * cols, dtype=np.float32).reshape(rows, cols)
    red = np.full((rows, cols), 0.1, np.float32)
    red[0, 0] = -1.0  # nodata
    cube = np.stack([red * 0.5, red, red * 2, nir])
    return write_raster(
        path,
        cube,
        descriptions=("Green", "Red", "RedEdge", "NIR"),
        nodata=-1.0,
        crs=crs,
        transform=transform or kasai_grid(0.1),  # type: ignore[arg-type]
        tags={"TIFFTAG_DATETIME": "2024:06:20 02:15:00"},
    )


def test_index_rasters_are_tiled_float32_with_nan_nodata_and_tags(tmp_path: Path) -> None:
    image = open_image(_ortho(tmp_path / "ortho.tif"))
    paths = write_index_rasters(image, ["NDVI", "NDRE"], tmp_path / "out", window_size=16)
    assert set(paths) == {"NDVI", "NDRE"}
    expected = compute_index("NDVI", read_bands(image, ["N", "R"]))
    with rasterio.open(paths["NDVI"]) as ds:
        assert paths["NDVI"].name == "ortho_NDVI.tif"
        assert (ds.count, ds.dtypes[0], ds.width, ds.height) == (1, "float32", 30, 40)
        assert np.isnan(ds.nodata)
        assert ds.crs == image.crs
        assert ds.transform == image.transform
        assert ds.profile["tiled"]
        assert ds.compression is not None
        assert ds.compression.value == "DEFLATE"
        tags = ds.tags()
        assert tags["INDEX"] == "NDVI"
        assert tags["FORMULA"] == "(N-R)/(N+R)"
        assert tags["SENSOR"] == "generic"
        assert tags["IMAGE_DATE"] == "2024-06-20"
        assert "doi" in tags["REFERENCE"] or "nasa" in tags["REFERENCE"]
        assert ds.descriptions == ("NDVI",)
        written = ds.read(1, masked=True)
    np.testing.assert_allclose(written.filled(np.nan), expected.filled(np.nan), equal_nan=True)
    assert written.mask[0, 0]
    assert not list((tmp_path / "out").glob(".*part"))


def test_index_rasters_are_cropped_to_bounds(tmp_path: Path) -> None:
    image = open_image(_ortho(tmp_path / "ortho.tif"))
    x0, y0 = KASAI_UTM53
    bounds = (x0 + 1.0, y0 - 2.5, x0 + 2.0, y0 - 1.0)  # cols 10..19, rows 10..24
    path = write_index_rasters(image, ["SAVI"], tmp_path, bounds=bounds, window_size=7)["SAVI"]
    full = compute_index("SAVI", read_bands(image, ["N", "R"]))
    with rasterio.open(path) as ds:
        assert (ds.width, ds.height) == (10, 15)
        assert (ds.transform.c, ds.transform.f) == pytest.approx((x0 + 1.0, y0 - 1.0))
        np.testing.assert_allclose(ds.read(1), full[10:25, 10:20].filled(np.nan))


def test_index_rasters_keep_a_geographic_crs(tmp_path: Path) -> None:
    transform = grid(0.00001, (134.84, 34.93))
    image = open_image(_ortho(tmp_path / "deg.tif", crs="EPSG:4326", transform=transform))
    path = write_index_rasters(image, ["GNDVI"], tmp_path)["GNDVI"]
    with rasterio.open(path) as ds:
        assert ds.crs.to_epsg() == 4326
        assert ds.transform == transform


def test_a_missing_band_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    red = np.full((4, 4), 0.1, np.float32)
    only = write_raster(tmp_path / "rn.tif", np.stack([red, red]), descriptions=("red", "nir"))
    with pytest.raises(BandProblem, match=r"NDRE needs RE1 \(red edge 1\), which rn does not"):
        write_index_rasters(open_image(only), ["NDVI", "NDRE"], tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_raw_counts_leave_no_index_file_behind(tmp_path: Path) -> None:
    counts = np.full((2, 8, 8), 3000, np.uint16)
    path = write_raster(tmp_path / "dn.tif", counts, descriptions=("red", "nir"))
    with pytest.raises(BandProblem, match="raw counts"):
        write_index_rasters(open_image(path), ["NDVI"], tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_the_real_sentinel2_sample_gives_a_plausible_ndvi(tmp_path: Path) -> None:
    dn = spyndex_sentinel_dn()
    path = write_raster(tmp_path / "s2.tif", np.stack(list(dn.values())), descriptions=tuple(dn))
    image = open_image(path, sensor="sentinel-2-l2a")
    out = write_index_rasters(image, ["NDVI", "MSAVI2"], tmp_path / "out", window_size=128)
    with rasterio.open(out["NDVI"]) as ds:
        ndvi = ds.read(1, masked=True)
    assert ndvi.count() == 300 * 300
    assert float(ndvi.min()) >= -1.0
    assert float(ndvi.max()) < 0.95
    assert 0.3 < float(np.median(ndvi.compressed())) < 0.7


def test_writing_a_big_raster_holds_only_a_window_in_memory(tmp_path: Path) -> None:
    size, window = 4096, 512
    rows = np.linspace(800, 4000, size, dtype=np.float32).astype(np.uint16)
    path = tmp_path / "big.tif"
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 2, "dtype": "uint16"}
    with rasterio.open(
        path, "w", **profile, crs="EPSG:32653", transform=kasai_grid(10.0),
        tiled=True, blockxsize=512, blockysize=512, compress="deflate",
    ) as dst:  # fmt: skip
        dst.descriptions = ("B04", "B08")
        for top in range(0, size, window):
            block = np.broadcast_to(rows[top : top + window, None], (window, size))
            dst.write(np.stack([block // 2, block]), window=((top, top + window), (0, size)))
    image = open_image(path)
    one_band_mb = size * size * 4 / 2**20
    tracemalloc.start()
    try:
        out = write_index_rasters(image, ["NDVI"], tmp_path / "out", window_size=window)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    peak_mb = peak / 2**20
    assert peak_mb < one_band_mb / 4, f"peak {peak_mb:.1f} MB for a {one_band_mb:.0f} MB band"
    with rasterio.open(out["NDVI"]) as ds:
        corner = ds.read(1, window=((size - 2, size), (size - 2, size)))
    assert corner == pytest.approx(1 / 3, rel=1e-3)


def test_a_sentinel2_product_gives_10m_ndre_with_clouds_masked(tmp_path: Path) -> None:
    b08 = np.full((4, 4), 4000, np.uint16)  # 0.3 after the -1000 offset
    b05 = np.full((2, 2), 2000, np.uint16)  # 0.1
    scl = np.array([[4, 4], [8, 4]], np.uint16)  # medium-probability cloud, lower left
    root = write_safe(tmp_path, {"B08": (10, b08), "B05": (20, b05), "SCL": (20, scl)})
    image = open_image(root)
    path = write_index_rasters(image, ["NDRE"], tmp_path / "out")["NDRE"]
    with rasterio.open(path) as ds:
        assert ds.res == (10.0, 10.0)
        assert ds.tags()["IMAGE_DATE"] == "2024-07-15"
        assert ds.tags()["SENSOR"] == "sentinel-2-l2a"
        assert ds.tags()["REFLECTANCE"] == "DN * 0.0001 + -0.1"
        ndre = ds.read(1)
    cloud = np.zeros((4, 4), bool)
    cloud[2:, :2] = True
    assert np.isnan(ndre[cloud]).all()
    np.testing.assert_allclose(ndre[~cloud], 0.5, rtol=1e-5)
