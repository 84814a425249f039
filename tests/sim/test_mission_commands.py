"""Every command ArduPilot Copter runs in a mission, flown in AUTO as a ground station sees it
over TCP: MISSION_CURRENT, MISSION_ITEM_REACHED and STATUSTEXT in order, and where the
vehicle went, which way it pointed and when (from the simulator's own state)."""

import itertools
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import CopterMode
from sim.physics import Motion
from tests.sim.bench import Bench, do, item, takeoff, waypoint
from tests.sim.gcs import Gcs, Row, RunningSim, connected, running
from tests.sim.test_flight import ACCEPTED, CUSTOM, SET_MODE, arm_in_guided, row

M = mavlink
MISSION = M.MAV_FRAME_MISSION
HOME_ROW = row(0, M.MAV_CMD_NAV_WAYPOINT, at=(0.0, 0.0))


@dataclass
class Sample:
    """The simulator's state at one moment."""

    time_s: float
    motion: Motion
    armed: bool
    mode: CopterMode


@dataclass
class Log:
    """What a ground station saw, and the state sampled meanwhile."""

    current: list[int] = field(default_factory=list)
    reached: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    reached_at: dict[int, float] = field(default_factory=dict)
    """Simulated time each item was first seen reached."""
    acks: dict[int, int] = field(default_factory=dict)
    """COMMAND_ACK results by command."""

    @property
    def now(self) -> Sample:
        return self.samples[-1]


def tk(seq: int, alt: float) -> Row:
    return row(seq, M.MAV_CMD_NAV_TAKEOFF, alt=alt)


def wp(seq: int, north: float, east: float, alt: float = 5.0, hold_s: float = 0.0) -> Row:
    return row(seq, M.MAV_CMD_NAV_WAYPOINT, hold_s, at=(north, east), alt=alt)


def cmd(seq: int, command: int, *params: float) -> Row:
    return row(seq, command, *params, frame=MISSION)


def sample(sim: RunningSim) -> Sample:
    v = sim.vehicle
    return sim.call(lambda: Sample(v.state.time_s, v.flight.motion, v.state.armed, v.state.mode))


@contextmanager
def flying(rows: list[Row], *, speedup: float = 50.0, **params: float) -> Iterator[Any]:
    """A vehicle with ``rows`` uploaded and ``params`` set, armed in GUIDED; AUTO is next."""
    with running(speedup=speedup) as sim, connected(sim) as gcs:
        gcs.recv("HEARTBEAT")
        for name, value in params.items():
            assert gcs.set_param(name, value) == value
        assert gcs.upload(rows) == M.MAV_MISSION_ACCEPTED
        arm_in_guided(gcs)
        yield sim, gcs


def send(gcs: Gcs, command: int, *params: float) -> None:
    """COMMAND_LONG, its ACK left for :func:`watch` (which sees what comes before it too)."""
    p = [*params, *[0.0] * (7 - len(params))]
    gcs.send(M.MAVLink_command_long_message(gcs.target, 1, command, 0, *p))


def auto(gcs: Gcs) -> None:
    send(gcs, SET_MODE, CUSTOM, CopterMode.AUTO)


def watch(sim: RunningSim, gcs: Gcs, until: Callable[[Log], bool], timeout_s: float = 10.0) -> Log:
    """Read the link (MISSION_CURRENT changes, MISSION_ITEM_REACHED, STATUSTEXT) and sample the
    state until ``until`` holds."""
    log = Log(samples=[sample(sim)])
    deadline = time.monotonic() + timeout_s
    while not until(log):
        assert time.monotonic() < deadline, f"not done within {timeout_s} s: {log.reached}"
        msg = gcs.conn.recv_match(blocking=True, timeout=0.01)
        log.samples.append(sample(sim))
        _note(log, msg)
    settled = time.monotonic() + 0.1  # what was sent with the last step is still on its way
    while time.monotonic() < settled:
        _note(log, gcs.conn.recv_match(blocking=True, timeout=0.01))
    return log


def _note(log: Log, msg: Any) -> None:
    if msg is not None:
        kind = msg.get_type()
        if kind == "MISSION_CURRENT" and (not log.current or log.current[-1] != msg.seq):
            log.current.append(msg.seq)
        elif kind == "MISSION_ITEM_REACHED":
            log.reached.append(msg.seq)
            log.reached_at.setdefault(msg.seq, log.now.time_s)
        elif kind == "STATUSTEXT":
            log.texts.append(msg.text)
        elif kind == "COMMAND_ACK":
            log.acks[msg.command] = msg.result


