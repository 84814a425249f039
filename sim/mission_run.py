"""AUTO: the stored mission run as ArduPilot's AP_Mission and Copter's ModeAuto run it.

Item 0 is home and is never flown; the mission starts at item 1. One NAV command is
current (the one MISSION_CURRENT reports, flown as :mod:`sim.mission_nav` says). When
it completes the vehicle reports it (MISSION_ITEM_REACHED) and the runner walks on to
the next NAV command, following DO_JUMPs on the way: a DO_JUMP sends the walk to its
target param1 while it has been taken fewer than param2 times (-1: for ever), each
DO_JUMP counting its own jumps; once used up it is passed over and its count goes back
to 0 (unless MIS_OPTIONS bit 3), so an outer loop runs it again. DO_JUMP_TAG jumps to the
first JUMP_TAG carrying its tag. A jump to item 0, past the end or to a missing tag ends
the mission.

The DO and CONDITION commands between two NAV commands run, in order, while the second
one is flown: so a command placed after a waypoint acts once that waypoint is reached.
A CONDITION command holds back the commands after it until it is met (CONDITION_DELAY:
param1 seconds; CONDITION_DISTANCE: within param1 metres of the NAV command's target;
CONDITION_YAW: the heading param1 reached, see :mod:`sim.auto_yaw`), and whatever has not
run when the NAV command completes is dropped. A command ModeAuto checks itself is
reported with MISSION_ITEM_REACHED when done (CONDITION_*, DO_CHANGE_SPEED, DO_SET_HOME,
DO_SET_ROI…); those AP_Mission completes at once (DO_SET_SERVO, DO_SPRAYER, DO_GRIPPER,
the relay and camera commands…) are not; one Copter does not run in missions is passed
over with "Skipping invalid cmd".

A landing in the middle of a mission ends it: on touchdown the vehicle disarms, without
reporting the NAV_LAND, and disarming resets the mission (ArduPilot 4.3 and later).
Only with MIS_OPTIONS bit 2 set, and a NAV_TAKEOFF next (NAV_DELAYs before it skipped),
is the landing reported and the take-off flown at once, still armed. After the last item
the vehicle holds where it is, or disarms if it is on the ground.

The runner is stepped in AUTO whether armed or not; disarmed, only time passes for it
(NAV_DELAY and CONDITION_DELAY count down), as nothing flies.
"""

from collections.abc import Callable
from typing import Protocol

from sim.auto_yaw import AutoYaw, YawMode
from sim.mission_items import MissionKind, StoredItem
from sim.mission_nav import NavSettings, is_nav, item_goal, nav_task
from sim.mission_transfer import MissionStore
from sim.nav import Circle, Hover, Task
from sim.physics import Motion
from sim.wire import mavlink

__all__ = [
    "CONTINUE_AFTER_LAND",
    "DONT_ZERO_COUNTER",
    "MissionHooks",
    "MissionRunner",
    "NavSettings",
    "is_nav",
    "item_goal",
    "nav_task",
]

CONTINUE_AFTER_LAND = 4
"""MIS_OPTIONS bit: after a landing, fly on if a take-off follows."""

DONT_ZERO_COUNTER = 8
"""MIS_OPTIONS bit: a DO_JUMP that has been used up stays used up."""

