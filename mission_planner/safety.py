"""The safety check every plan passes before anything is written, and the permissions it needs.

Rules (Japan): never above 150 m over ground; no leg into a no-fly zone; no spray
footprint over a no-spray zone (with its buffer); every leg inside the geofence;
each sortie within its tank and battery. A plan that breaks a rule is refused
with the rule and the place named. Permissions and approvals the flight needs
under the Aviation Act are listed, not refused: spraying is carrying dangerous
goods and dropping objects, deliveries by gripper or winch drop objects, flying
within 30 m of people or property, over a densely inhabited district (DID) or
near an airport needs approval.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import shapely
from shapely import LineString
from shapely.geometry.base import BaseGeometry

from fields import LocalCrs, Restriction, ZoneKind, ZoneRecord, buffered_zone, to_local, to_wgs84
from mission_planner.plan import Action, FlightPlan, Leg, Point
from mission_planner.refusals import MAX_ALTITUDE_M, PlanRefused
from mission_planner.sorties import SortieLimits, sortie_time_s

__all__ = [
    "PEOPLE_AND_PROPERTY",
    "LocalZone",
    "SafetyLimits",
    "check_plan",
    "lat_lon",
    "local_zones",
    "permissions_for",
]

PEOPLE_AND_PROPERTY = frozenset(
    {ZoneKind.HOUSE, ZoneKind.SCHOOL, ZoneKind.HOSPITAL, ZoneKind.ROAD, ZoneKind.POWER_LINE}
)
"""Zone kinds that are people or property under the 30 m rule."""


@dataclass(frozen=True, kw_only=True, slots=True)
class LocalZone:
    """A zone projected into a plan's metres: its own shape and its buffered one."""

    id: str
    kind: ZoneKind
    restriction: Restriction
    shape: BaseGeometry
    buffered: BaseGeometry

    @property
    def no_fly(self) -> bool:
        """Whether the drone may not enter it at all."""
        return self.restriction == Restriction.NO_FLY


def local_zones(
    zones: Sequence[ZoneRecord], crs: LocalCrs, buffers_m: Mapping[ZoneKind, float]
) -> list[LocalZone]:
    """Project registered zones into ``crs`` and grow them by their buffers."""
    return [
        LocalZone(
            id=z.id,
            kind=z.kind,
            restriction=z.restriction,
            shape=to_local(z.geometry, crs),
            buffered=buffered_zone(z, crs, buffers_m),
        )
        for z in zones
    ]


@dataclass(frozen=True, kw_only=True, slots=True)
class SafetyLimits:
    """Limits of the safety check."""

    max_altitude_m: float = MAX_ALTITUDE_M
    zone_spray_tolerance_m2: float = 0.05
    """Footprint over a no-spray zone tolerated (rounding of curved zone edges)."""
    people_distance_m: float = 30.0


def lat_lon(crs: LocalCrs, point: Point) -> str:
    """A local point as ``lat,lon`` for a person (and a CLI's --home)."""
    p = to_wgs84(shapely.Point(point), crs)
    return f"{p.y:.6f},{p.x:.6f}"


def _where(plan: FlightPlan, point: Point) -> str:
    return lat_lon(plan.crs, point)


def _leg_name(plan: FlightPlan, index: int) -> str:
    leg = plan.legs[index]
    return f"leg {index + 1} ({leg.action.value}, sortie {leg.sortie})"


