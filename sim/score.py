"""The score of an operator exercise: a pure function of its recorded :class:`Trace`.

What is measured (areas on the scenario's local plane, times in simulated seconds):

* **Area covered.** Each spell of spraying (consecutive samples with the pump on) is a
  line through the vehicle's true positions, widened to the scenario's swath (half each
  side, square ends: the spray starts and stops with the pump). ``covered_m2`` is that
  footprint inside the field, ``covered_pct`` its share of the field's area,
  ``overspray_outside_m2`` the footprint outside the field and ``no_spray_m2`` the
  footprint on the no-spray and no-fly zones.
* **Rules broken**: :mod:`sim.scenarios.rules` (one :class:`Incident` per spell).
* **Time to react** to each fault injected, from the injection to the operator's first
  reaction before that flight touched down: a mode change that no failsafe explains (one
  whose action was that mode, logged since the previous sample), or a disarm in the air
  (the vehicle still off the ground once disarmed) that no failsafe explains. Mode
  changes come over MAVLink from whichever ground station is connected (QGroundControl, MAVProxy,
  ``tanbo fly``), so they count as the operator's; the sprayer switched off does not
  count, nor does the disarm at touch-down. Separately, the autopilot's own reaction:
  the first failsafe of the kind the fault sets off (:data:`FAILSAFES_OF`) after it.

The total, out of 100, is the sum of four parts:

* coverage, 40 × min(1, covered_pct / coverage_target_pct);
* overspray, 15 × max(0, 1 − (overspray_outside_m2 + no_spray_m2) / allowance), the
  allowance being ``overspray_allowance_pct`` % of the field's area;
* rules, 30 × max(0, 1 − incidents / 3): 10 points for each rule broken;
* reactions, 15 × the mean of the scored faults' points (15 when none is scored). A
  fault expecting the *operator* earns 1 for a reaction within ``react_within_s``,
  falling linearly to 0 at three times that, and 0.5 when only the autopilot's failsafe
  acted; one expecting the *failsafe* earns 1 when the failsafe acted, or the operator
  chose RTL or LAND within ``react_within_s``, unless the operator then resumed AUTO in
  that flight (0); otherwise as an operator fault. A vehicle that never took off scores 0.
"""

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from sim.faults import FaultKind
from sim.scenarios.geometry import ScenarioGeometry
from sim.scenarios.model import Expect, Scenario
from sim.scenarios.rules import ACTED, Incident, incidents, runs
from sim.scenarios.trace import FaultMark, Sample, Trace
from sim.state import FailsafeKind

__all__ = [
    "FAILSAFES_OF",
    "PARTS",
    "Incident",
    "OperatorAction",
    "Reaction",
    "Score",
    "operator_actions",
    "score",
]

PARTS = {"coverage": 40.0, "overspray": 15.0, "rules": 30.0, "reactions": 15.0}
"""The four parts of the total and their most points."""

_POINTS_PER_RULE = 10.0

