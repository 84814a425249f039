"""Devices as Smart Data Models (dataModel.Device): paddy sensors and gates, and drones,
are each a **Device**; a sensor's newest value of one metric is a **DeviceMeasurement**.

A device is not personal data: it is published always. What it measured on a farmer's
paddy is the farmer's (a water level over time tells when someone is at their paddy),
so a measurement from a device that serves a paddy is published only with the paddy
owner's consent. Drones are described by what the register keeps (model, maker, serial
number, registration); a delivery drone is placed at its depot. Simulated vehicles
(``SIM-…``) are not real aircraft and are left out.
"""

from collections.abc import Mapping, Sequence

from api.city_platform.agri import context_of, water_device_id
from api.city_platform.ngsi import Entity, EntityIds, date_time_prop, geo_point, prop, rel
from api.city_platform.outcomes import Candidate, Skipped, SkipReason
from api.city_platform.schemas import DEVICE, DEVICE_MEASUREMENT
from fleet.registry import SprayerKind, VehicleRecord, is_simulated
from irrigation import Device, DeviceKind, GateRole, Metric, Reading
from logistics.model import Depot

__all__ = [
    "MEASURED",
    "device_measurement",
    "drone_device",
    "drone_device_id",
    "water_device",
]

MEASURED: dict[Metric, tuple[str, str]] = {
    Metric.WATER_LEVEL: ("waterLevel", "CMT"),
    Metric.WATER_TEMPERATURE: ("temperature", "CEL"),
    Metric.SOIL_MOISTURE: ("soilMoisture", "P1"),
    Metric.RAIN: ("precipitation", "MMT"),
}
"""A metric → its Device ``controlledProperty`` term and UN/CEFACT unit code. The battery
is the device's own state (``batteryLevel``), not a measurement of the paddy."""

_DRONE_TELEMETRY = ("location", "speed", "heading")
"""What every MAVLink vehicle reports of itself (GLOBAL_POSITION_INT, VFR_HUD)."""


def water_device(
    ids: EntityIds, device: Device, readings: Sequence[Reading]
) -> Candidate | Skipped:
    """A paddy sensor or gate as a Device. A sensor measures what it has reported (or has a
    calibration for); one that has done neither is skipped, its measurements unknown."""
    entity_id = water_device_id(ids, device.id)
    if device.kind is DeviceKind.GATE:
        category, controlled = "actuator", ["gateOpening"]
    else:
        metrics = {r.metric for r in readings} | set(device.calibration)
        controlled = sorted({MEASURED[m][0] for m in metrics if m in MEASURED})
        category = "sensor"
        if not controlled:
            return Skipped(entity_id=entity_id, entity_type=DEVICE.name,
                           reason=SkipReason.NOTHING_MEASURED)  # fmt: skip
    entity: Entity = {
        "id": entity_id,
        "type": DEVICE.name,
        "name": prop(device.id),
        "deviceCategory": prop([category]),
        "controlledProperty": prop(controlled),
    }
    if device.role is not None:
        entity["direction"] = prop("Inlet" if device.role is GateRole.INLET else "Outlet")
    if device.battery_pct is not None:
        entity["batteryLevel"] = prop(round(device.battery_pct / 100.0, 3))
    if device.last_seen_at is not None:
        entity["dateLastValueReported"] = date_time_prop(device.last_seen_at)
    entity["@context"] = context_of(DEVICE)
    return Candidate(entity=entity, model=DEVICE, personal=False)


def drone_device_id(ids: EntityIds, registration: str) -> str:
    """The Device id of a registered drone."""
    return ids.urn(DEVICE.name, "aircraft", registration)


def drone_device(
    ids: EntityIds, vehicle: VehicleRecord, *, depot: Depot | None
) -> Candidate | Skipped:
    """A registered drone as a Device: what it is for (spraying, deliveries from
    ``depot``), what it reports, who made it."""
    entity_id = drone_device_id(ids, vehicle.registration)
    if is_simulated(vehicle.registration):
        return Skipped(entity_id=entity_id, entity_type=DEVICE.name, reason=SkipReason.SIMULATED)
    uses = [u for u, yes in (("spraying", vehicle.sprayer.kind is not SprayerKind.NONE),
                             ("deliveries", depot is not None)) if yes]  # fmt: skip
    controlled = list(_DRONE_TELEMETRY)
    if vehicle.sprayer.kind is not SprayerKind.NONE:
        controlled.append("fillingLevel")
    entity: Entity = {
        "id": entity_id,
        "type": DEVICE.name,
        "name": prop(vehicle.registration),
        "description": prop(
            f"{vehicle.category.value} drone {vehicle.model}"
            + (f" for {' and '.join(uses)}" if uses else "")
        ),
        "deviceCategory": prop(["actuator"]),
        "controlledProperty": prop(controlled),
    }
    if vehicle.maker:
        entity["provider"] = prop(vehicle.maker)
    if vehicle.serial_number:
        entity["serialNumber"] = prop(vehicle.serial_number)
    if depot is not None:
        entity["location"] = geo_point(depot.location)
    entity["@context"] = context_of(DEVICE)
    return Candidate(entity=entity, model=DEVICE, personal=False)


def device_measurement(
    ids: EntityIds, reading: Reading, *, paddy_owners: Mapping[str, str], device: Device
) -> Candidate | None:
    """A sensor's newest value of one metric as a DeviceMeasurement; None for a metric that
    is no measurement (the battery). Personal data of the paddy's owner when the device
    serves a paddy (``paddy_owners``: paddy id → owner)."""
    if reading.metric not in MEASURED:
        return None
    term, unit = MEASURED[reading.metric]
    entity: Entity = {
        "id": ids.urn(DEVICE_MEASUREMENT.name, device.id, reading.metric.value),
        "type": DEVICE_MEASUREMENT.name,
        "refDevice": rel(water_device_id(ids, device.id)),
        "controlledProperty": prop(term),
        "numValue": prop(round(reading.value, 3), observed_at=reading.device_time),
        "unit": prop(unit),
        "dateObserved": date_time_prop(reading.device_time),
        "@context": context_of(DEVICE_MEASUREMENT),
    }
    owner = paddy_owners.get(device.paddy_id) if device.paddy_id else None
    return Candidate(
        entity=entity, model=DEVICE_MEASUREMENT, personal=owner is not None, data_subject=owner
    )
