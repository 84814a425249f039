"""Scenario files: TOML read into :class:`~sim.scenarios.model.Scenario`, each mistake named.

A scenario file (the built-in ones are in ``sim/scenarios/builtin/``)::

    name = "battery-mid-sortie"
    title = "Battery failsafe mid-sortie"
    briefing = "Fly the spray plan over field K2; at some point the battery will drop..."
    rally = [[34.9284, 134.8412]]            # optional: safe landing places, lat, lon

    [vehicle]                                # optional, all keys too
    home = [34.9283, 134.8414]               # lat, lon, as --home
    wind_m_s = 2.0                           # steady wind, blowing FROM wind_from_deg
    wind_from_deg = 270.0
    speedup = 1.0                            # a suggestion; --speedup wins
    ground_crew_s = 60.0                     # omit: nobody comes
    params = { BATT_LOW_MAH = 5500 }         # ArduPilot parameters set at start

    [field]
    name = "K2"
    ring = [[134.8415, 34.9285], ...]        # lon, lat (GeoJSON order), not closed

    [[zones]]                                # optional, repeatable
    name = "house"
    kind = "no-fly"                          # or "no-spray"
    ring = [[...], ...]

    [scoring]                                # optional: sim.scenarios.model.ScoringRules
    swath_m = 5.0
    coverage_target_pct = 40.0

    [[timeline]]                             # optional, repeatable; each fires once
    fault = "battery:22"                     # as sim.faults.parse_fault reads it
    when = "spraying"                        # start | takeoff | spraying | over_field | near_zone
    after_s = 20.0                           # simulated seconds after it first holds
    expect = "failsafe"                      # operator (default) | failsafe | none
    react_within_s = 15.0

Instead of ``when`` and ``after_s``, ``at = "takeoff+60s"`` says the same in one key;
``after_item = 8`` starts the clock once AUTO has flown past item 8; ``when =
"near_zone"`` needs ``zone = NAME`` and ``within_m``. Unknown keys are refused, so a
misspelt one is not silently ignored.
"""

