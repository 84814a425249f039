"""What each NAV command of a mission flies, as ArduPilot Copter's ModeAuto starts it.

A latitude and longitude of 0 mean "where the vehicle is", an altitude of 0 "at its
altitude" (ModeAuto::loc_from_cmd). NAV_TAKEOFF climbs straight up, at least a metre
when it starts on the ground and not at all when it is already higher; NAV_WAYPOINT,
NAV_SPLINE_WAYPOINT (flown as a waypoint: no spline) and NAV_LOITER_TIME fly to their
point, reached within WPNAV_RADIUS (Copter stores no acceptance radius of its own: an
item's param2 is ignored) and hold param1 whole seconds; NAV_LOITER_UNLIM holds for
ever; NAV_LOITER_TURNS circles its point param1 times at radius |param3| (0: the
default radius; negative: anticlockwise); NAV_LAND flies to its point (if it has one) at
its altitude and lands; NAV_RETURN_TO_LAUNCH runs RTL; NAV_DELAY holds param1 seconds, or
with param1 < 0 until the UTC time of day param2:param3:param4 (-1 for "any": AP_RTC's
rule). The simulator's UTC clock reads 00:00:00 at simulated time 0.
"""

import math
from dataclasses import dataclass

from sim.mission_items import StoredItem
from sim.nav import Chain, Circle, Climb, FlyTo, Hover, Land, RtlSettings, Task, rtl
from sim.physics import Goal, LocalFrame, Motion
from sim.wire import mavlink

__all__ = [
    "CIRCLE_RADIUS_M",
    "CIRCLE_RATE_DEG_S",
    "TAKEOFF_MIN_CLIMB_M",
    "NavSettings",
    "delay_until_utc_s",
    "is_nav",
    "item_goal",
    "nav_task",
]

CIRCLE_RADIUS_M = 10.0
"""The circle radius when NAV_LOITER_TURNS gives none (CIRCLE_RADIUS 1000 cm), metres."""

CIRCLE_RATE_DEG_S = 20.0
"""How fast the vehicle goes round a circle at most (CIRCLE_RATE), deg/s."""

TAKEOFF_MIN_CLIMB_M = 1.0
"""A take-off from the ground climbs at least this much (ModeAuto::takeoff_start), metres."""

_ABSOLUTE_FRAMES = frozenset({mavlink.MAV_FRAME_GLOBAL, mavlink.MAV_FRAME_GLOBAL_INT})
_FLY_TO = frozenset(
    {mavlink.MAV_CMD_NAV_WAYPOINT, mavlink.MAV_CMD_NAV_SPLINE_WAYPOINT,
     mavlink.MAV_CMD_NAV_LOITER_TIME}
)  # fmt: skip


def is_nav(command: int) -> bool:
    """Whether ``command`` is a NAV command (numbered up to MAV_CMD_NAV_LAST, 95)."""
    return bool(command <= mavlink.MAV_CMD_NAV_LAST)


@dataclass(frozen=True, kw_only=True, slots=True)
class NavSettings:
    """What turning items into flight needs: the local frame, home and the parameters.

    Attributes
    ----------
    frame, home_amsl_m
        The local frame and home's altitude above mean sea level, m.
    radius_m, accel_m_s2, speed_m_s
        WPNAV_RADIUS (m), WPNAV_ACCEL (m/s²) and the horizontal speed now (m/s).
    rtl
        RTL's settings.
    mis_options
        MIS_OPTIONS: bit 2 continues a mission after a landing when a take-off follows, bit
        3 keeps a finished DO_JUMP's count instead of zeroing it.
    """

    frame: LocalFrame
    home_amsl_m: float
    radius_m: float
    accel_m_s2: float
    rtl: RtlSettings
    speed_m_s: float = 5.0
    mis_options: int = 0


def item_goal(item: StoredItem, motion: Motion, settings: NavSettings) -> Goal:
    """Where item ``item`` points, in metres from home (0/0 and altitude 0 mean "here")."""
    if item.x == 0 and item.y == 0:
        north, east = motion.north_m, motion.east_m
    else:
        north, east = settings.frame.to_local(item.x / 1e7, item.y / 1e7)
    if item.z == 0.0:
        up = motion.up_m
    elif item.frame in _ABSOLUTE_FRAMES:
        up = item.z - settings.home_amsl_m
    else:
        up = item.z
    return Goal(north_m=north, east_m=east, up_m=up)