def check_plan(
    plan: FlightPlan,
    *,
    zones: Sequence[LocalZone] = (),
    swath_m: float | None = None,
    limits: SafetyLimits | None = None,
    sortie: SortieLimits | None = None,
) -> None:
    """Refuse a plan that breaks a rule.

    Raises
    ------
    PlanRefused
        With ``rule`` one of ``altitude``, ``no-fly``, ``no-spray``, ``fence``,
        ``tank``, ``battery``, and ``where`` the leg and a lat,lon.
    """
    limits = limits or SafetyLimits()
    for i, leg in enumerate(plan.legs):
        if not 0 < leg.altitude_m <= limits.max_altitude_m:
            raise PlanRefused(
                f"{_leg_name(plan, i)} flies at {leg.altitude_m:g} m; the limit is "
                f"{limits.max_altitude_m:g} m above ground",
                rule="altitude",
                where=_where(plan, leg.start),
            )
    lines = [LineString(leg.path) for leg in plan.legs]
    for zone in zones:
        if not zone.no_fly:
            continue
        for i, line in enumerate(lines):
            crossing = line.intersection(zone.buffered)
            if crossing.length > 1e-6:
                inside = shapely.get_coordinates(crossing)[0]
                raise PlanRefused(
                    f"{_leg_name(plan, i)} enters no-fly zone {zone.id} ({zone.kind.value})",
                    rule="no-fly",
                    where=_where(plan, (float(inside[0]), float(inside[1]))),
                )
    if swath_m is not None:
        sprayed = [
            (i, line.buffer(swath_m / 2.0, cap_style="flat"))
            for i, line in enumerate(lines)
            if plan.legs[i].action == Action.SPRAY
        ]
        for zone in zones:
            for i, footprint in sprayed:
                over = footprint.intersection(zone.buffered)
                if over.area > limits.zone_spray_tolerance_m2:
                    c = over.centroid
                    raise PlanRefused(
                        f"{_leg_name(plan, i)} sprays {over.area:.1f} m² over zone {zone.id} "
                        f"({zone.kind.value}, with its buffer)",
                        rule="no-spray",
                        where=_where(plan, (c.x, c.y)),
                    )
    fence = plan.fence.buffer(1e-6)
    for i, line in enumerate(lines):
        if not fence.covers(line):
            raise PlanRefused(
                f"{_leg_name(plan, i)} leaves the geofence",
                rule="fence",
                where=_where(plan, plan.legs[i].start),
            )
    if sortie is not None:
        _check_sorties(plan, sortie)


def _check_sorties(plan: FlightPlan, limits: SortieLimits) -> None:
    for n in range(1, plan.sorties + 1):
        legs: list[Leg] = [leg for leg in plan.legs if leg.sortie == n]
        sprayed = sum(leg.length_m for leg in legs if leg.action == Action.SPRAY)
        if limits.spray_length_m is not None and sprayed > limits.spray_length_m + 1e-3:
            raise PlanRefused(
                f"sortie {n} sprays {sprayed:.0f} m of passes; one tank lasts "
                f"{limits.spray_length_m:.0f} m",
                rule="tank",
                where=f"sortie {n}",
            )
        time_s = sortie_time_s(legs, limits)
        if limits.flight_time_s is not None and time_s > limits.flight_time_s + 1e-3:
            raise PlanRefused(
                f"sortie {n} takes {time_s / 60:.2f} min; the battery allows "
                f"{limits.flight_time_s / 60:.2f} min with its reserve",
                rule="battery",
                where=f"sortie {n}",
            )


def permissions_for(
    legs: Sequence[Leg],
    zones: Sequence[LocalZone],
    *,
    spraying: bool = False,
    dropping: bool = False,
    people_distance_m: float = 30.0,
) -> tuple[str, ...]:
    """The permissions and approvals (Aviation Act) the flight needs, in words."""
    needed: list[str] = []
    if spraying:
        needed.append("carrying dangerous goods: pesticide (危険物輸送)")
    if spraying or dropping:
        needed.append("dropping objects (物件投下)")
    path = shapely.union_all([LineString(leg.path) for leg in legs]) if legs else None
    if path is not None:
        if any(
            z.kind in PEOPLE_AND_PROPERTY and path.distance(z.shape) < people_distance_m
            for z in zones
        ):
            needed.append(
                f"flying within {people_distance_m:g} m of people or property (30m未満の飛行)"
            )
        if any(z.kind == ZoneKind.DID and path.intersects(z.shape) for z in zones):
            needed.append("flying over a densely inhabited district (人口集中地区上空)")
        if any(z.kind == ZoneKind.AIRPORT and path.distance(z.shape) < 1.0 for z in zones):
            needed.append("flying near an airport (空港等周辺)")
    return tuple(needed)
