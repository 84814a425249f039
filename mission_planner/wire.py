"""A mission's MISSION_ITEM_INT rows, as the vehicle's three lists are uploaded.

Kept apart from :mod:`mission_planner.build`: building decides what the vehicle
does, this only encodes it for the wire (degrees * 1e7, slot 0 as home, fence
vertex counts) as fleet's mission transfer uploads it.
"""

from core import deg_to_e7
from mission_planner.model import Command, Frame, Mission, MissionType

__all__ = ["mission_items_int"]


def mission_items_int(
    mission: Mission, mission_type: MissionType = MissionType.MISSION
) -> list[dict[str, int | float]]:
    """The MISSION_ITEM_INT fields of one of the vehicle's three lists, in upload order.

    Parameters
    ----------
    mission
        The mission to send.
    mission_type
        MISSION: seq 0 is home (NAV_WAYPOINT, frame GLOBAL, altitude ``home_amsl_m``)
        and ``mission.items`` follow from seq 1 (ArduPilot overwrites slot 0 with
        its own home). FENCE: one NAV_FENCE_POLYGON_VERTEX_INCLUSION/EXCLUSION per
        vertex, param1 the polygon's vertex count. RALLY: NAV_RALLY_POINT items.

    Returns
    -------
    list of dict
        ``seq, frame, command, current, autocontinue, param1..param4, x, y, z,
        mission_type``; x and y are int degrees * 1e7, z metres; every number a
        plain ``int`` or ``float``. ``target_system``/``target_component`` are the
        sender's to add.
    """
    rows: list[dict[str, int | float]] = []
    if mission_type == MissionType.MISSION:
        home = mission.home
        rows.append(
            _wire(
                Command.NAV_WAYPOINT, Frame.GLOBAL, home.lat_deg, home.lon_deg, mission.home_amsl_m
            )
        )
        rows[0]["current"] = 1  # as ground stations write home
        for item in mission.items:
            rows.append(
                _wire(
                    item.command,
                    item.frame,
                    item.lat_deg,
                    item.lon_deg,
                    item.alt_m,
                    (item.param1, item.param2, item.param3, item.param4),
                    autocontinue=item.autocontinue,
                )
            )
    elif mission_type == MissionType.FENCE:
        for command, polygons in (
            (Command.NAV_FENCE_POLYGON_VERTEX_INCLUSION, mission.fence.inclusion),
            (Command.NAV_FENCE_POLYGON_VERTEX_EXCLUSION, mission.fence.exclusion),
        ):
            for polygon in polygons:
                count = (float(len(polygon)), 0.0, 0.0, 0.0)
                for vertex in polygon:
                    rows.append(
                        _wire(command, Frame.GLOBAL, vertex.lat_deg, vertex.lon_deg, 0.0, count)
                    )
    elif mission_type == MissionType.RALLY:
        for rally in mission.rally:
            at = rally.position
            rows.append(
                _wire(
                    Command.NAV_RALLY_POINT,
                    Frame.GLOBAL_RELATIVE_ALT,
                    at.lat_deg,
                    at.lon_deg,
                    rally.alt_m,
                )
            )
    else:  # pragma: no cover - the enum has three members
        raise ValueError(f"unknown mission type {mission_type!r}")
    for seq, row in enumerate(rows):
        row["seq"] = seq
        row["mission_type"] = int(mission_type)
    return rows


def _wire(
    command: Command,
    frame: Frame,
    lat_deg: float,
    lon_deg: float,
    z: float,
    params: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0),
    *,
    autocontinue: bool = True,
) -> dict[str, int | float]:
    return {
        "seq": 0,
        "frame": int(frame),
        "command": int(command),
        "current": 0,
        "autocontinue": int(autocontinue),
        "param1": float(params[0]),
        "param2": float(params[1]),
        "param3": float(params[2]),
        "param4": float(params[3]),
        "x": deg_to_e7(lat_deg),
        "y": deg_to_e7(lon_deg),
        "z": float(z),
        "mission_type": 0,
    }
