"""A scenario's timeline run on simulated time: which faults are due now.

:meth:`Timeline.update` is given the vehicle's state after each step of the flight
model; it notes when each entry's trigger first holds and hands back the entries whose
delay since then has passed (each once). Triggers look at where the vehicle really is
(``true_lat_deg``/``true_lon_deg``), not at its estimate.

"Airborne" is what the vehicle reports as its landed state: anything but on the ground.
"""

import shapely

from sim.scenarios.geometry import ScenarioGeometry
from sim.scenarios.model import Scenario, TimelineEntry, Trigger
from sim.state import CopterMode, VehicleState
from sim.wire import mavlink

__all__ = ["ON_GROUND", "Timeline", "is_airborne", "is_spraying"]

ON_GROUND = int(mavlink.MAV_LANDED_STATE_ON_GROUND)

_LATE_S = 1e-9


def is_airborne(state: VehicleState) -> bool:
    """The vehicle is off the ground (taking off, flying, landing or falling)."""
    return state.landed_state != ON_GROUND


def is_spraying(state: VehicleState) -> bool:
    """The pump is running and still switched on (whichever way it was started): a sprayer
    switched off during a step (by a failsafe, RTL, LAND) counts as off at its end."""
    switched_on = state.sprayer_on or state.servo_pump_pct > 0.0
    return switched_on and state.pump_pct > 0.0


class Timeline:
    """The entries of ``scenario``'s timeline not yet fired.

    Parameters
    ----------
    scenario
        Its timeline, field and zones.
    geometry
        The scenario's shapes (built from ``scenario`` when not given).
    """

    def __init__(self, scenario: Scenario, geometry: ScenarioGeometry | None = None) -> None:
        self.entries = scenario.timeline
        self._geometry = geometry or ScenarioGeometry.of(scenario)
        self._since: dict[int, float] = {}
        self._done: set[int] = set()
        self.fired: list[tuple[float, TimelineEntry]] = []
        """Each entry fired, with the simulated time it fired at, in order."""

    @property
    def pending(self) -> int:
        """How many entries have not fired yet."""
        return len(self.entries) - len(self.fired)

    def update(self, state: VehicleState) -> list[TimelineEntry]:
        """The entries due at ``state.time_s`` (each is handed back once)."""
        due = []
        for index, entry in enumerate(self.entries):
            if index in self._done:
                continue
            if index not in self._since and self._holds(entry, state):
                self._since[index] = 0.0 if entry.trigger == Trigger.START else state.time_s
            since = self._since.get(index)
            if since is not None and state.time_s >= since + entry.after_s - _LATE_S:
                due.append(entry)
                self._done.add(index)
                self.fired.append((state.time_s, entry))
        return due

    def _holds(self, entry: TimelineEntry, state: VehicleState) -> bool:
        trigger = entry.trigger
        if trigger == Trigger.START:
            return True
        if trigger == Trigger.SPRAYING:
            return is_spraying(state)
        if not is_airborne(state):
            return False
        if trigger == Trigger.TAKEOFF:
            return True
        if trigger == Trigger.AFTER_ITEM:
            assert entry.item is not None
            return state.mode == CopterMode.AUTO and state.mission_seq > entry.item
        x, y = self._geometry.xy(state.true_lat_deg, state.true_lon_deg)
        if trigger == Trigger.OVER_FIELD:
            return bool(shapely.contains_xy(self._geometry.field, x, y))
        assert entry.zone is not None  # NEAR_ZONE
        zone = self._geometry.no_spray[entry.zone]
        return bool(zone.distance(shapely.Point(x, y)) <= entry.within_m)
