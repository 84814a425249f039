"""What ``tanbo fly`` and the demo share: reading a flight file, cutting a mission into
sorties and sharing them between vehicles, and turning a flown record into the 飛行日誌
entry that is stored.

A plan written by ``tanbo plan`` is ``NAME.plan`` with ``NAME.geojson`` beside it; the
GeoJSON's ``tanbo`` member says what the plan is (kind, permissions, swath, L/ha), so
the flight log names its purpose and permissions and the flight knows how wide it sprays
and at what rate.
A QGroundControl ``.plan`` or a ``.waypoints`` file from any ground station flies too;
what it does not say is left unknown.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from core.errors import TanboError
from core.geo import GeoPoint
from fleet.flight import FlightRecord, Outcome, PlanInfo
from fleet.flightlog import JST, Anomaly, FlightLog, FlightPurpose, FlightResult, Place
from mission_planner import read_qgc_plan, read_waypoints
from mission_planner.errors import MissionPlannerError
from mission_planner.model import Command, Frame, Mission, MissionItem

__all__ = [
    "FlightFile",
    "UnreadableFlightFile",
    "flight_log",
    "load_flight_file",
    "returning_home",
    "share_sorties",
    "sorties_of",
]

_PURPOSES = {
    "spray": FlightPurpose.SPRAYING,
    "survey": FlightPurpose.AERIAL_PHOTOGRAPHY,
    "delivery": FlightPurpose.TRANSPORT,
}
_RESULTS = {
    Outcome.COMPLETED: FlightResult.COMPLETED,
    Outcome.FAILSAFE: FlightResult.FAILSAFE,
    Outcome.ABORTED: FlightResult.ABORTED,
    Outcome.CRASHED: FlightResult.CRASHED,
    Outcome.LINK_LOST: FlightResult.LINK_LOST,
}
"""A flight that never took off (refused before arming) has no log: nothing flew."""


class UnreadableFlightFile(TanboError):
    """A flight file that cannot be read: names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class FlightFile:
    """A mission read from a file, what its plan says, and the file's fingerprint."""

    path: Path
    mission: Mission
    info: PlanInfo
    sha256: str


def load_flight_file(path: Path) -> FlightFile:
    """Read a ``.plan`` (QGroundControl JSON) or ``.waypoints`` (QGC WPL 110) file.

    Raises
    ------
    UnreadableFlightFile
        The file is missing, of another kind, or not a valid mission.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFlightFile(f"{path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFlightFile(f"{path}: not UTF-8 text") from exc
    suffix = path.suffix.lower()
    try:
        if suffix == ".plan":
            mission = read_qgc_plan(text)
        elif suffix in (".waypoints", ".txt", ".mission"):
            mission = read_waypoints(text)
        else:
            raise UnreadableFlightFile(
                f"{path}: expected a .plan (QGroundControl) or .waypoints file"
            )
    except MissionPlannerError as exc:
        raise UnreadableFlightFile(f"{path}: {exc}") from exc
    return FlightFile(
        path=path,
        mission=mission,
        info=_plan_info(path),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _plan_info(path: Path) -> PlanInfo:
    """What the planner's GeoJSON beside ``path`` says; unknown when there is none."""
    sidecar = path.with_suffix(".geojson")
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
        tanbo = doc["tanbo"]
        assert isinstance(tanbo, dict)
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        return PlanInfo(source=path.name)

    def number(key: str) -> float | None:
        value = tanbo.get(key)
        return float(value) if isinstance(value, int | float) and value > 0 else None

    permissions = tanbo.get("permissions", [])
    return PlanInfo(
        kind=str(tanbo.get("kind", "unknown")),
        permissions=tuple(str(p) for p in permissions) if isinstance(permissions, list) else (),
        swath_m=number("swath_m"),
        rate_l_ha=number("rate_l_ha"),
        source=path.name,
    )


