"""The score of made-up traces, figure by figure: areas, rules broken, reaction times."""

import pytest

from sim.physics import LocalFrame
from sim.scenarios import (
    Expect,
    FailsafeMark,
    FaultMark,
    Sample,
    Scenario,
    ScoringRules,
    Trace,
    Zone,
    ZoneKind,
    score_lines,
)
from sim.score import OperatorAction, operator_actions, score

HOME = (34.9283, 134.8414)
FRAME = LocalFrame(lat0_deg=HOME[0], lon0_deg=HOME[1])


def ring(
    east0: float, east1: float, north0: float, north1: float
) -> tuple[tuple[float, float], ...]:
    corners = [(north0, east0), (north0, east1), (north1, east1), (north1, east0)]
    return tuple(FRAME.to_global(n, e)[::-1] for n, e in corners)


SCENARIO = Scenario(
    name="made-up",
    title="A made-up exercise",
    briefing="",
    field_name="F",
    field=ring(0, 40, 20, 100),  # 40 m x 80 m = 3200 m²
    zones=(
        Zone(name="organic", kind=ZoneKind.NO_SPRAY, ring=ring(45, 75, 20, 100)),
        Zone(name="house", kind=ZoneKind.NO_FLY, ring=ring(-30, -20, 40, 50)),
    ),
    scoring=ScoringRules(swath_m=4.0),
)


def at(
    t: float, north: float, east: float, *, mode: str = "AUTO", spraying: bool = False,
    airborne: bool = True, armed: bool = True, alt_m: float = 10.0, battery_pct: float = 90.0,
    wind_m_s: float = 0.0,
) -> Sample:  # fmt: skip
    lat, lon = FRAME.to_global(north, east)
    return Sample(
        time_s=t, lat_deg=lat, lon_deg=lon, alt_m=alt_m if airborne else 0.0, mode=mode,
        armed=armed, airborne=airborne, spraying=spraying, battery_pct=battery_pct,
        wind_m_s=wind_m_s,
    )  # fmt: skip


def trace(*samples: Sample, faults: tuple[FaultMark, ...] = (),
          failsafes: tuple[FailsafeMark, ...] = ()) -> Trace:  # fmt: skip
    return Trace(
        home_lat_deg=HOME[0], home_lon_deg=HOME[1], samples=samples, faults=faults,
        failsafes=failsafes, end_s=samples[-1].time_s,
    )  # fmt: skip


SORTIE = trace(
    at(0, 0, 0, mode="GUIDED", airborne=False, battery_pct=100.0),
    at(1, 20, 10),
    at(2, 20, 10, spraying=True),  # a pass north through the field: 80 m x 4 m inside
    at(3, 40, 10, spraying=True),
    at(4, 60, 10, spraying=True),
    at(5, 80, 10, spraying=True),
    at(6, 100, 10, spraying=True),
    at(7, 100, 10),
    at(8, 60, 30, spraying=True),  # across the east edge onto the organic field: 20 m x 4 m
    at(9, 60, 50, spraying=True),
    at(10, 60, 50),
    at(11, 60, 50),
    at(13, 60, 40, mode="LOITER"),  # the operator reacts to the battery drop
    at(14, 50, 0, mode="LOITER"),
    at(15, 45, -25, mode="LOITER"),  # over the house
    at(16, 30, -10, mode="LOITER", alt_m=160.0),  # too high
    at(20, 30, -10, mode="LAND"),  # the EKF failsafe lands it
    at(21, 30, -10, mode="LAND", airborne=False, armed=False, battery_pct=70.0),
    faults=(
        FaultMark(time_s=11.0, spec="battery:30", kind="battery", react_within_s=5.0),
        FaultMark(time_s=14.0, spec="gps-loss:10", kind="gps-loss", react_within_s=2.0),
    ),
    failsafes=(FailsafeMark(time_s=20.0, kind="ekf", action="LAND"),),
)


def test_the_covered_area_and_the_overspray_come_from_the_swath_along_the_track() -> None:
    result = score(SORTIE, SCENARIO)
    assert result.field_m2 == pytest.approx(3200.0, rel=1e-9)
    assert result.covered_m2 == pytest.approx(80 * 4 + 10 * 4, rel=1e-9)
    assert result.covered_pct == pytest.approx(100 * 360 / 3200, rel=1e-9)
    assert result.sprayed_m2 == pytest.approx(400.0, rel=1e-9)
    assert result.overspray_outside_m2 == pytest.approx(10 * 4, rel=1e-9)
    assert result.no_spray_m2 == pytest.approx(5 * 4, rel=1e-9)
    assert result.flight_time_s == 20.0
    assert result.battery_used_pct == 30.0
    assert result.took_off
    assert result.landed


def test_each_rule_broken_is_one_incident_with_its_time() -> None:
    result = score(SORTIE, SCENARIO)
    assert [(i.rule, i.time_s) for i in result.rules_broken] == [
        ("no-spray", 9.0),
        ("no-fly", 15.0),
        ("altitude", 16.0),
        ("landing-away", 21.0),
    ]
    assert result.rules_broken[0].detail == "sprayed onto no-spray zone 'organic'"
    assert result.rules_broken[-1].detail == "landed 32 m from home and the rally points"


