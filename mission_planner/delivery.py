"""Delivery flights: from a pickup point to a drop point and back, around no-fly zones.

The route is the shortest path that touches no zone (:func:`~mission_planner.detour.
shortest_path_around`, a visibility graph), flown out with the payload as a
``deliver`` leg that ends at the drop — exporters put the release (gripper, winch or
landing) there — and back along the same path as a ``transit`` leg.

Time. Each half is its length at cruise speed, plus a climb and a descent at
:data:`CLIMB_RATE_M_S` (the drone climbs at the pickup, descends at the drop, climbs
again and descends at the pickup: four, whichever the release, to stay on the safe
side), plus the hover at the drop: the release as the mission flies it
(:func:`~mission_planner.build.release_hover_s`: a winch pays the line out and winds it
in, two minutes and more from 60 m), at least :data:`DROP_HOVER_S`. The line goes out
with the parcel on (the way out), and comes in empty (the way back).

Energy model. A multicopter's hover power follows momentum theory, P = T^1.5 / √(2ρA)
with thrust T = m·g: power grows as mass^1.5, so with a fixed battery the endurance
falls as (m_empty / (m_empty + m_payload))^1.5. ``endurance_min`` is the empty
vehicle's hover endurance down to its low-battery failsafe (what it can use; the
autopilot turns home there). Cruising is counted at :data:`CRUISE_POWER_FACTOR` times
the hover power and climbing at :data:`CLIMB_POWER_FACTOR`: near hover power at a
moderate speed in still air, more into a headwind and at 12–15 m/s, and the check must
not come out short on a windy day. The fraction of the battery used is each half's
hover-equivalent time over its endurance (loaded out, empty back); a plan that leaves
less than ``reserve_fraction`` is refused.

>>> from fields import local_crs_for
>>> from mission_planner.plan import PayloadRelease
>>> plan = plan_delivery((0.0, 0.0), (3000.0, 4000.0), crs=local_crs_for(134.84, 34.93),
...                      payload_kg=2.0, vehicle_empty_kg=8.0, endurance_min=50.0,
...                      release=PayloadRelease.WINCH)
>>> plan.stats["distance_m"], plan.stats["flight_time_s"]
(10000.0, 1342.0)
>>> [p.split(" (")[0].split(":")[0] for p in plan.permissions]
['dropping objects', 'beyond visual line of sight', 'Level 3.5']
>>> round(plan.stats["energy_used_fraction"], 3)
0.664
"""

from collections.abc import Sequence

import shapely
from shapely import LineString
from shapely.geometry.base import BaseGeometry

from fields import LocalCrs
from mission_planner.build import release_hover_s
from mission_planner.detour import DEFAULT_CLEARANCE_M, shortest_path_around
from mission_planner.fence import DEFAULT_FENCE_MARGIN_M, fence_around, rally_point
from mission_planner.plan import Action, FlightPlan, Leg, PayloadRelease, Point
from mission_planner.refusals import PlanningError, PlanRefused, check_altitude

__all__ = [
    "BVLOS",
    "CLIMB_POWER_FACTOR",
    "CLIMB_RATE_M_S",
    "CRUISE_POWER_FACTOR",
    "DROPPING_OBJECTS",
    "DROP_HOVER_S",
    "LEVEL_3_5",
    "LEVEL_4",
    "OVER_DID",
    "VISUAL_RANGE_M",
    "delivery_permissions",
    "energy_used_fraction",
    "flight_halves_s",
    "loaded_endurance_min",
    "plan_delivery",
]

