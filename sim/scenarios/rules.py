"""The rules of the air and the field an exercise can break, found in its trace.

One :class:`Incident` for each spell of: ``no-fly`` being over a no-fly zone while
airborne; ``no-spray`` spraying within half a swath of a no-spray or no-fly zone;
``altitude`` higher than ``max_agl_m`` above home (the ground is taken as flat);
``spray-not-auto`` spraying in any mode but AUTO; ``spray-after-failsafe`` spraying while
a failsafe that acted (RTL, LAND, BRAKE, disarm) in the same flight is still in force (a
battery failsafe always is; a link failsafe ends when the link is back);
``spray-in-wind`` spraying longer than ``wind_grace_s`` in a wind (steady and gust) above
``max_spray_wind_m_s``; ``landing-away`` touching down farther than
``landing_tolerance_m`` from home and every rally point; ``not-landed`` still in the air
when the exercise ended. Positions are the vehicle's true ones, on the scenario's plane.
"""

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from sim.scenarios.geometry import ScenarioGeometry
from sim.scenarios.model import Scenario
from sim.scenarios.trace import FailsafeMark, Sample, Trace

__all__ = ["ACTED", "Incident", "incidents", "runs"]

ACTED = frozenset({"RTL", "LAND", "BRAKE", "disarm"})
"""The failsafe actions that did something (not "none", not "cleared")."""

XY = list[tuple[float, float]]


@dataclass(frozen=True, kw_only=True, slots=True)
class Incident:
    """Rule ``rule`` broken at simulated ``time_s``."""

    rule: str
    time_s: float
    detail: str


def runs(samples: tuple[Sample, ...], holds: Callable[[int], bool]) -> Iterator[tuple[int, int]]:
    """(first, last) index of each run of consecutive samples for which ``holds(i)``."""
    start = None
    for i in range(len(samples)):
        if holds(i):
            start = i if start is None else start
        elif start is not None:
            yield start, i - 1
            start = None
    if start is not None:
        yield start, len(samples) - 1


def incidents(
    trace: Trace, scenario: Scenario, geo: ScenarioGeometry, xy: XY
) -> tuple[Incident, ...]:
    """The rules ``trace`` broke, in time order (``xy``: each sample's east, north metres)."""
    rules, samples = scenario.scoring, trace.samples
    found: list[Incident] = []

    def each_run(rule: str, detail: str, holds: Callable[[int], bool]) -> None:
        for first, _ in runs(samples, holds):
            found.append(Incident(rule=rule, time_s=samples[first].time_s, detail=detail))

    near_m = rules.swath_m / 2.0
    for name, zone in geo.no_fly.items():
        each_run("no-fly", f"entered no-fly zone {name!r}", _inside(zone, samples, xy))
    for name, zone in geo.no_spray.items():
        kind = scenario.zone(name).kind
        each_run(
            "no-spray",
            f"sprayed onto {kind} zone {name!r}",
            _sprays_near(zone, near_m, samples, xy),
        )
    each_run(
        "altitude", f"higher than {rules.max_agl_m:g} m above the ground",
        lambda i: samples[i].alt_m > rules.max_agl_m,
    )  # fmt: skip
    each_run(
        "spray-not-auto", "sprayed while not in AUTO",
        lambda i: samples[i].spraying and samples[i].mode != "AUTO",
    )  # fmt: skip
    after = _after_failsafe(samples, trace.failsafes)
    each_run(
        "spray-after-failsafe", "sprayed after a failsafe in the same flight",
        lambda i: samples[i].spraying and after[i],
    )  # fmt: skip
    for first, last in runs(
        samples, lambda i: samples[i].spraying and samples[i].wind_m_s > rules.max_spray_wind_m_s
    ):
        if samples[last].time_s - samples[first].time_s > rules.wind_grace_s:
            found.append(
                Incident(
                    rule="spray-in-wind", time_s=samples[first].time_s,
                    detail=f"sprayed in wind above {rules.max_spray_wind_m_s:g} m/s for "
                    f"{samples[last].time_s - samples[first].time_s:.1f} s",
                )
            )  # fmt: skip
    found.extend(_landings(trace, scenario, geo, xy))
    if samples and samples[-1].airborne:
        found.append(
            Incident(
                rule="not-landed", time_s=samples[-1].time_s, detail="still in the air at the end"
            )
        )
    return tuple(sorted(found, key=lambda incident: incident.time_s))


def _inside(
    zone: BaseGeometry, samples: tuple[Sample, ...], xy: list[tuple[float, float]]
) -> Callable[[int], bool]:
    def holds(i: int) -> bool:
        return samples[i].airborne and bool(shapely.contains_xy(zone, *xy[i]))

    return holds


def _sprays_near(
    zone: BaseGeometry, near_m: float, samples: tuple[Sample, ...], xy: list[tuple[float, float]]
) -> Callable[[int], bool]:
    def holds(i: int) -> bool:
        return samples[i].spraying and zone.distance(shapely.Point(*xy[i])) < near_m

    return holds


def _after_failsafe(samples: tuple[Sample, ...], failsafes: tuple[FailsafeMark, ...]) -> list[bool]:
    """For each sample, whether a failsafe that acted in its flight is still in force (not
    logged as cleared since): spraying then is carrying on regardless."""
    events = sorted(failsafes, key=lambda f: f.time_s)
    flags: list[bool] = []
    active: set[str] = set()
    k = 0
    for i, s in enumerate(samples):
        if s.airborne and (i == 0 or not samples[i - 1].airborne):
            active = set()  # a new flight
        while k < len(events) and events[k].time_s <= s.time_s + 1e-9:
            event = events[k]
            if event.action in ACTED:
                active.add(event.kind)
            elif event.action == "cleared":
                active.discard(event.kind)
            k += 1
        flags.append(bool(active))
    return flags


def _landings(
    trace: Trace, scenario: Scenario, geo: ScenarioGeometry, xy: list[tuple[float, float]]
) -> Iterator[Incident]:
    tolerance = scenario.scoring.landing_tolerance_m
    home = geo.xy(trace.home_lat_deg, trace.home_lon_deg)
    safe = [home, *(geo.xy(lat, lon) for lat, lon in trace.rally)]
    samples = trace.samples
    for i in range(1, len(samples)):
        if samples[i - 1].airborne and not samples[i].airborne:
            x, y = xy[i]
            nearest = min(math.hypot(x - sx, y - sy) for sx, sy in safe)
            if nearest > tolerance:
                yield Incident(
                    rule="landing-away", time_s=samples[i].time_s,
                    detail=f"landed {nearest:.0f} m from home and the rally points",
                )  # fmt: skip
