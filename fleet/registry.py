"""The vehicle registry's values: registered aircraft and their daily inspections (日常点検).

Every drone of 100 g or more flown in Japan carries a registration code (登録記号)
issued by MLIT through DIPS: ``JU`` followed by ten capital letters or digits, twelve
characters in all (Aviation Act Enforcement Regulation art. 236-6: Arabic numerals
or capital Roman letters). Simulator vehicles have none; they are registered under
``SIM-…``, which Tanbo treats as "not a real registration" everywhere it matters
(flight logs say so, and no real flight may use it).

>>> check_registration("JU0123456789")
'JU0123456789'
>>> check_registration("JU01234")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
fleet.registry.InvalidRecord: registration 'JU01234': ... is JU followed by 10 capital letters ...
>>> Sprayer.parse("servo:9:1900:1100")
Sprayer(kind=<SprayerKind.SERVO_PUMP: 'servo_pump'>, channel=9, pwm_on_us=1900, pwm_off_us=1100)
>>> Sprayer.parse("servo:9:1900:1100").spec
'servo:9:1900:1100'
"""

import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from fleet.errors import FleetError, LinkError
from fleet.transport import parse_url
from mission_planner import SprayerControl

__all__ = [
    "REQUIRED_INSPECTION_ITEMS",
    "SIM_PREFIX",
    "AircraftCategory",
    "CheckResult",
    "InspectionItem",
    "InspectionRecord",
    "InvalidRecord",
    "ReleaseKind",
    "Sprayer",
    "SprayerKind",
    "VehicleRecord",
    "check_registration",
    "is_simulated",
    "parse_registration",
]

_REGISTRATION = re.compile(r"JU[0-9A-Z]{10}")
_SIM = re.compile(r"SIM-[0-9A-Z][0-9A-Z_-]{0,35}")
SIM_PREFIX = "SIM-"
"""The prefix of a simulator vehicle's made-up registration: never a real one."""

_REGISTRATION_HELP = (
    "a Japanese registration code (登録記号) is JU followed by 10 capital letters or digits, "
    "e.g. JU0123456789; a simulator vehicle is SIM-NAME"
)
_PWM_RANGE_US = (500, 2500)
"""Pulse widths a DO_SET_SERVO may command, µs (ArduPilot's SERVOn_MIN/MAX span)."""
_SERVO_CHANNELS = 32
"""ArduPilot drives up to 32 servo outputs (16 unless SERVO_32_ENABLE)."""


