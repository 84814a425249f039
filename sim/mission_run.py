"""AUTO: the stored mission flown as ArduPilot Copter flies it.

Item 0 is home and is never flown; the mission starts at item 1. The runner keeps
one NAV command current (the one MISSION_CURRENT reports): NAV_TAKEOFF climbs
straight up to its altitude; NAV_WAYPOINT flies to its point and is reached within
WPNAV_RADIUS, then holds param1 seconds; NAV_LAND flies to its point (if it has
one) and lands; NAV_RETURN_TO_LAUNCH runs RTL; NAV_LOITER_TIME and NAV_DELAY hold,
NAV_LOITER_UNLIM for ever. When a NAV command completes the runner reports it
(MISSION_ITEM_REACHED) and moves to the next NAV command, running the DO commands
between the two in order as it passes them. A latitude and longitude of 0 mean
"where the vehicle is", an altitude of 0 "at its altitude". After the last item
the vehicle holds where it is (ArduPilot's behaviour without a final RTL or LAND).

The runner moves only while it is stepped: the flight controller steps it while
the vehicle is armed, so a NAV_TAKEOFF after a landing waits for re-arming.
"""

import math
from dataclasses import dataclass
from typing import Protocol

from sim.mission_items import MissionKind, StoredItem
from sim.mission_transfer import MissionStore
from sim.nav import Chain, Climb, FlyTo, Hover, Land, RtlSettings, Task, rtl
from sim.physics import Goal, LocalFrame, Motion
from sim.wire import mavlink

__all__ = ["MissionHooks", "MissionRunner", "NavSettings", "is_nav", "item_goal", "nav_task"]

_ABSOLUTE_FRAMES = frozenset({mavlink.MAV_FRAME_GLOBAL, mavlink.MAV_FRAME_GLOBAL_INT})
_FLY_TO = frozenset(
    {mavlink.MAV_CMD_NAV_WAYPOINT, mavlink.MAV_CMD_NAV_SPLINE_WAYPOINT,
     mavlink.MAV_CMD_NAV_LOITER_TIME, mavlink.MAV_CMD_NAV_LOITER_TURNS}
)  # fmt: skip


def is_nav(command: int) -> bool:
    """Whether ``command`` is a NAV command (numbered below MAV_CMD_NAV_LAST, 95)."""
    return bool(command < mavlink.MAV_CMD_NAV_LAST)


@dataclass(frozen=True, kw_only=True, slots=True)
class NavSettings:
    """What turning items into flight needs: the local frame, home and the parameters."""

    frame: LocalFrame
    home_amsl_m: float
    radius_m: float
    accel_m_s2: float
    rtl: RtlSettings


class MissionHooks(Protocol):
    """What the runner tells the vehicle."""

    def current(self, seq: int) -> None:
        """Item ``seq`` is now the current NAV command."""

    def reached(self, seq: int) -> None:
        """NAV command ``seq`` is complete."""

    def run_do(self, item: StoredItem) -> None:
        """Carry out DO command ``item``."""

    def finished(self) -> None:
        """The mission has no more items."""


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


def nav_task(item: StoredItem, motion: Motion, settings: NavSettings) -> Task | None:
    """The task that flies NAV command ``item`` from ``motion``; None for one not modelled."""
    cmd = item.command
    if cmd == mavlink.MAV_CMD_NAV_TAKEOFF:
        return Climb(motion, item_goal(item, motion, settings).up_m)
    if cmd in _FLY_TO:
        hold_s = item.param1 if cmd != mavlink.MAV_CMD_NAV_LOITER_TURNS else 0.0
        goal = item_goal(item, motion, settings)
        return FlyTo(goal, settings.radius_m, hold_s=max(0.0, hold_s))
    if cmd == mavlink.MAV_CMD_NAV_LOITER_UNLIM:
        return FlyTo(item_goal(item, motion, settings), settings.radius_m, hold_s=math.inf)
    if cmd == mavlink.MAV_CMD_NAV_DELAY:
        return Hover(motion.here(), hold_s=max(0.0, item.param1))
    if cmd == mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH:
        return rtl(motion, settings.rtl)
    if cmd == mavlink.MAV_CMD_NAV_LAND:
        goal = item_goal(item, motion, settings)
        r = settings.rtl

        def land(m: Motion) -> Task:
            return Land(
                goal.north_m, goal.east_m, fast_m_s=r.land_fast_m_s, slow_m_s=r.land_slow_m_s
            )

        if item.x == 0 and item.y == 0:  # where it can stop: ArduPilot lands "here" so
            stop = motion.stopping_point(settings.accel_m_s2)
            return Land(
                stop.north_m, stop.east_m, fast_m_s=r.land_fast_m_s, slow_m_s=r.land_slow_m_s
            )
        above = Goal(north_m=goal.north_m, east_m=goal.east_m, up_m=motion.up_m)
        return Chain(motion, lambda m: FlyTo(above, settings.radius_m), land)
    return None


class MissionRunner:
    """Steps through the stored mission, one NAV command at a time.

    Parameters
    ----------
    store
        The vehicle's lists; items are read as they are reached, so the mission read
        is always the one stored.
    hooks
        Told of the current item, of each NAV command completed, of each DO command
        to run, and of the end.
    """

    def __init__(self, store: MissionStore, hooks: MissionHooks) -> None:
        self._store = store
        self._hooks = hooks
        self.seq = 0
        self.task: Task | None = None
        self.complete = False

    @property
    def running(self) -> bool:
        """A NAV command is being flown."""
        return self.task is not None and not self.complete

    def start(self, seq: int, motion: Motion, settings: NavSettings) -> None:
        """Start at item ``seq`` (1 if lower): DO commands up to the next NAV command run now."""
        self.complete = False
        self._advance(max(seq, 1), motion, settings)

    def resume(self, seq: int, motion: Motion, settings: NavSettings) -> None:
        """Entering AUTO: start over after a finished mission, else fly item ``seq`` again."""
        self.start(1 if self.complete else seq, motion, settings)

    def starts_with_takeoff(self, seq: int) -> bool:
        """Whether the first NAV command from ``seq`` (1 if lower) is a NAV_TAKEOFF."""
        for k in range(max(seq, 1), self._store.count(MissionKind.MISSION)):
            command = self._store.item(MissionKind.MISSION, k).command
            if is_nav(command):
                return bool(command == mavlink.MAV_CMD_NAV_TAKEOFF)
        return False

    def update(self, motion: Motion, dt_s: float, settings: NavSettings) -> None:
        """Account for ``dt_s`` seconds of flight; move on when the current command is done."""
        if self.task is None or self.complete:
            return
        if self.task.update(motion, dt_s):
            self._hooks.reached(self.seq)
            self._advance(self.seq + 1, motion, settings)

    def _advance(self, seq: int, motion: Motion, settings: NavSettings) -> None:
        k = seq
        while k < self._store.count(MissionKind.MISSION):
            item = self._store.item(MissionKind.MISSION, k)
            if not is_nav(item.command):
                self._hooks.run_do(item)
                k += 1
                continue
            task = nav_task(item, motion, settings)
            self.seq = k
            self._hooks.current(k)
            if task is None:  # a NAV command not modelled: passed over as done
                self._hooks.reached(k)
                k += 1
                continue
            self.task = task
            return
        self.complete = True
        self.task = Hover(motion.stopping_point(settings.accel_m_s2))
        self._hooks.finished()
