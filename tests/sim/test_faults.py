"""Faults as values and text, and the injector that puts them into a vehicle on simulated time."""

import math

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import (
    BatteryDrop,
    Fault,
    FaultChange,
    FaultKind,
    GpsLoss,
    Gust,
    LinkCut,
    MotorFailure,
    parse_fault,
)
from sim.state import CopterMode
from tests.sim.bench import Bench, takeoff, waypoint


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("link-cut", LinkCut()),
        ("link-cut:30", LinkCut(duration_s=30.0)),
        ("gps-loss:2.5", GpsLoss(duration_s=2.5)),
        ("gps-loss", GpsLoss()),
        ("battery:25", BatteryDrop(remaining_pct=25.0)),
        ("battery:0", BatteryDrop(remaining_pct=0.0)),
        ("motor", MotorFailure(motor=1)),
        ("motor:4", MotorFailure(motor=4)),
        ("gust:8@270", Gust(speed_m_s=8.0, from_deg=270.0)),
        ("gust:6.5@45:20", Gust(speed_m_s=6.5, from_deg=45.0, duration_s=20.0)),
        ("  link-cut:5 ", LinkCut(duration_s=5.0)),
    ],
)
def test_a_spec_reads_as_its_fault_and_the_fault_writes_it_back(text: str, fault: Fault) -> None:
    assert parse_fault(text) == fault
    assert parse_fault(fault.spec) == fault
    assert fault.spec.split(":")[0] == fault.kind


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "unknown kind ''"),
        ("wind:5@90", "unknown kind 'wind'; known: link-cut[:SECONDS]"),
        ("Link-Cut", "unknown kind 'Link-Cut'"),
        ("link-cut:", "SECONDS '' is not a number"),
        ("link-cut:abc", "SECONDS 'abc' is not a number"),
        ("link-cut:0", "SECONDS '0' must be a finite number more than 0"),
        ("link-cut:-3", "SECONDS '-3' must be a finite number more than 0"),
        ("gps-loss:nan", "SECONDS 'nan' must be a finite number more than 0"),
        ("link-cut:5:6", "too many ':' parts; the form is 'link-cut[:SECONDS]'"),
        ("battery", "PCT is missing; the form is 'battery:PCT'"),
        ("battery:120", "PCT '120' must be between 0 and 100"),
        ("battery:half", "PCT 'half' is not a number"),
        ("motor:0", "N '0' must be between 1 and 12"),
        ("motor:13", "N '13' must be between 1 and 12"),
        ("motor:1.5", "N '1.5' is not a whole number"),
        ("gust", "SPEED@DEG is missing"),
        ("gust:8", "SPEED@DEG is missing"),
        ("gust:8@", "DEG '' is not a number"),
        ("gust:@90", "SPEED '' is not a number"),
        ("gust:8@400", "DEG '400' must be between 0 and 360"),
        ("gust:-2@90", "SPEED '-2' must be between 0 and 100"),
        ("gust:8@90:0", "SECONDS '0' must be a finite number more than 0"),
        ("gust:8@90:5:5", "too many ':' parts"),
    ],
)
def test_a_bad_spec_is_refused_naming_the_spec_and_the_bad_part(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"^fault ") as caught:
        parse_fault(text)
    assert repr(text) in str(caught.value)
    assert message in str(caught.value)


def test_values_check_themselves_too() -> None:
    with pytest.raises(ValueError, match="duration"):
        LinkCut(duration_s=0.0)
    with pytest.raises(ValueError, match="remaining"):
        BatteryDrop(remaining_pct=-1.0)
    with pytest.raises(ValueError, match="motor"):
        MotorFailure(motor=0)
    with pytest.raises(ValueError, match="gust speed"):
        Gust(speed_m_s=math.inf, from_deg=0.0)


