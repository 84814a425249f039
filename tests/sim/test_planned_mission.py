"""A mission the planner made goes up to the simulator whole: the two meet only on the wire."""

from shapely import box

from fields import local_crs_for
from mission_planner import MissionType, build_mission, mission_items_int
from mission_planner.spray import SprayParams, SprayTarget, plan_spray
from tests.sim.gcs import Gcs
from tests.sim.test_mission_transfer import same

ACCEPTED = 0


def test_a_planned_spray_mission_fence_and_rally_upload_and_read_back_unchanged(gcs: Gcs) -> None:
    crs = local_crs_for(134.8414, 34.9283)
    plan = plan_spray(
        [SprayTarget(id="F", field=box(0, 0, 30, 60))],
        crs=crs,
        home=(-10.0, -10.0),
        params=SprayParams(swath_m=5.0),
    )
    mission = build_mission(plan)
    for kind in (MissionType.MISSION, MissionType.FENCE, MissionType.RALLY):
        rows = mission_items_int(mission, kind)
        assert rows, f"the plan has no {kind.name} items"
        assert gcs.upload(rows, int(kind)) == ACCEPTED, kind.name
        items = gcs.download(int(kind))
        if kind == MissionType.MISSION:
            assert len(rows) > 10
            items, rows = items[1:], rows[1:]  # item 0 is the vehicle's own home
        same(items, rows)
