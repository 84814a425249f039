"""A field's yield forecast: AquaCrop's season for the field, corrected by the canopy its
images show, with the basis of the figure always stated; per management zone when asked,
and with and without a stored prescription's nitrogen. A farmer asks only about their own
fields and prescriptions; city staff about all."""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from shapely.geometry.base import BaseGeometry

from api.accounts import Principal, Role
from api.agronomy import service, store
from api.agronomy.access import (
    sees_everything,
    visible_field,
    visible_image,
    visible_prescription,
)
from api.agronomy.forecasting import (
    PADDY_WATER,
    FieldOutlook,
    SeasonWeather,
    forecast_field,
    season_weather,
)
from api.agronomy.paddy_water import paddy_water
from api.agronomy.store import StoredImage
from api.deps import Services, ServicesDep, require
from api.routes.common import ProblemResponses
from fields import FieldRecord, geodesic_area_m2
from fields.agronomy.errors import BadPrescription, NotEnoughData
from fields.agronomy.model import ZoneMap
from fields.agronomy.season_inputs import IrrigationSchedule, Rainfed, WaterManagement

__all__ = ["FieldForecastPublic", "ZoneForecastPublic", "router"]

router = APIRouter(prefix="/fields", tags=["agronomy"], responses=ProblemResponses)

Keepers = Annotated[Principal, Depends(require(Role.FARMER, Role.CITY_ADMIN))]


class Water(StrEnum):
    """How the paddy's water is run over the season."""

    PONDED = "ponded"
    RAINFED = "rainfed"


