"""The ``tanbo`` command as a user runs it: a real process, real files, real databases."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

from tests.common.geometries import feature_collection, paddy

TANBO = Path(sys.executable).with_name("tanbo")


def tanbo(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TANBO_")}
    environment |= {"TANBO_DATA_DIR": str(cwd / "data"), "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [str(TANBO), *map(str, args)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = tanbo("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("fields", "zones", "demo", "db", "plan", "fly", "sim", "serve", "logistics"):
        assert f"│ {command} " in result.stdout
    fields_help = tanbo("fields", "--help", cwd=tmp_path).stdout
    for command in ("import", "list", "show", "export", "set"):
        assert command in fields_help


def test_import_list_show_export_on_the_default_sqlite(tmp_path: Path, sample_data: Path) -> None:
    imported = tanbo("fields", "import", sample_data / "kasai_benchmark_fields.geojson",
                     "--owner", "kasai-farm", cwd=tmp_path)  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert "imported 48 fields (48 new, 0 updated)" in imported.stdout
    assert (tmp_path / "data" / "tanbo.db").is_file()

    zones = tanbo("zones", "import", sample_data / "kasai_benchmark_no_spray.geojson",
                  "--kind", "house", cwd=tmp_path)  # fmt: skip
    assert zones.returncode == 0, zones.stderr

    listed = tanbo("fields", "list", cwd=tmp_path)
    assert listed.returncode == 0
    assert "B047" in listed.stdout
    assert "48 fields" in listed.stdout

    shown = tanbo("fields", "show", "B000", cwd=tmp_path)
    assert shown.returncode == 0
    assert "rect_30x100" in shown.stdout
    assert "EPSG:6673" in shown.stdout
    assert "zone ZB000 (house, no_spray)" in shown.stdout

    near = tanbo("zones", "list", "--field", "B005", cwd=tmp_path)
    assert "ZB005" in near.stdout
    assert "ZB000" not in near.stdout

    out = tmp_path / "export" / "fields.gpkg"
    exported = tanbo("fields", "export", out, "--owner", "kasai-farm", cwd=tmp_path)
    assert exported.returncode == 0
    assert pyogrio.read_info(out)["features"] == 48


def test_each_rejected_feature_gets_one_line_and_exit_code_2(
    tmp_path: Path, sample_data: Path
) -> None:
    result = tanbo("fields", "import", sample_data / "hostile_fields.geojson", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert [line.split()[1] for line in lines] == [
        "H-SWAP", "H-POINT", "H-TINY", "H-HUGE", "H-EMPTY", "H-DATE",
    ]  # fmt: skip
    assert all(line.startswith("rejected ") for line in lines)
    assert "Traceback" not in result.stderr
    assert "imported 3 fields" in result.stdout  # the bow-tie (repaired), H-OVERLAP, H-GOOD
    assert "repaired H-BOWTIE" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("fields", "import", "missing.geojson"), "missing.geojson: no such file"),
        (("fields", "import", "fields.txt"), "unknown file type .txt"),
        (("fields", "import", "garbage.geojson"), "garbage.geojson"),
        (("fields", "show", "NOPE"), "no field with id 'NOPE'"),
        (("fields", "export", "out.csv"), "cannot write .csv"),
        (("--database-url", "mysql://x/y", "fields", "list"), "database 'mysql' is not supported"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "fields.txt").write_text("not a map")
    (tmp_path / "garbage.geojson").write_text("{ this is not json")
    result = tanbo(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_bad_option_value_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    path = feature_collection([({"id": "P"}, paddy())], tmp_path / "p.geojson")
    result = tanbo("fields", "import", path, "--transplanted", "May 10th", cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a date (YYYY-MM-DD)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / "tanbo.toml").write_text("max_field_area_ha = -5\n")
    result = tanbo("fields", "list", cwd=tmp_path)
    assert result.returncode == 2
    assert "setting max_field_area_ha" in result.stderr


def test_nothing_is_written_outside_the_data_dir(tmp_path: Path, sample_data: Path) -> None:
    result = tanbo("fields", "import", sample_data / "maff_fude_2024_sample.geojson", cwd=tmp_path)
    assert result.returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_set_changes_a_fields_crop_and_date_and_delete_removes_it(tmp_path: Path) -> None:
    path = feature_collection(
        [({"id": "P", "name": "home paddy"}, paddy())], tmp_path / "p.geojson"
    )
    assert tanbo("fields", "import", path, cwd=tmp_path).returncode == 0
    changed = tanbo("fields", "set", "P", "--crop", "rice", "--variety", "Hinohikari",
                    "--transplanted", "2026-05-12", cwd=tmp_path)  # fmt: skip
    assert changed.returncode == 0
    shown = tanbo("fields", "show", "P", cwd=tmp_path).stdout
    assert "rice / Hinohikari" in shown
    assert "2026-05-12" in shown
    assert tanbo("fields", "delete", "P", cwd=tmp_path).stdout.strip() == "deleted 1 field"
    assert "no fields registered" in tanbo("fields", "list", cwd=tmp_path).stdout


@pytest.mark.postgres
def test_the_same_commands_work_on_postgresql(
    tmp_path: Path, sample_data: Path, postgres_url: str
) -> None:
    env = {"TANBO_DATABASE_URL": postgres_url}
    path = sample_data / "india_smallholder_fields.geojson"
    first = tanbo("fields", "import", path, "--owner", "india", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    again = tanbo("fields", "import", path, "--owner", "india", cwd=tmp_path, env=env)
    assert "imported 100 fields (0 new, 100 updated)" in again.stdout
    out = tmp_path / "india.geojson"
    assert tanbo("fields", "export", out, cwd=tmp_path, env=env).returncode == 0
    assert len(json.loads(out.read_text())["features"]) == 100
    assert not (tmp_path / "data" / "tanbo.db").exists()


def test_demo_runs_twice_without_duplicating(tmp_path: Path) -> None:
    first = tanbo("demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "kasai_benchmark_fields.geojson → kasai-demo-farm: 48 features, 48 new" in first.stdout
    assert "rejected H-SWAP" in first.stdout
    assert "scheduled → dispatched → flying → completed" in first.stdout
    assert "billed: ¥4,400 succeeded" in first.stdout
    variable = re.search(r"variable-rate plan: coverage ([\d.]+)%", first.stdout)
    assert variable is not None
    assert float(variable[1]) >= 99.5  # the planner's floor (rings cost corner tips)
    assert "with the prescription" in first.stdout
    for picture in ("B001_NDVI.png", "B001_zones.png", "B001_rx.png", "B001_rx.geojson"):
        assert (tmp_path / "data" / "agronomy" / picture).exists()
    # Three deliveries flown on two simulated drones, confirmed by code, paid once each.
    assert first.stdout.count(": vehicle_returned") == 3
    assert first.stdout.count("confirmed         recipient:code") == 3
    assert "wallet: ¥7,500 left" in first.stdout
    second = tanbo("demo", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "48 features, 0 new, 48 updated" in second.stdout
    # The same farmer again (linked by the identity), a second mission, billed once more.
    assert "mission 2: scheduled → dispatched → flying → completed" in second.stdout
    assert second.stdout.count("billed: ¥") == 1
    assert second.stdout.count(": vehicle_returned") == 3  # a new day's three deliveries
    listed = tanbo("fields", "list", cwd=tmp_path).stdout
    assert "153 fields" in listed  # the samples, the hostile file's 2, the farmer's own


def test_a_command_line_names_the_one_command_group_to_load(tmp_path: Path) -> None:
    from api.cli import command_in

    assert command_in(["--data-dir", "d", "plan", "spray", "f.geojson"]) == "plan"
    assert command_in(["--database-url=sqlite://", "fly", "--connect", "x"]) == "fly"
    assert command_in(["-h"]) is None
    assert command_in([]) is None
    # An unknown word is still the command: every group is loaded and click names it.
    missing = tanbo("nosuch", cwd=tmp_path)
    assert missing.returncode == 2
    assert "No such command 'nosuch'" in missing.stderr
