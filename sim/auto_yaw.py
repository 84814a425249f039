"""Where the nose points in AUTO: ArduPilot Copter's AutoYaw, as missions set it.

By default the position controller turns the vehicle towards where it is flying
(WP_YAW_BEHAVIOR 2, "look at next waypoint"). CONDITION_YAW fixes a heading, reached by
slewing the target at its rate (ATC_SLEW_YAW, 60 deg/s, at most); DO_SET_ROI points the
nose at a place until the ROI is cleared; NAV_LOITER_TURNS points it at the circle's
centre. Which of these is in force changes as ArduPilot changes it: a new waypoint
puts the default back unless an ROI is set, a take-off, a landing or the end of the
mission holds the heading (and clears the ROI). Values only.

>>> yaw = AutoYaw()
>>> yaw.fix(angle_deg=90.0, rate_deg_s=30.0, direction=0, relative=False, heading_deg=0.0)
>>> yaw.heading(Motion(), None, 1.0), yaw.reached(30.0)
(30.0, False)
"""

import math
from enum import Enum

from sim.nav import Task
from sim.physics import Motion

__all__ = ["SLEW_YAW_DEG_S", "YAW_REACHED_DEG", "AutoYaw", "YawMode"]

SLEW_YAW_DEG_S = 60.0
"""The fastest a fixed heading is slewed (ATC_SLEW_YAW 6000 cdeg/s), deg/s."""

YAW_REACHED_DEG = 2.0
"""A fixed heading counts as reached this close, degrees (AutoYaw::reached_fixed_yaw_target)."""


class YawMode(Enum):
    """Who decides the heading."""

    DEFAULT = "default"
    """The position controller: towards the next waypoint."""
    HOLD = "hold"
    """Keep the heading (take-off, landing, the end of a mission)."""
    FIXED = "fixed"
    """CONDITION_YAW's heading."""
    ROI = "roi"
    """Towards a region of interest."""


def _wrap180(angle_deg: float) -> float:
    return (angle_deg + 180.0) % 360.0 - 180.0


class AutoYaw:
    """The yaw mode and its targets."""

    def __init__(self) -> None:
        self.mode = YawMode.DEFAULT
        self.roi: tuple[float, float] | None = None
        """(north_m, east_m) the nose points at in ROI mode."""
        self.target_deg = 0.0
        self.offset_deg = 0.0
        self.slew_deg_s = SLEW_YAW_DEG_S

    def default(self) -> None:
        """WP_YAW_BEHAVIOR's mode (and no ROI)."""
        self.mode, self.roi = YawMode.DEFAULT, None

    def hold(self) -> None:
        """Keep the heading; an ROI or fixed heading ends."""
        self.mode, self.roi = YawMode.HOLD, None

    def waypoint_started(self) -> None:
        """A new waypoint: the default again unless an ROI is set (ModeAuto::wp_start)."""
        if self.mode != YawMode.ROI:
            self.default()

    def point_at(self, north_m: float, east_m: float) -> None:
        """DO_SET_ROI: face (``north_m``, ``east_m``) until cleared."""
        self.mode, self.roi = YawMode.ROI, (north_m, east_m)

    def fix(
        self,
        *,
        angle_deg: float,
        rate_deg_s: float,
        direction: int,
        relative: bool,
        heading_deg: float,
    ) -> None:
        """CONDITION_YAW: turn to ``angle_deg`` (or by it, ``relative``), clockwise for a
        positive ``direction``, anticlockwise for a negative one, the short way for 0, at
        ``rate_deg_s`` (0: the default slew rate), starting from ``heading_deg``."""
        if self.mode != YawMode.FIXED:
            self.target_deg = heading_deg
        if relative:
            self.offset_deg = angle_deg * (1.0 if direction >= 0 else -1.0)
        else:
            self.offset_deg = _wrap180(angle_deg - self.target_deg)
            if direction < 0 and self.offset_deg > 0.0:
                self.offset_deg -= 360.0
            elif direction > 0 and self.offset_deg < 0.0:
                self.offset_deg += 360.0
        self.slew_deg_s = min(SLEW_YAW_DEG_S, rate_deg_s) if rate_deg_s > 0.0 else SLEW_YAW_DEG_S
        self.mode, self.roi = YawMode.FIXED, None

    def reached(self, heading_deg: float) -> bool:
        """The fixed heading has been slewed to and the vehicle is within 2 degrees of it."""
        if self.mode != YawMode.FIXED:
            return True
        return self.offset_deg == 0.0 and abs(_wrap180(heading_deg - self.target_deg)) <= (
            YAW_REACHED_DEG
        )

    def heading(self, motion: Motion, task: Task | None, dt_s: float) -> float | None:
        """The heading to fly with for the next ``dt_s`` seconds; None leaves it to the
        position controller. A fixed heading's target slews on by this step."""
        if self.mode == YawMode.FIXED:
            step = self.slew_deg_s * dt_s
            turn = max(-step, min(step, self.offset_deg))
            self.offset_deg -= turn
            if abs(self.offset_deg) < 1e-9:
                self.offset_deg = 0.0
            self.target_deg = (self.target_deg + turn) % 360.0
            return self.target_deg
        if self.mode == YawMode.ROI and self.roi is not None:
            dn, de = self.roi[0] - motion.north_m, self.roi[1] - motion.east_m
            if math.hypot(dn, de) < 0.5:
                return motion.heading_deg
            return math.degrees(math.atan2(de, dn)) % 360.0
        return None if task is None else task.heading(motion)
