"""What the vehicle is trying to do right now, as small tasks the flight controller steps.

Each task gives the position controller a :class:`~sim.physics.Goal` (and may tighten
its limits, or ask for a heading), and says when it is done, given the vehicle's motion
and the time that has passed. Modes and mission items are built from them: a take-off
is a :class:`Climb`, a waypoint a :class:`FlyTo` (with its hold time), a landing a
:class:`Land`, RTL a :class:`Chain` of the four (ArduPilot's climb, return, loiter,
land), NAV_LOITER_TURNS a :class:`Circle`. Values only: no clock, no I/O.

>>> task = Climb(Motion(), up_m=5.0)
>>> task.goal(Motion()).up_m, task.update(Motion(up_m=4.95), 0.1)
(5.0, True)
"""

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace

from sim.physics import Goal, Limits, Motion

__all__ = [
    "CIRCLE_EDGE_M",
    "LAND_ALT_LOW_M",
    "TAKEOFF_TOLERANCE_M",
    "Chain",
    "Circle",
    "Climb",
    "FlyTo",
    "Hover",
    "Land",
    "RtlSettings",
    "Step",
    "Task",
    "rtl",
]

TAKEOFF_TOLERANCE_M = 0.1
"""A take-off is complete this close below its altitude, metres."""

LAND_ALT_LOW_M = 10.0
"""Below this height a landing slows to LAND_SPEED (ArduPilot's LAND_ALT_LOW), metres."""

CIRCLE_EDGE_M = 3.0
"""Farther than this from its circle a NAV_LOITER_TURNS first flies to the edge (AC_Circle),
metres."""


class Task(ABC):
    """One thing to do: a goal to steer for, and a test of being done."""

    @property
    def landing(self) -> bool:
        """Touching down completes this task (the controller disarms, as ArduPilot does)."""
        return False

    @abstractmethod
    def goal(self, motion: Motion) -> Goal:
        """Where to steer now."""

    def limits(self, base: Limits, motion: Motion) -> Limits:
        """The limits to fly with (``base`` unless the task tightens them)."""
        return base

    def heading(self, motion: Motion) -> float | None:
        """The heading the task wants, degrees; None leaves it to the position controller."""
        return None

    @abstractmethod
    def update(self, motion: Motion, dt_s: float) -> bool:
        """Account for ``dt_s`` seconds having passed at ``motion``; True once done."""


class Hover(Task):
    """Hold a point (for ``hold_s`` seconds, or for ever when None)."""

    def __init__(self, point: Goal, hold_s: float | None = None) -> None:
        self.point = point
        self.hold_s = hold_s
        self.held_s = 0.0

    def goal(self, motion: Motion) -> Goal:
        return self.point

    def update(self, motion: Motion, dt_s: float) -> bool:
        self.held_s += dt_s
        return self.hold_s is not None and self.held_s >= self.hold_s


class Climb(Task):
    """Climb straight up to ``up_m`` where the vehicle is (done at once if already above)."""

    def __init__(self, start: Motion, up_m: float) -> None:
        self.point = start.here(max(up_m, start.up_m))

    def goal(self, motion: Motion) -> Goal:
        return self.point

    def update(self, motion: Motion, dt_s: float) -> bool:
        return motion.up_m >= self.point.up_m - TAKEOFF_TOLERANCE_M


class FlyTo(Task):
    """Fly to ``point``; reached within ``radius_m`` (3D); done after holding ``hold_s`` there."""

    def __init__(
        self, point: Goal, radius_m: float, *, hold_s: float = 0.0, speed_m_s: float | None = None
    ) -> None:
        self.point = point
        self.radius_m = radius_m
        self.hold_s = hold_s
        self.speed_m_s = speed_m_s
        self.reached = False
        self.held_s = 0.0

    def goal(self, motion: Motion) -> Goal:
        return self.point

    def limits(self, base: Limits, motion: Motion) -> Limits:
        return base if self.speed_m_s is None else replace(base, speed_m_s=self.speed_m_s)

    def update(self, motion: Motion, dt_s: float) -> bool:
        if not self.reached:
            self.reached = motion.distance_to(self.point) <= self.radius_m
            return self.reached and self.hold_s <= 0.0
        self.held_s += dt_s
        return self.held_s >= self.hold_s


