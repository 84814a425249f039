"""Flight-plan values: rated legs, and the product they release."""

import pytest

from mission_planner import Action, Leg, SprayRate
from tests.mission_planner import flight_plans as fp


def test_a_plans_product_is_read_off_its_rated_legs() -> None:
    plan = fp.variable_rate_spray()
    assert plan.product_by_zone_l == pytest.approx({"low": 0.125, "high": 0.25})
    assert plan.product_total_l == pytest.approx(0.375)
    assert fp.two_sortie_spray().product_by_zone_l == {}
    assert fp.two_sortie_spray().product_total_l == 0.0


def test_only_spray_legs_carry_a_rate_and_at_their_own_speed() -> None:
    with pytest.raises(ValueError, match="transit leg sprays no rate"):
        Leg(path=((0, 0), (1, 0)), action=Action.TRANSIT, sortie=1, altitude_m=3, speed_m_s=3,
            rate=fp.LOW)  # fmt: skip
    with pytest.raises(ValueError, match=r"its rate at 3\.0 m/s"):
        Leg(path=((0, 0), (1, 0)), action=Action.SPRAY, sortie=1, altitude_m=3, speed_m_s=4,
            rate=fp.LOW)  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        {"rate_l_ha": 0.0},
        {"speed_m_s": float("inf")},
        {"litres_per_m": -1.0},
        {"pump_pwm_us": 3000},
    ],
)
def test_a_spray_rate_that_makes_no_sense_is_refused(bad: dict[str, float]) -> None:
    good = {"zone": "z", "rate_l_ha": 10.0, "speed_m_s": 3.0, "litres_per_m": 0.005}
    with pytest.raises(ValueError, match="zone z"):
        SprayRate(**(good | bad))  # type: ignore[arg-type]
