"""PNG maps: written, readable, of a sensible size, and showing what they should."""

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from matplotlib import colormaps
from matplotlib.image import imread
from shapely import LineString, Polygon

from fields.agronomy.errors import BadPrescription, NotEnoughData
from fields.agronomy.maps import (
    PrescriptionArea,
    index_map_png,
    prescription_map_png,
    zones_map_png,
)
from fields.agronomy.mgmt_zones import management_zones
from fields.agronomy.model import FieldShape, ZoneMap
from tests.fields.agronomy.test_mgmt_zones import halves, utm_field, wgs84_halves, write_utm

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def field() -> FieldShape:
    return FieldShape(id="F1", geometry=utm_field())


@pytest.fixture
def zone_map(tmp_path: Path, field: FieldShape) -> ZoneMap:
    raster = write_utm(tmp_path / "ndvi.tif", halves(), ACQUISITION_DATE="2025-07-14")
    return management_zones(raster, field, n_zones=2)


def read_png(path: Path) -> npt.NDArray[np.float32]:
    """The image as RGBA floats, after checking it is a PNG of a sensible size."""
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = np.asarray(imread(path), dtype=np.float32)
    height, width, bands = image.shape
    assert bands in (3, 4)
    assert 600 <= width <= 1200
    assert 300 <= height <= 1200
    return image


def distinct_colours(image: npt.NDArray[np.float32]) -> int:
    return len(np.unique((image[..., :3] * 255).round().astype(np.uint8).reshape(-1, 3), axis=0))


def pixels_of(image: npt.NDArray[np.float32], rgb: tuple[float, ...]) -> int:
    """How many pixels are within 2/255 of ``rgb``."""
    return int((np.abs(image[..., :3] - np.asarray(rgb[:3])) <= 2 / 255).all(axis=-1).sum())


@pytest.mark.parametrize("crs", ["utm", "lon_lat"])
def test_an_index_map_is_a_colourful_png(tmp_path: Path, crs: str) -> None:
    if crs == "utm":
        raster = write_utm(tmp_path / "ndvi.tif", halves())
        field = utm_field()
    else:
        raster, field = wgs84_halves(tmp_path / "ndvi.tif")
    shape = FieldShape(id="F1", geometry=field)

    out = index_map_png(raster, shape, tmp_path / "maps" / "ndvi.png")

    assert out == tmp_path / "maps" / "ndvi.png"
    image = read_png(out)
    assert distinct_colours(image) > 20  # a colour bar, a map, text: not a blank page
    # both halves show in full colour: 0.4 and 0.8 are the ends of the scale
    cmap = colormaps["RdYlGn"]
    assert pixels_of(image, cmap(0.0)) > 1_000
    assert pixels_of(image, cmap(1.0)) > 1_000


def test_a_zones_map_colours_each_zone_from_low_to_high(
    tmp_path: Path, zone_map: ZoneMap, field: FieldShape
) -> None:
    out = zones_map_png(zone_map, tmp_path / "zones.png", field=field)

    image = read_png(out)
    assert distinct_colours(image) > 5
    cmap = colormaps["RdYlGn"]
    low, high = pixels_of(image, cmap(0.1)), pixels_of(image, cmap(0.9))
    assert low > 5_000  # the east half, in red
    assert high > 5_000  # the west half, in green
    assert low == pytest.approx(high, rel=0.1)  # the halves are the same size


def test_a_prescription_map_colours_each_area_by_its_rate(
    tmp_path: Path, zone_map: ZoneMap, field: FieldShape
) -> None:
    areas: list[PrescriptionArea] = [
        (zone.geometry, rate, f"Zone {zone.zone}")
        for zone, rate in zip(zone_map.zones, (60.0, 30.0), strict=True)
    ]

    out = prescription_map_png(
        areas, tmp_path / "rx.png", field=field, unit="kg/ha", product="urea"
    )

    image = read_png(out)
    assert distinct_colours(image) > 5
    cmap = colormaps["YlGnBu"]
    assert pixels_of(image, cmap(1.0)) > 5_000  # 60 kg/ha, the darkest
    assert pixels_of(image, cmap(0.15)) > 5_000  # 30 kg/ha, the lightest


def test_an_empty_zone_map_is_not_drawn(tmp_path: Path, field: FieldShape) -> None:
    empty = ZoneMap(field_id="F1", index="NDVI", zones=())

    with pytest.raises(NotEnoughData, match="F1"):
        zones_map_png(empty, tmp_path / "zones.png", field=field)
    assert not (tmp_path / "zones.png").exists()


def test_zones_are_not_drawn_over_another_field(tmp_path: Path, zone_map: ZoneMap) -> None:
    other = FieldShape(id="F2", geometry=utm_field())

    with pytest.raises(ValueError, match="F2"):
        zones_map_png(zone_map, tmp_path / "zones.png", field=other)


def test_an_empty_prescription_is_not_drawn(tmp_path: Path, field: FieldShape) -> None:
    with pytest.raises(BadPrescription, match="F1"):
        prescription_map_png([], tmp_path / "rx.png", field=field, unit="kg/ha", product="urea")


@pytest.mark.parametrize(
    ("geometry", "rate"),
    [(utm_field(), -5.0), (utm_field(), float("nan")), (LineString([(0, 0), (1, 1)]), 5.0)],
    ids=["negative", "nan", "line"],
)
def test_a_bad_prescription_area_is_named(
    tmp_path: Path, field: FieldShape, geometry: Polygon, rate: float
) -> None:
    with pytest.raises(BadPrescription, match="north strip"):
        prescription_map_png(
            [(geometry, rate, "north strip")],
            tmp_path / "rx.png",
            field=field,
            unit="kg/ha",
            product="urea",
        )
