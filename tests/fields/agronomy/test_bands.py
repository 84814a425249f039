"""Which band is which: ``fields.agronomy.bands`` profiles, band maps and sensor detection."""

import pytest
import spyndex

from fields.agronomy.bands import (
    PROFILES,
    SYMBOLS,
    SensorProfile,
    band_map_matches,
    detect_sensor,
    get_profile,
    parse_band_map,
)
from fields.agronomy.errors import BandProblem

GENERIC = PROFILES["generic"]
S2 = PROFILES["sentinel-2-l2a"]


def test_every_symbol_is_a_spyndex_band() -> None:
    assert set(SYMBOLS) <= set(spyndex.bands)


@pytest.mark.parametrize("profile", PROFILES.values(), ids=list(PROFILES))
def test_every_profile_speaks_only_known_symbols(profile: SensorProfile) -> None:
    assert set(profile.aliases) <= set(SYMBOLS)
    assert set(profile.band_order) <= set(profile.aliases)


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("Red", "R"),
        ("red", "R"),
        ("Red edge", "RE1"),
        ("RedEdge", "RE1"),
        ("result_Red_Edge.tif", "RE1"),
        ("result_RedEdge", "RE1"),
        ("NIR", "N"),
        ("Near Infrared", "N"),
        ("odm_orthophoto_nir", "N"),
        ("Green", "G"),
        ("blue", "B"),
        ("red edge 2", "RE2"),
    ],
)
def test_drone_band_names_mean_their_symbol(name: str, symbol: str) -> None:
    assert GENERIC.symbol_for(name) == symbol


@pytest.mark.parametrize("name", ["Band 4", "4", "", "alpha", "red_nir_composite", "result"])
def test_names_that_say_nothing_or_too_much_mean_no_symbol(name: str) -> None:
    assert GENERIC.symbol_for(name) is None


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("T53SNU_20240715T015659_B04_10m", "R"),
        ("T53SNU_20240715T015659_B05_20m.jp2", "RE1"),
        ("T53SNU_20240715T015659_B08_10m", "N"),
        ("T53SNU_20240715T015659_B8A_20m", "N2"),
        ("B4", "R"),
        ("B12", "S2"),
    ],
)
def test_sentinel2_band_names_mean_their_symbol(name: str, symbol: str) -> None:
    assert S2.symbol_for(name) == symbol


def test_sentinel2_scene_classification_is_its_mask_band() -> None:
    assert S2.is_mask("T53SNU_20240715T015659_SCL_20m")
    assert not S2.is_mask("T53SNU_20240715T015659_B04_10m")
    assert not GENERIC.is_mask("SCL")


def test_sentinel2_profile_scales_counts_and_drops_clouds_shadows_snow() -> None:
    assert S2.scale == pytest.approx(1e-4)
    assert S2.nodata == 0
    assert S2.mask_classes == {0, 1, 3, 8, 9, 10, 11}


def test_drone_profiles_follow_their_cameras_band_order() -> None:
    assert PROFILES["dji-mavic-3m"].band_order == ("G", "R", "RE1", "N")
    assert PROFILES["dji-p4-multispectral"].band_order == ("B", "G", "R", "RE1", "N")
    assert PROFILES["micasense-rededge"].band_order == ("B", "G", "R", "N", "RE1")


def test_a_profile_with_an_unknown_symbol_is_refused() -> None:
    with pytest.raises(ValueError, match="NIR"):
        SensorProfile(name="odd", aliases={"NIR": ("nir",)})


def test_an_unknown_sensor_is_refused_with_the_known_ones() -> None:
    with pytest.raises(BandProblem, match=r"'sentinel-3'.*sentinel-2-l2a.*generic"):
        get_profile("sentinel-3")
    assert get_profile(" DJI-Mavic-3M ") is PROFILES["dji-mavic-3m"]


def test_band_map_reads_cli_items_and_mappings() -> None:
    assert parse_band_map(["N=4", "R=3"]) == {"N": 4, "R": 3}
    assert parse_band_map(["nir=5", "re1=rededge"]) == {"N": 5, "RE1": "rededge"}
    assert parse_band_map({"n2": "*_B8A_20m.jp2"}) == {"N2": "*_B8A_20m.jp2"}
    assert parse_band_map("R=1") == {"R": 1}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["N4"], "not SYMBOL=BAND"),
        (["X=1"], "'X' is no band symbol"),
        (["N=0"], "numbered from 1"),
        (["N=4", "nir=5"], "N is given twice"),
        (["N=4", "R=4"], "band 4 is given to both N and R"),
    ],
)
def test_band_map_mistakes_are_named(items: list[str], message: str) -> None:
    with pytest.raises(BandProblem, match=message):
        parse_band_map(items)


def test_band_map_names_match_words_and_globs() -> None:
    assert band_map_matches("rededge", "Red Edge", exact=True)
    assert band_map_matches("red", "Red Edge")
    assert not band_map_matches("red", "Red Edge", exact=True)
    assert band_map_matches("red edge", "Red_Edge", exact=True)
    assert band_map_matches("*_B8A_20m.jp2", "T53SNU_20240715T015659_B8A_20m.jp2")
    assert not band_map_matches("*_B8A_20m.jp2", "T53SNU_20240715T015659_B8A_60m.jp2")


def test_sentinel2_is_detected_from_band_names() -> None:
    profile, why = detect_sensor(["B02", "B03", "B04", "B08", "x.tif"], [])
    assert profile is S2
    assert "B04" in why


def test_sentinel2_is_detected_from_the_product_name() -> None:
    name = "S2B_MSIL2A_20240715T015659_N0510_R060_T53SNU_20240715T041152.SAFE"
    assert detect_sensor([name], [])[0] is S2


def test_sentinel2_level_1c_is_refused() -> None:
    with pytest.raises(BandProblem, match="Level-1C"):
        detect_sensor(["S2B_MSIL1C_20240715T015659_N0510_R060_T53SNU_20240715T041152.SAFE"], [])


@pytest.mark.parametrize(
    ("tag", "sensor"),
    [
        ("DJI M3M", "dji-mavic-3m"),
        ("FC6360", "dji-p4-multispectral"),
        ("MicaSense RedEdge-MX", "micasense-rededge"),
    ],
)
def test_drone_cameras_are_detected_from_tags(tag: str, sensor: str) -> None:
    profile, why = detect_sensor(["red", "nir"], ["ODM 3.5.0", tag])
    assert profile.name == sensor
    assert tag in why


def test_anything_else_is_generic_and_says_so() -> None:
    profile, why = detect_sensor(["red", "nir", "ortho.tif"], ["ODM 3.5.0"])
    assert profile is GENERIC
    assert "generic" in why
