"""Storing paddy water, in one place to import: paddies and devices
(:mod:`~api.irrigation.paddies`), readings (:mod:`~api.irrigation.readings`) and the audit log
with overrides (:mod:`~api.irrigation.audit`). Every function takes the engine; every database
error leaves through :func:`api.db.storage_errors`.
"""

from api.irrigation.audit import (
    AuditEvent,
    StoredOverride,
    active_overrides,
    add_override,
    cancel_override,
    list_events,
    record_ack,
    record_command,
)
from api.irrigation.paddies import (
    StoredPaddy,
    add_paddy,
    get_device,
    get_paddy,
    list_devices,
    list_paddies,
    paddy_of,
    register_device,
    save_control,
    update_paddy,
)
from api.irrigation.readings import (
    StoreResult,
    count_readings,
    delete_readings,
    readings,
    store_readings,
)

__all__ = [
    "AuditEvent",
    "StoreResult",
    "StoredOverride",
    "StoredPaddy",
    "active_overrides",
    "add_override",
    "add_paddy",
    "cancel_override",
    "count_readings",
    "delete_readings",
    "get_device",
    "get_paddy",
    "list_devices",
    "list_events",
    "list_paddies",
    "paddy_of",
    "readings",
    "record_ack",
    "record_command",
    "register_device",
    "save_control",
    "store_readings",
    "update_paddy",
]
