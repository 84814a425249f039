"""``QGC WPL 110`` waypoint files, as MAVProxy, Mission Planner and QGroundControl load them.

The first line is ``QGC WPL 110``; then one tab-separated line per item::

    INDEX CURRENT FRAME COMMAND PARAM1 PARAM2 PARAM3 PARAM4 LAT LON ALT AUTOCONTINUE

Line ``0`` is home (its altitude above mean sea level); the mission's items
follow from index 1. Numbers are written in Python's shortest exact form
(``34.92830417``), so a file read back gives the same mission. The format has no
fence or rally points: those travel in the ``.plan`` file.

>>> from core import GeoPoint
>>> text = to_waypoints(Mission(home=GeoPoint(lat_deg=34.9283, lon_deg=134.8414), items=()))
>>> text.splitlines()
['QGC WPL 110', '0\\t1\\t0\\t16\\t0\\t0\\t0\\t0\\t34.9283\\t134.8414\\t0\\t1']
>>> read_waypoints(text).home
GeoPoint(lat_deg=34.9283, lon_deg=134.8414)
"""

import math
from decimal import Decimal

from core import GeoPoint
from mission_planner.errors import InvalidMissionItem, UnreadableMissionFile
from mission_planner.model import Command, Frame, Mission, MissionItem

__all__ = ["WAYPOINTS_HEADER", "read_waypoints", "to_waypoints"]

WAYPOINTS_HEADER = "QGC WPL 110"
_FIELDS = 12
_HOME_FIELDS = ((8, "lat"), (9, "lon"), (10, "alt"))


def to_waypoints(mission: Mission) -> str:
    """The ``QGC WPL 110`` text of ``mission`` (home on line 0, items from 1).

    Parameters
    ----------
    mission
        Items in degrees and metres; ``home_amsl_m`` goes on the home line.

    Returns
    -------
    str
        Tab-separated lines ending in a newline.
    """
    home = mission.home
    lines = [
        WAYPOINTS_HEADER,
        _line(0, 1, Frame.GLOBAL, Command.NAV_WAYPOINT, (0.0,) * 4, home, mission.home_amsl_m),
    ]
    for index, item in enumerate(mission.items, 1):
        params = (item.param1, item.param2, item.param3, item.param4)
        where = (item.lat_deg, item.lon_deg)
        lines.append(
            _line(index, 0, item.frame, item.command, params, where, item.alt_m, item.autocontinue)
        )
    return "\n".join(lines) + "\n"


def _line(
    index: int,
    current: int,
    frame: Frame,
    command: Command,
    params: tuple[float, ...],
    where: GeoPoint | tuple[float, float],
    alt_m: float,
    autocontinue: bool = True,
) -> str:
    lat, lon = (where.lat_deg, where.lon_deg) if isinstance(where, GeoPoint) else where
    numbers = [_number(v) for v in (*params, lat, lon, alt_m)]
    head = [str(index), str(current), str(int(frame)), str(int(command))]
    return "\t".join([*head, *numbers, str(int(autocontinue))])