def delay_until_utc_s(now_s: float, hour: int, minute: int, second: int) -> float:
    """Seconds from simulated time ``now_s`` to the UTC time of day ``hour:minute:second``,
    as AP_RTC's ``get_time_utc`` counts them: the largest field that is not -1 says how
    far ahead to look (a day, an hour, a minute), smaller ones count as they are given.

    >>> delay_until_utc_s(3600.0, 1, 30, 0), delay_until_utc_s(3700.0, -1, -1, 30)
    (1800.0, 50.0)
    """
    if hour != -1:
        largest = 4
    elif minute != -1:
        largest = 3
    elif second != -1:
        largest = 2
    else:
        largest = 1  # only the milliseconds, which NAV_DELAY gives as 0
    day_ms = int(now_s * 1000.0) % 86_400_000
    now = (day_ms // 3_600_000, day_ms // 60_000 % 60, day_ms // 1000 % 60, day_ms % 1000)
    wanted = (hour, minute, second, 0)
    units = (3_600_000, 60_000, 1000, 1)
    periods = (86_400_000, 3_600_000, 60_000, 1000)
    total_ms = 0
    for k in range(3, 3 - largest, -1):  # milliseconds first, up to the largest field
        total_ms += (wanted[k] - now[k]) * units[k]
        if k == 4 - largest and total_ms < 0:
            total_ms += periods[k]
    return total_ms / 1000.0


def _hold_s(item: StoredItem) -> float:
    """param1 as ArduPilot stores it for a hold: whole seconds (uint16)."""
    return float(int(max(0.0, min(item.param1, 65535.0))))


def nav_task(
    item: StoredItem, motion: Motion, settings: NavSettings, now_s: float = 0.0
) -> Task | None:
    """The task that flies NAV command ``item`` from ``motion`` at simulated ``now_s``;
    None for a command not modelled."""
    cmd = item.command
    if cmd == mavlink.MAV_CMD_NAV_TAKEOFF:
        least = motion.up_m + (TAKEOFF_MIN_CLIMB_M if motion.on_ground else 0.0)
        return Climb(motion, max(item_goal(item, motion, settings).up_m, least))
    if cmd in _FLY_TO:
        return FlyTo(item_goal(item, motion, settings), settings.radius_m, hold_s=_hold_s(item))
    if cmd == mavlink.MAV_CMD_NAV_LOITER_UNLIM:
        return FlyTo(item_goal(item, motion, settings), settings.radius_m, hold_s=math.inf)
    if cmd == mavlink.MAV_CMD_NAV_LOITER_TURNS:
        radius = abs(item.param3)
        radius = radius if radius <= 255.0 else min(255.0, radius * 0.1) * 10.0
        return Circle(
            motion, item_goal(item, motion, settings),
            radius_m=radius or CIRCLE_RADIUS_M, turns=max(0.0, min(item.param1, 255.0)),
            ccw=item.param3 < 0.0, rate_deg_s=CIRCLE_RATE_DEG_S, speed_m_s=settings.speed_m_s,
            accel_m_s2=settings.accel_m_s2, arrive_m=settings.radius_m,
        )  # fmt: skip
    if cmd == mavlink.MAV_CMD_NAV_DELAY:
        if item.param1 > 0.0:
            hold = item.param1
        else:
            hold = delay_until_utc_s(now_s, int(item.param2), int(item.param3), int(item.param4))
        return Hover(motion.stopping_point(settings.accel_m_s2), hold_s=hold)
    if cmd == mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH:
        return rtl(motion, settings.rtl)
    if cmd == mavlink.MAV_CMD_NAV_LAND:
        return _land(item, motion, settings)
    return None


def _land(item: StoredItem, motion: Motion, settings: NavSettings) -> Task:
    r = settings.rtl
    if item.x == 0 and item.y == 0:  # where it can stop: ArduPilot lands "here" so
        stop = motion.stopping_point(settings.accel_m_s2)
        return Land(stop.north_m, stop.east_m, fast_m_s=r.land_fast_m_s, slow_m_s=r.land_slow_m_s)
    goal = item_goal(item, motion, settings)
    above = Goal(north_m=goal.north_m, east_m=goal.east_m, up_m=motion.up_m)
    return Chain(
        motion,
        lambda m: FlyTo(above, settings.radius_m),
        lambda m: Land(
            goal.north_m, goal.east_m, fast_m_s=r.land_fast_m_s, slow_m_s=r.land_slow_m_s
        ),
    )
