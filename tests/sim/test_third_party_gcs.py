"""A ground station nobody here wrote flies the simulator: MAVSDK (the native ``mavsdk`` 4.x
binding of MAVSDK's C++ core, no server needed) over real TCP imports the ``.plan`` Tanbo's
planner wrote, uploads it, arms, takes off, starts the mission in AUTO, and the mission is
flown to its end: finished, landed at home, disarmed.

The take-off in GUIDED before AUTO is how MAVSDK starts an ArduPilot mission that works on
a real Copter too: armed on the ground in AUTO, Copter waits for the pilot's throttle (or
AUTO_OPTIONS bit 1) before it takes off.
"""

import json
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from shapely import box

from api.planning import write_plan
from fields import local_crs_for
from mission_planner.spray import SprayParams, SprayTarget, plan_spray
from sim import CopterMode
from tests.sim.gcs import RunningSim, running

mavsdk = pytest.importorskip("mavsdk", minversion="4.1")

from mavsdk.plugins.action.action import Action  # noqa: E402
from mavsdk.plugins.mission_raw.mission_raw import MissionRaw  # noqa: E402
from mavsdk.plugins.telemetry.telemetry import Telemetry  # noqa: E402

SPRAYER = 216  # MAV_CMD_DO_SPRAYER


def planned_file(out: Path) -> Path:
    """A spray mission over a 30 m by 60 m field, written as the planner writes it."""
    crs = local_crs_for(134.8414, 34.9283)
    plan = plan_spray(
        [SprayTarget(id="F", field=box(0, 0, 30, 60))],
        crs=crs,
        home=(-10.0, -10.0),
        params=SprayParams(swath_m=5.0),
    )
    write_plan(out, "field", plan)
    return out / "field.plan"


@contextmanager
def ground_station(port: int) -> Iterator[Any]:
    """MAVSDK as a ground station on ``tcp:127.0.0.1:port``, with the first autopilot."""
    config = mavsdk.Configuration.create_with_component_type(mavsdk.ComponentType.GROUND_STATION)
    station = mavsdk.Mavsdk(config)
    try:
        assert station.add_any_connection(f"tcpout://127.0.0.1:{port}") == (
            mavsdk.ConnectionResult.SUCCESS
        )
        system = station.first_autopilot(10.0)
        assert system is not None, "MAVSDK found no autopilot"
        yield system
    finally:
        station.destroy()


def wait_for(check: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout_s} s"
        time.sleep(0.02)


def state(sim: RunningSim, read: Callable[[Any], Any]) -> Any:
    return sim.call(lambda: read(sim.vehicle))


def test_mavsdk_flies_a_planned_mission_from_its_plan_file_to_completion(tmp_path: Path) -> None:
    plan_path = planned_file(tmp_path)
    plan = json.loads(plan_path.read_text())["mission"]
    home_lat, home_lon, _ = plan["plannedHomePosition"]
    with running(speedup=20.0, home_lat_deg=home_lat, home_lon_deg=home_lon) as sim:
        sim.call(lambda: sim.vehicle.params.set("SPRAY_ENABLE", 1.0))
        with ground_station(sim.port) as system:
            missions, action, telemetry = MissionRaw(system), Action(system), Telemetry(system)
            progress: list[tuple[int, int]] = []
            missions.subscribe_mission_progress(lambda p, _: progress.append((p.current, p.total)))
            imported = missions.import_qgroundcontrol_mission(str(plan_path)).mission_items
            missions.upload_mission(imported)
            stored = state(sim, lambda v: v.missions.items(0))
            action.set_takeoff_altitude(3.0)
            action.arm()
            action.takeoff()
            wait_for(lambda: state(sim, lambda v: v.state.alt_m) > 2.9, timeout_s=5.0)
            missions.start_mission()
            assert state(sim, lambda v: v.state.mode) == CopterMode.AUTO
            wait_for(lambda: not state(sim, lambda v: v.state.armed), timeout_s=20.0)
            wait_for(lambda: not telemetry.armed(), timeout_s=3.0)  # as MAVSDK sees it
            wait_for(lambda: not telemetry.in_air(), timeout_s=3.0)
            done, landed = state(sim, lambda v: (v.flight.runner.complete, v.state.landed_state))
            where = state(sim, lambda v: (v.state.lat_deg, v.state.lon_deg, v.state.alt_m))
            sprayed = state(sim, lambda v: [(e.seq, e.on) for e in v.state.spray_log])
    assert len(stored) == len(imported) == len(plan["items"]) + 1  # home first, then the plan
    assert [s.command for s in stored[1:]] == [i["command"] for i in plan["items"]]
    assert done  # every item flown: the mission ran to its end (an RTL)
    assert max(progress) == (len(imported), len(imported))  # MAVSDK saw it finish
    assert landed == 1  # MAV_LANDED_STATE_ON_GROUND
    assert where[2] == 0.0
    assert math.dist(where[:2], (home_lat, home_lon)) < 1e-5  # about a metre
    switches = [(k, i["params"][0] == 1.0) for k, i in enumerate(plan["items"], 1)]
    assert sprayed == [s for s in switches if plan["items"][s[0] - 1]["command"] == SPRAYER]
    assert sprayed  # the sprayer went on and off where the plan says
