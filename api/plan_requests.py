"""What a spray or survey job asks for (the HTTP body of a plan or a mission), and the plan
made from it.

One model and one function per kind of work serve ``POST /plans/spray`` (or
``/plans/survey``), ``POST /missions`` and the dispatch of a mission to the fleet, so a
mission flies exactly the plan its request was sized by.
"""

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine

from api import planning, registry
from api.config import Settings
from core.geo import GeoPoint
from fields import FieldRecord, LocalCrs, local_crs_for, to_local
from mission_planner import FlightPlan, SprayerControl
from mission_planner.cameras import Camera, camera_named
from mission_planner.coverage import MIN_COVERAGE
from mission_planner.safety import check_plan, permissions_for
from mission_planner.spray import SprayParams
from mission_planner.survey import plan_survey

__all__ = [
    "CameraSpec",
    "Place",
    "SprayRequest",
    "SprayWork",
    "SurveyRequest",
    "SurveyWork",
    "check_survey",
    "mission_params",
    "mission_work",
    "spray_job",
    "spray_params",
    "survey_area",
    "survey_camera",
    "survey_job",
]


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
    min_coverage_pct: float = Field(
        default=MIN_COVERAGE * 100.0,
        ge=90,
        le=100,
        description="Share of each field to spray: rings inside the edge pass shorten the "
        "route while it is met (100: one ring).",
    )


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
        min_coverage=work.min_coverage_pct / 100.0,
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


class CameraSpec(BaseModel):
    """A camera not built in: sensor size, focal length, image size."""

    sensor_width_mm: float = Field(gt=0, le=100)
    sensor_height_mm: float = Field(gt=0, le=100)
    focal_length_mm: float = Field(gt=0, le=500)
    image_width_px: int = Field(gt=0, le=100_000)
    image_height_px: int = Field(gt=0, le=100_000)


class SurveyWork(BaseModel):
    """How to survey: the camera (a built-in one by name, or its specification), the GSD or
    the height, overlaps, line heading, speed, run-on past the edges, take-off point."""

    model_config = ConfigDict(extra="forbid")

    camera: str | None = Field(default=None, description="A built-in camera's name.")
    camera_spec: CameraSpec | None = None
    gsd_cm: float | None = Field(default=None, gt=0.01, le=100)
    altitude_m: float | None = Field(default=None, ge=1, le=150)
    front_overlap_pct: float = Field(default=75.0, ge=0, le=95)
    side_overlap_pct: float = Field(default=65.0, ge=0, le=95)
    heading_deg: float | None = Field(default=None, ge=0, lt=360)
    speed_m_s: float = Field(default=5.0, gt=0.5, le=20)
    turnaround_m: float = Field(default=10.0, ge=0, le=200)
    crosshatch: bool = False
    home: Place | None = Field(default=None, description="Take-off point; default a corner.")


class SurveyRequest(SurveyWork):
    """A camera survey of one field: a built-in camera by name, or its specification."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"field_id": "B001", "camera": "DJI Mavic 3M RGB", "gsd_cm": 2.0}]
        },
    )

    field_id: str


def check_survey(work: SurveyWork) -> None:
    """Refuse a survey that names both or neither of its choices.

    Raises
    ------
    ValueError
        Both or neither of ``gsd_cm`` and ``altitude_m``, or of ``camera`` and
        ``camera_spec``.
    """
    if (work.gsd_cm is None) == (work.altitude_m is None):
        raise ValueError("give exactly one of gsd_cm and altitude_m")
    if (work.camera is None) == (work.camera_spec is None):
        raise ValueError("give camera (a built-in name) or camera_spec, not both")


def survey_camera(work: SurveyWork) -> Camera:
    """The survey's camera: the built-in one it names, or the one it specifies.

    Raises
    ------
    ValueError
        See :func:`check_survey`.
    mission_planner.UnknownCamera
        No built-in camera has that name (the message lists them).
    """
    check_survey(work)
    if work.camera is not None:
        return camera_named(work.camera)
    assert work.camera_spec is not None  # check_survey
    return Camera(name="custom", **work.camera_spec.model_dump())


def survey_area(fields: Sequence[FieldRecord]) -> tuple[BaseGeometry, LocalCrs]:
    """The fields together, in the local metric CRS of their centre: one survey's area.

    One field is taken as it is; several are united (a line over the gap between two
    fields keeps the camera running: a few images too many, one flight).

    Raises
    ------
    ValueError
        No fields.
    """
    if not fields:
        raise ValueError("a survey needs at least one field")
    together = (
        fields[0].geometry if len(fields) == 1 else shapely.union_all([f.geometry for f in fields])
    )
    crs = local_crs_for(together.centroid.x, together.centroid.y)
    return to_local(together, crs), crs


def survey_job(
    engine: Engine, settings: Settings, work: SurveyWork, fields: Sequence[FieldRecord]
) -> FlightPlan:
    """Plan ``fields`` as one survey mission: a grid over their union (:func:`survey_area`),
    checked against every registered zone and listing the permissions it needs.

    A survey cannot detour, so one that would enter a no-fly zone is refused. The plan's
    stats add ``area_ha``, the area the survey covers.

    Raises
    ------
    mission_planner.MissionPlannerError, ValueError
        The survey cannot be planned safely, or the request is contradictory (the rule
        and the place are named).
    """
    camera = survey_camera(work)
    area, crs = survey_area(fields)
    home = planning.home_in(work.home.point() if work.home else None, area, crs)
    plan = plan_survey(
        area,
        crs=crs,
        camera=camera,
        gsd_cm=work.gsd_cm,
        altitude_m=work.altitude_m,
        front_overlap=work.front_overlap_pct / 100.0,
        side_overlap=work.side_overlap_pct / 100.0,
        angle_deg=work.heading_deg,
        speed_m_s=work.speed_m_s,
        turnaround_m=work.turnaround_m,
        crosshatch=work.crosshatch,
        home=home,
    )
    near = planning.zones_near(registry.list_zones(engine), crs, settings.buffers_m, area, home)
    check_plan(plan, zones=near)
    return dataclasses.replace(
        plan,
        permissions=permissions_for(plan.legs, near),
        stats={**plan.stats, "area_ha": area.area / 10_000.0},
    )


_WORK = "work"
"""The key of a mission's stored parameters that says which work they describe."""


def mission_params(work: SprayWork | SurveyWork) -> dict[str, Any]:
    """A mission's parameters as stored: the work as JSON, marked ``"work": "spray"`` or
    ``"survey"``."""
    marker = "survey" if isinstance(work, SurveyWork) else "spray"
    return {_WORK: marker, **work.model_dump(mode="json")}


def mission_work(params: Mapping[str, Any]) -> SprayWork | SurveyWork:
    """The work a mission's stored parameters describe; unmarked ones are spray work (what
    missions stored before surveys were).

    Raises
    ------
    pydantic.ValidationError
        Parameters the work's model refuses.
    ValueError
        A marker naming no known work.
    """
    values = dict(params)
    marker = values.pop(_WORK, "spray")
    if marker == "spray":
        return SprayWork.model_validate(values)
    if marker == "survey":
        return SurveyWork.model_validate(values)
    raise ValueError(f"its parameters are marked as {marker!r} work; expected spray or survey")
