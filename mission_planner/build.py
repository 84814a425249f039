"""From a flight plan in local metres to the mission ArduPilot Copter flies, and its wire form.

ArduPilot runs the DO commands that follow a NAV command once the vehicle has
reached that NAV command's target, so a switch placed right after a waypoint
happens at that waypoint: the sprayer goes on at the waypoint that starts a spray
leg and off at the one that ends it, never over a transit. The mission is::

    NAV_TAKEOFF                         to plan.takeoff_altitude_m above home
    per leg:  NAV_WAYPOINT at its start (unless the vehicle is already there)
              DO_CHANGE_SPEED           when the speed differs from the last one
              sprayer on | pump output  | camera trigger distance
              NAV_WAYPOINT at each further vertex
              sprayer off | camera trigger 0 | payload release
    between sorties: NAV_LAND at home, NAV_TAKEOFF (refill and re-arm in AUTO)
    NAV_RETURN_TO_LAUNCH                so the vehicle does not hover after the last waypoint

A variable-rate plan's spray legs meet at the zone boundaries with the sprayer left
on: the next leg's DO_CHANGE_SPEED (rate by speed) or DO_SET_SERVO on the pump's
channel at the leg's PWM (rate by pump output, which is also the PWM the sprayer is
switched on at) is all that comes between them, and only when it changes. After a
refill the first spray leg states its speed and PWM again.

Vehicle set-up this relies on: AUTO_OPTIONS allows arming and take-off in AUTO for
multi-sortie plans; MIS_OPTIONS must *not* continue after a LAND, or the vehicle
would take off again at once instead of waiting to be refilled.
"""

import math
from typing import Any

import shapely
from shapely import LinearRing, LineString, Polygon

from core import GeoPoint
from fields import to_wgs84
from mission_planner.errors import InvalidMissionItem, UnflyablePlan
from mission_planner.model import Command, Fence, Frame, Mission, MissionItem, RallyPoint
from mission_planner.plan import Action, FlightPlan, Leg, PayloadRelease, Point, SprayerControl
from mission_planner.wire import mission_items_int

__all__ = [
    "RELEASE_SETTLE_S",
    "SAME_PLACE_M",
    "WINCH_RATE_M_S",
    "build_mission",
    "mission_items_int",  # from mission_planner.wire, where it lives; fleet imports it from here
    "release_hover_s",
]

SAME_PLACE_M = 1e-3
"""Vertices closer than this (horizontally and vertically) are one waypoint."""
RELEASE_SETTLE_S = 2.0
"""Hover this long at a drop point before releasing, and after each winch move."""
WINCH_RATE_M_S = 0.5
"""How fast the winch pays out and winds in the line."""

_SPEED_TYPE_GROUND = 1.0  # DO_CHANGE_SPEED param1
_NO_THROTTLE_CHANGE = -1.0  # DO_CHANGE_SPEED param3
_GRIPPER_RELEASE = 0.0  # GRIPPER_ACTION_RELEASE
_WINCH_RELATIVE_LENGTH = 1.0  # WINCH_RELATIVE_LENGTH_CONTROL

_Here = tuple[float, float, float]  # local x_m, y_m and altitude above home