def disarmed(log: Log) -> bool:
    return not log.now.armed


def steps(seqs: list[int]) -> list[int]:
    """``seqs`` without repeats in a row."""
    return [s for k, s in enumerate(seqs) if k == 0 or seqs[k - 1] != s]


# -- DO_JUMP ------------------------------------------------------------------------------


def test_do_jump_flies_its_loop_param2_more_times_and_says_so() -> None:
    rows = [
        HOME_ROW, tk(1, 5.0), wp(2, 10.0, 0.0), wp(3, 10.0, 10.0),
        cmd(4, M.MAV_CMD_DO_JUMP, 2, 2), wp(5, 0.0, 10.0), row(6, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]  # fmt: skip
    with flying(rows, speedup=100.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, disarmed)
    assert log.reached == [1, 2, 3, 2, 3, 2, 3, 5, 6]
    assert log.current == [1, 2, 3, 2, 3, 2, 3, 5, 6]
    assert [t for t in log.texts if "Jump" in t] == ["Mission: 4 Jump 1/2", "Mission: 4 Jump 2/2"]


@pytest.mark.parametrize(("options", "inner"), [(0, 2), (8, 1)])
def test_each_do_jump_counts_its_own_jumps_and_a_used_up_one_starts_again(
    options: float, inner: int
) -> None:
    # MIS_OPTIONS bit 3 (DontZeroCounter) keeps a used-up jump used up
    rows = [
        HOME_ROW, tk(1, 5.0), wp(2, 10.0, 0.0), wp(3, 10.0, 10.0),
        cmd(4, M.MAV_CMD_DO_JUMP, 3, 1), cmd(5, M.MAV_CMD_DO_JUMP, 2, 1),
        row(6, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]  # fmt: skip
    with flying(rows, speedup=100.0, MIS_OPTIONS=options) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, disarmed)
    second_pass = [2, 3, 3] if inner == 2 else [2, 3]
    assert log.reached == [1, 2, 3, 3, *second_pass, 6]


def test_do_jump_forever_loops_until_the_mode_changes() -> None:
    rows = [
        HOME_ROW, tk(1, 5.0), wp(2, 8.0, 0.0), wp(3, 8.0, 8.0),
        cmd(4, M.MAV_CMD_DO_JUMP, 2, -1), row(5, M.MAV_CMD_NAV_LAND),
    ]  # fmt: skip
    with flying(rows, speedup=100.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, lambda g: g.reached.count(3) == 4)
        assert gcs.command(SET_MODE, CUSTOM, CopterMode.RTL).result == ACCEPTED
    assert log.acks[SET_MODE] == ACCEPTED
    assert log.reached[:9] == [1, 2, 3, 2, 3, 2, 3, 2, 3]
    assert 5 not in log.current
    assert not any("Jump" in t for t in log.texts)  # a jump for ever is not counted


def test_do_jump_tag_jumps_to_its_jump_tag() -> None:
    # JUMP_TAG (600) and DO_JUMP_TAG (601): run on values, as uploads do not take them yet
    bench = Bench()
    bench.load([
        takeoff(1, 5.0), do(2, 600, 7.0), waypoint(3, 10.0, 0.0, 5.0),
        do(4, 601, 7.0, 1.0), item(5, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ])  # fmt: skip
    bench.arm_and_auto()
    bench.run_until(lambda: not bench.state.armed, limit_s=120.0)
    assert bench.reached() == [1, 3, 3, 5]
    bench.load([takeoff(1, 5.0), do(2, 601, 9.0, 1.0), waypoint(3, 10.0, 0.0, 5.0)])
    bench.arm_and_auto()
    bench.run_until(lambda: bench.flight.runner.complete, limit_s=60.0)
    assert bench.reached() == [1, 3, 3, 5, 1]  # no JUMP_TAG 9: the mission ends there


# -- CONDITION commands gate the DO commands after them -----------------------------------


def test_condition_delay_holds_back_the_do_commands_after_it() -> None:
    rows = [
        HOME_ROW, tk(1, 5.0), cmd(2, M.MAV_CMD_CONDITION_DELAY, 4.0),
        cmd(3, M.MAV_CMD_DO_SPRAYER, 1.0), row(4, M.MAV_CMD_NAV_LOITER_TIME, 10.0, alt=5.0),
        cmd(5, M.MAV_CMD_DO_SPRAYER, 0.0), row(6, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]  # fmt: skip
    with flying(rows, speedup=20.0, SPRAY_ENABLE=1.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, disarmed)
        sprayed = sim.call(lambda: list(sim.vehicle.state.spray_log))
    assert log.reached == [1, 2, 4, 6]  # the delay is reported; DO_SPRAYER never is
    assert [(e.seq, e.on) for e in sprayed] == [(3, True), (5, False)]
    on, off = sprayed[0].time_s, sprayed[1].time_s
    assert off - on == pytest.approx(6.0, abs=0.1)  # on 4 s into the 10 s loiter


def test_do_commands_held_back_past_the_next_nav_command_are_dropped() -> None:
    rows = [
        HOME_ROW, tk(1, 5.0), cmd(2, M.MAV_CMD_CONDITION_DELAY, 30.0),
        cmd(3, M.MAV_CMD_DO_SPRAYER, 1.0), row(4, M.MAV_CMD_NAV_LOITER_TIME, 5.0, alt=5.0),
        row(5, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]  # fmt: skip
    with flying(rows, speedup=50.0, SPRAY_ENABLE=1.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, disarmed)
        sprayed = sim.call(lambda: list(sim.vehicle.state.spray_log))
    assert log.reached == [1, 4, 5]
    assert sprayed == []


def test_condition_distance_then_do_set_home_moves_home_short_of_the_waypoint() -> None:
    rows = [
        HOME_ROW, tk(1, 5.0), cmd(2, M.MAV_CMD_CONDITION_DISTANCE, 10.0),
        cmd(3, M.MAV_CMD_DO_SET_HOME, 1.0), wp(4, 50.0, 0.0),
        row(5, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]  # fmt: skip
    with flying(rows, speedup=20.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, disarmed, timeout_s=15.0)
        home = sim.call(lambda: sim.vehicle.flight.nav_settings().rtl)
        lat = sim.call(lambda: sim.vehicle.state.config.home_lat_deg)
        assert gcs.command(M.MAV_CMD_GET_HOME_POSITION).result == ACCEPTED
        gcs.recv("HOME_POSITION", where=lambda m: m.latitude == round(lat * 1e7))
    assert log.reached == [1, 2, 3, 4, 5]
    assert home.home_north_m == pytest.approx(40.0, abs=0.5)  # within 10 m of the waypoint
    assert home.home_east_m == pytest.approx(0.0, abs=0.01)
    assert math.dist((log.now.motion.north_m, log.now.motion.east_m), (40.0, 0.0)) < 1.0


def test_condition_yaw_turns_to_a_heading_at_its_rate_absolute_then_relative() -> None:
    rows = [
        HOME_ROW, tk(1, 5.0), cmd(2, M.MAV_CMD_CONDITION_YAW, 90.0, 30.0, 0.0, 0.0),
        row(3, M.MAV_CMD_NAV_LOITER_TIME, 8.0, alt=5.0),
        cmd(4, M.MAV_CMD_CONDITION_YAW, 45.0, 0.0, -1.0, 1.0),  # 45 anticlockwise
        row(5, M.MAV_CMD_NAV_LOITER_TIME, 4.0, alt=5.0), row(6, M.MAV_CMD_NAV_LAND),
    ]  # fmt: skip
    with flying(rows, speedup=10.0) as (sim, gcs):
        auto(gcs)
        first = watch(sim, gcs, lambda g: 2 in g.reached, timeout_s=15.0)
        second = watch(sim, gcs, lambda g: 4 in g.reached, timeout_s=15.0)
        landed = watch(sim, gcs, disarmed, timeout_s=15.0)
    assert first.reached == [1, 2]
    assert second.reached == [3, 4]
    assert landed.reached == [5]
    assert first.reached_at[2] - first.reached_at[1] == pytest.approx(3.0, abs=0.5)  # 30 deg/s
    assert first.now.motion.heading_deg == pytest.approx(90.0, abs=2.5)
    assert second.now.motion.heading_deg == pytest.approx(45.0, abs=2.5)
    assert landed.now.motion.heading_deg == pytest.approx(45.0, abs=2.5)  # held while landing


def test_do_set_roi_points_the_nose_at_the_roi_until_cleared() -> None:
    roi = row(2, M.MAV_CMD_DO_SET_ROI_LOCATION, at=(0.0, 30.0))
    rows = [
        HOME_ROW, tk(1, 5.0), roi, wp(3, 30.0, 0.0), cmd(4, M.MAV_CMD_DO_SET_ROI_NONE),
        wp(5, 30.0, 30.0), row(6, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]  # fmt: skip
    # Slow enough that a loaded machine still samples the ROI leg twenty times and more.
    with flying(rows, speedup=5.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, lambda g: 5 in g.reached, timeout_s=30.0)
    assert log.reached == [1, 2, 3, 4, 5]
    roi_leg = [s.motion for s in log.samples if log.reached_at[1] + 2.0 < s.time_s]
    roi_leg = [m for m in roi_leg if m.north_m < 28.0 and m.east_m < 0.5]
    assert len(roi_leg) > 20
    for m in roi_leg:  # nose on the ROI all the way up the first leg
        to_roi = math.degrees(math.atan2(30.0 - m.east_m, -m.north_m)) % 360.0
        assert abs((m.heading_deg - to_roi + 180.0) % 360.0 - 180.0) < 5.0
    east_leg = [s.motion for s in log.samples if s.time_s > log.reached_at[3] + 3.0]
    assert all(abs(m.heading_deg - 90.0) < 6.0 for m in east_leg[-10:])  # cleared: ahead


# -- NAV commands -------------------------------------------------------------------------


def test_loiter_turns_circles_its_point_at_param3_radius_nose_in() -> None:
    circle = row(2, M.MAV_CMD_NAV_LOITER_TURNS, 2.0, 0.0, -8.0, at=(20.0, 0.0), alt=10.0)
    rows = [HOME_ROW, tk(1, 10.0), circle, row(3, M.MAV_CMD_NAV_RETURN_TO_LAUNCH)]
    # At 20× a step stays short enough on a loaded machine for the nose to keep up (at 50×
    # a late step is a second of flight, and the yaw limit leaves it 10° behind).
    with flying(rows, speedup=20.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, lambda g: 2 in g.reached, timeout_s=15.0)
    circling = [s for s in log.samples if s.time_s > log.reached_at[1] + 8.0]
    radii = [math.dist((s.motion.north_m, s.motion.east_m), (20.0, 0.0)) for s in circling]
    assert min(radii) > 7.0
    assert max(radii) < 8.5
    for s in circling[::20]:
        to_center = math.degrees(math.atan2(-s.motion.east_m, 20.0 - s.motion.north_m)) % 360
        assert abs((s.motion.heading_deg - to_center + 180) % 360 - 180) < 10.0
    angles = [math.atan2(s.motion.east_m, s.motion.north_m - 20.0) for s in circling[:50]]
    assert sum(math.remainder(b - a, 2 * math.pi) for a, b in itertools.pairwise(angles)) < 0
    took = log.reached_at[2] - log.reached_at[1]
    assert 36.0 < took < 48.0  # to the edge, then two turns at CIRCLE_RATE 20 deg/s


def test_nav_delay_holds_param1_seconds_then_until_a_utc_time() -> None:
    rows = [HOME_ROW, tk(1, 5.0), row(2, M.MAV_CMD_NAV_DELAY, 6.0, -1.0, -1.0, -1.0)]
    with running(speedup=10.0) as sim, connected(sim) as gcs:
        second = int(sample(sim).time_s + 20.0) % 60  # the simulator's UTC clock starts at 0
        rows += [
            row(3, M.MAV_CMD_NAV_DELAY, -1.0, -1.0, -1.0, second), wp(4, 5.0, 0.0),
            row(5, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
        ]  # fmt: skip
        assert gcs.upload(rows) == M.MAV_MISSION_ACCEPTED
        arm_in_guided(gcs)
        auto(gcs)
        log = watch(sim, gcs, lambda g: 3 in g.reached, timeout_s=15.0)
    assert log.reached_at[2] - log.reached_at[1] == pytest.approx(6.0, abs=0.5)
    assert log.reached_at[3] % 60.0 == pytest.approx(second, abs=0.5)
    assert "Delaying 6 sec" in log.texts


def test_takeoff_when_already_airborne_is_done_at_once_or_climbs_from_where_it_is() -> None:
    rows = [
        HOME_ROW, tk(1, 10.0), wp(2, 10.0, 0.0, alt=10.0), tk(3, 5.0), tk(4, 15.0),
        wp(5, 10.0, 10.0, alt=15.0), row(6, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]  # fmt: skip
    with flying(rows, speedup=50.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, lambda g: 5 in g.reached, timeout_s=15.0)
    assert log.reached == [1, 2, 3, 4, 5]
    after = [s for s in log.samples if s.time_s >= log.reached_at[2]]
    assert min(s.motion.up_m for s in after) > 9.8  # never down to 5 m
    assert log.reached_at[3] - log.reached_at[2] < 0.2
    climb = [s for s in after if s.time_s <= log.reached_at[4]]
    assert log.samples[-1].motion.up_m > 14.8
    assert max(math.dist((s.motion.north_m, s.motion.east_m), (10.0, 0.0)) for s in climb) < 3.0


def test_nav_land_with_a_position_flies_there_at_its_altitude_then_lands() -> None:
    rows = [HOME_ROW, tk(1, 8.0), row(2, M.MAV_CMD_NAV_LAND, at=(15.0, 10.0))]
    with flying(rows, speedup=50.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, disarmed)
    here = log.now.motion
    assert math.dist((here.north_m, here.east_m), (15.0, 10.0)) < 0.3
    far = [s for s in log.samples if math.dist((s.motion.north_m, s.motion.east_m), (15, 10)) > 3]
    assert min(s.motion.up_m for s in far if s.time_s > log.reached_at[1]) > 7.8
    assert log.reached == [1]  # the landing is not reported: it disarms (ArduPilot 4.3+)


def test_a_mid_mission_landing_disarms_and_resets_the_mission_to_its_start() -> None:
    rows = [
        HOME_ROW, tk(1, 5.0), wp(2, 10.0, 0.0), row(3, M.MAV_CMD_NAV_LAND),
        tk(4, 6.0), wp(5, 0.0, 10.0, alt=6.0), row(6, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]  # fmt: skip
    with flying(rows, speedup=50.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, disarmed)
        later = watch(sim, gcs, lambda g: g.now.time_s > log.now.time_s + 20.0)
    assert log.reached + later.reached == [1, 2]
    assert steps(log.current + later.current) == [1, 2, 3, 1]  # back at the first item
    assert later.now.mode == CopterMode.AUTO
    assert later.now.motion.up_m == 0.0
    assert not later.now.armed


def test_with_mis_options_continue_after_land_a_takeoff_follows_the_landing_armed() -> None:
    rows = [
        HOME_ROW, tk(1, 5.0), wp(2, 10.0, 0.0), row(3, M.MAV_CMD_NAV_LAND),
        tk(4, 6.0), wp(5, 0.0, 10.0, alt=6.0), row(6, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]  # fmt: skip
    with flying(rows, speedup=20.0, MIS_OPTIONS=4.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, disarmed, timeout_s=15.0)
    assert log.reached == [1, 2, 3, 4, 5, 6]
    landed = [s for s in log.samples if log.reached_at[2] < s.time_s < log.reached_at[4]]
    assert min(s.motion.up_m for s in landed) < 0.3  # it touched down at item 3
    assert all(s.armed for s in landed)
    assert log.reached_at[4] - log.reached_at[3] < 5.0  # and took off at once


def test_waiting_on_the_ground_in_auto_disarms_after_disarm_delay() -> None:
    rows = [
        HOME_ROW, tk(1, 5.0), row(2, M.MAV_CMD_NAV_LAND), row(3, M.MAV_CMD_NAV_DELAY, 30.0),
        tk(4, 5.0), row(5, M.MAV_CMD_NAV_LAND),
    ]  # fmt: skip
    with flying(rows, speedup=20.0, MIS_OPTIONS=4.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, disarmed, timeout_s=15.0)
        later = watch(sim, gcs, lambda g: g.now.time_s > log.now.time_s + 5.0)
    assert log.reached == [1, 2]  # the take-off after the delay follows: the landing counts
    assert steps(log.current + later.current)[-2:] == [3, 1]  # waited in the delay, then reset
    down = next(s for s in log.samples if s.time_s > log.reached_at[1] and s.motion.on_ground)
    assert log.now.time_s - down.time_s == pytest.approx(10.0, abs=0.6)


def test_do_change_speed_sets_climb_and_descent_speeds_too() -> None:
    rows = [
        HOME_ROW, cmd(1, M.MAV_CMD_DO_CHANGE_SPEED, 2.0, 1.0), tk(2, 6.0),
        cmd(3, M.MAV_CMD_DO_CHANGE_SPEED, 3.0, 0.8), row(4, M.MAV_CMD_NAV_WAYPOINT, alt=2.0),
        row(5, M.MAV_CMD_NAV_LAND),
    ]  # fmt: skip
    with flying(rows, speedup=20.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, disarmed, timeout_s=15.0)
    speeds = [s.motion.vu_m_s for s in log.samples]
    assert max(speeds) == pytest.approx(1.0, abs=0.01)  # WPNAV_SPEED_UP is 2.5 m/s
    assert min(speeds) == pytest.approx(-0.8, abs=0.01)  # WPNAV_SPEED_DN 1.5, LAND_SPEED 0.5
    assert log.reached[:4] == [1, 2, 3, 4]  # (then 1 again: disarmed, the mission restarts)


def test_commands_copter_does_not_run_in_missions_are_skipped_and_the_rest_accepted() -> None:
    rows = [
        HOME_ROW, tk(1, 5.0), cmd(2, M.MAV_CMD_CONDITION_CHANGE_ALT, 1.0, 10.0),
        cmd(3, M.MAV_CMD_DO_SET_RELAY, 0.0, 1.0), cmd(4, M.MAV_CMD_DO_REPEAT_SERVO, 10, 1500, 3, 1),
        cmd(5, M.MAV_CMD_DO_DIGICAM_CONTROL, 0, 0, 0, 0), cmd(6, M.MAV_CMD_DO_LAND_START),
        row(7, M.MAV_CMD_NAV_SPLINE_WAYPOINT, at=(10.0, 0.0), alt=5.0),
        row(8, M.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]  # fmt: skip
    with flying(rows, speedup=50.0) as (sim, gcs):
        auto(gcs)
        log = watch(sim, gcs, disarmed)
    assert log.reached == [1, 2, 6, 7, 8]  # relay, servo and camera are not reported
    assert "Skipping invalid cmd #113" in log.texts


def test_mav_cmd_do_land_start_flies_the_landing_sequence_in_auto() -> None:
    rows = [
        HOME_ROW, tk(1, 5.0), wp(2, 40.0, 0.0), wp(3, 40.0, 40.0), cmd(4, M.MAV_CMD_DO_LAND_START),
        wp(5, 0.0, 20.0), row(6, M.MAV_CMD_NAV_LAND),
    ]  # fmt: skip
    with flying(rows, speedup=50.0) as (sim, gcs):
        assert gcs.command(M.MAV_CMD_NAV_TAKEOFF, *[0.0] * 6, 5.0).result == ACCEPTED
        watch(sim, gcs, lambda g: g.now.motion.up_m > 4.9)
        send(gcs, M.MAV_CMD_DO_LAND_START)
        log = watch(sim, gcs, disarmed)
    assert log.acks[M.MAV_CMD_DO_LAND_START] == ACCEPTED
    assert log.samples[-1].mode == CopterMode.AUTO
    assert log.current[0] == 5
    assert log.reached == [4, 5]
    assert math.dist((log.now.motion.north_m, log.now.motion.east_m), (0.0, 20.0)) < 0.5


def test_mav_cmd_do_land_start_without_a_landing_sequence_fails() -> None:
    with flying([HOME_ROW, tk(1, 5.0), wp(2, 10.0, 0.0)]) as (sim, gcs):
        assert gcs.command(M.MAV_CMD_DO_LAND_START).result == M.MAV_RESULT_FAILED
        said = gcs.recv("STATUSTEXT").text  # (cut at STATUSTEXT's 50 characters)
        assert said.startswith("Mode change to AUTO RTL failed: No landing")
        assert sample(sim).mode == CopterMode.GUIDED
