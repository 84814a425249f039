"""Live mission progress over WebSocket: the mission's status and its vehicle's telemetry.

``/missions/{id}/live?access_token=…`` (browsers cannot set headers on a WebSocket, so the
bearer token comes in the query). Twice a second the server sends
``{"mission": {...status, reason, version, vehicle, slot...}, "vehicle": {...} | null}``;
``vehicle`` is what the copter flying it reports (position, height, mode, battery, the
item it is on, the sortie) while this process flies it. The stream ends, after a last
message, when the mission reaches a final status. A bad token or a mission the caller may
not see closes the socket with code 4401 or 4404 before anything is sent; the token is
checked again every 10 s (a logout or expiry closes with 4401), and a stream ends after
four hours (4408).

``/fleet/live?access_token=…`` (operators and city staff; others get 4404) sends what
``GET /fleet/status`` gives, twice a second, for as long as it is open.
"""

import asyncio
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from api.accounts import BadCredentials, Principal, Role, authenticate
from api.deps import Services
from api.routes.fleet_status import fleet_status
from api.routes.missions import visible_mission
from api.scheduling import Mission, MissionNotFound, MissionStatus, get_mission

__all__ = ["router"]

router = APIRouter(tags=["missions"])

FINAL = frozenset(
    {
        MissionStatus.COMPLETED,
        MissionStatus.FAILED,
        MissionStatus.ABORTED,
        MissionStatus.CANCELLED,
        MissionStatus.REJECTED,
        MissionStatus.EXPIRED,
    }
)
PERIOD_S = 0.5
RECHECK_S = 10.0
"""How often a stream's token is checked again (a logout or expiry ends it)."""
MAX_STREAM_S = 4 * 3600.0
"""A stream ends after this long (a mission waiting for days does not hold a socket)."""


def _mission(mission: Mission) -> dict[str, Any]:
    return {
        "id": mission.id,
        "status": mission.status.value,
        "reason": mission.reason,
        "version": mission.version,
        "vehicle": mission.vehicle,
        "slot_start": mission.slot_start.isoformat() if mission.slot_start else None,
        "slot_end": mission.slot_end.isoformat() if mission.slot_end else None,
    }


@router.websocket("/missions/{mission_id}/live")
async def live(websocket: WebSocket, mission_id: int, access_token: str = "") -> None:
    """Stream a mission's status and its vehicle's telemetry until the mission ends."""
    services: Services = websocket.app.state.services
    fleet = services.extras.get("dispatch")

    def allowed(caller: Principal) -> str | None:
        try:
            visible_mission(caller, mission_id, services)
        except MissionNotFound:
            return f"no mission {mission_id}"
        return None

    def message() -> tuple[dict[str, Any], bool]:
        mission = get_mission(services.engine, mission_id)
        vehicle = fleet.live(mission_id) if fleet is not None else None
        return {"mission": _mission(mission), "vehicle": vehicle}, mission.status in FINAL

    await _stream(websocket, access_token, allowed, message)


@router.websocket("/fleet/live")
async def fleet_live(websocket: WebSocket, access_token: str = "") -> None:
    """Stream every registered vehicle as the operators' map shows it (``GET /fleet/status``
    twice a second); for operators and city staff."""
    services: Services = websocket.app.state.services

    def allowed(caller: Principal) -> str | None:
        return None if caller.has(Role.OPERATOR, Role.CITY_ADMIN) else "the fleet is for the crew"

    def message() -> tuple[dict[str, Any], bool]:
        return fleet_status(services), False

    await _stream(websocket, access_token, allowed, message)


async def _stream(
    websocket: WebSocket,
    access_token: str,
    allowed: Callable[[Principal], str | None],
    message: Callable[[], tuple[dict[str, Any], bool]],
) -> None:
    """Send ``message()`` every :data:`PERIOD_S` until it says it was the last (or the
    token or the stream's time runs out); ``allowed`` names why a caller may not see it."""
    services: Services = websocket.app.state.services
    # Accepted first: a close before the handshake reaches the client as a bare HTTP 403,
    # without the code that says why.
    await websocket.accept()
    try:
        caller = await run_in_threadpool(
            authenticate, services.engine, access_token, clock=services.clock
        )
    except BadCredentials:
        await websocket.close(code=4401, reason="a valid access_token is needed")
        return
    refused = await run_in_threadpool(allowed, caller)
    if refused is not None:
        await websocket.close(code=4404, reason=refused)
        return
    opened = time.monotonic()
    checked = opened
    try:
        while True:
            if time.monotonic() - checked > RECHECK_S:  # revoked or expired since: stop
                checked = time.monotonic()
                try:
                    await run_in_threadpool(
                        authenticate, services.engine, access_token, clock=services.clock
                    )
                except BadCredentials:
                    await websocket.close(code=4401, reason="the access token is no longer valid")
                    return
            if time.monotonic() - opened > MAX_STREAM_S:
                await websocket.close(code=4408, reason="the stream's time is up; open it again")
                return
            payload, last = await run_in_threadpool(message)
            await websocket.send_json(payload)
            if last:
                await websocket.close()
                return
            await asyncio.sleep(PERIOD_S)
    except WebSocketDisconnect:
        return