_M = mavlink
_JUMP_TAG = 600  # MAV_CMD_JUMP_TAG
_DO_JUMP_TAG = 601  # MAV_CMD_DO_JUMP_TAG
_MAX_JUMPS = 64  # AP_Mission::get_next_cmd's max_loops
_MAX_WALK = 255  # AP_Mission::advance_current_nav_cmd's max_loops
_WAYPOINTS = frozenset(
    {_M.MAV_CMD_NAV_WAYPOINT, _M.MAV_CMD_NAV_SPLINE_WAYPOINT, _M.MAV_CMD_NAV_LOITER_TIME,
     _M.MAV_CMD_NAV_LOITER_UNLIM, _M.MAV_CMD_NAV_LOITER_TURNS}
)  # fmt: skip
_DONE_AT_ONCE = frozenset(
    {_M.MAV_CMD_DO_GRIPPER, _M.MAV_CMD_DO_SET_SERVO, _M.MAV_CMD_DO_SET_RELAY,
     _M.MAV_CMD_DO_REPEAT_SERVO, _M.MAV_CMD_DO_REPEAT_RELAY, _M.MAV_CMD_DO_DIGICAM_CONFIGURE,
     _M.MAV_CMD_DO_DIGICAM_CONTROL, _M.MAV_CMD_DO_SET_CAM_TRIGG_DIST, _M.MAV_CMD_DO_PARACHUTE,
     _M.MAV_CMD_DO_SPRAYER, _M.MAV_CMD_DO_AUX_FUNCTION, _M.MAV_CMD_IMAGE_START_CAPTURE,
     _M.MAV_CMD_IMAGE_STOP_CAPTURE, _M.MAV_CMD_VIDEO_START_CAPTURE,
     _M.MAV_CMD_VIDEO_STOP_CAPTURE, _JUMP_TAG}
)  # fmt: skip
"""Completed by AP_Mission itself, without MISSION_ITEM_REACHED."""
_COPTER_DO = frozenset(
    {_M.MAV_CMD_DO_CHANGE_SPEED, _M.MAV_CMD_DO_SET_HOME, _M.MAV_CMD_DO_SET_ROI_LOCATION,
     _M.MAV_CMD_DO_SET_ROI_NONE, _M.MAV_CMD_DO_SET_ROI, _M.MAV_CMD_DO_MOUNT_CONTROL,
     _M.MAV_CMD_DO_GUIDED_LIMITS, _M.MAV_CMD_DO_FENCE_ENABLE, _M.MAV_CMD_DO_WINCH,
     _M.MAV_CMD_DO_LAND_START}
)  # fmt: skip
"""Run by ModeAuto and done at once, reported with MISSION_ITEM_REACHED."""
_ROI = frozenset(
    {_M.MAV_CMD_DO_SET_ROI_LOCATION, _M.MAV_CMD_DO_SET_ROI_NONE, _M.MAV_CMD_DO_SET_ROI}
)


class MissionHooks(Protocol):
    """What the runner tells the vehicle."""

    def current(self, seq: int) -> None:
        """Item ``seq`` is now the current NAV command."""

    def reached(self, seq: int) -> None:
        """Command ``seq`` is complete (MISSION_ITEM_REACHED)."""

    def run_do(self, item: StoredItem) -> None:
        """Carry out DO command ``item``."""

    def text(self, severity: int, text: str) -> None:
        """Say ``text`` (STATUSTEXT)."""

    def disarm(self) -> None:
        """Landed in the mission: disarm."""

    def finished(self) -> None:
        """The mission has no more items."""