import re
import tomllib
from collections.abc import Callable, Collection
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from sim.faults import parse_fault
from sim.params import COPTER_PARAMS
from sim.scenarios.model import (
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

__all__ = ["builtin_names", "load_scenario", "parse_scenario"]

_BUILTIN = "builtin"
_AT = re.compile(r"^\s*([a-z_]+)\s*(?:\+\s*([0-9]+(?:\.[0-9]*)?)\s*s?)?\s*$")
_PARAM_NAMES = frozenset(spec.name for spec in COPTER_PARAMS)
_TOP = {"name", "title", "briefing", "vehicle", "field", "zones", "rally", "scoring", "timeline"}
_VEHICLE = {"home", "wind_m_s", "wind_from_deg", "speedup", "ground_crew_s", "params"}
_FIELD = {"name", "ring"}
_ZONE = {"name", "kind", "ring"}
_ENTRY = {
    "fault", "at", "when", "after_s", "after_item", "zone", "within_m", "expect",
    "react_within_s",
}  # fmt: skip
_SCORING = set(ScoringRules.__dataclass_fields__)

T = TypeVar("T")


def builtin_names() -> list[str]:
    """The names of the built-in scenarios, sorted."""
    folder = resources.files("sim.scenarios").joinpath(_BUILTIN)
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name, or one read from a ``.toml`` file.

    Parameters
    ----------
    name_or_path
        A built-in name (``tanbo sim scenarios`` lists them) or a path to a TOML file.

    Raises
    ------
    ScenarioError
        No such built-in or file, the file is not TOML, or a key is missing, unknown or
        wrong; the message names the file and the key.
    """
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text:
        path = Path(name_or_path)
        try:
            content = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(f"scenario file {path}: {exc.strerror or exc}") from exc
        return parse_scenario(content, source=str(path))
    if text not in builtin_names():
        known = ", ".join(builtin_names())
        raise ScenarioError(f"no built-in scenario {text!r}; built in: {known} (or a FILE.toml)")
    resource = resources.files("sim.scenarios").joinpath(_BUILTIN, f"{text}.toml")
    return parse_scenario(resource.read_text(encoding="utf-8"), source="built-in")


def parse_scenario(content: str, *, source: str = "built-in") -> Scenario:
    """The scenario a TOML text describes.

    Raises
    ------
    ScenarioError
        Not TOML, or a key missing, unknown or wrong (named in the message).
    """
    where = "built-in scenario" if source == "built-in" else f"scenario file {source}"
    try:
        data = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}: not TOML: {exc}") from exc
    reader = _Reader(where)
    try:
        return reader.scenario(data, source)
    except ScenarioError:
        raise
    except (ValueError, TypeError) as exc:  # a value's own check, not tied to one key
        raise ScenarioError(f"{where}: {exc}") from exc


class _Reader:
    """Reads the tables of one file; every complaint names the file and the key."""

    def __init__(self, where: str) -> None:
        self.where = where

    def error(self, key: str, problem: str) -> ScenarioError:
        return ScenarioError(f"{self.where}: {key}: {problem}")

    def table(self, data: Any, key: str, known: Collection[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.error(key, "must be a table")
        for name in data:
            if name not in known:
                raise self.error(
                    f"{key}.{name}" if key else name,
                    f"unknown key (known: {', '.join(sorted(known))})",
                )
        return data

    def get(self, data: dict[str, Any], key: str, path: str, kind: type[T]) -> T:
        if key not in data:
            raise self.error(f"{path}{key}", "is missing")
        return self.check(data[key], f"{path}{key}", kind)

    def check(self, value: Any, key: str, kind: type[T]) -> T:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
            raise self.error(key, f"must be a {kind.__name__}, got {value!r}")
        return value

    def build(self, key: str, make: Callable[[], T]) -> T:
        try:
            return make()
        except (ValueError, KeyError) as exc:
            raise self.error(key, str(exc).strip("'\"")) from exc

    def scenario(self, data: dict[str, Any], source: str) -> Scenario:
        self.table(data, "", _TOP)
        name = self.get(data, "name", "", str)
        field = self.table(data.get("field"), "field", _FIELD)
        zones = data.get("zones", [])
        if not isinstance(zones, list):
            raise self.error("zones", "must be an array of tables ([[zones]])")
        timeline = data.get("timeline", [])
        if not isinstance(timeline, list):
            raise self.error("timeline", "must be an array of tables ([[timeline]])")
        scoring = self.table(data.get("scoring", {}), "scoring", _SCORING)
        rules = self.build(
            "scoring", lambda: ScoringRules(**{k: self.check(v, f"scoring.{k}", float)
                                               for k, v in scoring.items()})
        )  # fmt: skip
        return Scenario(
            name=name,
            title=self.get(data, "title", "", str),
            briefing=self.get(data, "briefing", "", str).strip(),
            field_name=self.get(field, "name", "field.", str),
            field=self.ring(field.get("ring"), "field.ring"),
            vehicle=self.vehicle(data.get("vehicle", {})),
            zones=tuple(self.zone(z, f"zones[{i}]") for i, z in enumerate(zones)),
            rally=tuple(self.point(p, f"rally[{i}]") for i, p in enumerate(data.get("rally", []))),
            timeline=tuple(self.entry(e, f"timeline[{i}]") for i, e in enumerate(timeline)),
            scoring=rules,
            source=source,
        )

    def point(self, value: Any, key: str) -> tuple[float, float]:
        if not (isinstance(value, list) and len(value) == 2):
            raise self.error(key, f"must be a pair of numbers, got {value!r}")
        first, second = (self.check(v, key, float) for v in value)
        return first, second

    def ring(self, value: Any, key: str) -> Ring:
        if value is None:
            raise self.error(key, "is missing")
        if not isinstance(value, list) or len(value) < 3:
            raise self.error(key, "must be a list of at least 3 [lon, lat] pairs")
        ring = tuple(self.point(p, f"{key}[{i}]") for i, p in enumerate(value))
        if ring[0] == ring[-1]:
            ring = ring[:-1]  # a closed ring, as GeoJSON writes it
        for i, (lon, lat) in enumerate(ring):
            if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
                raise self.error(f"{key}[{i}]", f"({lon}, {lat}) is not [lon, lat] in degrees")
        return ring

    def vehicle(self, data: Any) -> VehicleSetup:
        v = self.table(data, "vehicle", _VEHICLE)
        params = self.table(v.get("params", {}), "vehicle.params", _PARAM_NAMES)
        values = tuple(
            (name, self.check(value, f"vehicle.params.{name}", float))
            for name, value in params.items()
        )
        kwargs: dict[str, Any] = {"params": values}
        if "home" in v:
            kwargs["home_lat_deg"], kwargs["home_lon_deg"] = self.point(v["home"], "vehicle.home")
        for key in ("wind_m_s", "wind_from_deg", "speedup", "ground_crew_s"):
            if key in v:
                kwargs[key] = self.check(v[key], f"vehicle.{key}", float)
        return self.build("vehicle", lambda: VehicleSetup(**kwargs))

    def zone(self, data: Any, key: str) -> Zone:
        z = self.table(data, key, _ZONE)
        name = self.get(z, "name", f"{key}.", str)
        kind_text = self.get(z, "kind", f"{key}.", str)
        try:
            kind = ZoneKind(kind_text)
        except ValueError:
            known = ", ".join(ZoneKind)
            raise self.error(f"{key}.kind", f"{kind_text!r} is not one of {known}") from None
        ring = self.ring(z.get("ring"), f"{key}.ring")
        return self.build(key, lambda: Zone(name=name, kind=kind, ring=ring))

    def entry(self, data: Any, key: str) -> TimelineEntry:
        e = self.table(data, key, _ENTRY)
        spec = self.get(e, "fault", f"{key}.", str)
        fault = self.build(f"{key}.fault", lambda: parse_fault(spec))
        starts = [name for name in ("at", "when", "after_item") if name in e]
        if len(starts) != 1:
            raise self.error(key, "give exactly one of at, when, after_item")
        kwargs: dict[str, Any] = {"fault": fault}
        if "at" in e:
            if "after_s" in e:
                raise self.error(f"{key}.after_s", "goes with when, not with at")
            kwargs["trigger"], kwargs["after_s"] = self.at(e["at"], f"{key}.at")
        elif "when" in e:
            kwargs["trigger"] = self.trigger(self.check(e["when"], f"{key}.when", str), key)
        else:
            kwargs["trigger"] = Trigger.AFTER_ITEM
            kwargs["item"] = self.check(e["after_item"], f"{key}.after_item", int)
        for name in ("after_s", "within_m", "react_within_s"):
            if name in e:
                kwargs[name] = self.check(e[name], f"{key}.{name}", float)
        if "zone" in e:
            kwargs["zone"] = self.check(e["zone"], f"{key}.zone", str)
        if "expect" in e:
            text = self.check(e["expect"], f"{key}.expect", str)
            try:
                kwargs["expect"] = Expect(text)
            except ValueError:
                known = ", ".join(Expect)
                raise self.error(f"{key}.expect", f"{text!r} is not one of {known}") from None
        return self.build(key, lambda: TimelineEntry(**kwargs))

    def trigger(self, text: str, key: str) -> Trigger:
        try:
            trigger = Trigger(text)
        except ValueError:
            trigger = None
        if trigger is None or trigger == Trigger.AFTER_ITEM:
            known = ", ".join(t for t in Trigger if t != Trigger.AFTER_ITEM)
            raise self.error(f"{key}.when", f"{text!r} is not one of {known}")
        return trigger

    def at(self, value: Any, key: str) -> tuple[Trigger, float]:
        text = self.check(value, key, str)
        match = _AT.match(text)
        trigger = None
        if match is not None:
            try:
                trigger = Trigger(match.group(1))
            except ValueError:
                trigger = None
        if match is None or trigger in (None, Trigger.NEAR_ZONE, Trigger.AFTER_ITEM):
            raise self.error(
                key, f"{text!r} is not TRIGGER+SECONDS, e.g. 'takeoff+60s' or 'spraying+20s'"
            )
        assert trigger is not None
        return trigger, float(match.group(2) or 0.0)