def build_mission(plan: FlightPlan) -> Mission:
    """The MAVLink mission, geofence and rally points that fly ``plan``.

    Parameters
    ----------
    plan
        Legs in local metres (``plan.crs``), altitudes in metres above home,
        speeds in m/s.

    Returns
    -------
    Mission
        Items in WGS84 degrees (frame GLOBAL_RELATIVE_ALT for positions, MISSION
        for DO commands); ``plan.fence`` as the inclusion polygon (clockwise, its
        holes as exclusion polygons); ``plan.rally`` at the highest altitude the
        plan flies.

    Raises
    ------
    UnflyablePlan
        No legs, sorties out of order, a non-positive speed, a survey leg without
        ``camera_trigger_distance_m``, a delivery leg without ``payload_release`` or a
        pump PWM on a leg of a plan whose sprayer is not DO_SET_SERVO.
    InvalidMissionItem
        An item breaks a rule (e.g. an altitude above 150 m); names the item and the leg.
    """
    _check(plan)
    home, paths = _to_geo(plan)
    builder = _Builder(plan)
    builder.takeoff(plan.home, home, "take-off")
    last_delivery = max(
        (k for k, leg in enumerate(plan.legs) if leg.action == Action.DELIVER), default=-1
    )
    for k, leg in enumerate(plan.legs):
        where = f"leg {k}"
        if k > 0 and leg.sortie != plan.legs[k - 1].sortie:
            builder.land(plan.home, home, where)
            builder.takeoff(plan.home, home, where)
        builder.fly_leg(leg, paths[k], where)
        following = plan.legs[k + 1] if k + 1 < len(plan.legs) else None
        builder.end_leg(leg, following, where)
        if k == last_delivery:
            builder.release(leg, paths[k][-1], where)
    builder.add("end", command=Command.NAV_RETURN_TO_LAUNCH, frame=Frame.MISSION)
    return Mission(
        home=home,
        items=tuple(builder.items),
        fence=_fence(plan),
        rally=tuple(RallyPoint(position=point, alt_m=_rally_alt_m(plan)) for point in _rally(plan)),
    )


