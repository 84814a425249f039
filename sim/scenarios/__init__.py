"""Operator training: scenarios flown on the simulator, their faults on a timeline, a score.

A scenario (:class:`Scenario`, read from TOML by :func:`load_scenario`; a few are built
in, listed by :func:`builtin_names`) sets up one vehicle, names the field to spray and
the zones to keep off, and says which faults go in and when. :class:`Exercise` runs it
on a :class:`~sim.SimVehicle` on simulated time and records a :class:`Trace`, which
:func:`sim.score.score` turns into a score.
"""

from sim.scenarios.exercise import DEFAULT_REACTION, Exercise, scenario_config
from sim.scenarios.geometry import ScenarioGeometry, local_polygon
from sim.scenarios.loader import builtin_names, load_scenario, parse_scenario
from sim.scenarios.model import (
    DEFAULT_MAX_AGL_M,
    Expect,
    Ring,
    Scenario,
    ScenarioError,
    ScoringRules,
    TimelineEntry,
    Trigger,
    VehicleSetup,
    Zone,
    ZoneKind,
)
from sim.scenarios.report import briefing_lines, reaction_line, score_lines
from sim.scenarios.rules import ACTED, Incident, incidents, runs
from sim.scenarios.timeline import ON_GROUND, Timeline, is_airborne, is_spraying
from sim.scenarios.trace import (
    SAMPLE_PERIOD_S,
    FailsafeMark,
    FaultMark,
    Recorder,
    Sample,
    Trace,
    fault_marks,
)

__all__ = [
    "ACTED",
    "DEFAULT_MAX_AGL_M",
    "DEFAULT_REACTION",
    "ON_GROUND",
    "SAMPLE_PERIOD_S",
    "Exercise",
    "Expect",
    "FailsafeMark",
    "FaultMark",
    "Incident",
    "Recorder",
    "Ring",
    "Sample",
    "Scenario",
    "ScenarioError",
    "ScenarioGeometry",
    "ScoringRules",
    "Timeline",
    "TimelineEntry",
    "Trace",
    "Trigger",
    "VehicleSetup",
    "Zone",
    "ZoneKind",
    "briefing_lines",
    "builtin_names",
    "fault_marks",
    "incidents",
    "is_airborne",
    "is_spraying",
    "load_scenario",
    "local_polygon",
    "parse_scenario",
    "reaction_line",
    "runs",
    "scenario_config",
    "score_lines",
]
