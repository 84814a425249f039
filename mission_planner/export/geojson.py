"""A flight plan as GeoJSON for maps, with a contract other tools rely on.

The FeatureCollection starts with one ``LineString`` feature per leg, in flight
order, whose properties are ``kind: "leg"``, ``sortie`` (int from 1), ``action``
(``"spray"``, ``"transit"``, ``"survey"`` or ``"deliver"``) and ``altitude_m``
(above home), plus ``index``, ``speed_m_s`` and ``length_m``, and on the spray legs
of a variable-rate plan ``rate_l_ha`` and ``rate_zone`` (``pump_pwm_us`` too when
the pump's output sets the rate). Other features
follow, each with its own ``kind``: ``"field"``, ``"zone"``, ``"waypoint"``
(the mission's positioned items), ``"fence"``, ``"home"``, ``"rally"``.
Coordinates are WGS84 longitude, latitude (RFC 7946), rounded to 1e-8 degree
(about 1 mm). The foreign member ``tanbo`` says what the plan is: kind, sorties,
path, permissions, and where known swath, application rate, estimated time, area and
volume; a variable-rate plan adds ``variable_rate`` (``"speed"`` or ``"pump"``),
``pump_flow_l_min`` (the pump's one flow, rate by speed), ``product_by_zone_l`` and
``product_total_l``, and its ``rate_l_ha`` is left out (no one rate holds).
"""

import math
from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import shapely
from shapely import LineString
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from fields import LocalCrs, to_wgs84
from mission_planner.build import build_mission
from mission_planner.model import Command, Mission
from mission_planner.plan import FlightPlan, Leg

__all__ = ["COORDINATE_DECIMALS", "MapZone", "to_geojson"]

COORDINATE_DECIMALS = 8
"""Decimal places of the degrees written (1e-8 degree is about 1 mm)."""


class MapZone(Protocol):
    """A zone in the plan's metres, as the planners hold it (``safety.LocalZone`` is one)."""

    @property
    def id(self) -> str:
        """The zone's id."""
        ...

    @property
    def kind(self) -> str:
        """What it is (``"school"``, ``"beehive"`` …)."""
        ...

    @property
    def restriction(self) -> str:
        """``"no_spray"`` or ``"no_fly"``."""
        ...

    @property
    def shape(self) -> BaseGeometry:
        """The zone itself."""
        ...

    @property
    def buffered(self) -> BaseGeometry:
        """The zone grown by its buffer: where the restriction applies."""
        ...


def to_geojson(
    plan: FlightPlan,
    *,
    field: BaseGeometry | None = None,
    zones: Iterable[MapZone] = (),
    mission: Mission | None = None,
) -> dict[str, Any]:
    """The plan as a GeoJSON FeatureCollection, legs first.

    Parameters
    ----------
    plan
        The flight plan, in local metres (``plan.crs``).
    field
        The field's boundary in the same metres, if it should be drawn.
    zones
        No-spray and no-fly zones in the same metres; each gives a ``"zone"``
        feature for its shape and one for its buffered shape (``buffered: true``).
    mission
        The mission built from ``plan``, for the ``"waypoint"`` features; built
        here when not given.

    Returns
    -------
    dict
        A FeatureCollection; no NaN anywhere, so ``json.dumps(..., allow_nan=False)``
        succeeds.

    Raises
    ------
    UnflyablePlan, InvalidMissionItem
        When ``mission`` is not given and ``plan`` cannot be built into one.
    """
    crs = plan.crs
    features = [
        _feature(
            LineString(leg.path),
            crs,
            kind="leg",
            index=index,
            sortie=leg.sortie,
            action=leg.action.value,
            altitude_m=float(leg.altitude_m),
            speed_m_s=float(leg.speed_m_s),
            length_m=round(leg.length_m, 3),
            **_rate(leg),
        )
        for index, leg in enumerate(plan.legs)
    ]
    if field is not None:
        features.append(_feature(field, crs, kind="field"))
    for zone in zones:
        for buffered, shape in ((False, zone.shape), (True, zone.buffered)):
            features.append(
                _feature(
                    shape,
                    crs,
                    kind="zone",
                    id=str(zone.id),
                    zone_kind=str(zone.kind),
                    restriction=str(zone.restriction),
                    buffered=buffered,
                )
            )
    flown = mission if mission is not None else build_mission(plan)
    for seq, item in enumerate(flown.items, 1):
        if item.command.has_position and item.command != Command.NAV_RETURN_TO_LAUNCH:
            point = {"type": "Point", "coordinates": _rounded([item.lon_deg, item.lat_deg])}
            properties = {
                "kind": "waypoint",
                "seq": seq,
                "command": item.command.name,
                "alt_m": item.alt_m,
            }
            features.append({"type": "Feature", "geometry": point, "properties": properties})
    if not plan.fence.is_empty:
        features.append(_feature(plan.fence, crs, kind="fence", inclusion=True))
    features.append(_feature(shapely.Point(plan.home), crs, kind="home"))
    for number, rally in enumerate(plan.rally):
        features.append(_feature(shapely.Point(rally), crs, kind="rally", index=number))
    # A foreign member (RFC 7946 §6.1): what the plan is and the permissions it needs.
    tanbo = {
        "kind": plan.kind,
        "sorties": plan.sorties,
        "path_m": round(plan.path_m, 3),
        "permissions": list(plan.permissions),
    }
    measures = (
        *("swath_m", "rate_l_ha", "est_time_s", "flight_time_s", "area_ha", "volume_l"),
        *("gsd_cm", "altitude_m", "line_spacing_m", "trigger_distance_m", "image_count"),
        "pump_flow_l_min",
    )  # spray, then survey, then variable rate
    for key in measures:
        value = plan.stats.get(key)
        if isinstance(value, int | float) and math.isfinite(value):
            tanbo[key] = value if isinstance(value, int) else round(float(value), 3)
    if plan.product_by_zone_l:
        # A vehicle set up from one rate_l_ha would hold it whatever the speed: none is given.
        tanbo.pop("rate_l_ha", None)
        tanbo["variable_rate"] = str(plan.stats.get("variable_rate", ""))
        tanbo["product_by_zone_l"] = {k: round(v, 3) for k, v in plan.product_by_zone_l.items()}
        tanbo["product_total_l"] = round(plan.product_total_l, 3)
    return {"type": "FeatureCollection", "tanbo": tanbo, "features": features}


def _rate(leg: Leg) -> dict[str, Any]:
    """A rated leg's rate properties (none for the others)."""
    if leg.rate is None:
        return {}
    rate: dict[str, Any] = {"rate_l_ha": float(leg.rate.rate_l_ha), "rate_zone": leg.rate.zone}
    if leg.rate.pump_pwm_us is not None:
        rate["pump_pwm_us"] = leg.rate.pump_pwm_us
    return rate


def _feature(geometry: BaseGeometry, crs: LocalCrs, **properties: Any) -> dict[str, Any]:
    lonlat = shapely.transform(to_wgs84(geometry, crs), _round)
    return {
        "type": "Feature",
        "geometry": _plain(mapping(lonlat)),
        "properties": properties,
    }


def _round(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.round(coords, COORDINATE_DECIMALS)


def _rounded(values: list[float]) -> list[float]:
    return [round(v, COORDINATE_DECIMALS) for v in values]


def _plain(value: Any) -> Any:
    """Tuples to lists, so the dict equals what ``json.loads`` gives back."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
