"""A field's yield forecast: AquaCrop's season for the field, corrected by the canopy its
images show, with the basis of the figure always stated. A farmer asks only about their own
fields; city staff about all."""

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from shapely.geometry.base import BaseGeometry

from api.accounts import Principal, Role
from api.agronomy import service, store
from api.agronomy.access import sees_everything, visible_field
from api.agronomy.forecasting import (
    PADDY_WATER,
    FieldOutlook,
    SeasonWeather,
    forecast_field,
    season_weather,
)
from api.agronomy.paddy_water import paddy_water
from api.deps import ServicesDep, require
from api.routes.common import ProblemResponses
from fields import geodesic_area_m2
from fields.agronomy.errors import NotEnoughData
from fields.agronomy.season_inputs import IrrigationSchedule, Rainfed, WaterManagement

__all__ = ["FieldForecastPublic", "router"]

router = APIRouter(prefix="/fields", tags=["agronomy"], responses=ProblemResponses)

Keepers = Annotated[Principal, Depends(require(Role.FARMER, Role.CITY_ADMIN))]


class Water(StrEnum):
    """How the paddy's water is run over the season."""

    PONDED = "ponded"
    RAINFED = "rainfed"


class FieldForecastPublic(BaseModel):
    """Expected yield of rough rice at 15 % moisture, and where the figure comes from."""

    field_id: str
    yield_t_ha: float
    yield_kg_10a: float = Field(description="The unit Japanese farmers use: 100 × t/ha.")
    production_t: float = Field(description="The whole field's expected grain, t.")
    heading: date
    harvest: date
    images_used: int = Field(description="Dated NDVI images over the field that corrected it.")
    basis: str
    weather: str
    water: str = Field(description="The water management the season ran with, and whence.")


@router.get(
    "/{field_id}/forecast", response_model=FieldForecastPublic, summary="A field's yield forecast"
)
def field_forecast(
    field_id: str,
    services: ServicesDep,
    caller: Keepers,
    transplanted: Annotated[
        date | None, Query(description="Transplanting date (default: the field's paddy's).")
    ] = None,
    year: Annotated[
        int | None,
        Query(ge=1900, le=2100, description="Season of aquacrop's shipped weather to run on."),
    ] = None,
    water: Annotated[
        Water,
        Query(description="Ponded (中干し, 落水; the paddy's record when it has one) or rainfed."),
    ] = Water.PONDED,
) -> FieldForecastPublic:
    """The season's expected yield, heading and harvest, corrected by the NDVI of the
    caller's dated images over the field (a farmer's own; all for staff). With a paddy under
    Tanbo's water control on the field, its transplanting date and, over a whole season, the
    water its inlet let in are used."""
    record = visible_field(services.engine, caller, field_id)
    owner = None if sees_everything(caller) else caller.account_id
    over, _ = store.list_images(services.engine, owner=owner, overlapping=record.geometry.bounds)
    points, _ = service.field_series(
        services.settings.data_dir, over, service.field_shape(record), "NDVI"
    )
    ndvi = [(p.image_date, p.stats.mean) for p in points if p.stats.has_data]
    paddy = paddy_water(services.engine, field_id)
    day = transplanted or (paddy.transplanted_on if paddy is not None else None)
    if day is None:
        raise NotEnoughData(
            f"field {field_id}: give transplanted; no paddy on it has a transplanting date"
        )
    weather = season_weather(day, year=year)
    management: WaterManagement = PADDY_WATER if water == Water.PONDED else Rainfed()
    how = f"{water.value} (as asked)"
    outlook = _outlook(field_id, record.geometry, weather, management, ndvi)
    recorded = water == Water.PONDED and paddy is not None and paddy.schedule is not None
    if recorded and paddy is not None and paddy.schedule and paddy.last_day is not None:
        drained = outlook.harvest - timedelta(days=_DRAINED_BEFORE_HARVEST_DAYS)
        harvested = services.clock.now().date() > outlook.harvest
        if harvested and paddy.last_day >= drained:
            shifted = IrrigationSchedule.from_mapping(
                {weather.to_weather_day(d): mm for d, mm in paddy.schedule.mm_by_day}
            )
            outlook = _outlook(field_id, record.geometry, weather, shifted, ndvi)
            how = (
                f"recorded: {paddy.schedule.total_mm:.0f} mm let in by paddy "
                f"{paddy.paddy_id}'s inlet"
            )
        else:
            how += (
                f"; paddy {paddy.paddy_id}'s inlet record ends {paddy.last_day}, before the "
                "season is over: the rest of the season follows the controller's ponded aim"
            )
    (zone,) = outlook.forecast.zones
    return FieldForecastPublic(
        field_id=field_id,
        yield_t_ha=round(outlook.forecast.yield_t_ha, 3),
        yield_kg_10a=round(outlook.forecast.yield_kg_10a, 1),
        production_t=round(outlook.forecast.production_t, 3),
        heading=outlook.heading,
        harvest=outlook.harvest,
        images_used=zone.forecast.correction.images_used if zone.forecast.correction else 0,
        basis=zone.forecast.basis,
        weather=outlook.weather_note,
        water=how,
    )


_DRAINED_BEFORE_HARVEST_DAYS = 25
"""A paddy is drained (落水) for its last weeks: a record reaching then, of a season already
harvested, covers the season."""


def _outlook(
    field_id: str,
    geometry: BaseGeometry,
    weather: SeasonWeather,
    water: WaterManagement,
    ndvi: list[tuple[date, float]],
) -> FieldOutlook:
    return forecast_field(field_id, geodesic_area_m2(geometry), weather, water=water, ndvi=ndvi)
