"""A mission the planner made goes up to the simulator whole and is flown: the two meet only
on the wire."""

from typing import Any

from shapely import box

from fields import local_crs_for
from mission_planner import MissionType, build_mission, mission_items_int
from mission_planner.spray import SprayParams, SprayTarget, plan_spray
from tests.sim.gcs import Gcs, connected, running
from tests.sim.test_flight import fly_auto, reported, spray_log
from tests.sim.test_mission_transfer import same

ACCEPTED = 0


def planned() -> Any:
    """A spray mission planned over a 30 m by 60 m field, with its fence and rally points."""
    crs = local_crs_for(134.8414, 34.9283)
    plan = plan_spray(
        [SprayTarget(id="F", field=box(0, 0, 30, 60))],
        crs=crs,
        home=(-10.0, -10.0),
        params=SprayParams(swath_m=5.0),
    )
    return build_mission(plan)


def test_a_planned_spray_mission_fence_and_rally_upload_and_read_back_unchanged(gcs: Gcs) -> None:
    mission = planned()
    for kind in (MissionType.MISSION, MissionType.FENCE, MissionType.RALLY):
        rows = mission_items_int(mission, kind)
        assert rows, f"the plan has no {kind.name} items"
        assert gcs.upload(rows, int(kind)) == ACCEPTED, kind.name
        items = gcs.download(int(kind))
        if kind == MissionType.MISSION:
            assert len(rows) > 10
            items, rows = items[1:], rows[1:]  # item 0 is the vehicle's own home
        same(items, rows)


def test_a_planned_spray_mission_is_flown_in_auto_spraying_only_on_its_passes() -> None:
    rows = mission_items_int(planned(), MissionType.MISSION)
    home = (rows[0]["x"] / 1e7, rows[0]["y"] / 1e7)
    config = {"speedup": 200.0, "home_lat_deg": home[0], "home_lon_deg": home[1]}
    with running(**config) as sim, connected(sim) as gcs:
        reached, took_s = fly_auto(gcs, rows, timeout_s=3.0)
        log = spray_log(sim)
        where = sim.call(lambda: (sim.vehicle.state.lat_deg, sim.vehicle.state.lon_deg))
    assert reached == reported(rows)  # every NAV item and DO_CHANGE_SPEED, ending with the RTL
    assert took_s < 3.0  # about 140 simulated seconds
    sprayer = {int(r["seq"]): r["param1"] == 1.0 for r in rows if r["command"] == 216}
    assert log == list(sprayer.items())  # on and off exactly at the planned items
    assert abs(where[0] - home[0]) < 1e-5  # landed at home, within about a metre
    assert abs(where[1] - home[1]) < 1e-5
