"""What a training scenario is: the vehicle set up, the field, the zones, the faults and when.

Values only, frozen and checked on construction; :mod:`sim.scenarios.loader` reads them
from TOML. Coordinates are WGS84 degrees, rings in GeoJSON order (lon, lat); the home is
given as the command line gives it (lat, lon).

::

    core.TanboError
    └── SimError
        └── ScenarioError      a scenario file that cannot be used (names the key)
"""

import math
from dataclasses import dataclass
from enum import StrEnum

from sim.errors import SimError
from sim.faults import Fault

__all__ = [
    "DEFAULT_MAX_AGL_M",
    "Expect",
    "Ring",
    "Scenario",
    "ScenarioError",
    "ScoringRules",
    "TimelineEntry",
    "Trigger",
    "VehicleSetup",
    "Zone",
    "ZoneKind",
]

DEFAULT_MAX_AGL_M = 150.0
"""Japan's Aviation Act: flying higher above the ground needs permission."""

Ring = tuple[tuple[float, float], ...]
"""A polygon's outer ring, (lon, lat) pairs in degrees, first point not repeated."""


class ScenarioError(SimError):
    """A scenario (file or built-in name) that cannot be used; the message names the key."""


class ZoneKind(StrEnum):
    """What a zone forbids."""

    NO_SPRAY = "no-spray"
    """Nothing may be sprayed onto it (a house, an organic field, a beehive)."""
    NO_FLY = "no-fly"
    """The vehicle may not enter it (and nothing may be sprayed onto it either)."""


class Trigger(StrEnum):
    """What starts a timeline entry's clock."""

    START = "start"
    """The simulator starts (simulated time 0)."""
    TAKEOFF = "takeoff"
    """The vehicle first leaves the ground."""
    SPRAYING = "spraying"
    """The pump first runs."""
    OVER_FIELD = "over_field"
    """The airborne vehicle is first over the field."""
    NEAR_ZONE = "near_zone"
    """The airborne vehicle first comes within ``within_m`` of zone ``zone``."""
    AFTER_ITEM = "after_item"
    """AUTO first flies beyond mission item ``item``."""


