from pathlib import Path

import pytest

from api.config import load_settings
from api.errors import ConfigError
from fields import ZoneKind


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TANBO_DATA_DIR", "TANBO_DATABASE_URL", "TANBO_CONFIG", "TANBO_DEFAULT_OWNER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "d")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'd' / 'tanbo.db'}"


def test_environment_then_toml_then_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "tanbo.toml").write_text(
        'default_owner = "from-toml"\nswap_within_km = 50\n[zone_buffers_m]\nhouse = 15\n'
    )
    monkeypatch.setenv("TANBO_DEFAULT_OWNER", "from-env")
    settings = load_settings()
    assert settings.default_owner == "from-env"
    assert settings.swap_within_km == 50
    assert settings.buffers_m[ZoneKind.HOUSE] == 15
    assert settings.buffers_m[ZoneKind.SCHOOL] == 30  # the default stays
    assert load_settings(default_owner="from-flag").default_owner == "from-flag"


def test_tanbo_config_names_the_toml_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('database_url = "postgresql://postgres@127.0.0.1/tanbo"\n')
    monkeypatch.setenv("TANBO_CONFIG", str(config))
    assert load_settings().resolved_database_url == "postgresql://postgres@127.0.0.1/tanbo"
    monkeypatch.setenv("TANBO_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing\.toml, which is not a file"):
        load_settings()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("max_field_area_ha = 0", "setting max_field_area_ha"),
        ("[zone_buffers_m]\nhouse = -1", "setting zone_buffers_m"),
        ("[zone_buffers_m]\ncastle = 5", "setting zone_buffers_m.castle"),
        ("colour = 'blue'", "setting colour"),
    ],
)
def test_a_bad_setting_is_named(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "tanbo.toml").write_text(toml + "\n")
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_import_options_carry_the_settings(tmp_path: Path) -> None:
    (tmp_path / "tanbo.toml").write_text("min_field_area_m2 = 50\nmax_field_area_ha = 20\n")
    options = load_settings().import_options(crop="rice")
    assert options.rules.min_area_m2 == 50
    assert options.rules.max_area_m2 == 200_000
    assert options.crop == "rice"
