"""``tanbo sim --scenario`` as an instructor runs it: a real process, an operator flying the
exercise with ``tanbo fly`` from another terminal, and the score at the end."""

import json
from pathlib import Path

from shapely.geometry import Point, Polygon

from api.planning import write_plan
from fields import local_crs_for
from fields.crs import to_local
from mission_planner.spray import SprayParams, SprayTarget, plan_spray
from sim.cluster import find_free_base_port
from sim.scenarios import load_scenario
from tests.api.test_cli import tanbo
from tests.api.test_sim_cli import tanbo_sim

REG = "SIM-EXERCISE-1"


def spray_plan_for(name: str, folder: Path) -> Path:
    """A spray plan over the scenario's field, from its home, as an operator would make it."""
    scenario = load_scenario(name)
    home = scenario.vehicle
    crs = local_crs_for(home.home_lon_deg, home.home_lat_deg)
    field = to_local(Polygon(scenario.field), crs)
    pad = to_local(Point(home.home_lon_deg, home.home_lat_deg), crs)
    assert isinstance(field, Polygon)
    assert isinstance(pad, Point)
    plan = plan_spray(
        [SprayTarget(id=scenario.field_name, field=field)],
        crs=crs,
        home=(pad.x, pad.y),
        params=SprayParams(swath_m=scenario.scoring.swath_m),
    )
    write_plan(folder, name, plan)
    return folder / f"{name}.plan"


def test_the_battery_exercise_flown_with_tanbo_fly_ends_with_a_score(tmp_path: Path) -> None:
    plan = spray_plan_for("battery-mid-sortie", tmp_path / "plans")
    base = find_free_base_port(1)
    url = f"tcp:127.0.0.1:{base}"
    added = tanbo(
        "vehicles", "add", REG, "--model", "Tanbo SIM", "--mtow-kg", "25",
        "--battery-mah", "22000", "--cells", "12", "--tank-l", "10", "--sprayer", "ardupilot",
        "--connect", url, cwd=tmp_path,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    score_file = tmp_path / "score.json"
    args = (
        "--scenario", "battery-mid-sortie", "--speedup", "20", "--port", str(base),
        "--control-port", "0", "--duration", "90", "--score-out", str(score_file),
    )  # fmt: skip
    with tanbo_sim(*args, cwd=tmp_path) as sim:
        sim.wait_for("Ctrl-C to stop", timeout=60.0)
        flown = tanbo("fly", plan, "--connect", url, "--pilot", "Kasai Taro", cwd=tmp_path)
        code, stdout, stderr = sim.finish(timeout=60.0)
    assert "Traceback" not in flown.stderr
    assert flown.returncode == 1, flown.stdout + flown.stderr  # the flight ended by a failsafe
    assert code == 0, stderr
    assert stderr == ""
    assert "Battery failsafe mid-sortie (battery-mid-sortie)" in stdout
    assert "fault injected: battery:22" in stdout
    assert "failsafe battery-low: RTL" in stdout
    assert "(the vehicle has landed: exercise over)" in stdout
    assert "score " in stdout
    score = json.loads(score_file.read_text(encoding="utf-8"))
    assert score["scenario"] == "battery-mid-sortie"
    assert score["took_off"] is True
    assert score["landed"] is True
    assert 0.0 < score["covered_m2"] < score["field_m2"]
    assert 0.0 < score["covered_pct"] < 100.0
    assert score["flight_time_s"] > 30.0
    assert 78.0 <= score["battery_used_pct"] <= 100.0  # the drop to 22 % is part of it
    [reaction] = score["reactions"]
    assert reaction["fault"] == "battery:22"
    assert reaction["autopilot_action"] == "RTL"
    assert 0.0 <= reaction["autopilot_s"] <= 0.2
    assert [r["rule"] for r in score["rules_broken"]] == []
    assert 0.0 < score["total"] <= 100.0