CLIMB_RATE_M_S = 2.5
"""Vertical speed of every climb and descent, m/s."""
DROP_HOVER_S = 30.0
"""The least time counted at the drop point, whatever the release, s."""
CRUISE_POWER_FACTOR = 1.3
"""Power cruising, as a multiple of the hover power (headroom for wind and speed)."""
CLIMB_POWER_FACTOR = 1.4
"""Power climbing at :data:`CLIMB_RATE_M_S`, as a multiple of the hover power."""
DROPPING_OBJECTS = "dropping objects (物件投下)"
"""The permission a gripper or winch release needs, worded as :mod:`mission_planner.safety` does."""
VISUAL_RANGE_M = 300.0
"""Beyond this from the pilot at the pickup, a small multicopter can no longer be watched
(its attitude judged, other aircraft seen around it): the flight is beyond visual line of
sight, m."""
BVLOS = "beyond visual line of sight (目視外飛行)"
LEVEL_3_5 = (
    "Level 3.5: beyond visual line of sight over unpopulated areas without assistants "
    "(レベル3.5飛行: 操縦ライセンス, 保険, 機上カメラでの確認)"
)
LEVEL_4 = (
    "Level 4: beyond visual line of sight over populated areas "
    "(レベル4飛行: 第一種機体認証, 一等操縦ライセンス, 飛行許可承認)"
)
OVER_DID = "flying over a densely inhabited district (人口集中地区上空)"


def loaded_endurance_min(endurance_min: float, vehicle_empty_kg: float, payload_kg: float) -> float:
    """Hover endurance with a payload, when hover power grows as mass^1.5.

    Parameters
    ----------
    endurance_min
        Hover endurance of the empty vehicle, minutes.
    vehicle_empty_kg
        Mass of the vehicle with its battery, kg.
    payload_kg
        Mass carried, kg.

    Returns
    -------
    float
        Endurance in minutes.

    >>> round(loaded_endurance_min(30.0, 8.0, 2.0), 2)
    21.47
    """
    share = vehicle_empty_kg / (vehicle_empty_kg + payload_kg)
    return float(endurance_min * share**1.5)


def flight_halves_s(
    outbound_m: float,
    cruise_altitude_m: float,
    speed_m_s: float,
    release: PayloadRelease = PayloadRelease.WINCH,
) -> tuple[float, float]:
    """The time out (climb, cruise, descent, the hover at the drop with the parcel on) and
    back (the rest of the release, climb, cruise, descent), seconds.

    >>> flight_halves_s(5000.0, 60.0, 10.0)
    (671.0, 671.0)
    """
    out_hover_s, back_hover_s = _release_halves_s(release, cruise_altitude_m)
    vertical_s = 2 * cruise_altitude_m / CLIMB_RATE_M_S
    cruise_s = outbound_m / speed_m_s
    return (cruise_s + vertical_s + out_hover_s, cruise_s + vertical_s + back_hover_s)


def _release_halves_s(release: PayloadRelease, altitude_m: float) -> tuple[float, float]:
    """The hover at the drop before and after the parcel is let go, s."""
    total = max(DROP_HOVER_S, release_hover_s(release, altitude_m))
    if release is PayloadRelease.WINCH:
        return total / 2, total / 2  # out with the parcel, in without
    return total, 0.0


def energy_used_fraction(
    outbound_m: float,
    *,
    cruise_altitude_m: float,
    speed_m_s: float,
    payload_kg: float,
    vehicle_empty_kg: float,
    endurance_min: float,
    release: PayloadRelease = PayloadRelease.WINCH,
) -> float:
    """The share of a usable battery a delivery flight uses: out loaded, back empty.

    The same model :func:`plan_delivery` checks against the reserve, for callers that
    already know the route's length (dispatch, weighing payloads against range).

    >>> round(energy_used_fraction(5000.0, cruise_altitude_m=60.0, speed_m_s=10.0,
    ...     payload_kg=2.0, vehicle_empty_kg=8.0, endurance_min=35.0), 3)
    0.948
    """
    out_hover_s, back_hover_s = _release_halves_s(release, cruise_altitude_m)
    climb_s = cruise_altitude_m / CLIMB_RATE_M_S  # one climb and one descent each way
    cruise_s = outbound_m / speed_m_s
    half_s = cruise_s * CRUISE_POWER_FACTOR + climb_s * CLIMB_POWER_FACTOR + climb_s
    loaded_min = loaded_endurance_min(endurance_min, vehicle_empty_kg, payload_kg)
    return (half_s + out_hover_s) / (loaded_min * 60.0) + (half_s + back_hover_s) / (
        endurance_min * 60.0
    )


