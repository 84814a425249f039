"""``tanbo irrigation sim`` as a user runs it: a real process, JSON out, bad input named."""

import json
from pathlib import Path

from tests.api.test_cli import tanbo


def test_sim_prints_the_season_summary_as_json(tmp_path: Path) -> None:
    result = tanbo("irrigation", "sim", "--days", "120", "--faults", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["days"] == 120
    assert summary["within_band_fraction"] >= 0.99
    assert summary["overflow_events"] == 0
    assert summary["midseason_drainage_days"] >= 1
    assert summary["faults"] == 6
    assert "hyderabad" in summary["weather"]


def test_sim_reads_a_weather_csv_and_writes_the_days(tmp_path: Path) -> None:
    rows = ["date,rain_mm,et0_mm"] + [f"2026-05-{d:02d},{(d % 5) * 4},4.5" for d in range(1, 31)]
    (tmp_path / "kasai.csv").write_text("\n".join(rows) + "\n")
    result = tanbo(
        "irrigation", "sim", "--rain", "kasai.csv", "--days", "30", "--daily", "days.csv",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "within ±1 cm" in result.stdout
    days = (tmp_path / "days.csv").read_text().splitlines()
    assert days[0].startswith("day,stage,rain_mm")
    assert len(days) == 31


def test_bad_input_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("date,rain_mm,et0_mm\n2026-05-01,-3,4\n")
    bad_file = tanbo("irrigation", "sim", "--rain", "bad.csv", cwd=tmp_path)
    assert bad_file.returncode == 2
    assert "bad.csv:2" in bad_file.stderr
    assert "Traceback" not in bad_file.stderr
    too_long = tanbo("irrigation", "sim", "--year", "2010", "--days", "200", cwd=tmp_path)
    assert too_long.returncode == 2
    assert "not over" in too_long.stderr
    missing = tanbo("irrigation", "sim", "--rain", "nowhere.csv", cwd=tmp_path)
    assert missing.returncode == 2
    assert "nowhere.csv" in missing.stderr


def test_sim_with_afternoon_storms_in_the_wettest_season_keeps_the_levee(tmp_path: Path) -> None:
    result = tanbo(
        "irrigation", "sim", "--year", "2000", "--rain-hours", "3", "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["overflow_events"] == 0
    assert summary["paddy_dam_episodes"] >= 1
    assert summary["max_depth_cm"] <= summary["max_safe_depth_cm"]
    assert summary["within_band_fraction"] >= 0.99
