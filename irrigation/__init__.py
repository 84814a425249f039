"""Paddy water: sensors, gates, the rice water calendar and the controller.

Pure values and the controller live here; the MQTT edge speaks to sensors and gates; the
database and routes live in ``api``. Import from here::

    from irrigation import Paddy, Reading, GateCommand
"""

from irrigation.errors import BadPaddy, BadReading, GateUnavailable, IrrigationError
from irrigation.model import (
    METRIC_RANGES,
    METRIC_UNITS,
    Alert,
    AlertKind,
    ControlMode,
    Device,
    DeviceKind,
    GateAck,
    GateAction,
    GateCommand,
    GateRole,
    Metric,
    Override,
    Paddy,
    Reading,
    Severity,
)

__all__ = [
    "METRIC_RANGES",
    "METRIC_UNITS",
    "Alert",
    "AlertKind",
    "BadPaddy",
    "BadReading",
    "ControlMode",
    "Device",
    "DeviceKind",
    "GateAck",
    "GateAction",
    "GateCommand",
    "GateRole",
    "GateUnavailable",
    "IrrigationError",
    "Metric",
    "Override",
    "Paddy",
    "Reading",
    "Severity",
]
