"""Delivery requests, the places drones fly between, and the vehicles that fly.

Values only: validated on construction, frozen, in SI units with the unit in each name
(sizes of parcels and boxes in centimetres, as pharmacies measure them). Positions are
WGS84 (:class:`core.GeoPoint`); dispatch projects them into the local metric plane.

>>> item = Item(name="insulin pen", weight_kg=0.2, size_cm=(20, 10, 5),
...             temperature=TemperatureClass.COOL)
>>> TemperatureClass.COOL.range_c
(2.0, 8.0)
>>> fits_in((30, 20, 15), [item, item])
True
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.geo import GeoPoint
from logistics.errors import BadRequest
from mission_planner import PayloadRelease

__all__ = [
    "DeliveryRequest",
    "DeliveryVehicle",
    "Depot",
    "DropPoint",
    "DropPointKind",
    "Item",
    "Payer",
    "Recipient",
    "TemperatureClass",
    "TimeWindow",
    "fits_in",
]

SizeCm = tuple[float, float, float]


class TemperatureClass(StrEnum):
    """How a parcel must be kept on its way."""

    AMBIENT = "ambient"
    """Room temperature, 1–30 °C (室温 of the Japanese Pharmacopoeia)."""
    COOL = "cool"
    """2–8 °C: insulin, vaccines, most biologics."""
    FROZEN = "frozen"
    """−15 °C or colder (frozen food under Japan's Food Sanitation Act)."""

    @property
    def range_c(self) -> tuple[float, float]:
        """The temperatures the payload must stay within, °C."""
        return _RANGES_C[self]


_RANGES_C = {
    TemperatureClass.AMBIENT: (1.0, 30.0),
    TemperatureClass.COOL: (2.0, 8.0),
    TemperatureClass.FROZEN: (-40.0, -15.0),
}


class DropPointKind(StrEnum):
    """What kind of place a drop point is."""

    GARDEN = "garden"
    COMMUNITY_CENTRE = "community_centre"
    CLINIC = "clinic"
    PHARMACY = "pharmacy"
    OTHER = "other"


class Payer(StrEnum):
    """Who pays a delivery's fee."""

    PHARMACY = "pharmacy"
    RESIDENT = "resident"


def _positive(value: float, what: str) -> None:
    if not (math.isfinite(value) and value > 0):
        raise BadRequest(f"{what} must be a positive number, not {value:g}")


def _size(size_cm: SizeCm, what: str) -> None:
    if len(size_cm) != 3:
        raise BadRequest(f"{what} needs three sides in cm, not {len(size_cm)}")
    for side in size_cm:
        _positive(side, f"{what}'s sides")


def fits_in(box_cm: SizeCm, items: Sequence["Item"]) -> bool:
    """Whether the items go into a box: each fits turned as it best fits, and their volume
    together is no more than the box's (a packing test that stays on the safe side only
    for the volume: a pharmacist packs, Tanbo does not solve bin packing)."""
    box = sorted(box_cm)
    for item in items:
        if any(side > room for side, room in zip(sorted(item.size_cm), box, strict=True)):
            return False
    return sum(math.prod(i.size_cm) for i in items) <= math.prod(box_cm)


@dataclass(frozen=True, kw_only=True, slots=True)
class Item:
    """One thing to carry."""

    name: str
    weight_kg: float
    size_cm: SizeCm
    temperature: TemperatureClass = TemperatureClass.AMBIENT

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise BadRequest("an item needs a name")
        _positive(self.weight_kg, f"item {self.name!r}: weight_kg")
        _size(self.size_cm, f"item {self.name!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class TimeWindow:
    """When the recipient can take the parcel: the drone arrives no earlier, no later."""

    earliest: datetime
    latest: datetime

    def __post_init__(self) -> None:
        if self.earliest.tzinfo is None or self.latest.tzinfo is None:
            raise BadRequest("a time window needs times with a time zone")
        if self.latest <= self.earliest:
            raise BadRequest(f"the window ends ({self.latest}) before it starts ({self.earliest})")


@dataclass(frozen=True, kw_only=True, slots=True)
class Recipient:
    """Who receives: a resident known to the city identity, or a name and a phone number."""

    resident_id: str | None = None
    name: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        if self.resident_id is None and not (self.name and self.phone):
            raise BadRequest("a recipient needs a resident id, or a name and a phone number")


@dataclass(frozen=True, kw_only=True, slots=True)
class DeliveryRequest:
    """A pharmacy's request: what, for whom, to where, by when.

    ``window`` None means as soon as possible. All items share one temperature class: one
    box keeps one temperature, so a pharmacy splits a frozen and a cool parcel in two.
    """

    id: str
    pharmacy_id: str
    items: tuple[Item, ...]
    recipient: Recipient
    drop_point_id: str
    requested_at: datetime
    window: TimeWindow | None = None
    payer: Payer = Payer.PHARMACY

    def __post_init__(self) -> None:
        if not self.items:
            raise BadRequest(f"request {self.id}: no items")
        if self.requested_at.tzinfo is None:
            raise BadRequest(f"request {self.id}: requested_at needs a time zone")
        if self.payer is Payer.RESIDENT and self.recipient.resident_id is None:
            raise BadRequest(
                f"request {self.id}: a resident pays only as a resident known to the city "
                "identity (give recipient.resident_id), by confirming receipt"
            )
        classes = {i.temperature for i in self.items}
        if len(classes) > 1:
            names = ", ".join(sorted(c.value for c in classes))
            raise BadRequest(
                f"request {self.id}: items of {names}: one box keeps one temperature; "
                "split them into one request per class"
            )

    @property
    def weight_kg(self) -> float:
        """The items' weight together, kg."""
        return sum(i.weight_kg for i in self.items)

    @property
    def temperature(self) -> TemperatureClass:
        """The class every item shares."""
        return self.items[0].temperature


@dataclass(frozen=True, kw_only=True, slots=True)
class DropPoint:
    """A registered spot where a drone lands or lowers a parcel.

    ``clear_radius_m`` is the open ground around the spot as surveyed (no wires, trees or
    walls); ``approach_from_deg`` the bearing the drone must come in from, when the spot
    has only one safe approach (None: any).
    """

    id: str
    name: str
    location: GeoPoint
    kind: DropPointKind
    releases: tuple[PayloadRelease, ...]
    clear_radius_m: float
    approach_from_deg: float | None = None

    def __post_init__(self) -> None:
        if not self.releases:
            raise BadRequest(f"drop point {self.id}: no release method allowed")
        _positive(self.clear_radius_m, f"drop point {self.id}: clear_radius_m")
        if self.approach_from_deg is not None and not 0 <= self.approach_from_deg < 360:
            raise BadRequest(f"drop point {self.id}: approach_from_deg must be in [0, 360)")


@dataclass(frozen=True, kw_only=True, slots=True)
class Depot:
    """Where drones wait, charge and are loaded.

    ``battery_swap_s`` is the time to swap a battery and load the next parcel where the
    depot keeps charged spares; None where the drone recharges its own battery.
    """

    id: str
    name: str
    location: GeoPoint
    battery_swap_s: float | None = 300.0

    def __post_init__(self) -> None:
        if self.battery_swap_s is not None:
            _positive(self.battery_swap_s, f"depot {self.id}: battery_swap_s")


@dataclass(frozen=True, kw_only=True, slots=True)
class DeliveryVehicle:
    """A delivery drone as dispatch sees it.

    ``endurance_min`` is the empty vehicle's hover endurance on a full battery (the
    planner's energy check scales it for the payload); ``charge_min`` the time to charge
    a flat battery, used where the depot has no spares (pro rata of the energy used).
    """

    id: str
    depot_id: str
    payload_kg: float
    box_cm: SizeCm
    empty_kg: float
    endurance_min: float
    speed_m_s: float = 10.0
    cruise_altitude_m: float = 60.0
    releases: tuple[PayloadRelease, ...] = (PayloadRelease.WINCH,)
    insulated: bool = False
    """An insulated box with cold packs: the vehicle may carry cool and frozen parcels."""
    charge_min: float = 60.0

    def __post_init__(self) -> None:
        for name in ("payload_kg", "empty_kg", "endurance_min", "speed_m_s", "charge_min"):
            _positive(getattr(self, name), f"vehicle {self.id}: {name}")
        _size(self.box_cm, f"vehicle {self.id}'s box")
        if not self.releases:
            raise BadRequest(f"vehicle {self.id}: no release method")
