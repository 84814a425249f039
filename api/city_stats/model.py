"""The facts the city's figures are added up from, and the figures themselves.

Each fact is one record already placed in a month and a district and attributed to a
*party* — the farmer (account) whose work it was, the recipient of a delivery, or, for a
flight of no known mission, its pilot. Parties are never shown; they are counted, so that
open data can leave out any figure built from too few of them (:mod:`.suppress`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from api.city_stats.months import Month

__all__ = [
    "AlertRaised",
    "Cell",
    "DamEpisode",
    "DeliveryDone",
    "DeliveryOutcome",
    "FlightDone",
    "Group",
    "WaterUse",
    "WorkDone",
    "WorkKind",
]


class WorkKind(StrEnum):
    """What a completed mission did over its fields."""

    SPRAY = "spray"
    SURVEY = "survey"


class DeliveryOutcome(StrEnum):
    """How a delivery ended: made (confirmed), failed, or flown back to the pharmacy."""

    MADE = "made"
    FAILED = "failed"
    RETURNED = "returned"


class Group(StrEnum):
    """Figures made from the same records, and so from the same parties."""

    SPRAY = "spray"
    SURVEY = "survey"
    FLIGHTS = "flights"
    DELIVERIES_MADE = "deliveries_made"
    DELIVERIES_FAILED = "deliveries_failed"
    DELIVERIES_RETURNED = "deliveries_returned"
    WATER = "water"
    PADDY_DAM = "paddy_dam"
    ALERTS = "alerts"


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkDone:
    """One field of one completed mission: its registered area, once per completion."""

    month: Month
    district: str
    kind: WorkKind
    area_ha: float
    party: str


@dataclass(frozen=True, kw_only=True, slots=True)
class FlightDone:
    """One finished flight (飛行日誌 entry)."""

    month: Month
    district: str
    flight_h: float
    party: str
    simulated: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class DeliveryDone:
    """One delivery that ended in the month."""

    month: Month
    district: str
    outcome: DeliveryOutcome
    party: str


@dataclass(frozen=True, kw_only=True, slots=True)
class WaterUse:
    """One paddy's water in one month.

    ``flooding_need_m3`` is what a continuously flooded paddy of the same area would have
    taken on the days the paddy was watched (None: no figure to compare with).
    """

    month: Month
    district: str
    party: str
    inlet_m3: float
    watched_days: int
    flooding_need_m3: float | None


@dataclass(frozen=True, kw_only=True, slots=True)
class DamEpisode:
    """One 田んぼダム episode of one paddy, counted in the month it began."""

    month: Month
    district: str
    party: str
    stored_m3: float
    """Storm water held: the rise of the level during the episode over the paddy's area."""
    hours: float


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertRaised:
    """One paddy alert the controller raised."""

    month: Month
    district: str
    party: str
    kind: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Cell:
    """Every figure of one district in one month."""

    month: Month
    district: str
    sprayed_ha: float = 0.0
    surveyed_ha: float = 0.0
    sprayed_fields: int = 0
    """Fields sprayed, counted once per completed mission (a field sprayed twice: 2)."""
    surveyed_fields: int = 0
    flights: int = 0
    flight_h: float = 0.0
    simulated_flights: int = 0
    deliveries_made: int = 0
    deliveries_failed: int = 0
    deliveries_returned: int = 0
    inlet_water_m3: float = 0.0
    watched_paddy_days: int = 0
    flooding_need_m3: float | None = None
    """What continuous flooding would have taken on the watched days of the paddies that
    have a comparison; None when none has."""
    water_saved_m3: float | None = None
    """``flooding_need_m3`` less the inlet water of those same paddies (negative: more was
    let in); None when no paddy has a comparison."""
    paddy_dam_storage_m3: float = 0.0
    paddy_dam_h: float = 0.0
    alerts: Mapping[str, int] = field(default_factory=dict)
    """Paddy alerts by kind."""
    parties: Mapping[Group, frozenset[str]] = field(default_factory=dict)
    """Who each group of figures is made from (never shown)."""

    @property
    def alert_count(self) -> int:
        """Paddy alerts of every kind."""
        return sum(self.alerts.values())

    def parties_of(self, group: Group) -> frozenset[str]:
        """The distinct parties a group of figures is made from."""
        return self.parties.get(group, frozenset())