def test_each_fault_leaves_a_record_with_its_simulated_time_and_durations_run_out() -> None:
    bench = Bench()
    bench.run(3.0)
    bench.faults.inject("gps-loss:4")
    bench.faults.inject(LinkCut())
    assert not bench.link_up
    assert bench.state.gps_lost
    bench.run(2.0)
    assert bench.faults.clear("link-cut") is True
    assert bench.faults.clear(FaultKind.LINK_CUT) is False  # no longer in force
    assert bench.link_up
    bench.run(5.0)
    assert not bench.state.gps_lost
    log = [(round(r.time_s, 6), r.fault.spec, r.change) for r in bench.state.fault_log]
    assert log == [
        (3.0, "gps-loss:4", FaultChange.INJECTED),
        (3.0, "link-cut", FaultChange.INJECTED),
        (5.0, "link-cut", FaultChange.CLEARED),
        (7.0, "gps-loss:4", FaultChange.CLEARED),  # when its time was up, to the step
    ]
    assert bench.faults.active == {}
    assert not [m for m in bench.sent if m.get_type() == "STATUSTEXT"]  # none on the wire


def test_injecting_a_fault_of_the_same_kind_replaces_it() -> None:
    bench = Bench()
    bench.faults.inject("gust:5@90")
    bench.faults.inject("gust:9@180:10")
    assert bench.faults.active == {FaultKind.GUST: Gust(speed_m_s=9.0, from_deg=180.0,
                                                        duration_s=10.0)}  # fmt: skip
    assert [r.change for r in bench.state.fault_log] == [
        FaultChange.INJECTED, FaultChange.CLEARED, FaultChange.INJECTED,
    ]  # fmt: skip
    assert bench.flight.wind_now().from_deg == pytest.approx(180.0)
    with pytest.raises(ValueError, match="unknown fault kind 'wind'"):
        bench.faults.clear("wind")


def test_a_battery_drop_leaves_the_charge_asked_for_and_is_over_at_once() -> None:
    bench = Bench()
    bench.faults.inject(BatteryDrop(remaining_pct=40.0))
    bench.run(0.1)
    assert bench.state.battery_pct == pytest.approx(40.0, abs=0.01)
    assert bench.state.battery_v < 46.0  # the voltage follows: 12 x 3.78 V at rest
    bench.faults.inject(BatteryDrop(remaining_pct=90.0))  # charge never comes back
    bench.run(0.1)
    assert bench.state.battery_pct < 40.0
    assert bench.faults.active == {}
    assert bench.faults.clear("battery") is False


def test_a_gust_pushes_the_vehicle_off_its_point_until_the_controller_catches_up() -> None:
    bench = Bench()
    bench.mode(CopterMode.GUIDED)
    bench.autopilot.arm()
    bench.command(mavlink.MAV_CMD_NAV_TAKEOFF, *[0.0] * 6, 10.0)
    bench.run(20.0)
    bench.faults.inject("gust:8@0:30")  # from the north: it is blown south
    worst = 0.0
    for _ in range(60):
        bench.run(0.5)
        worst = min(worst, bench.local()[0])
        assert abs(bench.local()[1]) < 1e-6
    assert worst < -1.0  # pushed south
    assert abs(bench.local()[0]) < 0.05  # and back over its point once the gust is over
    assert bench.state.fault_log[-1].change == FaultChange.CLEARED
    assert bench.state.fault_log[-1].time_s == pytest.approx(50.0)


def test_a_gust_bends_the_track_of_a_mission_leg() -> None:
    def widest(gust: str | None) -> float:
        bench = Bench()
        bench.load([takeoff(1, 5.0), waypoint(2, 150.0, 0.0, 5.0)])
        bench.arm_and_auto()
        bench.run(8.0)
        if gust is not None:
            bench.faults.inject(gust)
        most = 0.0
        while 2 not in bench.reached():
            bench.run(0.25)
            most = max(most, abs(bench.local()[1]))
            assert bench.state.time_s < 120.0
        return most

    assert widest(None) < 1e-6
    assert widest("gust:10@270:10") > 1.0  # a westerly gust across a northbound leg
