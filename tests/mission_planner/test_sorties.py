"""Cutting a route into sorties: a tank in litres drained leg by leg at each leg's rate."""

import pytest

from mission_planner import Action, SprayRate
from mission_planner.coverage import RouteLeg
from mission_planner.plan import corner_turns
from mission_planner.sorties import SortieLimits, sortie_liquid_l, sortie_time_s, split_sorties

HOME = (0.0, -10.0)
LOW = SprayRate(zone="low", rate_l_ha=20.0, speed_m_s=5.0, litres_per_m=0.01)
HIGH = SprayRate(zone="high", rate_l_ha=40.0, speed_m_s=2.5, litres_per_m=0.02)
# One pass, 100 m at 1 L then 100 m at 2 L, cut at the zone boundary.
ROUTE = [
    RouteLeg(path=((0.0, 0.0), (100.0, 0.0)), spray=True),
    RouteLeg(path=((100.0, 0.0), (200.0, 0.0)), spray=True),
]


def test_the_tank_empties_where_the_litres_run_out_and_the_next_sortie_resumes_there() -> None:
    legs = split_sorties(
        ROUTE, home=HOME, limits=SortieLimits(tank_l=2.0), altitude_m=3.0, rates=[LOW, HIGH]
    )
    first = [leg for leg in legs if leg.sortie == 1 and leg.action == Action.SPRAY]
    second = [leg for leg in legs if leg.sortie == 2 and leg.action == Action.SPRAY]
    assert sortie_liquid_l(first) == pytest.approx(2.0, abs=1e-4)
    assert first[-1].end == pytest.approx((150.0, 0.0), abs=1e-3)  # 1 L + 50 m × 0.02 L/m
    assert second[0].start == first[-1].end
    assert second[0].rate == HIGH
    assert second[0].speed_m_s == HIGH.speed_m_s
    assert [leg.rate for leg in first] == [LOW, HIGH]


def test_each_leg_is_flown_and_timed_at_its_own_speed() -> None:
    legs = split_sorties(
        ROUTE,
        home=HOME,
        limits=SortieLimits(flight_time_s=60.0, transit_speed_m_s=10.0, turn_time_s=0.0),
        altitude_m=3.0,
        rates=[LOW, HIGH],
    )
    # 100 m at 5 m/s (20 s) fits a 60 s battery with the flights out and home; 100 m
    # more at 2.5 m/s (40 s) does not: the second sortie sprays the rest of the pass.
    assert max(leg.sortie for leg in legs) >= 2
    assert {leg.speed_m_s for leg in legs if leg.rate == HIGH} == {2.5}


def test_a_corner_costs_the_share_of_a_u_turn_it_turns_through() -> None:
    # A ring's right-angle corners slow the drone as half a U-turn each; a hop between
    # passes is a whole one. 100 m at 5 m/s is 20 s; the sortie limit sits between.
    square = RouteLeg(path=((0.0, 0.0), (25.0, 0.0), (25.0, 25.0), (0.0, 25.0), (0.0, 0.0)),
                      spray=True)  # fmt: skip
    limits = SortieLimits(transit_speed_m_s=10.0, turn_time_s=4.0)
    legs = split_sorties([square], home=(0.0, 0.0), limits=limits, altitude_m=3.0)
    (flown,) = [leg for leg in legs if leg.action == Action.SPRAY]
    assert corner_turns(flown.path) == pytest.approx(1.5)
    assert sortie_time_s([flown], limits) == pytest.approx(100 / 5.0 + 1.5 * 4.0)
    # 26 s of battery: the ring (26 s) and the 4 s turn home do not fit, so two sorties;
    # counted without its corners (20 s + 4 s) the ring would have fitted in one.
    tight = SortieLimits(transit_speed_m_s=10.0, turn_time_s=4.0, flight_time_s=26.0)
    split = split_sorties([square], home=(0.0, 0.0), limits=tight, altitude_m=3.0)
    assert max(leg.sortie for leg in split) == 2


def test_a_tank_in_litres_needs_every_sprayed_legs_rate() -> None:
    with pytest.raises(ValueError, match="rate of every sprayed leg"):
        split_sorties(ROUTE, home=HOME, limits=SortieLimits(tank_l=2.0), altitude_m=3.0)
    with pytest.raises(ValueError, match="2 rates for 1"):
        split_sorties(ROUTE[:1], home=HOME, limits=SortieLimits(), altitude_m=3.0, rates=[LOW, LOW])
    with pytest.raises(ValueError, match="not both"):
        SortieLimits(tank_l=2.0, spray_length_m=100.0)