class InvalidRecord(FleetError, ValueError):
    """A vehicle or inspection value that breaks a rule; names the field.

    Attributes
    ----------
    field
        The field at fault, e.g. ``"registration"`` or ``"sprayer"``.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field} {message}")
        self.field = field


def check_registration(text: str) -> str:
    """Return ``text`` if it is a registration code or a ``SIM-`` name, exactly as written.

    Raises
    ------
    InvalidRecord
        Anything else (lower case, spaces and hyphens inside a JU code included).
    """
    if _REGISTRATION.fullmatch(text) or _SIM.fullmatch(text):
        return text
    raise InvalidRecord("registration", f"{text!r}: {_REGISTRATION_HELP}")


def parse_registration(text: str) -> str:
    """Read a registration as typed: surrounding blanks dropped, letters upper-cased.

    >>> parse_registration(" ju0123456789 ")
    'JU0123456789'

    Raises
    ------
    InvalidRecord
        It is not a registration code or a ``SIM-`` name even then.
    """
    cleaned = text.strip().upper()
    try:
        return check_registration(cleaned)
    except InvalidRecord:
        raise InvalidRecord("registration", f"{text!r}: {_REGISTRATION_HELP}") from None


def is_simulated(registration: str) -> bool:
    """Whether a registration names a simulator vehicle (``SIM-…``), not a real aircraft."""
    return registration.startswith(SIM_PREFIX)


class AircraftCategory(StrEnum):
    """無人航空機の種類, as DIPS records it."""

    MULTIROTOR = "multirotor"
    HELICOPTER = "helicopter"
    AIRPLANE = "airplane"
    AIRSHIP = "airship"

    @property
    def ja(self) -> str:
        """The category as written on a Japanese form."""
        return {
            "multirotor": "回転翼航空機（マルチローター）",
            "helicopter": "回転翼航空機（ヘリコプター）",
            "airplane": "飛行機",
            "airship": "飛行船",
        }[self.value]


class SprayerKind(StrEnum):
    """How a vehicle switches its pump."""

    NONE = "none"
    ARDUPILOT_SPRAYER = "ardupilot_sprayer"
    """ArduPilot's sprayer library, commanded by MAV_CMD_DO_SPRAYER (on/off)."""
    SERVO_PUMP = "servo_pump"
    """A pump on a servo output, commanded by MAV_CMD_DO_SET_SERVO with PWM on/off."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Sprayer:
    """A vehicle's sprayer: none, ArduPilot's sprayer, or a pump on a servo channel."""

    kind: SprayerKind = SprayerKind.NONE
    channel: int | None = None
    """Servo output of the pump (1..32), for SERVO_PUMP only."""
    pwm_on_us: int | None = None
    pwm_off_us: int | None = None

    def __post_init__(self) -> None:
        servo = (self.channel, self.pwm_on_us, self.pwm_off_us)
        if self.kind is not SprayerKind.SERVO_PUMP:
            if any(v is not None for v in servo):
                raise InvalidRecord("sprayer", f"{self.kind.value} takes no channel or PWM")
            return
        if self.channel is None or self.pwm_on_us is None or self.pwm_off_us is None:
            raise InvalidRecord("sprayer", "servo_pump needs a channel and PWM on and off")
        if not 1 <= self.channel <= _SERVO_CHANNELS:
            raise InvalidRecord("sprayer", f"channel {self.channel} is outside 1..32")
        low, high = _PWM_RANGE_US
        for name, pwm in (("on", self.pwm_on_us), ("off", self.pwm_off_us)):
            if not low <= pwm <= high:
                raise InvalidRecord("sprayer", f"PWM {name} {pwm} µs is outside {low}..{high}")
        if self.pwm_on_us == self.pwm_off_us:
            raise InvalidRecord("sprayer", f"PWM on and off are both {self.pwm_on_us} µs")

    @classmethod
    def parse(cls, spec: str) -> "Sprayer":
        """Read ``none``, ``ardupilot`` or ``servo:CHANNEL:PWM_ON:PWM_OFF`` (µs).

        Raises
        ------
        InvalidRecord
            Any other text, or numbers out of range.
        """
        text = spec.strip().lower()
        if text == "none":
            return cls()
        if text in ("ardupilot", SprayerKind.ARDUPILOT_SPRAYER.value):
            return cls(kind=SprayerKind.ARDUPILOT_SPRAYER)
        parts = text.split(":")
        if parts[0] == "servo" and len(parts) == 4 and all(p.isdigit() for p in parts[1:]):
            channel, on, off = (int(p) for p in parts[1:])
            return cls(kind=SprayerKind.SERVO_PUMP, channel=channel, pwm_on_us=on, pwm_off_us=off)
        raise InvalidRecord(
            "sprayer", f"{spec!r}: expected none, ardupilot or servo:CHANNEL:PWM_ON:PWM_OFF"
        )

    @property
    def spec(self) -> str:
        """The text :meth:`parse` reads back into this sprayer."""
        if self.kind is SprayerKind.SERVO_PUMP:
            return f"servo:{self.channel}:{self.pwm_on_us}:{self.pwm_off_us}"
        return "ardupilot" if self.kind is SprayerKind.ARDUPILOT_SPRAYER else "none"

    @property
    def control(self) -> SprayerControl | None:
        """The mission command family that switches this sprayer, None without one."""
        return {
            SprayerKind.NONE: None,
            SprayerKind.ARDUPILOT_SPRAYER: SprayerControl.DO_SPRAYER,
            SprayerKind.SERVO_PUMP: SprayerControl.DO_SET_SERVO,
        }[self.kind]


class ReleaseKind(StrEnum):
    """How a vehicle lets go of a payload in flight."""

    NONE = "none"
    GRIPPER = "gripper"
    WINCH = "winch"


def _text(name: str, value: str, *, required: bool = False, max_len: int = 200) -> None:
    if required and not value.strip():
        raise InvalidRecord(name, "is empty")
    if len(value) > max_len:
        raise InvalidRecord(name, f"is longer than {max_len} characters")


def _number(name: str, value: float, *, positive: bool = False) -> None:
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        need = "a positive" if positive else "a non-negative"
        raise InvalidRecord(name, f"is {value}; it must be {need} number")


@dataclass(frozen=True, kw_only=True, slots=True)
class VehicleRecord:
    """A registered aircraft: what the law records of it and what flying it needs.

    Raises
    ------
    InvalidRecord
        On construction, naming the first field that breaks a rule.
    """

    registration: str
    """登録記号 (``JU`` + 10), or ``SIM-NAME`` for a simulator vehicle."""
    model: str
    """型式, e.g. ``"AGRAS T25"``."""
    maker: str = ""
    """製造者."""
    serial_number: str = ""
    """製造番号."""
    category: AircraftCategory = AircraftCategory.MULTIROTOR
    type_certificate_no: str | None = None
    """型式認証書番号, if the model has one."""
    airworthiness_certificate_no: str | None = None
    """機体認証の区分及び機体認証書番号, if the aircraft has one."""
    system_id: int | None = None
    """MAVLink system id (1..255); None when the link says."""
    connection: str | None = None
    """How to reach it, e.g. ``tcp:127.0.0.1:5760`` (see :mod:`fleet.transport`)."""
    max_takeoff_weight_kg: float
    max_payload_kg: float = 0.0
    tank_l: float = 0.0
    """Spray tank, litres; 0 = no tank."""
    battery_mah: int
    battery_cells: int
    sprayer: Sprayer = field(default_factory=Sprayer)
    pump_max_l_min: float | None = None
    """The spray pump's flow at full output, L/min: with it Tanbo sets ArduPilot's
    SPRAY_PUMP_RATE so the plan's L/ha comes out at any speed."""
    release: ReleaseKind = ReleaseKind.NONE
    notes: str = ""
    retired_at: datetime | None = None
    """When it was retired; its row and flight logs are kept, it flies no more."""

    def __post_init__(self) -> None:
        check_registration(self.registration)
        _text("model", self.model, required=True)
        _text("maker", self.maker)
        _text("serial_number", self.serial_number)
        _text("type_certificate_no", self.type_certificate_no or "", max_len=100)
        _text("airworthiness_certificate_no", self.airworthiness_certificate_no or "", max_len=100)
        _text("notes", self.notes, max_len=4000)
        if self.system_id is not None and not 1 <= self.system_id <= 255:
            raise InvalidRecord("system_id", f"is {self.system_id}; MAVLink ids are 1..255")
        if self.connection is not None:
            try:
                parse_url(self.connection)
            except LinkError as exc:
                raise InvalidRecord("connection", str(exc).removeprefix("connection ")) from exc
        _number("max_takeoff_weight_kg", self.max_takeoff_weight_kg, positive=True)
        _number("max_payload_kg", self.max_payload_kg)
        if self.max_payload_kg >= self.max_takeoff_weight_kg:
            raise InvalidRecord(
                "max_payload_kg",
                f"{self.max_payload_kg:g} kg is not below the maximum take-off weight "
                f"{self.max_takeoff_weight_kg:g} kg",
            )
        _number("tank_l", self.tank_l)
        if self.battery_mah <= 0:
            raise InvalidRecord("battery_mah", f"is {self.battery_mah}; it must be positive")
        if not 1 <= self.battery_cells <= 24:
            raise InvalidRecord("battery_cells", f"is {self.battery_cells}; expected 1..24")
        if self.pump_max_l_min is not None:
            _number("pump_max_l_min", self.pump_max_l_min, positive=True)
        if self.sprayer.kind is not SprayerKind.NONE and self.tank_l == 0:
            raise InvalidRecord("sprayer", f"{self.sprayer.spec} needs a tank (tank_l > 0)")
        if self.retired_at is not None and self.retired_at.tzinfo is None:
            raise InvalidRecord("retired_at", "must be timezone-aware")

    @property
    def simulated(self) -> bool:
        """Whether this is a simulator vehicle with no real registration."""
        return is_simulated(self.registration)

    @property
    def retired(self) -> bool:
        """Whether it has been retired (kept for its logs, never flown again)."""
        return self.retired_at is not None


