"""`tanbo fly` as an operator runs it: a real process, a simulated copter on TCP, the
flight log in the database and in the CSV."""

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from shapely import box

from api.planning import write_plan
from fields import local_crs_for
from mission_planner.spray import SprayParams, SprayTarget, plan_spray
from tests.api.test_cli import tanbo
from tests.sim.gcs import RunningSim, running

REG = "SIM-FLY-1"


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    crs = local_crs_for(134.8414, 34.9283)
    plan = plan_spray(
        [SprayTarget(id="F", field=box(0, 0, 30, 60))],
        crs=crs,
        home=(-10.0, -10.0),
        params=SprayParams(swath_m=5.0),
    )
    write_plan(tmp_path / "plans", "f", plan)
    return tmp_path / "plans" / "f.plan"


@pytest.fixture
def sim(plan_file: Path) -> Iterator[RunningSim]:
    from api.flying import load_flight_file

    home = load_flight_file(plan_file).mission.home
    with running(speedup=20.0, home_lat_deg=home.lat_deg, home_lon_deg=home.lon_deg) as started:
        yield started


def register(tmp_path: Path, url: str, registration: str = REG) -> None:
    result = tanbo(
        "vehicles", "add", registration, "--model", "Tanbo SIM", "--mtow-kg", "25",
        "--battery-mah", "22000", "--cells", "12", "--tank-l", "10", "--sprayer", "ardupilot",
        "--connect", url, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_fly_a_plan_end_to_end(tmp_path: Path, plan_file: Path, sim: RunningSim) -> None:
    url = f"tcp:127.0.0.1:{sim.port}"
    register(tmp_path, url)
    started = time.monotonic()
    result = tanbo("fly", plan_file, "--connect", url, "--pilot", "Kasai Taro", cwd=tmp_path)
    took_s = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "sortie 1: completed" in result.stdout
    assert "sprayed 0.1" in result.stdout  # about 0.18 ha of a 30 m x 60 m field
    assert took_s < 60.0
    with (tmp_path / "data" / "flight-logs.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 2  # the header and this flight
    header, row = rows
    assert row[header.index("登録記号")].startswith(REG)
    assert row[header.index("飛行させた者の氏名")] == "Kasai Taro"
    listed = tanbo("logs", "list", "--registration", REG, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "completed" in listed.stdout


def test_a_real_aircraft_flies_only_after_the_days_inspection(
    tmp_path: Path, plan_file: Path, sim: RunningSim
) -> None:
    url = f"tcp:127.0.0.1:{sim.port}"
    register(tmp_path, url, "JU0123456789")
    refused = tanbo("fly", plan_file, "--connect", url, "--pilot", "Kasai Taro", cwd=tmp_path)
    assert refused.returncode == 2
    assert "inspection: no daily inspection (日常点検) recorded today" in refused.stderr
    assert not sim.call(lambda: sim.vehicle.state.armed)
    inspected = tanbo(
        "vehicles", "inspect", "JU0123456789", "--inspector", "Kasai Taro", "--ok", "all",
        cwd=tmp_path,
    )  # fmt: skip
    assert inspected.returncode == 0, inspected.stderr
    flown = tanbo("fly", plan_file, "--connect", url, "--pilot", "Kasai Taro", cwd=tmp_path)
    assert flown.returncode == 0, flown.stdout + flown.stderr
    flight_id = flown.stdout.split("log ")[1].split()[0].strip(",")
    shown = tanbo("logs", "show", flight_id, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    inspection_line = next(x for x in shown.stdout.splitlines() if "日常点検" in x)
    assert "—" not in inspection_line  # the flight refers to the day's inspection


def test_an_unregistered_vehicle_is_refused_before_take_off(
    tmp_path: Path, plan_file: Path, sim: RunningSim
) -> None:
    url = f"tcp:127.0.0.1:{sim.port}"
    result = tanbo("fly", plan_file, "--connect", url, "--pilot", "Kasai Taro", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "registration: vehicle not in the registry" in result.stderr
    assert not sim.call(lambda: sim.vehicle.state.armed)
    assert not (tmp_path / "data" / "flight-logs.csv").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--connect", "tcp:nowhere"], "expected tcp:HOST:PORT"),
        ([], "give --connect URL"),
        (["--connect", "tcp:127.0.0.1:9", "--pilot", ""], "pilot's name"),
        (["--vehicle", "SIM-NONE"], "SIM-NONE: no such registered vehicle"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, plan_file: Path, args: list[str], says: str
) -> None:
    pilot = [] if "--pilot" in args else ["--pilot", "P"]
    result = tanbo("fly", plan_file, *args, *pilot, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreadable_plan_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.plan").write_text("{")
    result = tanbo("fly", tmp_path / "bad.plan", "--connect", "tcp:127.0.0.1:9", "--pilot", "P",
                   cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "bad.plan" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_vehicles_share_the_sorties_and_each_flight_is_logged(tmp_path: Path) -> None:
    from api.flying import load_flight_file

    crs = local_crs_for(134.8414, 34.9283)
    plan = plan_spray(
        [SprayTarget(id="F", field=box(0, 0, 30, 60))],
        crs=crs,
        home=(-10.0, -10.0),
        params=SprayParams(swath_m=5.0, tank_l=5.0, rate_l_ha=80.0),
    )
    assert plan.sorties == 3  # 0.18 ha at 80 L/ha from a 5 L tank
    write_plan(tmp_path / "plans", "f", plan)
    plan_file = tmp_path / "plans" / "f.plan"
    home = load_flight_file(plan_file).mission.home
    config = {
        "speedup": 20.0, "home_lat_deg": home.lat_deg, "home_lon_deg": home.lon_deg,
        "ground_crew_s": 20.0,
    }  # fmt: skip
    east = {**config, "home_lon_deg": home.lon_deg + 15.0 / 91_000.0}  # 15 m east
    with running(**config) as one, running(**east, system_id=2) as two:
        urls = [f"tcp:127.0.0.1:{one.port}", f"tcp:127.0.0.1:{two.port}"]
        for n, url in enumerate(urls, 1):
            register(tmp_path, url, f"SIM-FLY-{n}")
        result = tanbo(
            "fly", plan_file, "-c", urls[0], "-c", urls[1], "--pilot", "Kasai Taro",
            "--turnaround-s", "25", cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SIM-FLY-1 on" in result.stdout
    assert "SIM-FLY-2 on" in result.stdout
    assert result.stdout.count("sortie 1: completed") == 2  # each vehicle's first
    assert result.stdout.count("sortie 2: completed") == 1  # the third sortie, vehicle 1's
    listed = tanbo("logs", "list", cwd=tmp_path)
    assert "3 flights" in listed.stdout
    with running(**config) as one, running(**config, system_id=2) as two:
        urls = [f"tcp:127.0.0.1:{one.port}", f"tcp:127.0.0.1:{two.port}"]
        for n, url in enumerate(urls, 3):
            register(tmp_path, url, f"SIM-FLY-{n}")
        side_by_side = tanbo("fly", plan_file, "-c", urls[0], "-c", urls[1], "--pilot", "P",
                             cwd=tmp_path)  # fmt: skip
        armed = [
            one.call(lambda: one.vehicle.state.armed),
            two.call(lambda: two.vehicle.state.armed),
        ]
    assert side_by_side.returncode == 2
    assert "separation: stands 0.0 m from SIM-FLY-3" in side_by_side.stderr
    assert armed == [False, False]
