"""Small flight plans made by hand near Kasai city hall, for the mission builder and exporters.

Points are metres east and north of home in the local plane zone (EPSG:6673),
so the tests read like the drawings they stand for.
"""

from collections.abc import Sequence

import shapely
from hypothesis import strategies as st
from shapely import Polygon, box

from core import GeoPoint
from fields import local_crs_for, to_local
from mission_planner.model import Command, Fence, Frame, Mission, MissionItem, RallyPoint
from mission_planner.plan import (
    Action,
    FlightPlan,
    Leg,
    PayloadRelease,
    Point,
    SprayerControl,
    SprayRate,
)
from tests.common.geometries import KASAI

CRS = local_crs_for(*KASAI)
_HOME_X, _HOME_Y = to_local(shapely.Point(KASAI), CRS).coords[0]
HOME: Point = (_HOME_X, _HOME_Y)
TAKEOFF_M = 10.0


def at(east_m: float, north_m: float) -> Point:
    """The local point east_m, north_m metres from home."""
    return (HOME[0] + east_m, HOME[1] + north_m)


def leg(
    path: Sequence[tuple[float, float]],
    action: Action,
    *,
    sortie: int = 1,
    altitude_m: float = 5.0,
    speed_m_s: float = 3.0,
) -> Leg:
    """A leg through points given in metres from home."""
    return Leg(
        path=tuple(at(*p) for p in path),
        action=action,
        sortie=sortie,
        altitude_m=altitude_m,
        speed_m_s=speed_m_s,
    )


def _fence() -> Polygon:
    return box(*at(-30, -30), *at(60, 90))


def plan(legs: Sequence[Leg], kind: str = "spray", **options: object) -> FlightPlan:
    """A plan over ``legs`` with Kasai home, a box fence and home as the rally point."""
    return FlightPlan(
        kind=kind,
        crs=CRS,
        home=HOME,
        legs=tuple(legs),
        fence=_fence(),
        rally=(HOME,),
        takeoff_altitude_m=TAKEOFF_M,
        **options,  # type: ignore[arg-type]
    )


def two_sortie_spray(sprayer: SprayerControl = SprayerControl.DO_SPRAYER) -> FlightPlan:
    """Two sorties over a 50 m strip: spray north, turn, spray south, home; refill; one more run.

    The turn at the top is a transit; the second sortie's first spray leg starts
    higher than the transit that leads to it.
    """
    t, s = Action.TRANSIT, Action.SPRAY
    return plan(
        [
            leg([(0, 0), (10, 0)], t, speed_m_s=5.0),
            leg([(10, 0), (10, 25), (10, 50)], s),
            leg([(10, 50), (15, 50)], t),
            leg([(15, 50), (15, 0)], s),
            leg([(15, 0), (0, 0)], t, speed_m_s=5.0),
            leg([(0, 0), (20, 0)], t, sortie=2, speed_m_s=5.0),
            leg([(20, 0), (20, 50)], s, sortie=2, altitude_m=4.0),
            leg([(20, 50), (0, 0)], t, sortie=2, speed_m_s=5.0),
        ],
        sprayer=sprayer,
    )


LOW = SprayRate(zone="low", rate_l_ha=10.0, speed_m_s=3.0, litres_per_m=0.005, pump_pwm_us=1300)
HIGH = SprayRate(zone="high", rate_l_ha=20.0, speed_m_s=3.0, litres_per_m=0.01, pump_pwm_us=1500)


def variable_rate_spray() -> FlightPlan:
    """One pass north at 10 L/ha then 20 L/ha by pump output; after a refill, 20 L/ha again."""
    t, s = Action.TRANSIT, Action.SPRAY
    return plan(
        [
            leg([(0, 0), (10, 0)], t, speed_m_s=5.0),
            Leg(path=(at(10, 0), at(10, 25)), action=s, sortie=1, altitude_m=5.0,
                speed_m_s=3.0, rate=LOW),
            Leg(path=(at(10, 25), at(10, 40)), action=s, sortie=1, altitude_m=5.0,
                speed_m_s=3.0, rate=HIGH),
            leg([(10, 40), (0, 0)], t, speed_m_s=5.0),
            leg([(0, 0), (10, 40)], t, sortie=2, speed_m_s=5.0),
            Leg(path=(at(10, 40), at(10, 50)), action=s, sortie=2, altitude_m=5.0,
                speed_m_s=3.0, rate=HIGH),
            leg([(10, 50), (0, 0)], t, sortie=2, speed_m_s=5.0),
        ],
        sprayer=SprayerControl.DO_SET_SERVO,
    )  # fmt: skip


