"""A delivery beyond its timeline: where its drone is now, and the payload's temperature log
with its verdict against the parcel's class (:mod:`logistics.cold_chain`)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.deps import CurrentUser, ServicesDep
from api.errors import NotFound
from api.logistics.temperature import temperature_log, temperature_summary
from api.routes.common import ProblemResponses
from api.routes.delivery_deps import DeliveriesDep, visible_delivery
from api.routes.fleet_status import fleet_status
from logistics.lifecycle import DeliveryState

_DeliveryId = Annotated[str, Path(description="The delivery's id (from its creation).")]

__all__ = ["ColdChainPublic", "DronePosition", "router"]

router = APIRouter(prefix="/deliveries", tags=["deliveries"], responses=ProblemResponses)


class ReadingPublic(BaseModel):
    """One reading of the payload's temperature."""

    at: datetime
    temperature_c: float


class ExcursionPublic(BaseModel):
    """A spell out of the parcel's range longer than the tolerance."""

    start: datetime
    end: datetime
    worst_c: float
    minutes: float
    ongoing: bool = Field(description="The log ends out of range.")


class ColdChainPublic(BaseModel):
    """The payload's temperature log in figures, its excursions and its readings."""

    temperature: str = Field(description="The parcel's class: ambient, cool or frozen.")
    range_c: tuple[float, float]
    verdict: str = Field(description="in_range, excursion, or no_readings.")
    readings_count: int
    min_c: float | None
    max_c: float | None
    mean_c: float | None
    out_of_range_s: float = Field(description="Every spell out of range, spikes included.")
    excursions: list[ExcursionPublic]
    readings: list[ReadingPublic]


_AIRBORNE = frozenset(
    {DeliveryState.LOADING, DeliveryState.IN_FLIGHT, DeliveryState.ARRIVED,
     DeliveryState.RELEASED, DeliveryState.CONFIRMED}
)  # fmt: skip
"""From loading until the drone is back: the parcel's drone is the delivery's business."""


class DronePosition(BaseModel):
    """Where the drone carrying the parcel is, as its telemetry says now."""

    vehicle: str
    lat_deg: float
    lon_deg: float
    alt_rel_m: float | None = Field(None, description="Height above its depot, m.")
    heading_deg: float | None = None
    groundspeed_m_s: float | None = None
    mode: str | None = None
    heard_s_ago: float | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"vehicle": "SIM-DELIVERY-1", "lat_deg": 34.9301, "lon_deg": 134.8452,
                 "alt_rel_m": 60.0, "heading_deg": 84.0, "groundspeed_m_s": 10.0,
                 "mode": "AUTO", "heard_s_ago": 0.3}
            ]
        }
    }  # fmt: skip


@router.get(
    "/{delivery_id}/position",
    response_model=DronePosition,
    summary="Where a delivery's drone is now",
)
def delivery_position(
    delivery_id: _DeliveryId, service: DeliveriesDep, caller: CurrentUser, services: ServicesDep
) -> DronePosition:
    """The drone carrying the parcel, from its loading until it is back at its depot, for
    whoever may see the delivery (the pharmacy, the resident, the crew); 404 when no drone
    carries it or none is heard now."""
    delivery = visible_delivery(service, caller, delivery_id)
    vehicle = delivery.trip.vehicle_id if delivery.trip else None
    if delivery.state not in _AIRBORNE or vehicle is None:
        raise NotFound(f"delivery {delivery.id} is {delivery.state.value}: no drone carries it")
    heard = next((v for v in fleet_status(services)["vehicles"]
                  if v["registration"] == vehicle), None)  # fmt: skip
    if heard is None or not heard.get("connected") or heard.get("lat_deg") is None:
        raise NotFound(f"delivery {delivery.id}: its drone {vehicle} is not heard here now")
    return DronePosition(
        vehicle=vehicle, lat_deg=heard["lat_deg"], lon_deg=heard["lon_deg"],
        alt_rel_m=heard.get("alt_rel_m"), heading_deg=heard.get("heading_deg"),
        groundspeed_m_s=heard.get("groundspeed_m_s"), mode=heard.get("mode"),
        heard_s_ago=heard.get("heard_s_ago"),
    )  # fmt: skip


@router.get(
    "/{delivery_id}/temperature",
    response_model=ColdChainPublic,
    summary="A delivery's payload temperature log",
)
def delivery_temperature(
    delivery_id: _DeliveryId, service: DeliveriesDep, caller: CurrentUser
) -> ColdChainPublic:
    """The payload sensor's readings for the delivery, and whether the parcel stayed in its
    class's range (a spell out of it longer than two minutes is an excursion)."""
    delivery = visible_delivery(service, caller, delivery_id)
    summary = temperature_summary(service.engine, delivery.id)
    log = temperature_log(service.engine, delivery.id)
    return ColdChainPublic(
        temperature=summary.temperature.value, range_c=summary.temperature.range_c,
        verdict=summary.verdict.value, readings_count=summary.readings, min_c=summary.min_c,
        max_c=summary.max_c, mean_c=summary.mean_c, out_of_range_s=summary.out_of_range_s,
        excursions=[
            ExcursionPublic(start=e.start, end=e.end, worst_c=e.worst_c, minutes=e.minutes,
                            ongoing=e.ongoing)
            for e in summary.excursions
        ],
        readings=[ReadingPublic(at=r.at, temperature_c=r.temperature_c) for r in log],
    )  # fmt: skip
