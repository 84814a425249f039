"""An index raster over a field as a longitude/latitude grid for a web map: the field's
pixels keep their values (nearest pixel), nothing outside the field shows, and a large
field is sampled more coarsely rather than sent whole."""

from pathlib import Path

import numpy as np
import pytest
import shapely

from fields.agronomy import IndexGrid, index_grid
from fields.agronomy.errors import FieldOutsideImage
from fields.agronomy.model import FieldShape
from tests.fields.agronomy.rasters import field_over, kasai_grid, write_raster


def _halves(tmp_path: Path, pixel_m: float = 2.0) -> tuple[Path, FieldShape]:
    """A 40 × 40 raster of ``pixel_m`` pixels: 0.8 on the west half, 0.4 on the east, and a
    field over rows 10-30, columns 10-30."""
    values = np.where(np.arange(40)[None, :] < 20, 0.8, 0.4).repeat(40, axis=0)
    transform = kasai_grid(pixel_m)
    raster = write_raster(tmp_path / "ndvi.tif", values.astype(np.float32), transform=transform)
    _, field = field_over(transform, rows=(10, 30), cols=(10, 30))
    return raster, field


def test_the_field_pixels_keep_their_values_and_nothing_outside_shows(tmp_path: Path) -> None:
    raster, field = _halves(tmp_path)

    grid = index_grid(raster, field)

    assert (grid.west_deg, grid.south_deg, grid.east_deg, grid.north_deg) == pytest.approx(
        field.geometry.bounds
    )
    assert grid.pixel_m == pytest.approx(2.0, rel=0.05)
    assert 18 <= grid.values.shape[1] <= 22  # 40 m across at about 2 m
    seen = grid.values[np.isfinite(grid.values)]
    assert set(np.round(seen, 6)) == {0.4, 0.8}  # nearest pixel: never a blend
    west, east = grid.values[:, : grid.values.shape[1] // 3], grid.values[:, -3:]
    assert np.nanmean(west) == pytest.approx(0.8)
    assert np.nanmean(east) == pytest.approx(0.4)
    height, width = grid.values.shape
    lon_step = (grid.east_deg - grid.west_deg) / width
    lat_step = (grid.north_deg - grid.south_deg) / height
    for row in range(height):
        for col in range(width):
            centre = shapely.Point(
                grid.west_deg + (col + 0.5) * lon_step, grid.north_deg - (row + 0.5) * lat_step
            )
            assert np.isfinite(grid.values[row, col]) == field.geometry.contains(centre)


def test_a_large_field_is_sampled_more_coarsely(tmp_path: Path) -> None:
    raster, field = _halves(tmp_path)

    grid = index_grid(raster, field, max_px=8)

    assert max(grid.values.shape) <= 8
    assert grid.pixel_m == pytest.approx(40.0 / 8, rel=0.1)


def test_a_field_off_the_image_is_refused(tmp_path: Path) -> None:
    raster, field = _halves(tmp_path)
    away = FieldShape(id="away", geometry=shapely.affinity.translate(field.geometry, xoff=1.0))

    with pytest.raises(FieldOutsideImage, match="away"):
        index_grid(raster, away)
    with pytest.raises(ValueError, match="max_px"):
        index_grid(raster, field, max_px=0)


def test_a_grid_needs_pixels_and_ordered_bounds() -> None:
    with pytest.raises(ValueError, match="rows and columns"):
        IndexGrid(values=np.zeros((0, 3)), west_deg=0, south_deg=0, east_deg=1, north_deg=1,
                  pixel_m=1)  # fmt: skip
    with pytest.raises(ValueError, match="west to east"):
        IndexGrid(values=np.zeros((2, 3)), west_deg=1, south_deg=0, east_deg=0, north_deg=1,
                  pixel_m=1)  # fmt: skip
