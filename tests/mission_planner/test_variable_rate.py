"""Variable-rate spray plans: the rate follows the zones, everything else as at one rate."""

import itertools
import math

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import box

from fields import local_crs_for, to_local
from mission_planner import (
    Action,
    Command,
    FlightPlan,
    Mission,
    MissionItem,
    PumpCalibration,
    RateMap,
    RateMode,
    RateZone,
    SprayerControl,
    VariableRateControl,
    build_mission,
)
from mission_planner.metrics import measure_application, measure_coverage, spray_footprint
from mission_planner.refusals import PlanRefused
from mission_planner.spray import SprayParams, SprayTarget, plan_spray
from mission_planner.variable_rate import DEFAULT_ZONE
from tests.common.invariants import assert_continuous, assert_valid_coverage, spray_paths

CRS = local_crs_for(134.8414, 34.9283)
FIELD = box(0, 0, 100, 60)
WEST, EAST = box(0, 0, 50, 60), box(50, 0, 100, 60)
HOME = (-10.0, -10.0)
SWATH_M = 5.0
SERVO = 11
# The simulator's pump: 6 L/min at 1900 us, nothing at 1100 us (SERVO9_MIN..MAX).
PUMP = PumpCalibration.linear(pwm_at_zero=1100, pwm_per_l_min=800 / 6, max_flow_l_min=6.0)
BY_SPEED = VariableRateControl(mode=RateMode.SPEED, flow_l_min=1.5)
BY_PUMP = VariableRateControl(mode=RateMode.PUMP, pump=PUMP)
# 1.5 L/min over 5 m: 10 L/ha at 5 m/s, 20 L/ha at 2.5 m/s. At 5 m/s: 1.5 and 3 L/min.
SPEED_OF = {"west": 5.0, "east": 2.5}
PWM_OF = {"west": 1300, "east": 1500}


def two_zones(west_l_ha: float = 10.0, east_l_ha: float = 20.0) -> RateMap:
    return RateMap(
        zones=(
            RateZone(geometry=WEST, rate_l_ha=west_l_ha, label="west"),
            RateZone(geometry=EAST, rate_l_ha=east_l_ha, label="east"),
        )
    )


def vr_plan(
    control: VariableRateControl = BY_SPEED,
    rates: RateMap | None = None,
    field: shapely.Polygon = FIELD,
    **params: float,
) -> FlightPlan:
    servo = control.mode == RateMode.PUMP
    return plan_spray(
        [SprayTarget(id="F", field=field)],
        crs=CRS,
        home=HOME,
        params=SprayParams(
            swath_m=SWATH_M,
            rate_control=control,
            sprayer=SprayerControl.DO_SET_SERVO if servo else SprayerControl.DO_SPRAYER,
            sprayer_servo=SERVO,
            **params,  # type: ignore[arg-type]
        ),
        rates=rates or two_zones(),
    )


def constant_plan(**params: float) -> FlightPlan:
    return plan_spray(
        [SprayTarget(id="F", field=FIELD)],
        crs=CRS,
        home=HOME,
        params=SprayParams(swath_m=SWATH_M, **params),  # type: ignore[arg-type]
    )


def zone_of(point: tuple[float, float]) -> str:
    return "west" if point[0] < 50.0 else "east"


def flown(mission: Mission) -> list[tuple[str, bool, float, int | None]]:
    """Replay the items as ArduPilot does (DO commands act once the NAV before them is reached):
    for each straight piece flown, its zone, whether spraying, the speed and the pump PWM."""
    here, speed, pwm, spraying = None, 0.0, None, False
    pieces = []
    for item in mission.items:
        if item.command == Command.DO_CHANGE_SPEED:
            assert item.param1 == 1.0  # ground speed
            speed = item.param2
        elif item.command == Command.DO_SPRAYER:
            spraying = item.param1 == 1.0
        elif item.command == Command.DO_SET_SERVO:
            assert item.param1 == SERVO
            pwm = round(item.param2)
            spraying = pwm > 1100
        elif item.command.has_position and item.command != Command.NAV_RETURN_TO_LAUNCH:
            there = to_local(shapely.Point(item.lon_deg, item.lat_deg), CRS)
            if here is not None and here.distance(there) > 0.01 and item.alt_m > 0:
                middle = ((here.x + there.x) / 2, (here.y + there.y) / 2)
                pieces.append((zone_of(middle), spraying, speed, pwm if spraying else None))
            here = there
    return pieces