class ZoneForecastPublic(BaseModel):
    """One management zone's expected yield, and with the prescription's N when one is given."""

    zone: int = Field(description="The zone's number: 1 has the lowest index.")
    area_ha: float
    yield_t_ha: float
    yield_kg_10a: float
    extra_n_kg_ha: float | None = Field(
        description="N the prescription gives the zone, kg N/ha (null without one)."
    )
    with_prescription_t_ha: float | None
    with_prescription_kg_10a: float | None
    basis: str


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
    zones: list[ZoneForecastPublic] = Field(
        description="Per management zone, when zones or a prescription were asked for; the "
        "field's figures are then their area-weighted mean. Empty otherwise."
    )
    zones_from: str | None = Field(
        description="The image or prescription the zones come from (null: the field as one)."
    )
    with_prescription_t_ha: float | None = Field(
        description="The field's expected yield with the prescription's N (null without one)."
    )
    with_prescription_kg_10a: float | None
    prescription_basis: str | None = Field(
        description="The nitrogen response the prescription's effect rests on."
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class _Zoning:
    """The zones a forecast runs on, the N a prescription adds to each, and whence both."""

    zone_map: ZoneMap | None = None
    extra_n_kg_ha: dict[int, float] | None = None
    source: str | None = None


_ZoneCount = Annotated[
    int | None,
    Query(
        ge=1,
        le=10,
        description="Forecast per management zone: how many zones to aim for, zoned by NDVI "
        "as GET /fields/{field_id}/zones does (default 3 when image_id or min_zone_area_m2 "
        "is given; without any of the three, the field as one).",
    ),
]
_ZoneImage = Annotated[
    str | None,
    Query(
        description="The image to zone (default: the newest dated image over the field "
        "with a clear view of it)."
    ),
]
_MinZoneArea = Annotated[
    float | None,
    Query(ge=0, le=1_000_000, description="Smaller patches join a neighbour (default 200)."),
]
_Prescription = Annotated[
    str | None,
    Query(
        description="A stored prescription of this field (POST /prescriptions): the forecast "
        "runs on its zones, with and without its N. Not with zones, image_id or "
        "min_zone_area_m2: the prescription brings its zones."
    ),
]
_BaseN = Annotated[
    float,
    Query(
        ge=0,
        le=1000,
        description="N the field gets anyway, kg N/ha (basal); the prescription's comes on top.",
    ),
]


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
    zones: _ZoneCount = None,
    image_id: _ZoneImage = None,
    min_zone_area_m2: _MinZoneArea = None,
    prescription: _Prescription = None,
    base_n_kg_ha: _BaseN = 60.0,
) -> FieldForecastPublic:
    """The season's expected yield, heading and harvest, corrected by the NDVI of the
    caller's dated images over the field (a farmer's own; all for staff). With a paddy under
    Tanbo's water control on the field, its transplanting date and, over a whole season, the
    water its inlet let in are used. With zones, each management zone is forecast on its own
    NDVI; with a prescription, on the prescription's zones, without and with its N."""
    record = visible_field(services.engine, caller, field_id)
    zone_asked = (zones, image_id, min_zone_area_m2) != (None, None, None)
    zoning = _Zoning()
    if prescription is not None:  # checked before the images are read: it may be refused
        zoning = _prescribed(services, caller, field_id, prescription, zone_asked=zone_asked)
    owner = None if sees_everything(caller) else caller.account_id
    over, _ = store.list_images(services.engine, owner=owner, overlapping=record.geometry.bounds)
    points, _ = service.field_series(
        services.settings.data_dir, over, service.field_shape(record), "NDVI"
    )
    ndvi = [(p.image_date, p.stats.mean) for p in points if p.stats.has_data]
    if zone_asked:
        clear = [p.image for p in points if p.stats.has_data]
        zoning = _zoned(
            services,
            caller,
            record,
            image_id=image_id,
            newest=clear[-1] if clear else None,
            n_zones=zones or 3,
            min_zone_area_m2=200.0 if min_zone_area_m2 is None else min_zone_area_m2,
        )
    paddy = paddy_water(services.engine, field_id)
    day = transplanted or (paddy.transplanted_on if paddy is not None else None)
    if day is None:
        raise NotEnoughData(
            f"field {field_id}: give transplanted; no paddy on it has a transplanting date"
        )
    weather = season_weather(day, year=year)
    management: WaterManagement = PADDY_WATER if water == Water.PONDED else Rainfed()
    how = f"{water.value} (as asked)"
    season = _Season(
        field_id=field_id,
        geometry=record.geometry,
        weather=weather,
        ndvi=ndvi,
        zoning=zoning,
        base_n_kg_ha=base_n_kg_ha,
    )
    outlook = season.outlook(management)
    recorded = water == Water.PONDED and paddy is not None and paddy.schedule is not None
    if recorded and paddy is not None and paddy.schedule and paddy.last_day is not None:
        drained = outlook.harvest - timedelta(days=_DRAINED_BEFORE_HARVEST_DAYS)
        harvested = services.clock.now().date() > outlook.harvest
        if harvested and paddy.last_day >= drained:
            shifted = IrrigationSchedule.from_mapping(
                {weather.to_weather_day(d): mm for d, mm in paddy.schedule.mm_by_day}
            )
            outlook = season.outlook(shifted)
            how = (
                f"recorded: {paddy.schedule.total_mm:.0f} mm let in by paddy "
                f"{paddy.paddy_id}'s inlet"
            )
        else:
            how += (
                f"; paddy {paddy.paddy_id}'s inlet record ends {paddy.last_day}, before the "
                "season is over: the rest of the season follows the controller's ponded aim"
            )
    return _public(outlook, water=how, zoning=zoning)


_DRAINED_BEFORE_HARVEST_DAYS = 25
"""A paddy is drained (落水) for its last weeks: a record reaching then, of a season already
harvested, covers the season."""


def _prescribed(
    services: Services, caller: Principal, field_id: str, prescription_id: str, *, zone_asked: bool
) -> _Zoning:
    """The prescription's zones and the N it adds to each, if the caller may see it and it
    is the field's.

    Raises
    ------
    NotFound
        No such prescription, or another farmer's.
    BadPrescription
        It is another field's.
    ValueError
        Zones were asked for too: the prescription brings its own.
    """
    if zone_asked:
        raise ValueError(
            "a prescription brings its own zones: leave out zones, image_id and min_zone_area_m2"
        )
    rx = visible_prescription(services.engine, caller, prescription_id)
    if rx.prescription.field_id != field_id:
        raise BadPrescription(
            f"prescription {rx.id} is for field {rx.prescription.field_id}, not {field_id}"
        )
    return _Zoning(
        zone_map=service.prescription_zones(rx.prescription),
        extra_n_kg_ha={z.zone: z.n_kg_ha for z in rx.prescription.zones},
        source=f"prescription {rx.id}",
    )