class Expect(StrEnum):
    """Who is expected to deal with a fault (how its reaction is scored)."""

    OPERATOR = "operator"
    """The operator: a mode change or a disarm, within ``react_within_s``."""
    FAILSAFE = "failsafe"
    """The autopilot's failsafe; the operator must not undo it (resume AUTO)."""
    NONE = "none"
    """Not scored (reported only)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Zone:
    """A named zone near the field."""

    name: str
    kind: ZoneKind
    ring: Ring

    def __post_init__(self) -> None:
        _check_ring(self.ring, f"zone {self.name!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class TimelineEntry:
    """Inject ``fault`` ``after_s`` simulated seconds after ``trigger`` first holds (once).

    ``zone``/``within_m`` go with :attr:`Trigger.NEAR_ZONE`, ``item`` with
    :attr:`Trigger.AFTER_ITEM`; ``react_within_s`` is the time the reaction expected
    (``expect``) has for full points.
    """

    fault: Fault
    trigger: Trigger
    after_s: float = 0.0
    zone: str | None = None
    within_m: float = 0.0
    item: int | None = None
    expect: Expect = Expect.OPERATOR
    react_within_s: float = 15.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.after_s) and self.after_s >= 0.0):
            raise ValueError(f"after_s {self.after_s} must be a finite number >= 0")
        if not (math.isfinite(self.react_within_s) and self.react_within_s > 0.0):
            raise ValueError(f"react_within_s {self.react_within_s} must be more than 0")
        if (self.trigger == Trigger.NEAR_ZONE) != (self.zone is not None):
            raise ValueError("zone goes with when = 'near_zone', and near_zone needs a zone")
        if not (math.isfinite(self.within_m) and self.within_m >= 0.0):
            raise ValueError(f"within_m {self.within_m} must be a finite number >= 0")
        if (self.trigger == Trigger.AFTER_ITEM) != (self.item is not None):
            raise ValueError("item goes with after_item, and after_item needs an item number")
        if self.item is not None and self.item < 1:
            raise ValueError(f"item {self.item} must be 1 or more (item 0 is home)")


@dataclass(frozen=True, kw_only=True, slots=True)
class VehicleSetup:
    """The simulated vehicle: where it stands, the weather, the crew, parameters to set."""

    home_lat_deg: float = 34.9283
    home_lon_deg: float = 134.8414
    wind_m_s: float = 0.0
    wind_from_deg: float = 0.0
    speedup: float = 1.0
    """A suggestion; ``--speedup`` overrides it."""
    ground_crew_s: float | None = None
    params: tuple[tuple[str, float], ...] = ()
    """ArduPilot parameters set before the exercise (name, value), e.g. FS_GCS_ENABLE 1."""

    def __post_init__(self) -> None:
        if not (-90.0 <= self.home_lat_deg <= 90.0 and -180.0 <= self.home_lon_deg <= 180.0):
            raise ValueError(f"home {self.home_lat_deg},{self.home_lon_deg} is not on Earth")
        if not (math.isfinite(self.wind_m_s) and self.wind_m_s >= 0.0):
            raise ValueError(f"wind {self.wind_m_s} m/s must be a finite number >= 0")
        if not 0.0 <= self.wind_from_deg <= 360.0:
            raise ValueError(f"wind direction {self.wind_from_deg} is outside 0..360")
        if not (math.isfinite(self.speedup) and self.speedup > 0.0):
            raise ValueError(f"speedup {self.speedup} must be a positive number")
        if self.ground_crew_s is not None and not self.ground_crew_s >= 0.0:
            raise ValueError(f"ground_crew_s {self.ground_crew_s} must be >= 0")


@dataclass(frozen=True, kw_only=True, slots=True)
class ScoringRules:
    """How the exercise is scored (see :mod:`sim.score`)."""

    swath_m: float = 5.0
    """Width the spray covers on the ground, m."""
    coverage_target_pct: float = 100.0
    """The share of the field that earns full coverage points (a failsafe mid-sortie
    leaves part of it unsprayed by design)."""
    overspray_allowance_pct: float = 10.0
    """Overspray (outside the field or on zones), as % of the field's area, that takes all
    the overspray points."""
    max_spray_wind_m_s: float = 3.0
    """MAFF's usual limit: no spraying in a stronger wind."""
    wind_grace_s: float = 10.0
    """Seconds of spraying in too strong a wind tolerated before it counts as a rule broken."""
    landing_tolerance_m: float = 10.0
    """A landing farther than this from home and every rally point is a landing away."""
    max_agl_m: float = DEFAULT_MAX_AGL_M

    def __post_init__(self) -> None:
        for name in ("swath_m", "coverage_target_pct", "overspray_allowance_pct", "max_agl_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f"{name} {value} must be a positive number")
        for name in ("max_spray_wind_m_s", "wind_grace_s", "landing_tolerance_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise ValueError(f"{name} {value} must be a finite number >= 0")
        if self.coverage_target_pct > 100.0:
            raise ValueError(f"coverage_target_pct {self.coverage_target_pct} is over 100")


@dataclass(frozen=True, kw_only=True, slots=True)
class Scenario:
    """An operator exercise: fly ``field`` with the vehicle ``vehicle`` while ``timeline``
    puts faults in; scored by ``scoring``."""

    name: str
    title: str
    briefing: str
    field_name: str
    field: Ring
    vehicle: VehicleSetup = VehicleSetup()
    zones: tuple[Zone, ...] = ()
    rally: tuple[tuple[float, float], ...] = ()
    """Extra places (lat, lon) a landing counts as safe, besides home and the vehicle's
    own rally points."""
    timeline: tuple[TimelineEntry, ...] = ()
    scoring: ScoringRules = ScoringRules()
    source: str = "built-in"
    """Where it was read from: "built-in" or the file's path."""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("name must not be empty")
        _check_ring(self.field, f"field {self.field_name!r}")
        names = [zone.name for zone in self.zones]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"zone name {name!r} is used twice")
        for entry in self.timeline:
            if entry.zone is not None and entry.zone not in names:
                raise ValueError(f"near_zone names zone {entry.zone!r}, which is not defined")

    def zone(self, name: str) -> Zone:
        """The zone called ``name``.

        Raises
        ------
        KeyError
            No zone has that name.
        """
        for zone in self.zones:
            if zone.name == name:
                return zone
        raise KeyError(name)


def _check_ring(ring: Ring, what: str) -> None:
    if len(ring) < 3:
        raise ValueError(f"{what} needs at least 3 corners, has {len(ring)}")
    for lon, lat in ring:
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise ValueError(f"{what}: ({lon}, {lat}) is not lon, lat in degrees")