def survey(trigger_m: float | None = 12.5) -> FlightPlan:
    """Two survey lines joined by a turnaround, at 40 m."""
    t, v = Action.TRANSIT, Action.SURVEY
    return plan(
        [
            leg([(0, 0), (0, 10)], t, altitude_m=40.0, speed_m_s=6.0),
            leg([(0, 10), (0, 80)], v, altitude_m=40.0, speed_m_s=6.0),
            leg([(0, 80), (20, 80)], t, altitude_m=40.0, speed_m_s=6.0),
            leg([(20, 80), (20, 10)], v, altitude_m=40.0, speed_m_s=6.0),
            leg([(20, 10), (0, 0)], t, altitude_m=40.0, speed_m_s=6.0),
        ],
        kind="survey",
        camera_trigger_distance_m=trigger_m,
    )


DROP = (40.0, 60.0)


def delivery(release: PayloadRelease | None = PayloadRelease.GRIPPER) -> FlightPlan:
    """Out to a drop point 72 m away at 30 m, and back."""
    return plan(
        [
            leg([(0, 0), (20, 30), DROP], Action.DELIVER, altitude_m=30.0, speed_m_s=8.0),
            leg([DROP, (0, 0)], Action.TRANSIT, altitude_m=30.0, speed_m_s=8.0),
        ],
        kind="delivery",
        payload_release=release,
    )


# Random missions, for round trips through the files.

_degrees_lat = st.floats(-90.0, 90.0, allow_nan=False)
_degrees_lon = st.floats(-180.0, 180.0, allow_nan=False)
_param = st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False)


@st.composite
def _items(draw: st.DrawFn) -> MissionItem:
    command = draw(st.sampled_from([c for c in Command if not c.is_fence_or_rally]))
    return MissionItem(
        command=command,
        frame=draw(st.sampled_from(list(Frame))),
        param1=draw(_param),
        param2=draw(_param),
        param3=draw(_param),
        param4=draw(st.one_of(st.just(0.0), _param)),
        lat_deg=draw(_degrees_lat),
        lon_deg=draw(_degrees_lon),
        alt_m=draw(st.floats(0.5, 150.0)),
        autocontinue=draw(st.booleans()),
    )


def _rings(draw: st.DrawFn) -> tuple[tuple[GeoPoint, ...], ...]:
    count = draw(st.integers(0, 2))
    return tuple(
        tuple(
            GeoPoint(lat_deg=34.9 + i * 0.001 + k * 0.01, lon_deg=134.8 + (i % 2) * 0.001)
            for i in range(draw(st.integers(3, 6)))
        )
        for k in range(count)
    )


@st.composite
def missions(draw: st.DrawFn, *, with_fence_and_rally: bool = True) -> Mission:
    """Any valid mission: every command and frame, odd parameters, fences and rally points."""
    fence = Fence()
    rally: tuple[RallyPoint, ...] = ()
    if with_fence_and_rally:
        fence = Fence(inclusion=_rings(draw), exclusion=_rings(draw))
        rally = tuple(
            RallyPoint(
                position=GeoPoint(lat_deg=draw(_degrees_lat), lon_deg=draw(_degrees_lon)),
                alt_m=draw(st.floats(1.0, 150.0)),
            )
            for _ in range(draw(st.integers(0, 2)))
        )
    return Mission(
        home=GeoPoint(lat_deg=draw(_degrees_lat), lon_deg=draw(_degrees_lon)),
        items=tuple(draw(st.lists(_items(), max_size=8))),
        fence=fence,
        rally=rally,
        home_amsl_m=draw(st.floats(0.0, 100.0)),
    )