class InspectionItem(StrEnum):
    """What a daily inspection (日常点検) checks.

    The first nine follow the MLIT form (無人航空機の飛行日誌の取扱要領, 様式2); the
    rest are Tanbo's for its sprayers and payloads.
    """

    AIRFRAME = "airframe"
    PROPELLERS = "propellers"
    FRAME = "frame"
    COMMUNICATION = "communication"
    PROPULSION = "propulsion"
    POWER = "power"
    FLIGHT_CONTROL = "flight_control"
    CONTROLLER = "controller"
    BATTERY = "battery"
    GPS_COMPASS = "gps_compass"
    REMOTE_ID = "remote_id"
    SPRAYER = "sprayer"
    PAYLOAD_RELEASE = "payload_release"

    @property
    def ja(self) -> str:
        """The item as written on a Japanese form."""
        return _ITEM_JA[self.value]


_ITEM_JA = {
    "airframe": "機体全般（機器の取付状態）",
    "propellers": "プロペラ",
    "frame": "フレーム",
    "communication": "通信系統",
    "propulsion": "推進系統（モーター）",
    "power": "電源系統",
    "flight_control": "自動制御系統",
    "controller": "操縦装置",
    "battery": "バッテリー",
    "gps_compass": "GPS・コンパス",
    "remote_id": "リモートID",
    "sprayer": "散布装置（ノズル・ポンプ・タンク）",
    "payload_release": "物件投下装置",
}