class MissionRunner:
    """Steps through the stored mission, one NAV command at a time.

    Parameters
    ----------
    store
        The vehicle's lists; items are read as they are reached, so the mission read
        is always the one stored.
    hooks
        Told of the current item, of each command completed, of each DO command to run,
        and of the end.
    clock
        Simulated seconds now (for the delays).
    """

    def __init__(
        self, store: MissionStore, hooks: MissionHooks, clock: Callable[[], float] = lambda: 0.0
    ) -> None:
        self._store = store
        self._hooks = hooks
        self._clock = clock
        self.seq = 0
        self.task: Task | None = None
        self.complete = False
        self.yaw = AutoYaw()
        """Where the nose points."""
        self._nav: StoredItem | None = None
        self._do: StoredItem | None = None
        self._do_seq = 0
        self._do_all_done = False
        self._do_started_s = 0.0
        self._jumps: dict[int, int] = {}

    @property
    def running(self) -> bool:
        """A NAV command is being flown."""
        return self.task is not None and not self.complete

    def _count(self) -> int:
        return self._store.count(MissionKind.MISSION)

    def _item(self, seq: int) -> StoredItem:
        return self._store.item(MissionKind.MISSION, seq)

    # -- starting and stopping ---------------------------------------------------------

    def reset(self) -> None:
        """Back to the start, jump counts cleared (AP_Mission::reset, run on disarming); a
        finished mission stays finished."""
        self.seq = 0
        if not self.complete:  # a finished one keeps holding where it ended
            self.task = None
        self._nav, self._do, self._do_seq, self._do_all_done = None, None, 0, False
        self._jumps.clear()

    def start(self, seq: int, motion: Motion, settings: NavSettings) -> None:
        """Fly from item ``seq`` (1 if lower; from the start also clears the jump counts):
        the DO commands up to the next NAV command run now."""
        if seq <= 1 or self.complete:
            self._jumps.clear()
        self.complete = False
        self._advance(max(seq, 1), motion, settings)
        self._run_dos(motion, settings, armed=True)

    def resume(self, seq: int, motion: Motion, settings: NavSettings) -> None:
        """Entering AUTO: start over after a finished mission, else fly item ``seq`` again."""
        if self.yaw.mode == YawMode.ROI:  # ModeAuto::init: an ROI does not carry over
            self.yaw.hold()
        self.start(1 if self.complete else seq, motion, settings)

    def starts_with_takeoff(self, seq: int) -> bool:
        """Whether the first NAV command from ``seq`` (1 if lower), NAV_DELAYs passed over,
        is a NAV_TAKEOFF (AP_Mission::is_takeoff_next)."""
        index = max(seq, 1)
        for _ in range(16):
            item = self._next_nav(index)
            if item is None or item.command != _M.MAV_CMD_NAV_DELAY:
                return item is not None and item.command == _M.MAV_CMD_NAV_TAKEOFF
            index = item.seq + 1
        return False

    # -- stepping ----------------------------------------------------------------------

    def update(self, motion: Motion, dt_s: float, settings: NavSettings, *, armed: bool) -> None:
        """Account for ``dt_s`` seconds in AUTO; move on when the current command is done."""
        if self.complete:
            return
        if self._nav is None:  # reset (disarmed in AUTO): from the start again
            self._advance(1, motion, settings)
        elif (
            self.task is not None
            and (armed or self._nav.command == _M.MAV_CMD_NAV_DELAY)
            and self._verify_nav(self._nav, self.task, motion, dt_s, settings)
        ):
            self._hooks.reached(self._nav.seq)
            self._advance(self._nav.seq + 1, motion, settings)
        if not self.complete:
            self._run_dos(motion, settings, armed=armed)

    def _verify_nav(
        self, item: StoredItem, task: Task, motion: Motion, dt_s: float, settings: NavSettings
    ) -> bool:
        circling = isinstance(task, Circle) and task.circling
        if not task.update(motion, dt_s):
            if isinstance(task, Circle) and task.circling and not circling:
                self.yaw.waypoint_started()  # unless an ROI is set, the nose to the centre
            return False
        if item.command != _M.MAV_CMD_NAV_LAND:
            return True
        if settings.mis_options & CONTINUE_AFTER_LAND and self.starts_with_takeoff(item.seq + 1):
            return True
        self._hooks.disarm()  # the mission stops on this NAV_LAND; disarming resets it
        self.task = Hover(motion.here())
        return False

    # -- walking the mission -------------------------------------------------------------

    def _next(self, index: int, *, counting: bool, options: int = 0) -> StoredItem | None:
        """The first command from ``index`` that is not a jump, jumps followed (counted
        when ``counting``, as only the walk to the next NAV command counts them); None at
        the end or on a jump that cannot be made (AP_Mission::get_next_cmd)."""
        first_jump = None
        jumps = _MAX_JUMPS
        while index < self._count():
            item = self._item(index)
            if item.command not in (_M.MAV_CMD_DO_JUMP, _DO_JUMP_TAG):
                return item
            jumps -= 1
            target = self._jump_target(item)
            if jumps < 0 or not 0 < target < self._count():
                return None
            if not counting and first_jump == index:
                return None  # round the same loop twice without counting: it never ends
            first_jump = index if first_jump is None else first_jump
            times = int(item.param2)
            done = self._jumps.get(index, 0)
            if times == -1:
                index = target
            elif done < times:
                if counting:
                    self._jumps[index] = done + 1
                    said = f"Mission: {index} Jump {done + 1}/{times}"
                    self._hooks.text(_M.MAV_SEVERITY_INFO, said)
                index = target
            else:
                if counting and not options & DONT_ZERO_COUNTER:
                    self._jumps[index] = 0
                index += 1
        return None

    def _jump_target(self, item: StoredItem) -> int:
        if item.command == _M.MAV_CMD_DO_JUMP:
            return int(item.param1)
        for k in range(1, self._count()):
            tag = self._item(k)
            if tag.command == _JUMP_TAG and int(tag.param1) == int(item.param1):
                return k
        return 0

    def _next_nav(self, index: int) -> StoredItem | None:
        """The next NAV command from ``index``, jumps followed but not counted."""
        while index < self._count():
            item = self._next(index, counting=False)
            if item is None or is_nav(item.command):
                return item
            index = item.seq + 1
        return None

    def _advance(self, seq: int, motion: Motion, settings: NavSettings) -> None:
        """Walk from ``seq`` to the next NAV command and start it, loading the first DO
        command met on the way (AP_Mission::advance_current_nav_cmd)."""
        self._do, self._do_all_done = None, False
        index = seq
        for _ in range(_MAX_WALK):
            item = self._next(index, counting=True, options=settings.mis_options)
            if item is None:
                break
            index = item.seq + 1
            if not is_nav(item.command):
                if self._do is None:
                    self._start_do(item, motion, settings)
                continue
            self._nav, self.seq = item, item.seq
            self._hooks.current(item.seq)
            self._start_yaw(item)
            self.task = nav_task(item, motion, settings, self._clock())
            if item.command == _M.MAV_CMD_NAV_DELAY and isinstance(self.task, Hover):
                self._hooks.text(_M.MAV_SEVERITY_INFO, f"Delaying {int(self.task.hold_s or 0)} sec")
            if self.task is None:  # a NAV command not modelled: passed over as done
                self._hooks.reached(item.seq)
                continue
            if self._do is None:
                self._do_all_done = True
            return
        self._finish(motion, settings)

    def _finish(self, motion: Motion, settings: NavSettings) -> None:
        self.complete = True
        self._nav, self._do = None, None
        self.task = Hover(motion.stopping_point(settings.accel_m_s2))
        self.yaw.hold()
        self._hooks.finished()

    def _start_yaw(self, item: StoredItem) -> None:
        cmd = item.command
        if cmd in _WAYPOINTS or (cmd == _M.MAV_CMD_NAV_LAND and (item.x or item.y)):
            self.yaw.waypoint_started()
        elif cmd != _M.MAV_CMD_NAV_DELAY:
            self.yaw.hold()  # take-off, landing, RTL

    # -- DO and CONDITION commands -------------------------------------------------------

    def _run_dos(self, motion: Motion, settings: NavSettings, *, armed: bool) -> None:
        """Run the DO commands in order until one is not yet done (AP_Mission::update's
        second half, which ArduPilot runs a few times a step)."""
        for _ in range(_MAX_WALK):
            if self._do is None:
                if self._do_all_done:
                    return
                item = self._next(self._do_seq + 1, counting=False) if self._do_seq else None
                if item is None or is_nav(item.command):
                    self._do_all_done = True
                    return
                self._start_do(item, motion, settings)
            assert self._do is not None
            if not self._verify_do(self._do, motion, armed=armed):
                return
            self._do = None

    def _start_do(self, item: StoredItem, motion: Motion, settings: NavSettings) -> None:
        self._do, self._do_seq, self._do_started_s = item, item.seq, self._clock()
        cmd = item.command
        if cmd == _M.MAV_CMD_CONDITION_YAW:
            self.yaw.fix(
                angle_deg=item.param1, rate_deg_s=item.param2, direction=int(item.param3),
                relative=item.param4 > 0.0, heading_deg=motion.heading_deg,
            )  # fmt: skip
        elif cmd in _ROI:
            if item.x == 0 and item.y == 0 and item.z == 0.0:
                self.yaw.default()
            else:
                goal = item_goal(item, motion, settings)
                self.yaw.point_at(goal.north_m, goal.east_m)
        elif cmd not in (_M.MAV_CMD_CONDITION_DELAY, _M.MAV_CMD_CONDITION_DISTANCE):
            self._hooks.run_do(item)

    def _verify_do(self, item: StoredItem, motion: Motion, *, armed: bool) -> bool:
        """Whether DO command ``item`` is done (reported when ModeAuto checks it)."""
        cmd = item.command
        if cmd in _DONE_AT_ONCE:
            return True
        if cmd == _M.MAV_CMD_CONDITION_DELAY:
            done = self._clock() - self._do_started_s > max(item.param1, 0.0)
        elif cmd == _M.MAV_CMD_CONDITION_DISTANCE:
            goal = None if self.task is None else self.task.goal(motion)
            done = (
                armed
                and goal is not None
                and (
                    (goal.north_m - motion.north_m) ** 2 + (goal.east_m - motion.east_m) ** 2
                    < max(item.param1, 0.0) ** 2
                )
            )
        elif cmd == _M.MAV_CMD_CONDITION_YAW:
            self.yaw.mode = YawMode.FIXED  # a new waypoint took the heading back: retake it
            done = armed and self.yaw.reached(motion.heading_deg)
        else:
            done = True
            if cmd not in _COPTER_DO:
                self._hooks.text(_M.MAV_SEVERITY_WARNING, f"Skipping invalid cmd #{cmd}")
        if done:
            self._hooks.reached(item.seq)
        return done