def _number(value: float) -> str:
    """Shortest text that reads back as the same float, without an exponent."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return format(Decimal(repr(float(value))), "f")


def read_waypoints(text: str) -> Mission:
    """Read a ``QGC WPL 110`` file's text.

    Parameters
    ----------
    text
        Tab- (or space-) separated lines; line 0 is home. A ``nan`` in param1..4
        (QGroundControl's unset yaw) reads as 0, which ArduPilot Copter treats alike.

    Returns
    -------
    Mission
        Home (falling back to the first item with a position when line 0 is at
        0, 0, as some tools write it when home is unknown), its altitude, the
        items; no fence or rally points.

    Raises
    ------
    UnreadableMissionFile
        Not a ``QGC WPL 110`` file, a line without 12 fields, indices out of
        order, or a command or frame Tanbo does not know; names the line.
    InvalidMissionItem
        An item breaks a rule (e.g. above 150 m); names its index and line.
    """
    lines = [
        (number, line.strip())
        for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1)
        if line.strip()
    ]
    if not lines or lines[0][1].split() != WAYPOINTS_HEADER.split():
        raise UnreadableMissionFile(f"not a waypoint file: line 1 is not {WAYPOINTS_HEADER!r}")
    rows = [_fields(number, line) for number, line in lines[1:]]
    for expected, (number, fields) in enumerate(rows):
        if fields[0] != str(expected):
            raise UnreadableMissionFile(f"line {number}: index {fields[0]}, expected {expected}")
    if not rows:
        raise UnreadableMissionFile("no home line (index 0)")
    items = tuple(_item(number, fields, index) for index, (number, fields) in enumerate(rows[1:]))
    home, home_alt_m = _home(*rows[0], items)
    try:
        return Mission(home=home, items=items, home_amsl_m=home_alt_m)
    except InvalidMissionItem as exc:
        if exc.index is None:
            raise
        raise exc.at(exc.index, f"line {rows[exc.index + 1][0]}") from exc


def _home(number: int, fields: list[str], items: tuple[MissionItem, ...]) -> tuple[GeoPoint, float]:
    lat, lon, alt_m = (_float(number, fields, n, name) for n, name in _HOME_FIELDS)
    if lat == 0.0 and lon == 0.0:
        placed = [
            item
            for item in items
            if item.command.has_position and (item.lat_deg, item.lon_deg) != (0.0, 0.0)
        ]
        if not placed:
            raise UnreadableMissionFile(f"line {number}: home is at 0, 0 and no item has a place")
        lat, lon, alt_m = placed[0].lat_deg, placed[0].lon_deg, 0.0
    try:
        return GeoPoint(lat_deg=lat, lon_deg=lon), alt_m
    except ValueError as exc:
        raise UnreadableMissionFile(f"line {number} (home): {exc}") from exc


def _fields(number: int, line: str) -> tuple[int, list[str]]:
    fields = line.split()
    if len(fields) != _FIELDS:
        raise UnreadableMissionFile(f"line {number}: {len(fields)} fields, expected {_FIELDS}")
    return number, fields


def _float(number: int, fields: list[str], position: int, name: str) -> float:
    try:
        value = float(fields[position])
    except ValueError as exc:
        raise UnreadableMissionFile(f"line {number}: {name} {fields[position]!r}") from exc
    if math.isnan(value) and 4 <= position <= 7:
        return 0.0  # an unset param (QGroundControl writes its NaN yaw as "nan")
    return value


def _int(number: int, fields: list[str], position: int, name: str) -> int:
    try:
        return int(fields[position])
    except ValueError as exc:
        raise UnreadableMissionFile(f"line {number}: {name} {fields[position]!r}") from exc


def _item(number: int, fields: list[str], index: int) -> MissionItem:
    frame_value = _int(number, fields, 2, "frame")
    command_value = _int(number, fields, 3, "command")
    if frame_value not in Frame.__members__.values():
        raise UnreadableMissionFile(f"line {number}: frame {frame_value} is not one Tanbo knows")
    if command_value not in Command.__members__.values():
        raise UnreadableMissionFile(
            f"line {number}: command {command_value} is not one Tanbo knows"
        )
    autocontinue = _int(number, fields, 11, "autocontinue")
    if autocontinue not in (0, 1):
        raise UnreadableMissionFile(f"line {number}: autocontinue {autocontinue}, expected 0 or 1")
    p1, p2, p3, p4, lat, lon, alt = (
        _float(number, fields, position, name)
        for position, name in enumerate(
            ("param1", "param2", "param3", "param4", "lat", "lon", "alt"), 4
        )
    )
    try:
        return MissionItem(
            command=Command(command_value),
            frame=Frame(frame_value),
            param1=p1,
            param2=p2,
            param3=p3,
            param4=p4,
            lat_deg=lat,
            lon_deg=lon,
            alt_m=alt,
            autocontinue=bool(autocontinue),
        )
    except InvalidMissionItem as exc:
        raise exc.at(index, f"line {number}") from exc