def _switches_on(item: MissionItem) -> bool:
    if item.command == Command.DO_SPRAYER:
        return item.param1 == 1.0
    return item.command == Command.DO_SET_SERVO and item.param2 > 1100


def test_speed_mode_flies_each_zone_at_its_speed() -> None:
    plan = vr_plan(BY_SPEED)
    speeds = {i.param2 for i in build_mission(plan).items if i.command == Command.DO_CHANGE_SPEED}
    assert {5.0, 2.5} <= speeds
    sprayed = [p for p in flown(build_mission(plan)) if p[1]]
    assert sprayed
    for zone, _, speed, _ in sprayed:
        assert speed == pytest.approx(SPEED_OF[zone]), zone
    for leg in plan.legs:
        if leg.action == Action.SPRAY:
            assert leg.rate is not None
            assert leg.speed_m_s == pytest.approx(SPEED_OF[leg.rate.zone])


def test_pump_mode_sets_each_zones_pwm_on_the_configured_channel() -> None:
    plan = vr_plan(BY_PUMP)
    mission = build_mission(plan)
    servo = [i for i in mission.items if i.command == Command.DO_SET_SERVO]
    assert {i.param1 for i in servo} == {SERVO}
    assert {round(i.param2) for i in servo} == {1100, 1300, 1500}
    sprayed = [p for p in flown(mission) if p[1]]
    assert sprayed
    for zone, _, speed, pwm in sprayed:
        assert (speed, pwm) == (5.0, PWM_OF[zone]), zone
    assert not any(i.command == Command.DO_SPRAYER for i in mission.items)


@pytest.mark.parametrize("control", [BY_SPEED, BY_PUMP], ids=["speed", "pump"])
def test_the_rate_is_sent_only_where_it_changes(control: VariableRateControl) -> None:
    items = build_mission(vr_plan(control)).items
    last_speed, last_pwm = None, None
    for item in items:
        if item.command == Command.NAV_TAKEOFF:
            last_speed, last_pwm = None, None
        if item.command == Command.DO_CHANGE_SPEED:
            assert item.param2 != last_speed
            last_speed = item.param2
        if item.command == Command.DO_SET_SERVO:
            assert item.param2 != last_pwm
            last_pwm = item.param2


@pytest.mark.parametrize("control", [BY_SPEED, BY_PUMP], ids=["speed", "pump"])
def test_coverage_is_that_of_the_constant_rate_plan(control: VariableRateControl) -> None:
    varied, constant = vr_plan(control), constant_plan()
    metrics = assert_valid_coverage(
        varied, field=FIELD, sprayable=FIELD, swath_m=SWATH_M, min_coverage=0.995
    )
    same = measure_coverage(spray_paths(constant), SWATH_M, sprayable=FIELD, field=FIELD)
    assert metrics.coverage >= same.coverage - 1e-9
    assert varied.stats["coverage"] == pytest.approx(metrics.coverage, abs=1e-9)
    # The cut passes are the passes: neither dropped nor doubled.
    a, b = spray_footprint(spray_paths(varied), SWATH_M), spray_footprint(spray_paths(constant), 5)
    assert a.symmetric_difference(b).area < 1e-3
    assert varied.stats["sprayed_m"] == pytest.approx(constant.stats["sprayed_m"], abs=1e-6)