def sorties_of(mission: Mission) -> list[Mission]:
    """A mission's sorties, each a mission of its own.

    The planner separates sorties with a NAV_LAND at home (to refill the tank and swap
    the battery) and a NAV_TAKEOFF. ArduPilot would take off again as soon as it
    touched down, so each sortie is flown as its own mission, after the ground crew's
    turn-around. Fence and rally points go with every sortie.
    """
    parts: list[list[MissionItem]] = [[]]
    for index, item in enumerate(mission.items):
        parts[-1].append(item)
        following = mission.items[index + 1] if index + 1 < len(mission.items) else None
        if (
            item.command == Command.NAV_LAND
            and following is not None
            and following.command == Command.NAV_TAKEOFF
        ):
            parts.append([])
    return [
        Mission(
            home=mission.home,
            items=tuple(items),
            fence=mission.fence,
            rally=mission.rally,
            home_amsl_m=mission.home_amsl_m,
        )
        for items in parts
    ]


def returning_home(mission: Mission) -> Mission:
    """``mission`` with a final NAV_LAND replaced by RTL: each vehicle of several lands
    where it took off (its own pad), not all on the plan's one home point."""
    items = mission.items
    if not items or items[-1].command != Command.NAV_LAND:
        return mission
    rtl = MissionItem(command=Command.NAV_RETURN_TO_LAUNCH, frame=Frame.MISSION)
    return replace(mission, items=(*items[:-1], rtl))


def share_sorties(sorties: list[Mission], vehicles: int) -> list[list[Mission]]:
    """Round robin: vehicle ``i`` flies sorties ``i, i + n, …`` in order. Vehicles beyond
    the number of sorties get none (and are left out)."""
    if vehicles < 1:
        raise ValueError("at least one vehicle is needed")
    return [sorties[i::vehicles] for i in range(min(vehicles, len(sorties)))]


def flight_log(
    record: FlightRecord,
    flight: FlightFile,
    *,
    pilot: str,
    registration: str,
    flight_id: str | None = None,
    inspection_id: str | None = None,
    in_progress: bool = False,
) -> FlightLog:
    """The 飛行日誌 entry of a flight that took off, however it ended; with
    ``in_progress``, a snapshot of one still flying (stored under the same flight id, the
    final log replaces it).

    Raises
    ------
    ValueError
        The record is of a flight that never took off.
    """
    if in_progress:
        result = FlightResult.IN_PROGRESS
    elif record.outcome in _RESULTS:
        result = _RESULTS[record.outcome]
    else:
        raise ValueError(f"flight of vehicle {record.system_id} never took off: no log")
    day_at = record.takeoff_at or record.started_at
    battery_used = None
    if record.battery_start_pct is not None and record.battery_end_pct is not None:
        battery_used = max(0.0, record.battery_start_pct - record.battery_end_pct)
    return FlightLog(
        flight_id=flight_id or str(uuid.uuid4()),
        flight_date=day_at.astimezone(JST).date(),
        pilot=pilot,
        registration=registration,
        purpose=_PURPOSES.get(flight.info.kind, FlightPurpose.OTHER),
        result=result,
        route=f"{flight.path.name} ({flight.info.kind})",
        permissions=flight.info.permissions,
        takeoff=_place(record.takeoff_place),
        takeoff_at=record.takeoff_at,
        landing=_place(record.landing_place),
        landing_at=record.landing_at,
        flight_time_s=record.flight_time_s,
        anomalies=tuple(Anomaly(at=a.at, text=a.text) for a in record.anomalies),
        inspection_id=inspection_id,
        mission_name=flight.path.name,
        mission_sha256=flight.sha256,
        system_id=record.system_id,
        area_sprayed_ha=record.sprayed_m2 / 10_000.0 if flight.info.swath_m else None,
        distance_m=record.distance_m,
        max_altitude_m=record.max_alt_m,
        battery_used_pct=battery_used,
        battery_used_mah=record.battery_used_mah,
        items_reached=min(record.items_reached, record.items_total),
        items_total=record.items_total,
    )


def _place(point: GeoPoint | None) -> Place | None:
    return None if point is None else Place(point=point)
