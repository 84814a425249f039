"""QGroundControl ``.plan`` files: write Tanbo's missions, read the ones QGroundControl makes.

A plan is JSON (file version 1) with a ``mission`` (version 2: planned home,
firmware ArduPilot, vehicle quadrotor, SimpleItems), a ``geoFence`` (version 2:
polygons and circles) and ``rallyPoints`` (version 2). QGroundControl writes a
parameter it leaves unset (NaN, such as the yaw of a waypoint, which ArduPilot
Copter ignores) as ``null``; so does this writer, and the reader takes such a
``null`` as 0. Survey and corridor-scan ``ComplexItem``s are read through the
expanded SimpleItems QGroundControl saves with them
(``TransectStyleComplexItem.Items``).

>>> from core import GeoPoint
>>> plan = to_qgc_plan(Mission(home=GeoPoint(lat_deg=34.9283, lon_deg=134.8414), items=()))
>>> plan["fileType"], plan["mission"]["firmwareType"], plan["mission"]["plannedHomePosition"]
('Plan', 3, [34.9283, 134.8414, 0.0])
>>> read_qgc_plan(json.dumps(plan)).home
GeoPoint(lat_deg=34.9283, lon_deg=134.8414)
"""

import json
import math
from collections.abc import Sequence
from enum import IntEnum
from typing import Any, TypeVar

from core import GeoPoint
from mission_planner.errors import InvalidMission, InvalidMissionItem, UnreadableMissionFile
from mission_planner.model import Command, Fence, Frame, Mission, MissionItem, RallyPoint

__all__ = ["read_qgc_plan", "to_qgc_plan"]

_FIRMWARE_ARDUPILOT = 3  # MAV_AUTOPILOT_ARDUPILOTMEGA
_VEHICLE_QUADROTOR = 2  # MAV_TYPE_QUADROTOR
_CRUISE_SPEED_M_S = 15.0  # QGroundControl's default; fixed wings only
_HOVER_SPEED_M_S = 5.0  # QGroundControl's default, when no item sets a speed
_ALTITUDE_MODE_RELATIVE = 1
_ALTITUDE_MODE_CALC_ABOVE_TERRAIN = 3
_ALTITUDE_MODE = {  # QGroundControl's AltitudeMode per frame
    Frame.GLOBAL_RELATIVE_ALT: _ALTITUDE_MODE_RELATIVE,
    Frame.GLOBAL_RELATIVE_ALT_INT: _ALTITUDE_MODE_RELATIVE,
    Frame.GLOBAL: 2,
    Frame.GLOBAL_INT: 2,
    Frame.GLOBAL_TERRAIN_ALT: 4,
    Frame.GLOBAL_TERRAIN_ALT_INT: 4,
}
_YAW_WRITTEN_NULL = frozenset({Command.NAV_WAYPOINT, Command.NAV_LAND, Command.NAV_TAKEOFF})
_PARAM_NAMES = ("param1", "param2", "param3", "param4", "lat_deg", "lon_deg", "alt_m")

_E = TypeVar("_E", bound=IntEnum)


def to_qgc_plan(mission: Mission) -> dict[str, Any]:
    """The QGroundControl ``.plan`` document for ``mission`` (write it with ``json.dumps``).

    Parameters
    ----------
    mission
        Items in degrees and metres; altitudes in the items' frames.

    Returns
    -------
    dict
        Plan file version 1, keys sorted as QGroundControl writes them; no NaN or
        infinity anywhere, so ``json.dumps(..., allow_nan=False)`` succeeds.
    """
    speeds = [i.param2 for i in mission.items if i.command == Command.DO_CHANGE_SPEED]
    hover_m_s = next((s for s in speeds if s > 0.0), _HOVER_SPEED_M_S)
    polygons = [
        {"inclusion": inclusion, "polygon": [[p.lat_deg, p.lon_deg] for p in polygon], "version": 1}
        for inclusion, group in ((True, mission.fence.inclusion), (False, mission.fence.exclusion))
        for polygon in group
    ]
    return {
        "fileType": "Plan",
        "geoFence": {"circles": [], "polygons": polygons, "version": 2},
        "groundStation": "QGroundControl",
        "mission": {
            "cruiseSpeed": _CRUISE_SPEED_M_S,
            "firmwareType": _FIRMWARE_ARDUPILOT,
            "globalPlanAltitudeMode": _ALTITUDE_MODE_RELATIVE,
            "hoverSpeed": hover_m_s,
            "items": [_simple_item(item, jump_id) for jump_id, item in enumerate(mission.items, 1)],
            "plannedHomePosition": [
                mission.home.lat_deg,
                mission.home.lon_deg,
                mission.home_amsl_m,
            ],
            "vehicleType": _VEHICLE_QUADROTOR,
            "version": 2,
        },
        "rallyPoints": {
            "points": [[r.position.lat_deg, r.position.lon_deg, r.alt_m] for r in mission.rally],
            "version": 2,
        },
        "version": 1,
    }