class _Builder:
    """Appends items while tracking where the vehicle is and what is switched on."""

    def __init__(self, plan: FlightPlan) -> None:
        self.plan = plan
        self.items: list[MissionItem] = []
        self.here: _Here | None = None
        self.here_geo: GeoPoint | None = None
        self.speed_m_s: float | None = None
        self.spraying = False
        self.pump_pwm_us: int | None = None
        self.triggering = False

    def add(self, where: str, **fields: Any) -> None:
        try:
            item = MissionItem(**fields)
        except InvalidMissionItem as exc:
            raise exc.at(len(self.items), where) from exc
        self.items.append(item)

    def goto(self, command: Command, local: Point, geo: GeoPoint, alt_m: float, where: str) -> None:
        self.add(
            where,
            command=command,
            frame=Frame.GLOBAL_RELATIVE_ALT,
            lat_deg=geo.lat_deg,
            lon_deg=geo.lon_deg,
            alt_m=alt_m,
        )
        self.here = (local[0], local[1], alt_m)
        self.here_geo = geo

    def waypoint(self, local: Point, geo: GeoPoint, alt_m: float, where: str) -> None:
        if self.here is None or not _same(self.here, (local[0], local[1], alt_m)):
            self.goto(Command.NAV_WAYPOINT, local, geo, alt_m, where)

    def takeoff(self, local: Point, geo: GeoPoint, where: str) -> None:
        self.goto(Command.NAV_TAKEOFF, local, geo, self.plan.takeoff_altitude_m, where)
        self.speed_m_s = None  # re-armed in AUTO: state the leg speed again

    def land(self, local: Point, geo: GeoPoint, where: str) -> None:
        self.goto(Command.NAV_LAND, local, geo, 0.0, where)

    def do(self, where: str, command: Command, *params: float) -> None:
        named = dict(zip(("param1", "param2", "param3", "param4"), params, strict=False))
        self.add(where, command=command, frame=Frame.MISSION, **named)

    def loiter(self, seconds: float, where: str) -> None:
        """Hold position where the last NAV item left the vehicle."""
        assert self.here is not None
        assert self.here_geo is not None
        alt_m = self.here[2]
        self.add(
            where,
            command=Command.NAV_LOITER_TIME,
            frame=Frame.GLOBAL_RELATIVE_ALT,
            param1=seconds,
            lat_deg=self.here_geo.lat_deg,
            lon_deg=self.here_geo.lon_deg,
            alt_m=alt_m,
        )

    def sprayer(self, on: bool, where: str, pwm_us: int | None = None) -> None:
        plan = self.plan
        if plan.sprayer == SprayerControl.DO_SPRAYER:
            self.do(where, Command.DO_SPRAYER, 1.0 if on else 0.0)
        else:
            pwm = (pwm_us or plan.sprayer_pwm_on) if on else plan.sprayer_pwm_off
            self.do(where, Command.DO_SET_SERVO, float(plan.sprayer_servo), float(pwm))
        self.spraying = on
        self.pump_pwm_us = pwm_us if on else None

    def camera(self, distance_m: float, where: str) -> None:
        # param3 = 1: take the first picture right at the start of the line, as QGroundControl does
        self.do(where, Command.DO_SET_CAM_TRIGG_DIST, distance_m, 0.0, 1.0 if distance_m else 0.0)
        self.triggering = distance_m > 0.0

    def fly_leg(self, leg: Leg, path: list[GeoPoint], where: str) -> None:
        self.waypoint(leg.path[0], path[0], leg.altitude_m, where)
        if leg.speed_m_s != self.speed_m_s:
            self.do(
                where,
                Command.DO_CHANGE_SPEED,
                _SPEED_TYPE_GROUND,
                leg.speed_m_s,
                _NO_THROTTLE_CHANGE,
            )
            self.speed_m_s = leg.speed_m_s
        pwm_us = leg.rate.pump_pwm_us if leg.rate is not None else None
        if leg.action == Action.SPRAY and not self.spraying:
            self.sprayer(True, where, pwm_us)
        elif leg.action == Action.SPRAY and pwm_us is not None and pwm_us != self.pump_pwm_us:
            self.sprayer(True, where, pwm_us)  # the rate changes with the sprayer on
        if leg.action == Action.SURVEY and not self.triggering:
            assert self.plan.camera_trigger_distance_m is not None  # checked in _check
            self.camera(self.plan.camera_trigger_distance_m, where)
        for local, geo in zip(leg.path[1:], path[1:], strict=True):
            self.waypoint(local, geo, leg.altitude_m, where)

    def end_leg(self, leg: Leg, following: Leg | None, where: str) -> None:
        """Switch off what the next leg does not continue from exactly here."""
        continues = (
            following is not None
            and following.sortie == leg.sortie
            and following.action == leg.action
            and self.here is not None
            and _same(self.here, (*following.start, following.altitude_m))
        )
        if self.spraying and not continues:
            self.sprayer(False, where)
        if self.triggering and not continues:
            self.camera(0.0, where)

    def release(self, leg: Leg, drop: GeoPoint, where: str) -> None:
        how = self.plan.payload_release
        if how == PayloadRelease.LAND:
            self.land(leg.end, drop, where)
            self.takeoff(leg.end, drop, where)
            return
        self.loiter(RELEASE_SETTLE_S, where)
        if how == PayloadRelease.GRIPPER:
            self.do(where, Command.DO_GRIPPER, 1.0, _GRIPPER_RELEASE)
            return
        # Pay the line out by the drop height (the hook lets go when the parcel is down), then
        # wind it back in, hovering while the winch works.
        line_m, rate = leg.altitude_m, WINCH_RATE_M_S
        winch_s = _winch_hover_s(line_m)
        self.do(where, Command.DO_WINCH, 1.0, _WINCH_RELATIVE_LENGTH, line_m, rate)
        self.loiter(winch_s, where)
        self.do(where, Command.DO_WINCH, 1.0, _WINCH_RELATIVE_LENGTH, -line_m, -rate)
        self.loiter(winch_s, where)


def _winch_hover_s(line_m: float) -> float:
    return line_m / WINCH_RATE_M_S + RELEASE_SETTLE_S