class Land(Task):
    """Descend where the vehicle is (or at ``north_m``, ``east_m``) until it touches down.

    Faster than ``slow_m_s`` (LAND_SPEED) only above :data:`LAND_ALT_LOW_M`. With
    ``pause_s`` it first holds its height that long (ArduPilot's land with pause, which
    failsafes use, gives a pilot four seconds to take over).
    """

    @property
    def landing(self) -> bool:
        return True

    def __init__(
        self,
        north_m: float,
        east_m: float,
        *,
        fast_m_s: float,
        slow_m_s: float,
        pause_s: float = 0.0,
        hold_up_m: float = 0.0,
    ) -> None:
        self.point = Goal(north_m=north_m, east_m=east_m, up_m=-1.0)
        self.fast_m_s = fast_m_s
        self.slow_m_s = slow_m_s
        self.pause_s = pause_s
        self._hold = Goal(north_m=north_m, east_m=east_m, up_m=hold_up_m)
        self.paused_s = 0.0

    def goal(self, motion: Motion) -> Goal:
        return self._hold if self.paused_s < self.pause_s else self.point

    def limits(self, base: Limits, motion: Motion) -> Limits:
        descent = self.fast_m_s if motion.up_m > LAND_ALT_LOW_M else self.slow_m_s
        return replace(base, descent_m_s=descent)

    def update(self, motion: Motion, dt_s: float) -> bool:
        self.paused_s += dt_s
        return motion.on_ground


class Circle(Task):
    """Circle ``center`` ``turns`` times at ``radius_m``, nose to the centre (AC_Circle).

    Farther than :data:`CIRCLE_EDGE_M` from the circle it first flies to the nearest point
    of it (straight behind it when at the centre); circling starts where it then is. The
    angular rate is CIRCLE_RATE, capped so that the speed stays within ``speed_m_s`` and
    half of ``accel_m_s2`` turns it, and it is reached at ``accel_m_s2 / radius_m``.
    ``ccw`` circles anticlockwise.
    """

    def __init__(
        self,
        motion: Motion,
        center: Goal,
        *,
        radius_m: float,
        turns: float,
        ccw: bool,
        rate_deg_s: float,
        speed_m_s: float,
        accel_m_s2: float,
        arrive_m: float,
    ) -> None:
        self.center = center
        self.radius_m = max(radius_m, 0.01)
        self.turns = max(turns, 0.0)
        self.arrive_m = arrive_m
        speed = min(speed_m_s, math.sqrt(0.5 * accel_m_s2 * self.radius_m))
        self.rate_rad_s = min(math.radians(abs(rate_deg_s)), speed / self.radius_m)
        self.rate_rad_s *= -1.0 if ccw else 1.0
        self.alpha_rad_s2 = accel_m_s2 / self.radius_m
        self.omega_rad_s = 0.0
        self.angle_rad = self._angle_of(motion)
        self.total_rad = 0.0
        self.edge = self._at(self.angle_rad)
        off_n, off_e = motion.north_m - self.edge.north_m, motion.east_m - self.edge.east_m
        self.circling = math.hypot(off_n, off_e) <= CIRCLE_EDGE_M

    def _angle_of(self, motion: Motion) -> float:
        dn, de = motion.north_m - self.center.north_m, motion.east_m - self.center.east_m
        if math.hypot(dn, de) < 0.01:  # at the centre: the edge straight behind it
            return math.radians(motion.heading_deg) + math.pi
        return math.atan2(de, dn)

    def _at(self, angle_rad: float) -> Goal:
        c, r = self.center, self.radius_m
        return Goal(
            north_m=c.north_m + r * math.cos(angle_rad),
            east_m=c.east_m + r * math.sin(angle_rad),
            up_m=c.up_m,
        )

    @property
    def turns_done(self) -> float:
        """Whole and part turns flown so far."""
        return self.total_rad / (2.0 * math.pi)

    def goal(self, motion: Motion) -> Goal:
        return self._at(self.angle_rad) if self.circling else self.edge

    def heading(self, motion: Motion) -> float | None:
        if not self.circling:
            return None
        dn, de = self.center.north_m - motion.north_m, self.center.east_m - motion.east_m
        return math.degrees(math.atan2(de, dn)) % 360.0

    def update(self, motion: Motion, dt_s: float) -> bool:
        if not self.circling:
            if motion.distance_to(self.edge) <= self.arrive_m:
                self.circling = True
                self.angle_rad = self._angle_of(motion)
            return False
        step = self.alpha_rad_s2 * dt_s
        self.omega_rad_s += max(-step, min(step, self.rate_rad_s - self.omega_rad_s))
        self.angle_rad += self.omega_rad_s * dt_s
        self.total_rad += abs(self.omega_rad_s) * dt_s
        return self.turns_done >= self.turns


