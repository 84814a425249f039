"""The shared vocabulary of paddy water: readings, paddies, gates, commands and alerts.

Every value is frozen and keyword-only; depths are centimetres of standing water above
the soil surface (negative when the water table is below it), flows cubic metres per
hour, times timezone-aware UTC.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from irrigation.errors import BadPaddy, BadReading

__all__ = [
    "METRIC_RANGES",
    "METRIC_UNITS",
    "Alert",
    "AlertKind",
    "ControlMode",
    "Device",
    "DeviceKind",
    "GateAck",
    "GateAction",
    "GateCommand",
    "GateRole",
    "Metric",
    "Override",
    "Paddy",
    "Reading",
    "Severity",
]


class Metric(StrEnum):
    """What a sensor measures; the last segment of its MQTT topic."""

    WATER_LEVEL = "water_level"
    """Standing water above the soil surface, cm (negative: below it)."""
    WATER_TEMPERATURE = "water_temperature"
    """°C."""
    SOIL_MOISTURE = "soil_moisture"
    """Volumetric water content, %."""
    RAIN = "rain"
    """Rain since the device's previous report, mm."""
    BATTERY = "battery"
    """The device's own battery, %."""


METRIC_UNITS: dict[Metric, str] = {
    Metric.WATER_LEVEL: "cm",
    Metric.WATER_TEMPERATURE: "°C",
    Metric.SOIL_MOISTURE: "%",
    Metric.RAIN: "mm",
    Metric.BATTERY: "%",
}

METRIC_RANGES: dict[Metric, tuple[float, float]] = {
    Metric.WATER_LEVEL: (-50.0, 100.0),
    Metric.WATER_TEMPERATURE: (-10.0, 50.0),
    Metric.SOIL_MOISTURE: (0.0, 100.0),
    Metric.RAIN: (0.0, 200.0),
    Metric.BATTERY: (0.0, 100.0),
}
"""What a sensor can physically report; a value outside is a broken sensor, not weather."""


def _aware(name: str, value: datetime) -> None:
    if value.tzinfo is None:
        raise BadReading(f"{name} {value.isoformat()} has no time zone")


@dataclass(frozen=True, kw_only=True, slots=True)
class Reading:
    """One measurement as the device sent it, with when it was taken and when it arrived."""

    device_id: str
    metric: Metric
    value: float
    device_time: datetime
    """When the device measured it (its own clock)."""
    received_at: datetime | None = None
    """When Tanbo received it; ``None`` before it is stored."""
    farm: str | None = None
    paddy_id: str | None = None
    """The paddy named in the topic; the device registry has the last word."""

    def __post_init__(self) -> None:
        _aware("device_time", self.device_time)
        if self.received_at is not None:
            _aware("received_at", self.received_at)
        low, high = METRIC_RANGES[self.metric]
        if not low <= self.value <= high:
            raise BadReading(
                f"{self.device_id}: {self.metric} {self.value:g} {METRIC_UNITS[self.metric]}"
                f" is outside {low:g}…{high:g}"
            )


