"""A scenario's briefing and an exercise's score as lines of plain text, for a terminal.

>>> from sim.scenarios import load_scenario
>>> briefing_lines(load_scenario("link-cut-field"))[0]
'Link cut over the field (link-cut-field)'
"""

from sim.scenarios.geometry import ScenarioGeometry
from sim.scenarios.model import Scenario
from sim.score import PARTS, Reaction, Score

__all__ = ["briefing_lines", "reaction_line", "score_lines"]


def briefing_lines(scenario: Scenario) -> list[str]:
    """The title, the briefing, and what the field and zones are."""
    geo = ScenarioGeometry.of(scenario)
    v = scenario.vehicle
    lines = [f"{scenario.title} ({scenario.name})", ""]
    lines += scenario.briefing.splitlines()
    lines.append("")
    lines.append(
        f"field {scenario.field_name}: {geo.field.area / 10_000:.2f} ha; "
        f"swath {scenario.scoring.swath_m:g} m; home {v.home_lat_deg:.6f},{v.home_lon_deg:.6f}"
    )
    for zone in scenario.zones:
        distance_m = geo.no_spray[zone.name].distance(geo.field)
        where = "touching the field" if distance_m < 0.5 else f"{distance_m:.0f} m from the field"
        lines.append(f"zone {zone.name!r}: {zone.kind}, {where}")
    wind = f"{v.wind_m_s:g} m/s from {v.wind_from_deg:g}°" if v.wind_m_s else "calm"
    lines.append(f"wind {wind}; the exercise is scored once the vehicle has landed and disarmed")
    return lines


def reaction_line(reaction: Reaction) -> str:
    """One fault, how it was reacted to, and its points."""
    autopilot = (
        "no failsafe"
        if reaction.autopilot_s is None
        else f"failsafe {reaction.autopilot_action} after {reaction.autopilot_s:.1f} s"
    )
    operator = (
        "operator: no reaction"
        if reaction.operator_s is None
        else f"operator: {reaction.operator_action} after {reaction.operator_s:.1f} s"
    )
    points = "not scored" if reaction.points is None else f"{reaction.points:.2f}"
    return (
        f"{reaction.fault} at {reaction.injected_s:.1f} s: {autopilot}; {operator} "
        f"(expects {reaction.expect} within {reaction.react_within_s:g} s) → {points}"
    )


def score_lines(score: Score) -> list[str]:
    """The total and its parts, the figures, each rule broken and each reaction."""
    parts = ", ".join(f"{name} {score.parts[name]:.1f}/{most:g}" for name, most in PARTS.items())
    lines = [f"score {score.total:.1f} / 100 ({parts})"]
    lines += list(score.notes)
    lines.append(
        f"covered {score.covered_m2:.0f} m² of {score.field_m2:.0f} m² "
        f"({score.covered_pct:.1f} %); overspray {score.overspray_outside_m2:.0f} m² outside "
        f"the field, {score.no_spray_m2:.0f} m² on no-spray zones"
    )
    landed = "landed" if score.landed else "not landed" if score.took_off else "never took off"
    lines.append(
        f"flight {score.flight_time_s:.0f} s, battery used {score.battery_used_pct:.0f} %, {landed}"
    )
    lines.append(f"rules broken: {len(score.rules_broken)}")
    lines += [f"  {i.time_s:.1f} s {i.rule}: {i.detail}" for i in score.rules_broken]
    lines.append(f"faults: {len(score.reactions)}")
    lines += [f"  {reaction_line(r)}" for r in score.reactions]
    return lines
