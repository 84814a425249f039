"""A delivery's proof beyond its timeline: the payload's temperature log and its verdict
against the parcel's class (:mod:`logistics.cold_chain`)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.deps import CurrentUser
from api.logistics.temperature import temperature_log, temperature_summary
from api.routes.common import ProblemResponses
from api.routes.delivery_deps import DeliveriesDep, visible_delivery

_DeliveryId = Annotated[str, Path(description="The delivery's id (from its creation).")]

__all__ = ["ColdChainPublic", "router"]

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
