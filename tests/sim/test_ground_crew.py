"""The ground crew refills and swaps the battery of a vehicle standing disarmed."""

from sim import SimConfig, SimVehicle
from sim.state import BatteryLevel


def spent(vehicle: SimVehicle) -> None:
    vehicle.state.battery_mah = 15_000.0
    vehicle.state.tank_l = 1.5
    vehicle.state.battery_failsafe = BatteryLevel.LOW


def test_a_vehicle_standing_disarmed_is_refilled_and_given_a_fresh_battery() -> None:
    vehicle = SimVehicle(SimConfig(port=0, ground_crew_s=30.0))
    spent(vehicle)
    vehicle.flight.advance_to(29.0)
    assert vehicle.state.tank_l == 1.5
    assert vehicle.ground_crew.services == 0
    vehicle.flight.advance_to(31.0)
    s = vehicle.state
    assert s.tank_l == vehicle.config.airframe.tank_capacity_l
    assert s.battery_mah < 1.0  # the new pack, less the idle draw of a second
    assert s.battery_pct > 99.9
    assert s.battery_failsafe == BatteryLevel.NONE
    assert vehicle.ground_crew.services == 1
    vehicle.flight.advance_to(120.0)
    assert vehicle.ground_crew.services == 1  # nothing spent since: nothing to do


def test_no_crew_when_switched_off_or_while_armed() -> None:
    alone = SimVehicle(SimConfig(port=0, ground_crew_s=None))
    spent(alone)
    alone.flight.advance_to(600.0)
    assert alone.state.tank_l == 1.5
    armed = SimVehicle(SimConfig(port=0, ground_crew_s=1.0))
    spent(armed)
    armed.state.armed = True
    armed.flight.advance_to(60.0)
    assert armed.state.tank_l == 1.5
    assert armed.ground_crew.services == 0
