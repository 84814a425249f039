"""Drop points: no-fly zones, houses and roads, the approach, and the fleet's reach."""

import pytest

from logistics.drop_points import check_drop_point
from logistics.errors import DropPointRefused
from logistics.model import DeliveryVehicle
from mission_planner import PayloadRelease
from mission_planner.delivery import energy_used_fraction
from tests.logistics import scenario as s

VEHICLES = [s.vehicle("A")]


def _check(drop, vehicles=VEHICLES):  # type: ignore[no-untyped-def]
    return check_drop_point(drop, crs=s.CRS, zones=s.ZONES, depots=[s.DEPOT], vehicles=vehicles)


def test_a_garden_with_a_winch_is_accepted_with_its_reach() -> None:
    check = _check(s.DROPS["GARDEN"])
    (reach,) = check.reach
    assert reach.vehicle_id == "A"
    assert reach.route_m == pytest.approx(1500.0, rel=0.01)
    assert reach.max_payload_kg == 2.5  # the whole payload: 1.5 km is near
    assert check.permissions == ("dropping objects (物件投下)",)


def test_a_drop_point_inside_a_no_fly_zone_is_refused() -> None:
    drop = s.drop("HELI", s.offset(0, 2000))
    with pytest.raises(DropPointRefused, match="inside no-fly zone NF1"):
        _check(drop)


def test_landing_beside_a_house_is_refused_where_a_winch_is_not() -> None:
    # 4 m from the house's wall, 10 m from the road.
    landing = s.drop("L", s.GARDEN, PayloadRelease.LAND)
    with pytest.raises(DropPointRefused) as refused:
        _check(landing)
    assert refused.value.problems == ("land: 4.0 m from house H1, closer than the 10 m it needs",)
    assert _check(s.drop("W", s.GARDEN, PayloadRelease.WINCH)).reach


def test_too_little_open_ground_is_refused() -> None:
    with pytest.raises(DropPointRefused, match=r"1 m of open ground, less than the 1\.5 m"):
        _check(s.drop("W", s.GARDEN, PayloadRelease.WINCH, clear_m=1.0))


def test_an_approach_over_the_house_is_refused() -> None:
    over_house = s.drop("W", s.GARDEN, PayloadRelease.WINCH)
    east = type(over_house)(**{**_fields(over_house), "approach_from_deg": 90.0})
    west = type(over_house)(**{**_fields(over_house), "approach_from_deg": 270.0})
    with pytest.raises(DropPointRefused, match="approach from 90° crosses house H1"):
        _check(east)
    assert _check(west).reach


def test_a_drop_point_beyond_every_vehicles_range_is_refused() -> None:
    far = s.drop("FAR", s.offset(0, -30_000))
    with pytest.raises(
        DropPointRefused, match=r"out of range of every depot \(nearest HALL, 30.0 km\)"
    ):
        _check(far)


def test_the_heaviest_parcel_is_the_one_the_reserve_allows() -> None:
    far = s.drop("FAR", s.offset(0, -7_000))
    small = DeliveryVehicle(**{**_fields(s.vehicle("A")), "payload_kg": 5.0})
    (reach,) = _check(far, [small]).reach
    assert 0.0 < reach.max_payload_kg < 5.0

    def used(kg: float) -> float:
        return energy_used_fraction(
            reach.route_m, cruise_altitude_m=small.cruise_altitude_m,
            speed_m_s=small.speed_m_s, payload_kg=kg, vehicle_empty_kg=small.empty_kg,
            endurance_min=small.endurance_min,
        )  # fmt: skip

    assert used(reach.max_payload_kg) <= 0.75 < used(reach.max_payload_kg + 0.02)


def test_a_vehicle_without_a_release_the_drop_point_allows_does_not_reach_it() -> None:
    gripper_only = DeliveryVehicle(**{**_fields(s.vehicle("G")),
                                      "releases": (PayloadRelease.GRIPPER,)})  # fmt: skip
    with pytest.raises(DropPointRefused, match="no vehicle releasing by winch"):
        _check(s.DROPS["GARDEN"], [gripper_only])


def _fields(value: object) -> dict[str, object]:
    return {name: getattr(value, name) for name in value.__slots__}  # type: ignore[attr-defined]
