import pytest
from shapely import Polygon

from fields import geodesic_area_m2, local_crs_for, to_local, to_wgs84
from fields.crs import LocalCrs, area_m2, perimeter_m
from tests.common.geometries import paddy, polygon_with_hole


@pytest.mark.parametrize(
    ("lon", "lat", "code", "epsg"),
    [
        (134.8414, 34.9283, None, 6673),  # Kasai, Hyogo: zone V
        (134.8414, 34.9283, "282201", 6673),  # Kasai by its municipality code
        (135.50, 34.69, None, 6674),  # Osaka: zone VI
        (139.69, 35.69, "131016", 6677),  # Tokyo Chiyoda: zone IX
        (141.35, 43.06, "011002", 6680),  # Sapporo: zone XII
        (144.38, 42.98, "012068", 6681),  # Kushiro: zone XIII
        (127.68, 26.21, "472018", 6683),  # Naha: zone XV
        (130.56, 31.60, "462012", 6670),  # Kagoshima city: zone II
        (129.49, 28.38, "462225", 6669),  # Amami (Kagoshima): zone I
        (73.10, 26.30, None, 32643),  # Rajasthan: UTM 43N
        (-47.9, -15.8, None, 32723),  # Brasília: UTM 23S
        (179.99, 10.0, None, 32660),  # the last UTM zone
    ],
)
def test_local_crs_is_the_plane_zone_in_japan_and_utm_elsewhere(
    lon: float, lat: float, code: str | None, epsg: int
) -> None:
    assert local_crs_for(lon, lat, municipality_code=code).epsg == epsg


def test_municipality_code_overrides_the_nearest_zone() -> None:
    # Near the Hyogo/Osaka border the nearest origin is zone VI, but a Hyogo code says V.
    assert local_crs_for(135.45, 34.75).epsg == 6674
    assert local_crs_for(135.45, 34.75, municipality_code="282171").epsg == 6673


@pytest.mark.parametrize("shape", [paddy(), polygon_with_hole()], ids=["paddy", "with_hole"])
def test_planar_area_agrees_with_the_ellipsoid(shape: Polygon) -> None:
    crs = local_crs_for(shape.centroid.x, shape.centroid.y)
    assert area_m2(shape, crs) == pytest.approx(geodesic_area_m2(shape), rel=1e-3)


def test_paddy_measures_thirty_by_a_hundred_metres() -> None:
    crs = local_crs_for(134.8414, 34.9283)
    assert area_m2(paddy(), crs) == pytest.approx(3_000, rel=5e-3)
    assert perimeter_m(paddy(), crs) == pytest.approx(260, rel=5e-3)


def test_round_trip_to_local_and_back_is_exact_to_the_millimetre() -> None:
    crs = LocalCrs(epsg=6673, name="")
    back = to_wgs84(to_local(paddy(), crs), crs)
    assert back.equals_exact(paddy(), tolerance=1e-8)  # 1e-8° ≈ 1 mm