@pytest.mark.parametrize("control", [BY_SPEED, BY_PUMP], ids=["speed", "pump"])
def test_product_per_zone_is_rate_times_area(control: VariableRateControl) -> None:
    plan = vr_plan(control)
    # 0.3 ha at 10 L/ha and 0.3 ha at 20 L/ha
    assert plan.product_by_zone_l == pytest.approx({"west": 3.0, "east": 6.0}, rel=0.03)
    assert plan.product_total_l == pytest.approx(9.0, rel=0.03)
    assert plan.stats["product_l"] == pytest.approx(plan.product_total_l)
    assert plan.stats["volume_l"] == pytest.approx(9.0)
    zones = plan.stats["rate_zones"]
    assert {k: round(v["area_ha"], 6) for k, v in zones.items()} == {"west": 0.3, "east": 0.3}
    assert zones["east"]["planned_l"] == pytest.approx(6.0)
    # Independently: each leg's footprint at its rate, wherever it lands.
    rated = [(leg.path, leg.rate.rate_l_ha) for leg in plan.legs if leg.rate is not None]
    landed = measure_application(rated, SWATH_M, {"west": WEST, "east": EAST})
    assert landed == pytest.approx({"west": 3.0, "east": 6.0}, rel=0.03)


@pytest.mark.parametrize("control", [BY_SPEED, BY_PUMP], ids=["speed", "pump"])
def test_a_tank_empty_mid_field_resumes_where_it_stopped_at_the_rate_in_force(
    control: VariableRateControl,
) -> None:
    plan = vr_plan(control, tank_l=4.0)  # 9 L to spray
    assert plan.sorties == 3
    assert_continuous(plan)
    for n in range(1, plan.sorties + 1):
        used = sum(leg.product_l for leg in plan.legs if leg.sortie == n)
        assert used <= 4.0 + 1e-6
    assert plan.product_total_l == pytest.approx(vr_plan(control).product_total_l, abs=1e-6)
    mission = build_mission(plan)
    takeoffs = [k for k, i in enumerate(mission.items) if i.command == Command.NAV_TAKEOFF]
    for n in range(2, plan.sorties + 1):
        last = [g for g in plan.legs if g.sortie == n - 1 and g.action == Action.SPRAY][-1]
        first = next(g for g in plan.legs if g.sortie == n and g.action == Action.SPRAY)
        if math.dist(last.end, first.start) < 1e-6:  # cut mid-pass: same place, same rate
            assert first.rate == last.rate
        assert first.rate is not None
        # After the take-off and before spraying: the resumed leg's speed, then its PWM.
        after = mission.items[takeoffs[n - 1] :]
        on = next(k for k, i in enumerate(after) if _switches_on(i))
        speeds = [i.param2 for i in after[:on] if i.command == Command.DO_CHANGE_SPEED]
        assert speeds[-1] == pytest.approx(first.rate.speed_m_s)
        if control.mode == RateMode.PUMP:
            assert after[on].param2 == PWM_OF[first.rate.zone]


def test_a_cut_inside_a_pass_keeps_the_rate() -> None:
    plan = vr_plan(BY_SPEED, tank_l=4.0)
    cuts = [
        (a, b)
        for a, b in zip(plan.legs, plan.legs[1:], strict=False)
        if a.action == Action.SPRAY and b.action == Action.TRANSIT and b.end == plan.home
    ]
    resumed = [
        next(g for g in plan.legs if g.sortie == a.sortie + 1 and g.action == Action.SPRAY)
        for a, _ in cuts[:-1]
    ]
    mid_pass = [(a, r) for (a, _), r in zip(cuts, resumed, strict=False) if a.end == r.start]
    assert mid_pass, "the tank ran out only at pass ends"
    for stopped, resumed_leg in mid_pass:
        assert stopped.rate == resumed_leg.rate