def release_hover_s(release: PayloadRelease, altitude_m: float) -> float:
    """How long the mission holds at the drop point for ``release`` from ``altitude_m``:
    the settle, and for a winch the line paid out and wound in, s (a landing's descent and
    climb are the flight's own).

    >>> release_hover_s(PayloadRelease.WINCH, 60.0), release_hover_s(PayloadRelease.GRIPPER, 60.0)
    (246.0, 2.0)
    """
    if release is PayloadRelease.WINCH:
        return RELEASE_SETTLE_S + 2 * _winch_hover_s(altitude_m)
    return RELEASE_SETTLE_S


def _same(a: _Here, b: _Here) -> bool:
    return math.dist(a, b) < SAME_PLACE_M


def _check(plan: FlightPlan) -> None:
    if not plan.legs:
        raise UnflyablePlan("the plan has no legs to fly")
    for k, leg in enumerate(plan.legs):
        if k > 0 and leg.sortie < plan.legs[k - 1].sortie:
            before = plan.legs[k - 1].sortie
            raise UnflyablePlan(f"leg {k} is in sortie {leg.sortie}, after one of sortie {before}")
        if not (math.isfinite(leg.speed_m_s) and leg.speed_m_s > 0.0):
            raise UnflyablePlan(f"leg {k}: speed_m_s {leg.speed_m_s} is not a positive speed")
        by_pump = leg.rate is not None and leg.rate.pump_pwm_us is not None
        if by_pump and plan.sprayer != SprayerControl.DO_SET_SERVO:
            raise UnflyablePlan(f"leg {k} sets the pump's output: the sprayer must be DO_SET_SERVO")
    actions = {leg.action for leg in plan.legs}
    distance = plan.camera_trigger_distance_m
    if Action.SURVEY in actions and not (
        distance is not None and math.isfinite(distance) and distance > 0.0
    ):
        raise UnflyablePlan(
            f"survey legs need a positive camera_trigger_distance_m, got {distance}"
        )
    if Action.DELIVER in actions and plan.payload_release is None:
        raise UnflyablePlan("delivery legs need a payload_release (gripper, winch or land)")


def _to_geo(plan: FlightPlan) -> tuple[GeoPoint, list[list[GeoPoint]]]:
    """Home and every leg's vertices in WGS84, projected in one go."""
    local = [plan.home, *(point for leg in plan.legs for point in leg.path)]
    lonlat = shapely.get_coordinates(to_wgs84(LineString(local), plan.crs))
    points = [GeoPoint(lat_deg=float(lat), lon_deg=float(lon)) for lon, lat in lonlat]
    paths: list[list[GeoPoint]] = []
    start = 1
    for leg in plan.legs:
        paths.append(points[start : start + len(leg.path)])
        start += len(leg.path)
    return points[0], paths


def _ring(ring: LinearRing) -> tuple[GeoPoint, ...]:
    lonlat = shapely.get_coordinates(ring)[:-1]  # MAVLink lists each vertex once
    return tuple(GeoPoint(lat_deg=float(lat), lon_deg=float(lon)) for lon, lat in lonlat)


def _fence(plan: FlightPlan) -> Fence:
    if plan.fence.is_empty:
        return Fence()
    fence = to_wgs84(plan.fence, plan.crs)
    fence = shapely.orient_polygons(fence, exterior_cw=True)  # QGroundControl lists them clockwise
    if not isinstance(fence, Polygon):
        raise UnflyablePlan(f"the fence is a {fence.geom_type}, not one polygon")
    return Fence(
        inclusion=(_ring(fence.exterior),),
        exclusion=tuple(_ring(hole) for hole in fence.interiors),
    )


def _rally(plan: FlightPlan) -> list[GeoPoint]:
    if not plan.rally:
        return []
    coords = shapely.get_coordinates(to_wgs84(shapely.MultiPoint(plan.rally), plan.crs))
    return [GeoPoint(lat_deg=float(lat), lon_deg=float(lon)) for lon, lat in coords]


def _rally_alt_m(plan: FlightPlan) -> float:
    """Return to a rally point at the highest altitude flown, clear of whatever was flown over."""
    return max([plan.takeoff_altitude_m, *(leg.altitude_m for leg in plan.legs)])