def _simple_item(item: MissionItem, jump_id: int) -> dict[str, Any]:
    yaw: float | None = item.param4
    if item.command in _YAW_WRITTEN_NULL and item.param4 == 0.0:
        yaw = None
    written: dict[str, Any] = {
        "autoContinue": item.autocontinue,
        "command": int(item.command),
        "doJumpId": jump_id,
        "frame": int(item.frame),
        "params": [
            item.param1,
            item.param2,
            item.param3,
            yaw,
            item.lat_deg,
            item.lon_deg,
            item.alt_m,
        ],
        "type": "SimpleItem",
    }
    if item.command.has_position and item.frame in _ALTITUDE_MODE:
        written["AMSLAltAboveTerrain"] = None
        written["Altitude"] = item.alt_m
        written["AltitudeMode"] = _ALTITUDE_MODE[item.frame]
    return dict(sorted(written.items()))


def read_qgc_plan(text: str) -> Mission:
    """Read a QGroundControl ``.plan`` file's text.

    Parameters
    ----------
    text
        The file's JSON text. Plan file version 1 with a version 2 mission; items
        may use the older ``coordinate`` + four ``params`` form; fences of
        version 1 or 2 (polygons only), rally points of version 1 or 2.

    Returns
    -------
    Mission
        Home and its altitude above sea level from ``plannedHomePosition``; the
        items, complex items expanded in place.

    Raises
    ------
    UnreadableMissionFile
        Not a plan; a command, frame or field Tanbo does not know; a complex item
        without expanded items; a circular fence; a null position. The message
        names the place in the file (``mission.items[4]``).
    InvalidMissionItem
        An item breaks a rule (e.g. above 150 m); names its index and place.
    InvalidMission
        A fence polygon or rally point breaks a rule; names its place.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableMissionFile(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("fileType") != "Plan":
        raise UnreadableMissionFile('not a QGroundControl plan: fileType is not "Plan"')
    if doc.get("version") != 1:
        raise UnreadableMissionFile(f"plan file version {doc.get('version')!r}, expected 1")
    mission = _object(doc.get("mission"), "mission")
    if mission.get("version") != 2:
        raise UnreadableMissionFile(f"mission.version {mission.get('version')!r}, expected 2")
    lat, lon, home_alt_m = _numbers(mission.get("plannedHomePosition"), 3, "plannedHomePosition")
    home = _geo(lat, lon, "mission.plannedHomePosition")
    items: list[MissionItem] = []
    places: list[str] = []
    for number, raw in enumerate(_array(mission.get("items"), "mission.items")):
        where = f"mission.items[{number}]"
        for place, simple in _simple_items(raw, where):
            items.append(_read_simple(simple, place, len(items)))
            places.append(place)
    fence = _read_fence(doc.get("geoFence"))
    rally = _read_rally(doc.get("rallyPoints"))
    try:
        return Mission(
            home=home, items=tuple(items), fence=fence, rally=rally, home_amsl_m=home_alt_m
        )
    except InvalidMissionItem as exc:
        if exc.index is None:
            raise
        raise exc.at(exc.index, places[exc.index]) from exc


def _simple_items(raw: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    item = _object(raw, where)
    kind = item.get("type")
    if kind == "SimpleItem":
        return [(where, item)]
    if kind != "ComplexItem":
        raise UnreadableMissionFile(f"{where}: type {kind!r} is neither SimpleItem nor ComplexItem")
    transect = item.get("TransectStyleComplexItem")
    expanded = transect.get("Items") if isinstance(transect, dict) else None
    if not isinstance(expanded, list) or not expanded:
        complex_type = item.get("complexItemType", "unnamed")
        raise UnreadableMissionFile(
            f"{where}: the {complex_type!r} complex item carries no expanded mission items "
            "(TransectStyleComplexItem.Items); Tanbo reads survey and corridor scans through "
            "those only. Open the plan in a recent QGroundControl and save it again."
        )
    inner = f"{where}.TransectStyleComplexItem.Items"
    found = []
    for number, simple in enumerate(expanded):
        place = f"{inner}[{number}]"
        if _object(simple, place).get("type") != "SimpleItem":
            raise UnreadableMissionFile(f"{place}: expected a SimpleItem inside a complex item")
        found.append((place, simple))
    return found


def _read_simple(item: dict[str, Any], where: str, index: int) -> MissionItem:
    command = _member(Command, item.get("command"), where, "command")
    frame = _member(Frame, item.get("frame"), where, "frame")
    raw_params = _array(item.get("params"), f"{where}.params")
    if "coordinate" in item:  # the older form: four params and a [lat, lon, alt] coordinate
        coordinate = _array(item["coordinate"], f"{where}.coordinate")
        if len(raw_params) != 4 or len(coordinate) != 3:
            raise UnreadableMissionFile(f"{where}: expected 4 params and a 3-value coordinate")
        raw_params = [*raw_params, *coordinate]
    if len(raw_params) != 7:
        raise UnreadableMissionFile(f"{where}.params has {len(raw_params)} values, expected 7")
    values: list[float] = []
    for name, value in zip(_PARAM_NAMES, raw_params, strict=True):
        if value is None:
            if command.has_position and name in ("lat_deg", "lon_deg", "alt_m"):
                raise UnreadableMissionFile(f"{where}: {name} is null{_null_reason(item, name)}")
            value = 0.0
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UnreadableMissionFile(f"{where}: {name} is {value!r}, not a number")
        values.append(float(value))
    autocontinue = item.get("autoContinue", True)
    if not isinstance(autocontinue, bool):
        raise UnreadableMissionFile(f"{where}: autoContinue is {autocontinue!r}, not true/false")
    p1, p2, p3, p4, lat, lon, alt = values
    try:
        return MissionItem(
            command=command,
            frame=frame,
            param1=p1,
            param2=p2,
            param3=p3,
            param4=p4,
            lat_deg=lat,
            lon_deg=lon,
            alt_m=alt,
            autocontinue=autocontinue,
        )
    except InvalidMissionItem as exc:
        raise exc.at(index, where) from exc


def _null_reason(item: dict[str, Any], name: str) -> str:
    if name == "alt_m" and item.get("AltitudeMode") == _ALTITUDE_MODE_CALC_ABOVE_TERRAIN:
        return (
            ": QGroundControl leaves it so until it has terrain heights for a 'calculated "
            "above terrain' item; open the plan in QGroundControl online and save it again"
        )
    return ""


def _read_fence(raw: Any) -> Fence:
    if raw is None:
        return Fence()
    fence = _object(raw, "geoFence")
    version = fence.get("version")
    if version == 1:  # older plans: one inclusion polygon
        vertices = _array(fence.get("polygon", []), "geoFence.polygon")
        if not vertices:
            return Fence()
        return Fence(inclusion=(_polygon(vertices, "geoFence.polygon"),))
    if version != 2:
        raise UnreadableMissionFile(f"geoFence.version {version!r}, expected 1 or 2")
    if _array(fence.get("circles", []), "geoFence.circles"):
        raise UnreadableMissionFile(
            "geoFence.circles: circular fences are not supported; draw them as polygons"
        )
    inclusion: list[tuple[GeoPoint, ...]] = []
    exclusion: list[tuple[GeoPoint, ...]] = []
    for number, raw_polygon in enumerate(_array(fence.get("polygons", []), "geoFence.polygons")):
        where = f"geoFence.polygons[{number}]"
        polygon = _object(raw_polygon, where)
        inside = polygon.get("inclusion", True)
        if not isinstance(inside, bool):
            raise UnreadableMissionFile(f"{where}.inclusion is {inside!r}, not true/false")
        ring = _polygon(_array(polygon.get("polygon"), f"{where}.polygon"), where)
        (inclusion if inside else exclusion).append(ring)
    return Fence(inclusion=tuple(inclusion), exclusion=tuple(exclusion))


def _polygon(vertices: list[Any], where: str) -> tuple[GeoPoint, ...]:
    points = []
    for number, vertex in enumerate(vertices):
        lat, lon = _numbers(vertex, 2, f"{where}[{number}]")
        points.append(_geo(lat, lon, f"{where}[{number}]"))
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) < 3:
        raise InvalidMission(f"{where}: a fence polygon needs 3 vertices, has {len(points)}")
    return tuple(points)


def _read_rally(raw: Any) -> tuple[RallyPoint, ...]:
    if raw is None:
        return ()
    rally = _object(raw, "rallyPoints")
    if rally.get("version") not in (1, 2):
        raise UnreadableMissionFile(f"rallyPoints.version {rally.get('version')!r}, expected 2")
    points = []
    for number, point in enumerate(_array(rally.get("points", []), "rallyPoints.points")):
        where = f"rallyPoints.points[{number}]"
        lat, lon, alt_m = _numbers(point, 3, where)
        try:
            points.append(RallyPoint(position=_geo(lat, lon, where), alt_m=alt_m))
        except InvalidMission as exc:
            raise InvalidMission(f"{where}: {exc}") from exc
    return tuple(points)


def _object(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise UnreadableMissionFile(f"{where} is missing or not a JSON object")
    return raw


def _array(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise UnreadableMissionFile(f"{where} is missing or not a JSON array")
    return raw


def _numbers(raw: Any, count: int, where: str) -> list[float]:
    values = _array(raw, where)
    if len(values) != count or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
    ):
        raise UnreadableMissionFile(f"{where} should be {count} numbers, is {raw!r}")
    return [float(v) for v in values]


def _geo(lat: float, lon: float, where: str) -> GeoPoint:
    try:
        return GeoPoint(lat_deg=lat, lon_deg=lon)
    except ValueError as exc:
        raise UnreadableMissionFile(f"{where}: {exc}") from exc


def _member(enum: type[_E], raw: Any, where: str, name: str) -> _E:
    known: Sequence[int] = [int(member) for member in enum]
    if isinstance(raw, bool) or not isinstance(raw, int) or raw not in known:
        raise UnreadableMissionFile(
            f"{where}: {name} {raw!r} is not a {enum.__name__} Tanbo knows "
            f"(mission_planner.model.{enum.__name__})"
        )
    return enum(raw)
