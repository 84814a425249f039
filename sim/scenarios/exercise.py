"""A scenario run on a simulated vehicle: set it up, fire the timeline, record.

    vehicle = SimVehicle(scenario_config(scenario, port=5760))
    exercise = Exercise(scenario, vehicle)  # parameters set, hooks on the flight model
    ...                                     # the vehicle runs; an operator flies it
    if exercise.over:
        print(score(exercise.trace(), scenario))  # sim.score

Everything happens after each step of the vehicle's flight model
(:attr:`~sim.flight.FlightController.after_step`), on simulated time, whatever the
speedup: the timeline's faults go in at the step they are due (through the vehicle's
fault injector, as :meth:`SimVehicle.inject` would, without catching up on the wall
clock in the middle of a step), then the recorder samples.
"""

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from sim.config import SimConfig
from sim.endpoint import SimVehicle
from sim.faults import Fault
from sim.mission_items import MissionKind
from sim.scenarios.geometry import ScenarioGeometry
from sim.scenarios.model import Expect, Scenario, TimelineEntry
from sim.scenarios.timeline import Timeline
from sim.scenarios.trace import FailsafeMark, Recorder, Trace, fault_marks

__all__ = ["DEFAULT_REACTION", "Exercise", "scenario_config"]

DEFAULT_REACTION = (Expect.OPERATOR, 15.0)
"""What is expected of a fault an instructor puts in by hand (``tanbo sim fault``)."""

logger = logging.getLogger(__name__)


def scenario_config(scenario: Scenario, base: SimConfig | None = None, **changes: Any) -> SimConfig:
    """``base`` (the default config when None) with the scenario's home, wind and crew, and
    ``changes`` on top (e.g. ``port``, ``speedup``)."""
    v = scenario.vehicle
    config = dataclasses.replace(
        base or SimConfig(),
        home_lat_deg=v.home_lat_deg,
        home_lon_deg=v.home_lon_deg,
        wind_m_s=v.wind_m_s,
        wind_from_deg=v.wind_from_deg,
        speedup=v.speedup,
        ground_crew_s=v.ground_crew_s,
    )
    return dataclasses.replace(config, **changes)


class Exercise:
    """``scenario`` run on ``vehicle``: its parameters set now, its timeline and a recorder
    stepped with the vehicle from now on.

    Parameters
    ----------
    scenario
        What to set up, fire and score.
    vehicle
        A vehicle configured for it (:func:`scenario_config`), started or not.
    on_fire
        Told of each timeline fault as it goes in (e.g. to print it).
    """

    def __init__(
        self,
        scenario: Scenario,
        vehicle: SimVehicle,
        on_fire: Callable[[float, Fault], None] | None = None,
    ) -> None:
        self.scenario = scenario
        self.vehicle = vehicle
        for name, value in scenario.vehicle.params:
            vehicle.params.set(name, value)
        self.geometry = ScenarioGeometry.of(scenario)
        self.timeline = Timeline(scenario, self.geometry)
        self.recorder = Recorder(vehicle.state, lambda: vehicle.flight.wind_now().speed_m_s)
        self._on_fire = on_fire
        self._expected: dict[tuple[float, str], tuple[Expect, float]] = {}
        self.recorder.update()
        vehicle.flight.after_step.append(self._after_step)

    def _after_step(self, dt_s: float) -> None:
        state = self.vehicle.state
        for entry in self.timeline.update(state):
            self._fire(entry)
        self.recorder.update(dt_s)

    def _fire(self, entry: TimelineEntry) -> None:
        time_s = self.vehicle.state.time_s
        try:
            self.vehicle.faults.inject(entry.fault)
        except ValueError as exc:  # a motor the frame does not have: say so, go on
            logger.warning("scenario %s: %s not injected: %s", self.scenario.name, entry, exc)
            return
        self._expected[(time_s, entry.fault.spec)] = (entry.expect, entry.react_within_s)
        if self._on_fire is not None:
            self._on_fire(time_s, entry.fault)

    @property
    def over(self) -> bool:
        """The vehicle has flown and stands disarmed on the ground again."""
        return self.recorder.landed_after_flying

    def trace(self) -> Trace:
        """What has been recorded so far."""
        v, state = self.vehicle, self.vehicle.state
        rally = tuple(self.scenario.rally) + tuple(
            (item.x / 1e7, item.y / 1e7)
            for item in v.missions.items(MissionKind.RALLY)
            if item.x or item.y
        )
        return Trace(
            home_lat_deg=v.config.home_lat_deg,
            home_lon_deg=v.config.home_lon_deg,
            samples=self.recorder.finish(),
            faults=fault_marks(state.fault_log, self._expected, DEFAULT_REACTION),
            failsafes=tuple(FailsafeMark.of(event) for event in state.failsafe_log),
            rally=rally,
            end_s=state.time_s,
        )
