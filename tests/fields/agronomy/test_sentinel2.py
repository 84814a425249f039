"""Sentinel-2 L2A products: ``fields.agronomy.sentinel2`` band files, offset and date."""

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from fields.agronomy.sentinel2 import band_files, l2a_offset, product_date, safe_root
from tests.fields.agronomy.rasters import S2_PRODUCT, write_raster, write_safe

OLD_PRODUCT = "S2A_MSIL2A_20210710T015701_N0301_R060_T53SNU_20210710T043000.SAFE"


def _dn(value: int, size: int = 4) -> np.ndarray:
    return np.full((size, size), value, dtype=np.uint16)


def test_a_safe_products_band_files_are_its_image_data_only(tmp_path: Path) -> None:
    root = write_safe(tmp_path, {"B04": (10, _dn(1200)), "B05": (20, _dn(1500, 2))})
    decoy = root / "GRANULE" / "QI_DATA"
    decoy.mkdir()
    write_raster(decoy / "MSK_DETFOO_B04.jp2", _dn(1), driver="JP2OpenJPEG")
    names = [p.name for p in band_files(root)]
    assert names == ["T53SNU_20240715T015659_B04_10m.jp2", "T53SNU_20240715T015659_B05_20m.jp2"]


def test_a_plain_folder_gives_its_rasters_less_masks(tmp_path: Path) -> None:
    for name in ("result_Red.tif", "result_NIR.tif", "MSK_CLOUDS.tif"):
        write_raster(tmp_path / name, _dn(1))
    (tmp_path / "notes.txt").write_text("not a raster")
    assert [p.name for p in band_files(tmp_path)] == ["result_NIR.tif", "result_Red.tif"]


def test_the_offset_comes_from_the_product_metadata(tmp_path: Path) -> None:
    root = write_safe(tmp_path, {"B04": (10, _dn(1200))})
    found = l2a_offset(band_files(root))
    assert found.offset == pytest.approx(-0.1)
    assert "MTD_MSIL2A.xml" in found.note


def test_metadata_without_an_offset_means_none(tmp_path: Path) -> None:
    root = write_safe(tmp_path, {"B04": (10, _dn(1200))}, offset_dn=None, product=OLD_PRODUCT)
    assert l2a_offset(band_files(root)).offset == 0.0


@pytest.mark.parametrize(
    ("name", "offset"),
    [(S2_PRODUCT, -0.1), (OLD_PRODUCT, 0.0), ("S2A_MSIL2A_20220125T0_N0400_R1_T1_x", -0.1)],
)
def test_without_metadata_the_baseline_in_the_name_decides(name: str, offset: float) -> None:
    found = l2a_offset([Path("/data") / name / "B04.jp2"])
    assert found.offset == pytest.approx(offset)
    assert "baseline" in found.note


def test_an_unknown_baseline_applies_no_offset_and_says_so() -> None:
    found = l2a_offset([Path("/data/field_B04.tif")])
    assert found.offset == 0.0
    assert "unknown" in found.note


def test_the_sensing_date_is_read_from_the_name() -> None:
    assert product_date([Path(S2_PRODUCT) / "x.jp2"]) == date(2024, 7, 15)
    assert product_date([Path("T53SNU_20240715T015659_B04_10m.jp2")]) == date(2024, 7, 15)
    assert product_date([Path("ortho_2024.tif")]) is None


def test_the_safe_root_is_found_from_inside(tmp_path: Path) -> None:
    root = write_safe(tmp_path, {"B04": (10, _dn(1200))})
    assert safe_root(band_files(root)[0]) == root
    assert safe_root(tmp_path) is None