Step = Callable[[Motion], Task]
"""Builds a task from the motion at the moment it begins."""


class Chain(Task):
    """Tasks one after another, each built when the one before it is done.

    ``steps`` are functions of the motion at the moment the step begins, so a later
    step can depend on where an earlier one left the vehicle.
    """

    def __init__(self, motion: Motion, *steps: Step) -> None:
        self._steps = list(steps)
        self.current = self._steps.pop(0)(motion)

    @property
    def landing(self) -> bool:
        return self.current.landing

    def goal(self, motion: Motion) -> Goal:
        return self.current.goal(motion)

    def limits(self, base: Limits, motion: Motion) -> Limits:
        return self.current.limits(base, motion)

    def heading(self, motion: Motion) -> float | None:
        return self.current.heading(motion)

    def update(self, motion: Motion, dt_s: float) -> bool:
        while self.current.update(motion, dt_s):
            if not self._steps:
                return True
            self.current = self._steps.pop(0)(motion)
            dt_s = 0.0
        return False


@dataclass(frozen=True, kw_only=True, slots=True)
class RtlSettings:
    """ArduPilot's RTL parameters in SI units.

    Attributes
    ----------
    alt_m
        Return altitude above home, m (RTL_ALT); a vehicle higher up returns where it is.
    speed_m_s
        Return speed, m/s (RTL_SPEED, or WPNAV_SPEED when that is 0).
    loiter_s
        Hover above home before descending, s (RTL_LOIT_TIME).
    radius_m
        Arrival radius above home, m (WPNAV_RADIUS).
    land_fast_m_s, land_slow_m_s
        Descent speeds above and below :data:`LAND_ALT_LOW_M`, m/s.
    ceiling_m
        The highest it may return at, m (an altitude fence less its margin), or None.
    home_north_m, home_east_m
        Where home is, metres from the local frame's origin (moved by DO_SET_HOME).
    """

    alt_m: float
    speed_m_s: float
    loiter_s: float
    radius_m: float
    land_fast_m_s: float
    land_slow_m_s: float
    ceiling_m: float | None = None
    home_north_m: float = 0.0
    home_east_m: float = 0.0


def rtl(motion: Motion, settings: RtlSettings) -> Chain:
    """ArduPilot's return to launch: climb to RTL_ALT (if lower), fly home, loiter, land.

    Under an altitude fence it returns no higher than the fence less its margin, even if
    that means coming down first (ArduPilot lowers the return target the same way).
    """
    s = settings
    return_m = max(s.alt_m, motion.up_m)
    if s.ceiling_m is not None:
        return_m = max(0.0, min(return_m, s.ceiling_m))
    home = Goal(north_m=s.home_north_m, east_m=s.home_east_m, up_m=return_m)
    return Chain(
        motion,
        lambda m: Climb(m, return_m),
        lambda m: FlyTo(home, s.radius_m, speed_m_s=s.speed_m_s),
        lambda m: Hover(home, hold_s=s.loiter_s),
        lambda m: Land(
            home.north_m, home.east_m, fast_m_s=s.land_fast_m_s, slow_m_s=s.land_slow_m_s
        ),
    )
