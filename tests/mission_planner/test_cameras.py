"""Built-in cameras: GSD arithmetic by hand, the inverse, footprints and lookup by name."""

import dataclasses

import pytest

from mission_planner.cameras import (
    CAMERAS,
    P4_MULTISPECTRAL,
    PHANTOM_4_RTK,
    REDEDGE_MX,
    Camera,
    camera_named,
)
from mission_planner.refusals import PlanningError, UnknownCamera


def test_phantom_4_rtk_gsd_matches_a_hand_computation_and_djis_figure() -> None:
    # 13.2 mm × 100 m × 100 / (8.8 mm × 5472 px) = 132000 / 48153.6
    assert PHANTOM_4_RTK.gsd_cm(100.0) == pytest.approx(2.74123, abs=1e-5)
    assert PHANTOM_4_RTK.gsd_cm(100.0) == pytest.approx(100.0 / 36.5, rel=1e-3)  # DJI: H/36.5


def test_p4_multispectral_gsd_is_djis_h_over_18_9() -> None:
    assert P4_MULTISPECTRAL.gsd_cm(50.0) == pytest.approx(50.0 / 18.9, rel=1e-3)


def test_rededge_mx_gives_about_8_cm_at_120_m() -> None:
    # 4.8 mm × 120 m × 100 / (5.5 mm × 1280 px) = 57600 / 7040
    assert REDEDGE_MX.gsd_cm(120.0) == pytest.approx(8.1818, abs=1e-4)


def test_gsd_grows_linearly_with_altitude() -> None:
    assert PHANTOM_4_RTK.gsd_cm(60.0) == pytest.approx(2 * PHANTOM_4_RTK.gsd_cm(30.0))


@pytest.mark.parametrize("camera", list(CAMERAS.values()), ids=list(CAMERAS))
def test_altitude_for_gsd_inverts_gsd(camera: Camera) -> None:
    for altitude in (10.0, 60.0, 120.0):
        assert camera.altitude_m_for_gsd(camera.gsd_cm(altitude)) == pytest.approx(altitude)


@pytest.mark.parametrize("camera", list(CAMERAS.values()), ids=list(CAMERAS))
def test_footprint_is_image_size_times_gsd(camera: Camera) -> None:
    across, along = camera.footprint_m(80.0)
    gsd_m = camera.gsd_cm(80.0) / 100
    assert across == pytest.approx(camera.image_width_px * gsd_m)
    assert along == pytest.approx(camera.image_height_px * gsd_m * _pixel_aspect(camera), rel=1e-9)


def _pixel_aspect(camera: Camera) -> float:
    """Pixel height over pixel width on the sensor (1 for square pixels)."""
    return (camera.sensor_height_mm / camera.image_height_px) / (
        camera.sensor_width_mm / camera.image_width_px
    )


@pytest.mark.parametrize("camera", list(CAMERAS.values()), ids=list(CAMERAS))
def test_built_in_pixels_are_square_to_a_few_percent(camera: Camera) -> None:
    assert _pixel_aspect(camera) == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DJI Phantom 4 RTK", PHANTOM_4_RTK),
        ("dji phantom 4 rtk", PHANTOM_4_RTK),
        ("phantom-4-rtk", PHANTOM_4_RTK),
        ("P4M", P4_MULTISPECTRAL),
        ("MicaSense RedEdge-MX", REDEDGE_MX),
        ("rededge_mx", REDEDGE_MX),
    ],
)
def test_camera_named_ignores_case_and_punctuation(name: str, expected: Camera) -> None:
    assert camera_named(name) is expected


def test_every_built_in_camera_is_found_by_its_name() -> None:
    for name, camera in CAMERAS.items():
        assert camera_named(name.upper()) is camera


def test_the_short_forms_name_the_multispectral_and_rgb_cameras_apart() -> None:
    assert camera_named("m3m-ms").image_width_px == 2592
    assert camera_named("m3m-rgb").image_width_px == 5280
    assert camera_named("sequoia+ rgb").image_width_px == 4608
    assert camera_named("Parrot Sequoia+ MS").image_width_px == 1280


def test_an_unknown_camera_is_a_planning_error_listing_the_known_ones() -> None:
    with pytest.raises(UnknownCamera, match="Sony RX1R II") as info:
        camera_named("Hasselblad X")
    assert isinstance(info.value, PlanningError)


def test_a_camera_needs_positive_sizes() -> None:
    with pytest.raises(ValueError, match="above 0"):
        dataclasses.replace(PHANTOM_4_RTK, focal_length_mm=0.0)
    with pytest.raises(ValueError, match="pixel"):
        dataclasses.replace(PHANTOM_4_RTK, image_width_px=0)


def test_cameras_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        PHANTOM_4_RTK.focal_length_mm = 10.0  # type: ignore[misc]