def test_reaction_times_separate_the_operator_from_the_autopilot() -> None:
    assert operator_actions(SORTIE) == [
        OperatorAction(time_s=1.0, what="mode AUTO"),
        OperatorAction(time_s=13.0, what="mode LOITER"),
    ]  # the LAND at 20 s was the EKF failsafe's
    battery, gps = score(SORTIE, SCENARIO).reactions
    assert (battery.operator_s, battery.operator_action, battery.autopilot_s) == (
        2.0, "mode LOITER", None,
    )  # fmt: skip
    assert battery.points == 1.0
    assert (gps.operator_s, gps.autopilot_s, gps.autopilot_action) == (None, 6.0, "LAND")
    assert gps.points == 0.5  # only the failsafe acted


def test_the_total_is_the_documented_sum_of_the_four_parts() -> None:
    result = score(SORTIE, SCENARIO)
    assert result.parts == pytest.approx(
        {
            "coverage": 40.0 * 360 / 3200,
            "overspray": 15.0 * (1.0 - (40.0 + 20.0) / 320.0),
            "rules": 0.0,  # four rules broken: 30 - 4 x 10, not below 0
            "reactions": 15.0 * (1.0 + 0.5) / 2,
        },
        rel=1e-9,
    )
    assert result.total == pytest.approx(4.5 + 12.1875 + 0.0 + 11.25, rel=1e-9)
    lines = score_lines(result)
    assert lines[0].startswith("score 27.9 / 100 (coverage 4.5/40, overspray 12.2/15")
    assert result.to_json()["reactions"][1]["autopilot_action"] == "LAND"


def test_spraying_after_a_failsafe_in_wind_and_outside_auto_are_each_broken_rules() -> None:
    windy = [at(t, 20 + 5 * t, 10, spraying=True, wind_m_s=5.0) for t in range(1, 14)]
    resumed = trace(
        at(0, 0, 0, mode="GUIDED", airborne=False),
        *windy,  # 12 s of spraying in 5 m/s: past the 10 s grace
        at(14, 90, 10),
        at(14.5, 90, 10, mode="RTL"),  # the battery failsafe
        at(15, 85, 10, mode="RTL", spraying=True),
        at(16, 80, 10, spraying=True),  # the operator resumed AUTO on a failing battery
        at(17, 75, 10, spraying=True),
        faults=(FaultMark(time_s=14.0, spec="battery:22", kind="battery", expect=Expect.FAILSAFE),),
        failsafes=(FailsafeMark(time_s=14.5, kind="battery-low", action="RTL"),),
    )
    result = score(resumed, SCENARIO)
    assert [(i.rule, i.time_s) for i in result.rules_broken] == [
        ("spray-in-wind", 1.0),
        ("spray-not-auto", 15.0),
        ("spray-after-failsafe", 15.0),
        ("not-landed", 17.0),
    ]
    [reaction] = result.reactions
    assert (reaction.autopilot_s, reaction.operator_s, reaction.operator_action) == (
        0.5, 2.0, "mode AUTO",
    )  # fmt: skip
    assert reaction.points == 0.0  # the failsafe's return was undone
    assert not result.landed


def test_a_link_failsafe_cleared_allows_spraying_again() -> None:
    relinked = trace(
        at(0, 0, 0, mode="GUIDED", airborne=False),
        at(1, 30, 10, spraying=True),
        at(2, 40, 10, mode="RTL"),
        at(8, 40, 10, mode="AUTO"),
        at(9, 40, 10, spraying=True),
        at(10, 50, 10, spraying=True),
        at(11, 0, 0, airborne=False, armed=False),
        failsafes=(
            FailsafeMark(time_s=2.0, kind="gcs", action="RTL"),
            FailsafeMark(time_s=7.0, kind="gcs", action="cleared"),
        ),
    )
    assert score(relinked, SCENARIO).rules_broken == ()


@pytest.mark.parametrize(
    ("reaction_s", "expect", "points"),
    [
        (4.0, Expect.OPERATOR, 1.0),
        (7.5, Expect.OPERATOR, 0.75),
        (15.0, Expect.OPERATOR, 0.0),
        (None, Expect.OPERATOR, 0.0),
        (3.0, Expect.FAILSAFE, 1.0),  # RTL chosen by the operator in time
        (4.0, Expect.NONE, None),
    ],
)
def test_reaction_points_fall_from_the_window_to_three_times_it(
    reaction_s: float | None, expect: Expect, points: float | None
) -> None:
    samples = [at(0, 0, 0, mode="GUIDED", airborne=False), at(1, 30, 10), at(10, 30, 10)]
    if reaction_s is not None:
        samples.append(at(10 + reaction_s, 30, 10, mode="RTL"))
    samples.append(at(30, 0, 0, mode="RTL", airborne=False, armed=False))
    fault = FaultMark(time_s=10.0, spec="motor:1", kind="motor", expect=expect, react_within_s=5.0)
    [reaction] = score(trace(*samples, faults=(fault,)), SCENARIO).reactions
    assert reaction.points == points


def test_a_vehicle_that_never_took_off_scores_nothing() -> None:
    result = score(trace(at(0, 0, 0, airborne=False), at(5, 0, 0, airborne=False)), SCENARIO)
    assert result.total == 0.0
    assert not result.took_off
    assert result.notes == ("the vehicle never took off: nothing to score",)