REQUIRED_INSPECTION_ITEMS = frozenset(list(InspectionItem)[:9])
"""The items of the MLIT form: an inspection passes only if each was checked and ok."""


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckResult:
    """One item of an inspection: ok or not, and what was seen."""

    item: InspectionItem
    ok: bool
    note: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class InspectionRecord:
    """A daily inspection (日常点検記録): when, where, by whom, each item's result, remarks.

    Raises
    ------
    InvalidRecord
        On construction: no items, an item twice, an empty inspector, a bad registration.
    """

    registration: str
    inspected_on: date
    """実施の年月日."""
    inspector: str
    """実施者の氏名."""
    results: tuple[CheckResult, ...]
    """点検項目ごとの結果."""
    place: str = ""
    """実施の場所."""
    remarks: str = ""
    """その他特記事項."""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        check_registration(self.registration)
        _text("inspector", self.inspector, required=True)
        _text("place", self.place, max_len=500)
        _text("remarks", self.remarks, max_len=4000)
        if not self.results:
            raise InvalidRecord("results", "are empty: check at least one item")
        seen = [r.item for r in self.results]
        twice = sorted({i.value for i in seen if seen.count(i) > 1})
        if twice:
            raise InvalidRecord("results", f"check {', '.join(twice)} more than once")

    @property
    def missing(self) -> frozenset[InspectionItem]:
        """Items of the MLIT form this inspection did not check."""
        return REQUIRED_INSPECTION_ITEMS - {r.item for r in self.results}

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        """The items found not ok."""
        return tuple(r for r in self.results if not r.ok)

    @property
    def passed(self) -> bool:
        """Every item of the form checked, and every item checked ok."""
        return not self.missing and not self.failed
