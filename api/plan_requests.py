"""What a spray job asks for (the HTTP body of a plan or a mission), and the plan made from it.

One model and one function serve ``POST /plans/spray``, ``POST /missions`` and the
dispatch of a mission to the fleet, so a mission flies exactly the plan its request
was sized by.
"""

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from api import planning, registry
from api.config import Settings
from core.geo import GeoPoint
from fields import FieldRecord
from mission_planner import SprayerControl
from mission_planner.spray import SprayParams

__all__ = ["Place", "SprayRequest", "SprayWork", "spray_job", "spray_params"]


class Place(BaseModel):
    """A point, WGS84 degrees."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)

    def point(self) -> GeoPoint:
        """As a :class:`~core.geo.GeoPoint`."""
        return GeoPoint(lat_deg=self.lat, lon_deg=self.lon)


class SprayWork(BaseModel):
    """How to spray: boom, flight, tank, battery, take-off and refill point, pump control."""

    model_config = ConfigDict(extra="forbid")

    swath_m: float = Field(gt=0.5, le=30)
    altitude_m: float = Field(default=3.0, gt=0.5, le=150)
    speed_m_s: float = Field(default=5.0, gt=0.5, le=20)
    heading_deg: float | None = Field(default=None, ge=0, lt=360)
    rate_l_ha: float | None = Field(default=None, gt=0, le=1000)
    tank_l: float | None = Field(default=None, gt=0, le=200)
    endurance_min: float | None = Field(default=None, gt=0, le=180)
    home: Place | None = Field(
        default=None, description="Take-off and refill point; default a corner of the fields."
    )
    sprayer: SprayerControl = SprayerControl.DO_SPRAYER
    sprayer_servo: int = Field(default=9, ge=1, le=16)


class SprayRequest(SprayWork):
    """Spray these fields in one mission, nearest first; registered zones are respected."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "field_ids": ["B000", "B001"],
                    "swath_m": 5,
                    "rate_l_ha": 80,
                    "tank_l": 10,
                    "endurance_min": 12,
                    "home": {"lat": 34.9283, "lon": 134.8414},
                }
            ]
        },
    )

    field_ids: list[str] = Field(min_length=1, max_length=200)


def spray_params(work: SprayWork) -> SprayParams:
    """The planner's parameters.

    Raises
    ------
    ValueError
        Tank and rate not given together, or a value the planner refuses.
    """
    if (work.tank_l is None) != (work.rate_l_ha is None):
        raise ValueError("give tank_l and rate_l_ha together")
    return SprayParams(
        swath_m=work.swath_m,
        altitude_m=work.altitude_m,
        speed_m_s=work.speed_m_s,
        heading_deg=work.heading_deg,
        rate_l_ha=work.rate_l_ha,
        tank_l=work.tank_l,
        endurance_min=work.endurance_min,
        sprayer=work.sprayer,
        sprayer_servo=work.sprayer_servo,
    )


def spray_job(
    engine: Engine, settings: Settings, work: SprayWork, fields: Sequence[FieldRecord]
) -> planning.SprayJob:
    """Plan ``fields`` as one spray mission around every registered zone.

    Raises
    ------
    mission_planner.MissionPlannerError, ValueError
        The mission cannot be planned safely (the rule and the place are named).
    """
    return planning.plan_spray_job(
        [(f.id, f.geometry) for f in fields],
        spray_params(work),
        home=work.home.point() if work.home else None,
        zones=registry.list_zones(engine),
        buffers_m=settings.buffers_m,
    )