class GateRole(StrEnum):
    """Which way a gate moves water."""

    INLET = "inlet"
    """A gate or valve letting irrigation water in (給水栓)."""
    OUTLET = "outlet"
    """An outlet weir or gate letting water out to the drain (排水口)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Paddy:
    """A paddy as the controller needs it: its size, levee, gates and calendar.

    Parameters
    ----------
    levee_height_cm
        The levee's (畦畔) crest above the soil surface: the water must never reach it.
    outlet_crest_cm
        The fixed outlet weir's crest above the soil surface, where water spills out when
        no outlet gate is fitted (or the outlet gate is closed and the water rises to it).
    inlet_flow_m3_h
        What the inlet delivers fully open.
    outlet_flow_m3_h
        What a fully open outlet gate drains at the depths the paddy holds; 0 without one.
    """

    id: str
    area_m2: float
    transplanted_on: date | None = None
    variety: str | None = None
    field_id: str | None = None
    farm: str | None = None
    levee_height_cm: float = 30.0
    outlet_crest_cm: float = 12.0
    inlet_flow_m3_h: float = 40.0
    outlet_flow_m3_h: float = 0.0
    daily_water_limit_m3: float | None = None
    safe_margin_cm: float = 5.0
    """The water is kept this far below the levee crest whatever happens."""

    def __post_init__(self) -> None:
        if self.area_m2 <= 0:
            raise BadPaddy(f"paddy {self.id}: area must be positive, not {self.area_m2:g} m²")
        if not 0 < self.outlet_crest_cm < self.levee_height_cm:
            raise BadPaddy(
                f"paddy {self.id}: the outlet crest ({self.outlet_crest_cm:g} cm) must lie"
                f" between the soil and the levee crest ({self.levee_height_cm:g} cm)"
            )
        if self.inlet_flow_m3_h < 0 or self.outlet_flow_m3_h < 0:
            raise BadPaddy(f"paddy {self.id}: gate flows cannot be negative")
        if not self.safe_margin_cm > 0:
            raise BadPaddy(f"paddy {self.id}: the safe margin must be above 0 cm")
        if self.safe_margin_cm >= self.levee_height_cm:
            raise BadPaddy(f"paddy {self.id}: the safe margin leaves no room under the levee")

    @property
    def has_outlet_gate(self) -> bool:
        """Whether an outlet gate the controller can open is fitted."""
        return self.outlet_flow_m3_h > 0

    @property
    def max_safe_depth_cm(self) -> float:
        """The deepest the water may ever be: the levee crest less the safe margin."""
        return self.levee_height_cm - self.safe_margin_cm

    def depth_cm_for(self, volume_m3: float) -> float:
        """How many centimetres a volume of water makes over this paddy."""
        return volume_m3 / self.area_m2 * 100.0


class DeviceKind(StrEnum):
    """What a registered device is."""

    SENSOR = "sensor"
    GATE = "gate"


@dataclass(frozen=True, kw_only=True, slots=True)
class Device:
    """A registered sensor or gate: which paddy it serves, how to correct it, how it is."""

    id: str
    farm: str
    kind: DeviceKind
    paddy_id: str | None = None
    role: GateRole | None = None
    """A gate's role (inlet or outlet); ``None`` for a sensor."""
    calibration: dict[Metric, float] = field(default_factory=dict)
    """Offsets added to the raw value, by metric (a level sensor mounted 4 mm high: -0.4)."""
    battery_pct: float | None = None
    last_seen_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.id or "/" in self.id or "+" in self.id or "#" in self.id:
            raise BadPaddy(f"device id {self.id!r} cannot be an MQTT topic segment")
        if (self.kind is DeviceKind.GATE) != (self.role is not None):
            raise BadPaddy(f"device {self.id}: a gate needs a role (inlet, outlet), a sensor none")

    def calibrated(self, metric: Metric, raw: float) -> float:
        """The raw value corrected by this device's offset for ``metric``."""
        return raw + self.calibration.get(metric, 0.0)


class GateAction(StrEnum):
    """What a gate is told to do."""

    OPEN = "open"
    CLOSE = "close"


@dataclass(frozen=True, kw_only=True, slots=True)
class GateCommand:
    """An order to one gate, with why; acknowledged by the gate echoing ``command_id``."""

    command_id: str
    paddy_id: str
    role: GateRole
    action: GateAction
    issued_at: datetime
    reason: str
    opening_pct: float = 100.0
    """How far to open (100 fully); ignored for CLOSE."""

    def __post_init__(self) -> None:
        _aware("issued_at", self.issued_at)
        if not 0.0 <= self.opening_pct <= 100.0:
            raise BadPaddy(f"gate opening {self.opening_pct:g} % is not 0…100")


@dataclass(frozen=True, kw_only=True, slots=True)
class GateAck:
    """A gate's answer: it did (or could not do) the command."""

    command_id: str
    ok: bool
    at: datetime
    detail: str = ""


class ControlMode(StrEnum):
    """Who is in charge of a paddy's gates."""

    AUTO = "auto"
    """The controller follows the calendar."""
    SAFE = "safe"
    """Something is wrong (stale or implausible sensor, a silent gate): inlet closed."""
    OVERRIDE = "override"
    """A person set the gates by hand until the override expires."""
    PADDY_DAM = "paddy_dam"
    """田んぼダム: storm water is held to relieve the drains, then let out slowly."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Override:
    """A person's hand on a gate, for a while."""

    paddy_id: str
    role: GateRole
    action: GateAction
    until: datetime
    by: str
    reason: str = ""

    def __post_init__(self) -> None:
        _aware("until", self.until)


class Severity(StrEnum):
    """How urgently a farmer should look."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertKind(StrEnum):
    """Why the farmer is told."""

    LEVEL_OUT_OF_BAND = "level_out_of_band"
    LEVEL_NEAR_LEVEE = "level_near_levee"
    SENSOR_STALE = "sensor_stale"
    SENSOR_IMPLAUSIBLE = "sensor_implausible"
    GATE_FAULT = "gate_fault"
    DAILY_LIMIT = "daily_limit"
    PADDY_DAM = "paddy_dam"
    STAGE_CHANGE = "stage_change"
    RECOVERED = "recovered"
    DAILY_TARGET = "daily_target"
    """The morning note: today's stage and target, yesterday's water."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Alert:
    """Something a farmer should know about a paddy, in Japanese and English."""

    paddy_id: str
    kind: AlertKind
    severity: Severity
    at: datetime
    text_ja: str
    text_en: str
    details: dict[str, float | str] = field(default_factory=dict)