FAILSAFES_OF: dict[FaultKind, frozenset[str]] = {
    FaultKind.BATTERY: frozenset({FailsafeKind.BATTERY_LOW, FailsafeKind.BATTERY_CRITICAL}),
    FaultKind.LINK_CUT: frozenset({FailsafeKind.GCS}),
    FaultKind.GPS_LOSS: frozenset({FailsafeKind.EKF}),
    FaultKind.MOTOR: frozenset({FailsafeKind.CRASH}),
    FaultKind.GUST: frozenset({FailsafeKind.FENCE}),
}
"""The failsafes each kind of fault sets off (a gust only by blowing through a fence)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class OperatorAction:
    """Something only the operator does: a mode change (``"mode LAND"``) or ``"disarm"``."""

    time_s: float
    what: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Reaction:
    """How fault ``fault`` (injected at ``injected_s``) was reacted to: by the operator
    after ``operator_s`` seconds with ``operator_action``, and by the autopilot after
    ``autopilot_s`` with ``autopilot_action`` (None: no reaction); ``points`` 0..1
    (None: not scored)."""

    fault: str
    kind: str
    injected_s: float
    expect: str
    react_within_s: float
    operator_s: float | None
    operator_action: str | None
    autopilot_s: float | None
    autopilot_action: str | None
    points: float | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Score:
    """An exercise scored (see the module's description of each figure)."""

    scenario: str
    field_m2: float
    covered_m2: float
    covered_pct: float
    sprayed_m2: float
    overspray_outside_m2: float
    no_spray_m2: float
    flight_time_s: float
    battery_used_pct: float
    took_off: bool
    landed: bool
    rules_broken: tuple[Incident, ...]
    reactions: tuple[Reaction, ...]
    parts: dict[str, float]
    total: float
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The score as JSON-ready values (floats rounded to 3 decimals)."""
        rounded: dict[str, Any] = _rounded(asdict(self))
        return rounded


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def score(trace: Trace, scenario: Scenario, geometry: ScenarioGeometry | None = None) -> Score:
    """Score ``trace`` by ``scenario``'s field, zones and rules.

    Parameters
    ----------
    trace
        What was recorded (:class:`sim.scenarios.Exercise`), or a trace made up for a test.
    scenario
        The field, the zones and :class:`~sim.scenarios.ScoringRules`.
    geometry
        ``scenario``'s shapes, when already built.

    Returns
    -------
    Score
        The figures, the incidents, the reactions and the total out of 100.
    """
    geo = geometry or ScenarioGeometry.of(scenario)
    rules = scenario.scoring
    samples = trace.samples
    xy = [geo.xy(s.lat_deg, s.lon_deg) for s in samples]
    footprint = _footprint(samples, xy, rules.swath_m / 2.0)
    field_m2 = float(geo.field.area)
    covered = float(footprint.intersection(geo.field).area)
    zones = shapely.union_all(list(geo.no_spray.values()))
    outside = float(footprint.difference(geo.field).area)
    on_zones = float(footprint.intersection(zones).area) if geo.no_spray else 0.0
    took_off = any(s.airborne for s in samples)
    broken = incidents(trace, scenario, geo, xy)
    reactions = tuple(_reaction(trace, mark) for mark in trace.faults)
    covered_pct = 100.0 * covered / field_m2 if field_m2 > 0.0 else 0.0
    allowance_m2 = rules.overspray_allowance_pct / 100.0 * field_m2
    scored = [r.points for r in reactions if r.points is not None]
    parts = {
        "coverage": PARTS["coverage"] * min(1.0, covered_pct / rules.coverage_target_pct),
        "overspray": PARTS["overspray"] * max(0.0, 1.0 - (outside + on_zones) / allowance_m2),
        "rules": max(0.0, PARTS["rules"] - _POINTS_PER_RULE * len(broken)),
        "reactions": PARTS["reactions"] * (sum(scored) / len(scored) if scored else 1.0),
    }
    notes = []
    if not took_off:
        notes.append("the vehicle never took off: nothing to score")
        parts = dict.fromkeys(parts, 0.0)
    return Score(
        scenario=scenario.name,
        field_m2=field_m2,
        covered_m2=covered,
        covered_pct=covered_pct,
        sprayed_m2=float(footprint.area),
        overspray_outside_m2=outside,
        no_spray_m2=on_zones,
        flight_time_s=_flight_time_s(samples),
        battery_used_pct=_battery_used_pct(samples),
        took_off=took_off,
        landed=bool(samples) and took_off and not samples[-1].airborne,
        rules_broken=broken,
        reactions=reactions,
        parts=parts,
        total=sum(parts.values()),
        notes=tuple(notes),
    )


def _footprint(
    samples: tuple[Sample, ...], xy: list[tuple[float, float]], half_swath_m: float
) -> BaseGeometry:
    spells = []
    for first, last in runs(samples, lambda i: samples[i].spraying):
        line = LineString(xy[first : last + 1]) if last > first else None
        if line is not None and line.length > 0.0:
            spells.append(line.buffer(half_swath_m, cap_style="flat", join_style="round"))
    return shapely.union_all(spells) if spells else shapely.Polygon()


def _flight_time_s(samples: tuple[Sample, ...]) -> float:
    return sum(b.time_s - a.time_s for a, b in itertools.pairwise(samples) if a.airborne)


def _battery_used_pct(samples: tuple[Sample, ...]) -> float:
    first = next((i for i, s in enumerate(samples) if s.airborne), None)
    if first is None:
        return 0.0
    return samples[max(first - 1, 0)].battery_pct - samples[-1].battery_pct


def operator_actions(trace: Trace) -> list[OperatorAction]:
    """The operator's actions in ``trace``: mode changes no failsafe explains, and disarms
    in the air no failsafe explains (see the module's description)."""
    actions = []
    samples, failsafes = trace.samples, trace.failsafes
    for prev, cur in itertools.pairwise(samples):

        def explained(action: str, prev: Sample = prev, cur: Sample = cur) -> bool:
            return any(
                f.action == action and prev.time_s - 1e-6 < f.time_s <= cur.time_s + 1e-6
                for f in failsafes
            )

        if cur.mode != prev.mode and not explained(cur.mode):
            actions.append(OperatorAction(time_s=cur.time_s, what=f"mode {cur.mode}"))
        if prev.armed and not cur.armed and cur.airborne and not explained("disarm"):
            actions.append(OperatorAction(time_s=cur.time_s, what="disarm"))
    return actions


def _reaction(trace: Trace, mark: FaultMark) -> Reaction:
    t0 = mark.time_s
    samples = trace.samples
    touchdown = next(
        (b.time_s for a, b in itertools.pairwise(samples)
         if b.time_s >= t0 and a.airborne and not b.airborne),
        math.inf,
    )  # fmt: skip
    own = [a for a in operator_actions(trace) if t0 <= a.time_s <= touchdown]
    related = FAILSAFES_OF.get(FaultKind(mark.kind), frozenset())
    failsafe = next(
        (
            f
            for f in trace.failsafes
            if f.time_s >= t0 and f.kind in related and f.action != "cleared"
        ),
        None,
    )
    first = own[0] if own else None
    operator_s = None if first is None else first.time_s - t0
    acted = failsafe is not None and failsafe.action in ACTED
    points: float | None
    if mark.expect == Expect.NONE:
        points = None
    else:
        points = _timing_points(operator_s, mark.react_within_s)
        if operator_s is None and acted:
            points = 0.5
        if mark.expect == Expect.FAILSAFE:
            chose = any(
                a.what in ("mode RTL", "mode LAND") and a.time_s - t0 <= mark.react_within_s
                for a in own
            )
            if acted or chose:
                points = 0.0 if any(a.what == "mode AUTO" for a in own) else 1.0
    return Reaction(
        fault=mark.spec,
        kind=mark.kind,
        injected_s=t0,
        expect=str(mark.expect),
        react_within_s=mark.react_within_s,
        operator_s=operator_s,
        operator_action=None if first is None else first.what,
        autopilot_s=None if failsafe is None else failsafe.time_s - t0,
        autopilot_action=None if failsafe is None else failsafe.action,
        points=points,
    )


def _timing_points(reaction_s: float | None, within_s: float) -> float:
    """1 within ``within_s``, then down to 0 at three times that; 0 for no reaction."""
    if reaction_s is None:
        return 0.0
    if reaction_s <= within_s:
        return 1.0
    return max(0.0, 1.0 - (reaction_s - within_s) / (2.0 * within_s))