def delivery_permissions(
    pickup: Point,
    path: Sequence[Point],
    *,
    release: PayloadRelease,
    did: Sequence[BaseGeometry] = (),
) -> tuple[str, ...]:
    """What a delivery along ``path`` (out from ``pickup``) needs under the Aviation Act:
    dropping objects for a gripper or winch; over a DID, that approval; beyond
    :data:`VISUAL_RANGE_M` from the pilot at the pickup, flying beyond visual line of sight,
    as Level 3.5 (over no DID) or Level 4 (over one).

    >>> delivery_permissions((0.0, 0.0), [(0.0, 0.0), (200.0, 0.0)], release=PayloadRelease.LAND)
    ()
    >>> [p.split(" (")[0].split(":")[0] for p in delivery_permissions(
    ...     (0.0, 0.0), [(0.0, 0.0), (3000.0, 0.0)], release=PayloadRelease.WINCH)]
    ['dropping objects', 'beyond visual line of sight', 'Level 3.5']
    """
    needed: list[str] = []
    if release is not PayloadRelease.LAND:
        needed.append(DROPPING_OBJECTS)
    line = LineString(path) if len(path) > 1 else shapely.Point(path[0])
    over_did = any(zone.intersects(line) for zone in did)
    if over_did:
        needed.append(OVER_DID)
    if line.hausdorff_distance(shapely.Point(pickup)) > VISUAL_RANGE_M:
        needed += [BVLOS, LEVEL_4 if over_did else LEVEL_3_5]
    return tuple(needed)