def _zoned(
    services: Services,
    caller: Principal,
    record: FieldRecord,
    *,
    image_id: str | None,
    newest: StoredImage | None,
    n_zones: int,
    min_zone_area_m2: float,
) -> _Zoning:
    """The field's NDVI zones on the image asked for, or on the newest clear one."""
    if image_id is not None:
        image = visible_image(services.engine, caller, image_id)
    elif newest is not None:
        image = newest
    else:
        raise NotEnoughData(
            f"field {record.id}: no dated image over it shows its canopy, so there is "
            "nothing to zone; upload one (POST /images) or give image_id"
        )
    zone_map = service.field_zones(
        services.settings.data_dir,
        image,
        service.field_shape(record),
        index="NDVI",
        n_zones=n_zones,
        min_zone_area_m2=min_zone_area_m2,
    )
    dated = f" of {image.image_date}" if image.image_date is not None else " (undated)"
    return _Zoning(zone_map=zone_map, source=f"image {image.id}{dated}")


@dataclass(frozen=True, kw_only=True, slots=True)
class _Season:
    """What the forecast runs on but the water, which may be run twice."""

    field_id: str
    geometry: BaseGeometry
    weather: SeasonWeather
    ndvi: list[tuple[date, float]]
    zoning: _Zoning
    base_n_kg_ha: float

    def outlook(self, water: WaterManagement) -> FieldOutlook:
        return forecast_field(
            self.field_id,
            geodesic_area_m2(self.geometry),
            self.weather,
            water=water,
            ndvi=self.ndvi,
            zone_map=self.zoning.zone_map,
            extra_n_kg_ha=self.zoning.extra_n_kg_ha,
            base_n_kg_ha=self.base_n_kg_ha,
        )


def _public(outlook: FieldOutlook, *, water: str, zoning: _Zoning) -> FieldForecastPublic:
    forecast, effect = outlook.forecast, outlook.effect
    by_zone = {z.zone: z for z in effect.zones} if effect is not None else {}
    zones = [
        ZoneForecastPublic(
            zone=z.zone,
            area_ha=round(z.area_m2 / 10_000, 4),
            yield_t_ha=round(z.forecast.yield_t_ha, 3),
            yield_kg_10a=round(z.forecast.yield_t_ha * 100, 1),
            extra_n_kg_ha=round(by_zone[z.zone].extra_n_kg_ha, 2) if by_zone else None,
            with_prescription_t_ha=round(by_zone[z.zone].with_t_ha, 3) if by_zone else None,
            with_prescription_kg_10a=(
                round(by_zone[z.zone].with_t_ha * 100, 1) if by_zone else None
            ),
            basis=z.forecast.basis,
        )
        for z in forecast.zones
    ]
    used = [z.forecast.correction.images_used for z in forecast.zones if z.forecast.correction]
    return FieldForecastPublic(
        field_id=outlook.field_id,
        yield_t_ha=round(forecast.yield_t_ha, 3),
        yield_kg_10a=round(forecast.yield_kg_10a, 1),
        production_t=round(forecast.production_t, 3),
        heading=outlook.heading,
        harvest=outlook.harvest,
        images_used=max(used, default=0),
        # The zones' bases, once each: the field's figure is their area-weighted mean.
        basis="; ".join(dict.fromkeys(z.forecast.basis for z in forecast.zones)),
        weather=outlook.weather_note,
        water=water,
        zones=zones if zoning.zone_map is not None else [],
        zones_from=zoning.source,
        with_prescription_t_ha=round(effect.with_t_ha, 3) if effect is not None else None,
        with_prescription_kg_10a=round(effect.with_t_ha * 100, 1) if effect is not None else None,
        prescription_basis=effect.basis if effect is not None else None,
    )
