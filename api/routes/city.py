"""The city dashboard: Tanbo's work by month and district, for city staff."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.accounts import Principal, Role
from api.city_stats import Cell, city_figures, month_of, months_asked, notes_on
from api.deps import ServicesDep, require
from api.routes.common import ProblemResponses

__all__ = ["MONTH_PATTERN", "CellPublic", "Dashboard", "MonthTotal", "router"]

router = APIRouter(prefix="/city", tags=["city"], responses=ProblemResponses)

_Staff = Annotated[Principal, Depends(require(Role.CITY_ADMIN))]

MONTH_PATTERN = r"^2\d{3}-(0[1-9]|1[0-2])$"
"""A month as the query takes it: ``YYYY-MM``."""


class CellPublic(BaseModel):
    """Every figure of one district in one month (see the route for what each counts)."""

    month: str = Field(examples=["2026-06"])
    district: str = Field(examples=["北条町"])
    sprayed_ha: float
    surveyed_ha: float
    sprayed_fields: int = Field(description="Fields sprayed, once per completed mission.")
    surveyed_fields: int
    flights: int
    flight_h: float
    simulated_flights: int = Field(description="Of ``flights``, those of simulator vehicles.")
    deliveries_made: int
    deliveries_failed: int
    deliveries_returned: int
    inlet_water_m3: float = Field(description="Estimated from rated inlet flows.")
    watched_paddy_days: int = Field(description="Days paddies sent water levels, summed.")
    flooding_need_m3: float | None = Field(
        description="What continuous flooding would have taken; null without a 減水深 setting."
    )
    water_saved_m3: float | None = Field(
        description="flooding_need_m3 less the inlet water; null when it cannot be known."
    )
    paddy_dam_storage_m3: float
    paddy_dam_h: float
    alerts: int
    alerts_by_kind: dict[str, int]


class MonthTotal(CellPublic):
    """A month's figures over the whole city."""

    rain_warnings: int = Field(description="Heavy-rain warnings declared (by farm or all).")


class Dashboard(BaseModel):
    """The figures of a span of months."""

    first_month: str | None = Field(
        examples=["2026-04"], description="The first month counted; null: none (all ahead)."
    )
    last_month: str | None = Field(examples=["2026-09"])
    districts_source: str | None = Field(
        description="The districts file grouped by; null: municipality codes."
    )
    districts: list[str] = Field(description="The districts file's districts, in its order.")
    cells: list[CellPublic] = Field(description="By month, then district; only those with data.")
    totals: list[MonthTotal] = Field(description="One per month, the city as a whole.")
    notes: list[str] = Field(description="What the figures are made from, and their limits.")


def _public(c: Cell) -> dict[str, object]:
    return {
        "month": str(c.month), "district": c.district, "sprayed_ha": round(c.sprayed_ha, 4),
        "surveyed_ha": round(c.surveyed_ha, 4), "sprayed_fields": c.sprayed_fields,
        "surveyed_fields": c.surveyed_fields, "flights": c.flights,
        "flight_h": round(c.flight_h, 3), "simulated_flights": c.simulated_flights,
        "deliveries_made": c.deliveries_made, "deliveries_failed": c.deliveries_failed,
        "deliveries_returned": c.deliveries_returned,
        "inlet_water_m3": round(c.inlet_water_m3, 2),
        "watched_paddy_days": c.watched_paddy_days,
        "flooding_need_m3": None if c.flooding_need_m3 is None else round(c.flooding_need_m3, 2),
        "water_saved_m3": None if c.water_saved_m3 is None else round(c.water_saved_m3, 2),
        "paddy_dam_storage_m3": round(c.paddy_dam_storage_m3, 2),
        "paddy_dam_h": round(c.paddy_dam_h, 3), "alerts": c.alert_count,
        "alerts_by_kind": dict(c.alerts),
    }  # fmt: skip


_FROM = Query(
    alias="from",
    pattern=MONTH_PATTERN,
    description="The first month (YYYY-MM, Japan time, 2000–2999); default 11 months before `to`.",
    examples=["2026-04"],
)
_TO = Query(
    alias="to",
    pattern=MONTH_PATTERN,
    description="The last month, included (YYYY-MM); default this month.",
    examples=["2026-09"],
)


@router.get("/dashboard", response_model=Dashboard, summary="The city dashboard")
def dashboard(
    services: ServicesDep,
    caller: _Staff,
    first: Annotated[str | None, _FROM] = None,
    last: Annotated[str | None, _TO] = None,
) -> Dashboard:
    """Tanbo's work by month and by district, for city staff: hectares sprayed and surveyed
    (each field of each mission completed in the month, at its registered area, once per
    completion), flights and hours in the air (the finished 飛行日誌 flight logs), deliveries
    made (confirmed by the recipient), failed and flown back, water let into the controlled
    paddies (estimated from rated inlet flows) and saved against continuous flooding (only
    when the city's 減水深 is configured: no stored record measures a flooded paddy),
    田んぼダム storm storage (the level's rise in paddy-dam mode), and paddy alerts.

    Districts come from the `districts_file` setting (a field in the district of its
    centroid); without it, fields are grouped by municipality code and what has no field is
    `unknown`. `notes` says what each figure is made from. `from` and `to` may come in
    either order; months after this one have no figures yet and are left out."""
    this_month = month_of(services.clock.now())
    months = months_asked(first, last, default_last=this_month, latest=this_month)
    figures = city_figures(services, months, grid=False)
    source = figures.districts.source or None
    return Dashboard(
        first_month=str(months[0]) if months else None,
        last_month=str(months[-1]) if months else None,
        districts_source=source,
        districts=list(figures.districts.names),
        cells=[CellPublic.model_validate(_public(c)) for c in figures.cells],
        totals=[
            MonthTotal.model_validate(
                _public(t) | {"rain_warnings": figures.rain_warnings.get(t.month, 0)}
            )
            for t in figures.totals
        ],
        notes=notes_on(services),
    )