def plan_delivery(
    pickup: Point,
    drop: Point,
    *,
    crs: LocalCrs,
    no_fly: Sequence[BaseGeometry] = (),
    cruise_altitude_m: float = 60.0,
    speed_m_s: float = 10.0,
    payload_kg: float,
    vehicle_empty_kg: float,
    endurance_min: float,
    reserve_fraction: float = 0.25,
    release: PayloadRelease,
    clearance_m: float = DEFAULT_CLEARANCE_M,
    fence_margin_m: float = DEFAULT_FENCE_MARGIN_M,
    did: Sequence[BaseGeometry] = (),
) -> FlightPlan:
    """Plan a delivery from ``pickup`` to ``drop`` and back.

    Parameters
    ----------
    pickup, drop
        Where the drone takes off with the payload (home) and where it hands it
        over, in ``crs`` metres.
    crs
        The local metric CRS of the points and zones.
    no_fly
        No-fly polygons in ``crs`` metres, already grown by their buffers.
    cruise_altitude_m
        Altitude above home for the whole route, m.
    speed_m_s
        Cruise ground speed, m/s.
    payload_kg, vehicle_empty_kg
        Mass carried out, and the vehicle's own mass with its battery, kg.
    endurance_min
        Hover endurance of the empty vehicle on a full battery, minutes.
    reserve_fraction
        Share of the battery that must be left on landing, in [0, 1).
    release
        How the payload is handed over; a gripper or winch release needs the
        "dropping objects" permission.
    clearance_m
        How far the route's corners stand outside the zones, m.
    fence_margin_m
        How far the inclusion fence stands outside the route, m.
    did
        Densely inhabited districts (人口集中地区) in ``crs`` metres: a route over one needs
        that approval, and beyond visual line of sight it is a Level 4 flight.

    Returns
    -------
    FlightPlan
        Kind ``"delivery"``: a ``deliver`` leg out ending at the drop and a ``transit``
        leg back, with stats ``distance_m``, ``flight_time_s``, ``energy_used_fraction``,
        ``outbound_m``, ``loaded_endurance_min`` and ``detour_m`` (beyond the straight line).

    Raises
    ------
    PlanRefused
        Rule ``"altitude"`` (above 150 m), ``"no-fly"`` (the pickup or the drop lies in
        a zone, or no way round them exists) or ``"energy"`` (less than the reserve left).
    PlanningError
        Masses, endurance, speed, reserve or clearance out of range, or the pickup and
        drop in the same place.
    """
    check_altitude(cruise_altitude_m, what="the cruise altitude")
    _check_numbers(speed_m_s, payload_kg, vehicle_empty_kg, endurance_min, reserve_fraction)
    if not clearance_m >= 0:
        raise PlanningError(f"a clearance of {clearance_m:g} m is negative")
    if shapely.Point(pickup).distance(shapely.Point(drop)) < 1e-6:
        raise PlanningError("the pickup and the drop are the same place")
    for label, point in (("pickup", pickup), ("drop", drop)):
        for number, zone in enumerate(no_fly, start=1):
            if zone.intersects(shapely.Point(point)):
                where = f"{label} ({point[0]:.1f}, {point[1]:.1f})"
                raise PlanRefused(
                    f"the {where} is inside no-fly zone {number} of {len(no_fly)}",
                    rule="no-fly",
                    where=where,
                )
    path = shortest_path_around(pickup, drop, no_fly, clearance_m=clearance_m)
    if path is None:
        raise PlanRefused(
            "the no-fly zones wall the pickup off from the drop: no way round them",
            rule="no-fly",
            where="between the pickup and the drop",
        )

    outbound_m = float(LineString(path).length)
    out_s, back_s = flight_halves_s(outbound_m, cruise_altitude_m, speed_m_s, release)
    loaded_min = loaded_endurance_min(endurance_min, vehicle_empty_kg, payload_kg)
    used = energy_used_fraction(
        outbound_m, cruise_altitude_m=cruise_altitude_m, speed_m_s=speed_m_s,
        payload_kg=payload_kg, vehicle_empty_kg=vehicle_empty_kg, endurance_min=endurance_min,
        release=release,
    )  # fmt: skip
    if used > 1.0 - reserve_fraction:
        raise PlanRefused(
            f"the flight uses {used:.0%} of the battery ({out_s + back_s:.0f} s; "
            f"{loaded_min:.1f} min endurance with {payload_kg:g} kg), leaving less than "
            f"the {reserve_fraction:.0%} reserve",
            rule="energy",
            where=f"the route to the drop ({drop[0]:.1f}, {drop[1]:.1f})",
        )

    def leg(points: Sequence[Point], action: Action) -> Leg:
        return Leg(
            path=tuple(points),
            action=action,
            sortie=1,
            altitude_m=cruise_altitude_m,
            speed_m_s=speed_m_s,
        )

    fence = fence_around([LineString(path)], margin_m=fence_margin_m, exclude=no_fly)
    return FlightPlan(
        kind="delivery",
        crs=crs,
        home=pickup,
        legs=(leg(path, Action.DELIVER), leg(path[::-1], Action.TRANSIT)),
        fence=fence,
        rally=(rally_point(pickup, fence),),
        takeoff_altitude_m=cruise_altitude_m,
        payload_release=release,
        permissions=delivery_permissions(pickup, path, release=release, did=did),
        stats={
            "distance_m": 2 * outbound_m,
            "flight_time_s": out_s + back_s,
            "energy_used_fraction": used,
            "outbound_m": outbound_m,
            "detour_m": outbound_m - float(LineString([pickup, drop]).length),
            "loaded_endurance_min": loaded_min,
            "payload_kg": payload_kg,
        },
    )


def _check_numbers(
    speed_m_s: float,
    payload_kg: float,
    vehicle_empty_kg: float,
    endurance_min: float,
    reserve_fraction: float,
) -> None:
    problems = [
        f"{name} {value:g} {rule}"
        for name, value, ok, rule in (
            ("speed", speed_m_s, speed_m_s > 0, "m/s is not above 0"),
            ("payload", payload_kg, payload_kg >= 0, "kg is negative"),
            ("vehicle mass", vehicle_empty_kg, vehicle_empty_kg > 0, "kg is not above 0"),
            ("endurance", endurance_min, endurance_min > 0, "min is not above 0"),
            ("reserve", reserve_fraction, 0 <= reserve_fraction < 1, "is outside [0, 1)"),
        )
        if not ok
    ]
    if problems:
        raise PlanningError("; ".join(problems))