def test_a_rate_beyond_the_speed_range_is_refused_naming_the_zone() -> None:
    with pytest.raises(PlanRefused, match="east") as refused:
        vr_plan(BY_SPEED, two_zones(east_l_ha=200.0))  # 0.25 m/s
    assert refused.value.rule == "rate"
    assert "east" in refused.value.where
    with pytest.raises(PlanRefused, match="west") as refused:
        vr_plan(BY_SPEED, two_zones(west_l_ha=2.0))  # 25 m/s
    assert refused.value.rule == "rate"


def test_a_rate_beyond_the_pump_is_refused_naming_the_zone() -> None:
    with pytest.raises(PlanRefused, match="east") as refused:
        vr_plan(BY_PUMP, two_zones(east_l_ha=50.0))  # 7.5 L/min of a 6 L/min pump
    assert refused.value.rule == "rate"
    assert "east" in refused.value.where


def test_without_a_default_rate_only_the_zones_are_sprayed() -> None:
    rates = RateMap(zones=(RateZone(geometry=box(0, 0, 50, 40), rate_l_ha=10.0, label="w"),))
    plan = vr_plan(BY_SPEED, rates)
    sprayed = box(0, 0, 50, 40)
    assert_valid_coverage(plan, field=sprayed, sprayable=sprayed, swath_m=SWATH_M)
    assert plan.stats["area_ha"] == pytest.approx(0.2)
    assert plan.product_by_zone_l == pytest.approx({"w": 2.0}, rel=0.03)


def test_the_default_rate_sprays_between_zones_and_a_zero_rate_zone_is_left() -> None:
    rates = RateMap(
        zones=(
            RateZone(geometry=box(0, 0, 30, 60), rate_l_ha=10.0, label="low"),
            RateZone(geometry=box(70, 0, 100, 60), rate_l_ha=0.0, label="skip"),
        ),
        default_rate_l_ha=15.0,
    )
    plan = vr_plan(BY_SPEED, rates)
    sprayable = box(0, 0, 70, 60)
    assert_valid_coverage(plan, field=FIELD, sprayable=sprayable, swath_m=SWATH_M)
    footprint = spray_footprint(spray_paths(plan), SWATH_M)
    assert footprint.intersection(box(70, 0, 100, 60)).area < 1e-3
    assert set(plan.product_by_zone_l) == {"low", DEFAULT_ZONE}
    assert plan.product_by_zone_l[DEFAULT_ZONE] == pytest.approx(15.0 * 0.24, rel=0.03)


def test_one_rate_everywhere_cuts_sorties_as_the_constant_rate_plan() -> None:
    everywhere = RateMap(zones=(), default_rate_l_ha=100.0)
    control = VariableRateControl(mode=RateMode.SPEED, flow_l_min=15.0)  # 100 L/ha at 5 m/s
    varied = vr_plan(control, everywhere, tank_l=8.0)
    constant = constant_plan(rate_l_ha=100.0, tank_l=8.0)
    assert varied.sorties == constant.sorties
    assert len(varied.legs) == len(constant.legs)
    for a, b in zip(varied.legs, constant.legs, strict=True):
        assert (a.action, a.sortie, a.speed_m_s) == (b.action, b.sortie, b.speed_m_s)
        assert max(math.dist(p, q) for p, q in zip(a.path, b.path, strict=True)) < 1e-3


def test_rates_and_their_control_go_together() -> None:
    with pytest.raises(ValueError, match="together"):
        plan_spray(
            [SprayTarget(id="F", field=FIELD)],
            crs=CRS,
            home=HOME,
            params=SprayParams(swath_m=SWATH_M),
            rates=two_zones(),
        )
    with pytest.raises(ValueError, match="DO_SET_SERVO"):
        SprayParams(swath_m=SWATH_M, rate_control=BY_PUMP)
    with pytest.raises(ValueError, match="leave rate_l_ha"):
        SprayParams(swath_m=SWATH_M, rate_control=BY_SPEED, rate_l_ha=10.0, tank_l=5.0)
    SprayParams(swath_m=SWATH_M, rate_control=BY_SPEED, tank_l=5.0)  # a tank alone is fine


