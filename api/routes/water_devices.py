"""Sensors and gates of the paddies, and their readings over HTTP: the device registry
(which device serves which paddy, its calibration, battery and last-seen time) and the
ingestion of readings a gateway or a LoRaWAN network server posts."""

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from api.accounts import Principal, Role
from api.deps import ServicesDep
from api.errors import Conflict, NotFound
from api.irrigation import store
from api.routes.common import Page, ProblemResponses
from api.routes.paddies import Keepers, owned_paddy
from irrigation import BadReading, Device, DeviceKind, GateRole, Metric, Reading
from irrigation.lorawan import parse_tts_uplink

__all__ = ["DeviceCreate", "DevicePublic", "IngestReport", "readings_router", "router"]

router = APIRouter(prefix="/water-devices", tags=["paddy water"], responses=ProblemResponses)
readings_router = APIRouter(prefix="/readings", tags=["paddy water"], responses=ProblemResponses)


class DevicePublic(BaseModel):
    """A registered sensor or gate."""

    id: str
    farm: str
    kind: DeviceKind
    paddy_id: str | None
    role: GateRole | None
    calibration: dict[Metric, float]
    battery_pct: float | None
    last_seen_at: datetime | None


def _device_public(device: Device) -> DevicePublic:
    return DevicePublic(
        id=device.id,
        farm=device.farm,
        kind=device.kind,
        paddy_id=device.paddy_id,
        role=device.role,
        calibration=device.calibration,
        battery_pct=device.battery_pct,
        last_seen_at=device.last_seen_at,
    )


class DeviceCreate(BaseModel):
    """A sensor or gate and the paddy it serves."""

    id: str = Field(min_length=1, max_length=200, pattern=r"^[^/+#\s]+$")
    farm: str | None = None
    kind: DeviceKind
    paddy_id: str
    role: GateRole | None = None
    calibration: dict[Metric, float] = Field(default_factory=dict)


@router.post("", response_model=DevicePublic, status_code=201, summary="Register a device")
def add_device(
    body: Annotated[
        DeviceCreate,
        Body(
            examples=[
                {
                    "id": "lv-0001",
                    "kind": "sensor",
                    "paddy_id": "tanaka-B000",
                    "calibration": {"water_level": -0.4},
                }
            ]
        ),
    ],
    services: ServicesDep,
    caller: Keepers,
) -> DevicePublic:
    """Register (or re-register) a sensor or gate on one of the caller's paddies."""
    paddy = owned_paddy(services, caller, body.paddy_id)
    try:
        existing = store.get_device(services.engine, body.id)
    except NotFound:
        existing = None
    if existing is not None and existing.paddy_id is not None:
        owned_paddy(services, caller, existing.paddy_id)
    if body.kind is DeviceKind.GATE and body.role is not None:
        # One gate per role on a paddy: commands must go to the one that is there.
        for other in store.list_devices(services.engine, paddy_id=body.paddy_id):
            if other.kind is DeviceKind.GATE and other.role is body.role and other.id != body.id:
                raise Conflict(
                    f"paddy {body.paddy_id} has an {other.role} gate already ({other.id});"
                    f" detach it first (DELETE /water-devices/{other.id})"
                )
    device = Device(
        id=body.id,
        farm=body.farm or paddy.paddy.farm or paddy.owner,
        kind=body.kind,
        paddy_id=body.paddy_id,
        role=body.role,
        calibration=body.calibration,
    )
    return _device_public(store.register_device(services.engine, device, clock=services.clock))


