"""The fleet as the operators' map shows it: every registered vehicle, live when linked.

``GET /fleet/status`` once; ``/fleet/live`` (:mod:`api.routes.live`) streams the same
twice a second. The process that flies the fleet keeps each vehicle linked
(:mod:`api.fleet_watch`); any other process lists the register with ``linked: false``.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from api import fleet_store
from api.accounts import Principal, Role
from api.deps import Services, ServicesDep, require
from api.fleet_watch import FleetWatch, unlinked
from api.routes.common import ProblemResponses

__all__ = ["FleetStatus", "FleetVehicle", "fleet_status", "router"]

router = APIRouter(prefix="/fleet", tags=["vehicles"], responses=ProblemResponses)


class FleetVehicle(BaseModel):
    """One registered vehicle: what the register says, what it reports, what it does."""

    model_config = ConfigDict(extra="forbid")

    registration: str
    model: str
    simulated: bool
    tank_l: float = Field(description="Spray tank, litres (0: none).")
    max_payload_kg: float
    linked: bool = Field(description="This process holds a link to it.")
    connected: bool = Field(description="Its heartbeat is heard now.")
    why: str | None = Field(None, description="Why it is not linked, in words.")
    heard_s_ago: float | None = None
    system_id: int | None = None
    mode: str | None = None
    armed: bool | None = None
    lat_deg: float | None = None
    lon_deg: float | None = None
    alt_rel_m: float | None = Field(None, description="Height above home, m.")
    heading_deg: float | None = None
    groundspeed_m_s: float | None = None
    battery_pct: float | None = None
    mission_seq: int | None = Field(None, description="The mission item it is on.")
    mission_total: int | None = None
    mission_id: int | None = Field(None, description="The mission it flies now.")
    sortie: int | None = None
    sorties: int | None = None
    tank_left_l: float | None = Field(
        None, description="Litres left, estimated from the area sprayed (MAVLink has no tank)."
    )
    delivery_id: str | None = Field(None, description="The delivery it flies now.")


class FleetStatus(BaseModel):
    """Every registered vehicle (retired ones left out), by registration."""

    at: datetime
    watching: bool = Field(description="Whether this process keeps the vehicles linked.")
    vehicles: list[FleetVehicle]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "at": "2026-06-02T09:15:00+09:00",
                    "watching": True,
                    "vehicles": [
                        {
                            "registration": "JU0123456789", "model": "AGRAS T25",
                            "simulated": False, "tank_l": 20.0, "max_payload_kg": 20.0,
                            "linked": True, "connected": True, "heard_s_ago": 0.2,
                            "system_id": 1, "mode": "AUTO", "armed": True,
                            "lat_deg": 34.928, "lon_deg": 134.842, "alt_rel_m": 5.0,
                            "heading_deg": 92.0, "groundspeed_m_s": 5.0, "battery_pct": 71.0,
                            "mission_seq": 14, "mission_total": 40, "mission_id": 12,
                            "sortie": 1, "sorties": 2, "tank_left_l": 8.4,
                        }
                    ],
                }
            ]
        }
    )  # fmt: skip


def fleet_status(services: Services) -> dict[str, Any]:
    """What ``GET /fleet/status`` answers (and ``/fleet/live`` sends)."""
    watch: FleetWatch | None = services.extras.get("fleet_watch")
    if watch is not None:
        vehicles = watch.snapshot()
    else:
        vehicles = [
            unlinked(v, "the fleet watch is off in this process")
            for v in fleet_store.list_vehicles(services.engine)
        ]
    return {"at": services.clock.now().isoformat(), "watching": watch is not None,
            "vehicles": vehicles}  # fmt: skip


@router.get("/status", response_model=FleetStatus, summary="The fleet, live")
def get_fleet_status(
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require(Role.OPERATOR, Role.CITY_ADMIN))],
) -> dict[str, Any]:
    """Every registered vehicle: where it is, its mode, battery and tank, and the mission
    or delivery it flies, as this moment's telemetry has them."""
    return fleet_status(services)