def test_rate_maps_refuse_overlaps_and_repeated_labels() -> None:
    with pytest.raises(ValueError, match="overlap"):
        RateMap(
            zones=(
                RateZone(geometry=box(0, 0, 60, 60), rate_l_ha=10.0, label="a"),
                RateZone(geometry=box(50, 0, 100, 60), rate_l_ha=20.0, label="b"),
            )
        )
    with pytest.raises(ValueError, match="repeat"):
        RateMap(
            zones=(
                RateZone(geometry=WEST, rate_l_ha=10.0, label="a"),
                RateZone(geometry=EAST, rate_l_ha=20.0, label="a"),
            )
        )
    with pytest.raises(ValueError, match="label"):
        RateZone(geometry=WEST, rate_l_ha=10.0, label=DEFAULT_ZONE)


def _cut_field(cuts: list[float], tilt: float) -> RateMap:
    """The field cut into strips by lines x = c + tilt·(y - 30)."""
    edges = [-1000.0, *sorted(cuts), 1000.0]
    zones = []
    for k, (a, b) in enumerate(itertools.pairwise(edges)):
        strip = shapely.Polygon(
            [(a - tilt * 30, 0), (b - tilt * 30, 0), (b + tilt * 30, 60), (a + tilt * 30, 60)]
        ).intersection(FIELD)
        zones.append(RateZone(geometry=strip, rate_l_ha=10.0 + 5.0 * (k % 3), label=f"z{k}"))
    return RateMap(zones=tuple(zones))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.floats(25, 75), min_size=1, max_size=2, unique=True).filter(
        lambda c: len(c) < 2 or abs(c[0] - c[1]) > 10
    ),
    st.floats(-0.5, 0.5),
    st.sampled_from([0.0, 30.0, 90.0, 135.0]),
)
def test_random_zone_splits_keep_coverage_and_product(
    cuts: list[float], tilt: float, heading: float
) -> None:
    rates = _cut_field(cuts, tilt)
    varied = vr_plan(BY_SPEED, rates, heading_deg=heading)
    constant = plan_spray(
        [SprayTarget(id="F", field=FIELD)],
        crs=CRS,
        home=HOME,
        params=SprayParams(swath_m=SWATH_M, heading_deg=heading),
    )
    cover = measure_coverage(spray_paths(varied), SWATH_M, sprayable=FIELD, field=FIELD)
    same = measure_coverage(spray_paths(constant), SWATH_M, sprayable=FIELD, field=FIELD)
    assert cover.coverage >= same.coverage - 1e-6  # cut points are interpolated: µm² noise
    assert_continuous(varied)
    rated = [(leg.path, leg.rate.rate_l_ha) for leg in varied.legs if leg.rate is not None]
    landed = measure_application(rated, SWATH_M, {z.label: z.geometry for z in rates.zones})
    # A pass along a boundary sprays up to half a swath across it at its own rate: what
    # lands there is off by the difference of the rates (10 L/ha at most), what the plan
    # books to the zone by the whole rate (20 L/ha at most). The overlaps of the coverage
    # pattern are those of the plan at one rate.
    half_swath_band_ha = 60.0 * math.hypot(1.0, 2 * tilt) * len(cuts) * SWATH_M / 2 / 10_000
    for zone in rates.zones:
        one_rate = [(path, zone.rate_l_ha) for path in spray_paths(constant)]
        asked = measure_application(one_rate, SWATH_M, {zone.label: zone.geometry})[zone.label]
        assert landed[zone.label] == pytest.approx(asked, rel=0.01, abs=10 * half_swath_band_ha)
        assert varied.product_by_zone_l.get(zone.label, 0.0) == pytest.approx(
            asked, rel=0.01, abs=20 * half_swath_band_ha
        )