@router.get("", response_model=Page[DevicePublic], summary="List devices")
def list_devices(
    services: ServicesDep,
    caller: Keepers,
    paddy_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[DevicePublic]:
    """Devices by id, with battery and last-seen: a farmer's own; all for city staff."""
    owner = None if caller.has(Role.CITY_ADMIN) else caller.account_id
    rows = store.list_devices(services.engine, paddy_id=paddy_id, owner=owner)
    page = [_device_public(d) for d in rows[offset : offset + limit]]
    return Page(data=page, count=len(rows), limit=limit, offset=offset)


@router.delete("/{device_id}", response_model=DevicePublic, summary="Detach a device")
def detach_device(device_id: str, services: ServicesDep, caller: Keepers) -> DevicePublic:
    """Take a device off its paddy (replaced, broken, moved): its readings stay, it steers
    nothing and is commanded nothing until registered on a paddy again."""
    device = read_device(device_id, services, caller)
    detached = Device(
        id=device.id,
        farm=device.farm,
        kind=device.kind,
        paddy_id=None,
        role=device.role,
        calibration=device.calibration,
    )
    return _device_public(store.register_device(services.engine, detached, clock=services.clock))


@router.get("/{device_id}", response_model=DevicePublic, summary="Read a device")
def read_device(device_id: str, services: ServicesDep, caller: Keepers) -> DevicePublic:
    """One device."""
    device = store.get_device(services.engine, device_id)
    if device.paddy_id is None and not caller.has(Role.CITY_ADMIN):
        raise NotFound(f"no device {device_id}")
    if device.paddy_id is not None:
        try:
            owned_paddy(services, caller, device.paddy_id)
        except NotFound as exc:
            raise NotFound(f"no device {device_id}") from exc
    return _device_public(device)


_MAX_AHEAD = timedelta(seconds=300)
"""A reading dated further ahead of its arrival comes from a clock that is wrong."""


class ReadingIn(BaseModel):
    """One measurement as a device or gateway reports it."""

    device_id: str = Field(min_length=1, max_length=200)
    metric: Metric
    value: float
    time: datetime = Field(description="When the device measured it, with its time zone.")


class Rejected(BaseModel):
    """An item of a batch that was not stored, and why."""

    index: int
    device_id: str
    problem: str


class IngestReport(BaseModel):
    """What a batch of readings did: stored, already there, refused (each named)."""

    stored: int
    duplicates: int
    rejected: list[Rejected]


def _ingest(
    services: ServicesDep, caller: Principal, items: list[tuple[int, Reading]], source: str
) -> tuple[int, int, list[Rejected]]:
    """Store the readings of devices the caller may report for; name the others."""
    ids = {r.device_id for _, r in items}
    owner = None if caller.has(Role.CITY_ADMIN) else caller.account_id
    mine = {d.id: d for d in store.list_devices(services.engine, owner=owner) if d.id in ids}
    good = [(i, r) for i, r in items if r.device_id in mine]
    rejected = [
        Rejected(index=i, device_id=r.device_id, problem="no such device on your paddies")
        for i, r in items
        if r.device_id not in mine
    ]
    result = store.store_readings(
        services.engine, [r for _, r in good], source=source, clock=services.clock
    )
    return result.stored, result.duplicates, rejected


@readings_router.post("", response_model=IngestReport, summary="Report readings")
def post_readings(
    batch: Annotated[
        list[ReadingIn],
        Body(
            examples=[
                [
                    {
                        "device_id": "lv-0001",
                        "metric": "water_level",
                        "value": 4.2,
                        "time": "2026-06-01T03:00:00+09:00",
                    }
                ]
            ]
        ),
    ],
    services: ServicesDep,
    caller: Keepers,
) -> IngestReport:
    """Store a batch of readings of registered devices, once each (a retried batch is not
    stored twice). Good items are stored, bad ones are listed; none stored is a 422."""
    items: list[tuple[int, Reading]] = []
    rejected: list[Rejected] = []
    now = services.clock.now()
    for index, item in enumerate(batch):
        if item.time.tzinfo is not None and item.time > now + _MAX_AHEAD:
            ahead_s = (item.time - now).total_seconds()
            problem = f"{ahead_s:.0f} s ahead of arrival: the device's clock is ahead"
            rejected.append(Rejected(index=index, device_id=item.device_id, problem=problem))
            continue
        try:
            items.append(
                (
                    index,
                    Reading(
                        device_id=item.device_id,
                        metric=item.metric,
                        value=item.value,
                        device_time=item.time,
                        received_at=now,
                    ),
                )
            )
        except BadReading as exc:
            rejected.append(Rejected(index=index, device_id=item.device_id, problem=str(exc)))
    stored, duplicates, refused = _ingest(services, caller, items, "http")
    rejected = sorted([*rejected, *refused], key=lambda r: r.index)
    if batch and stored == 0 and duplicates == 0:
        first = rejected[0]
        raise ValueError(f"item {first.index} ({first.device_id}): {first.problem}")
    return IngestReport(stored=stored, duplicates=duplicates, rejected=rejected)


_TTS_EXAMPLE: dict[str, Any] = {
    "end_device_ids": {
        "device_id": "lv-0001",
        "application_ids": {"application_id": "kasai-paddies"},
        "dev_eui": "70B3D57ED0061234",
    },
    "received_at": "2026-06-01T00:00:02.123Z",
    "uplink_message": {
        "f_port": 2,
        "f_cnt": 1234,
        "decoded_payload": {"water_level_cm": 4.2, "water_temperature": 21.5, "battery": 87},
        "rx_metadata": [
            {"gateway_ids": {"gateway_id": "kasai-gw-1"}, "time": "2026-06-01T00:00:01.9Z"}
        ],
    },
}


@readings_router.post(
    "/lorawan", response_model=IngestReport, summary="A LoRaWAN uplink (The Things Stack)"
)
def post_lorawan_uplink(
    body: Annotated[dict[str, Any], Body(examples=[_TTS_EXAMPLE])],
    services: ServicesDep,
    caller: Keepers,
) -> IngestReport:
    """The uplink webhook of a LoRaWAN network server (The Things Stack v3): the decoded
    payload's fields become readings of the registered device, once each (a retried
    webhook is not stored twice). Fields that cannot be read are listed; the rest count."""
    now = services.clock.now()
    uplink = parse_tts_uplink(body, received_at=now)
    items = list(enumerate(uplink.readings))
    stored, duplicates, refused = _ingest(services, caller, items, "lorawan")
    problems = [Rejected(index=-1, device_id=uplink.device_id, problem=p) for p in uplink.problems]
    if not uplink.readings:
        detail = "; ".join(uplink.problems) or "no known field in decoded_payload"
        raise ValueError(f"uplink of {uplink.device_id}: {detail}")
    if refused and stored == 0 and duplicates == 0:
        raise ValueError(f"uplink of {uplink.device_id}: {refused[0].problem}")
    return IngestReport(stored=stored, duplicates=duplicates, rejected=[*problems, *refused])
