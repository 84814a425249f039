"""Flight logs (飛行日誌・飛行記録): the value, and the CSV the law's form reads as.

A :class:`FlightLog` holds what Aviation Act Enforcement Regulation art. 236-84 asks of
each flight (date, pilot and licence, registration, purpose and route, the restricted
airspace and methods flown under permission, take-off and landing place and time,
flight time, total flight time, anything that affected safety), plus Tanbo's figures
(mission, distance, area sprayed, battery, tank, result). Times are stored in UTC and
written in Japan time; :func:`write_csv` writes the MLIT columns first, in the order of
the 飛行記録 form (様式1), with Japanese headers, then Tanbo's in English, as UTF-8
with a BOM so Excel opens it in Japan.

A flight's log is made by :func:`api.flying.flight_log` from what
:class:`fleet.flight.Flight` recorded, however the flight ended (completed, failsafe,
aborted, crashed, link lost); a snapshot with result ``in_progress`` is stored while it
flies, so even a crash of the ground station leaves the flight in the database.

>>> log = FlightLog(
...     flight_id="8f14e45f-ceea-467f-a4c3-5f4b7c2d6a11", flight_date=date(2026, 6, 1),
...     pilot="加西 太郎", registration="SIM-DEMO", purpose=FlightPurpose.SPRAYING,
...     result=FlightResult.COMPLETED, flight_time_s=300.0)
>>> log.purpose.ja, log.simulated
('農薬散布', True)
"""

import csv
import math
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from core.geo import GeoPoint
from fleet.registry import InvalidRecord, VehicleRecord, check_registration, is_simulated

__all__ = [
    "EXTRA_COLUMNS",
    "JST",
    "MLIT_COLUMNS",
    "Anomaly",
    "FlightLog",
    "FlightPurpose",
    "FlightResult",
    "Place",
    "append_csv",
    "mlit_row",
    "write_csv",
]

JST = timezone(timedelta(hours=9), "JST")
"""Asia/Tokyo: UTC+9, with no daylight saving since 1951."""

_ADDRESS_MAX = 500
_TEXT_MAX = {"pilot": 200, "pilot_licence_no": 100, "route": 2000, "mission_name": 500}
"""Lengths the database keeps; longer text is refused when the flight starts."""


class FlightPurpose(StrEnum):
    """飛行の目的, with the words DIPS and the 飛行日誌 form use."""

    SPRAYING = "spraying"
    AERIAL_PHOTOGRAPHY = "aerial_photography"
    TRANSPORT = "transport"
    SURVEY = "survey"
    INSPECTION = "inspection"
    TRAINING = "training"
    TEST_FLIGHT = "test_flight"
    OTHER = "other"

    @property
    def ja(self) -> str:
        """The purpose in Japanese, as written in the log."""
        return _PURPOSE_LABELS[self.value][0]

    @property
    def en(self) -> str:
        """The purpose in English."""
        return _PURPOSE_LABELS[self.value][1]


_PURPOSE_LABELS = {
    "spraying": ("農薬散布", "pesticide spraying"),
    "aerial_photography": ("空中撮影", "aerial photography"),
    "transport": ("物資輸送", "transport of goods"),
    "survey": ("測量", "survey"),
    "inspection": ("インフラ点検・保守", "infrastructure inspection"),
    "training": ("訓練", "training"),
    "test_flight": ("試験飛行", "test flight"),
    "other": ("その他", "other"),
}


class FlightResult(StrEnum):
    """How a flight ended; ``in_progress`` only in a snapshot taken while it flies."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ABORTED = "aborted"
    FAILSAFE = "failsafe"
    CRASHED = "crashed"
    LINK_LOST = "link_lost"


@dataclass(frozen=True, kw_only=True, slots=True)
class Place:
    """A take-off or landing place: its position and, if known, its address."""

    point: GeoPoint
    address: str = ""

    def __post_init__(self) -> None:
        if len(self.address) > _ADDRESS_MAX:
            raise InvalidRecord("address", f"is longer than {_ADDRESS_MAX} characters")

    @property
    def text(self) -> str:
        """``"address (lat,lon)"``, or the position alone."""
        where = f"{self.point.lat_deg:.6f},{self.point.lon_deg:.6f}"
        return f"{self.address} ({where})" if self.address else where


@dataclass(frozen=True, kw_only=True, slots=True)
class Anomaly:
    """Something that affected the flight's safety: a failsafe, a link loss, a refusal."""

    at: datetime
    text: str


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise InvalidRecord(name, f"{value.isoformat()} has no timezone")


def _not_negative(name: str, value: float | None) -> None:
    if value is not None and (not math.isfinite(value) or value < 0):
        raise InvalidRecord(name, f"is {value}; it must be a non-negative number")


@dataclass(frozen=True, kw_only=True, slots=True)
class FlightLog:
    """One flight's record (飛行記録), the law's items first, Tanbo's after.

    Raises
    ------
    InvalidRecord
        On construction, naming the first field that breaks a rule.
    """

    flight_id: str
    """A uuid4, so a retried save is recognised as the same flight."""
    flight_date: date
    """飛行年月日, in Japan time."""
    pilot: str
    """飛行させた者の氏名."""
    registration: str
    """登録記号 (or ``SIM-…`` for a simulator vehicle: no real registration)."""
    purpose: FlightPurpose
    result: FlightResult
    pilot_licence_no: str | None = None
    """無人航空機操縦者技能証明書番号, if the pilot holds one."""
    route: str = ""
    """飛行の経路, in words (fields, mission)."""
    permissions: tuple[str, ...] = ()
    """飛行させた飛行禁止空域及び飛行の方法: the plan's permissions and approvals."""
    takeoff: Place | None = None
    takeoff_at: datetime | None = None
    landing: Place | None = None
    landing_at: datetime | None = None
    flight_time_s: float = 0.0
    total_flight_time_s: float | None = None
    """製造後の総飛行時間 of the airframe after this flight, if known."""
    anomalies: tuple[Anomaly, ...] = ()
    """飛行の安全に影響のあった事項."""
    inspection_id: str | None = None
    """The day's inspection (日常点検記録) this flight relied on."""
    mission_name: str | None = None
    mission_sha256: str | None = None
    system_id: int | None = None
    area_sprayed_ha: float | None = None
    distance_m: float = 0.0
    max_altitude_m: float | None = None
    battery_used_pct: float | None = None
    battery_used_mah: float | None = None
    tank_used_l: float | None = None
    items_reached: int = 0
    items_total: int = 0

    def __post_init__(self) -> None:
        try:
            canonical = str(uuid.UUID(self.flight_id))
        except ValueError:
            canonical = ""
        if canonical != self.flight_id:
            raise InvalidRecord("flight_id", f"{self.flight_id!r} is not a lower-case UUID")
        check_registration(self.registration)
        if not self.pilot.strip():
            raise InvalidRecord("pilot", "is empty")
        for name, longest in _TEXT_MAX.items():
            if len(getattr(self, name) or "") > longest:
                raise InvalidRecord(name, f"is longer than {longest} characters")
        for name in ("takeoff_at", "landing_at"):
            _aware(name, getattr(self, name))
        for anomaly in self.anomalies:
            _aware("anomalies", anomaly.at)
        if self.takeoff_at and self.landing_at and self.landing_at < self.takeoff_at:
            raise InvalidRecord("landing_at", "is before takeoff_at")
        for name in (
            "flight_time_s", "total_flight_time_s", "area_sprayed_ha", "distance_m",
            "battery_used_pct", "battery_used_mah", "tank_used_l",
        ):  # fmt: skip
            _not_negative(name, getattr(self, name))
        if self.max_altitude_m is not None and not math.isfinite(self.max_altitude_m):
            raise InvalidRecord("max_altitude_m", f"is {self.max_altitude_m}")
        if self.mission_sha256 is not None and not re.fullmatch(
            r"[0-9a-f]{64}", self.mission_sha256
        ):
            raise InvalidRecord("mission_sha256", "is not 64 lower-case hex digits")
        if self.system_id is not None and not 1 <= self.system_id <= 255:
            raise InvalidRecord("system_id", f"is {self.system_id}; MAVLink ids are 1..255")
        if not 0 <= self.items_reached <= max(self.items_total, 0):
            raise InvalidRecord(
                "items_reached", f"{self.items_reached} is not within 0..{self.items_total}"
            )

    @property
    def simulated(self) -> bool:
        """Whether the vehicle was a simulator (no real registration)."""
        return is_simulated(self.registration)


MLIT_COLUMNS = (
    "飛行年月日",
    "飛行させた者の氏名",
    "技能証明書番号",
    "登録記号",
    "種類及び型式",
    "製造者及び製造番号",
    "飛行の目的",
    "飛行の経路",
    "飛行させた飛行禁止空域及び飛行の方法",
    "離陸場所",
    "離陸時刻",
    "着陸場所",
    "着陸時刻",
    "飛行時間",
    "製造後の総飛行時間",
    "飛行の安全に影響のあった事項",
)
"""The 飛行記録 items in the order of the MLIT form (無人航空機の飛行日誌の取扱要領, 様式1)."""

EXTRA_COLUMNS = (
    "flight_id", "result", "purpose", "inspection_id", "mission", "mission_sha256",
    "system_id", "takeoff_lat", "takeoff_lon", "takeoff_utc", "landing_lat", "landing_lon",
    "landing_utc", "flight_time_s", "total_flight_time_s", "area_sprayed_ha", "distance_m",
    "max_altitude_m", "battery_used_pct", "battery_used_mah", "tank_used_l",
    "items_reached", "items_total",
)  # fmt: skip
"""Tanbo's columns after the law's: machine-readable, UTC, SI units."""


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _jst_time(at: datetime | None, day: date) -> str:
    if at is None:
        return ""
    local = at.astimezone(JST)
    return local.strftime("%H:%M:%S" if local.date() == day else "%Y/%m/%d %H:%M:%S")


def _num(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def mlit_row(log: FlightLog, vehicle: VehicleRecord | None) -> list[str]:
    """The flight's 飛行記録 items, in the order of :data:`MLIT_COLUMNS` (times in JST)."""
    registration = log.registration + ("（シミュレータ・登録記号なし）" if log.simulated else "")
    if log.anomalies:
        events = "; ".join(f"{_jst_time(a.at, log.flight_date)} {a.text}" for a in log.anomalies)
        safety = f"あり: {events}"
    else:
        safety = "なし"
    return [
        log.flight_date.strftime("%Y/%m/%d"),
        log.pilot,
        log.pilot_licence_no or "",
        registration,
        f"{vehicle.category.ja} {vehicle.model}" if vehicle else "",
        f"{vehicle.maker} {vehicle.serial_number}".strip() if vehicle else "",
        log.purpose.ja,
        log.route,
        "、".join(log.permissions) or "なし",
        log.takeoff.text if log.takeoff else "",
        _jst_time(log.takeoff_at, log.flight_date),
        log.landing.text if log.landing else "",
        _jst_time(log.landing_at, log.flight_date),
        _duration(log.flight_time_s),
        "" if log.total_flight_time_s is None else _duration(log.total_flight_time_s),
        safety,
    ]


def _extra_row(log: FlightLog) -> list[str]:
    def place(p: Place | None) -> list[str]:
        return ["", ""] if p is None else [f"{p.point.lat_deg:.7f}", f"{p.point.lon_deg:.7f}"]

    def utc(at: datetime | None) -> str:
        return "" if at is None else at.astimezone(UTC).isoformat()

    return [
        log.flight_id,
        log.result.value,
        log.purpose.value,
        log.inspection_id or "",
        log.mission_name or "",
        log.mission_sha256 or "",
        "" if log.system_id is None else str(log.system_id),
        *place(log.takeoff),
        utc(log.takeoff_at),
        *place(log.landing),
        utc(log.landing_at),
        _num(log.flight_time_s, 1),
        _num(log.total_flight_time_s, 1),
        _num(log.area_sprayed_ha, 4),
        _num(log.distance_m, 1),
        _num(log.max_altitude_m, 1),
        _num(log.battery_used_pct, 1),
        _num(log.battery_used_mah, 0),
        _num(log.tank_used_l, 2),
        str(log.items_reached),
        str(log.items_total),
    ]


def _write_rows(
    stream: TextIO, logs: Iterable[FlightLog], vehicles: Mapping[str, VehicleRecord], header: bool
) -> int:
    writer = csv.writer(stream, lineterminator="\r\n")
    if header:
        writer.writerow([*MLIT_COLUMNS, *EXTRA_COLUMNS])
    count = 0
    for log in logs:
        writer.writerow([*mlit_row(log, vehicles.get(log.registration)), *_extra_row(log)])
        count += 1
    return count


def write_csv(
    logs: Iterable[FlightLog],
    dest: Path | TextIO,
    *,
    vehicles: Mapping[str, VehicleRecord] | None = None,
) -> int:
    """Write flight logs as CSV, one row per flight: the MLIT columns, then Tanbo's.

    A path gets UTF-8 with a BOM and CRLF line ends (what Excel in Japan expects), written
    to a temporary file beside it and renamed over it, so a crash leaves the old file or
    the new one, never half of one. A text stream gets the BOM character first.

    Parameters
    ----------
    logs
        The flights, in the order to write them.
    dest
        A file path, or an open text stream.
    vehicles
        Registered vehicles by registration, to fill 種類及び型式 and 製造者及び製造番号.

    Returns
    -------
    int
        The number of rows written (flights).
    """
    known = vehicles or {}
    if not isinstance(dest, Path):
        dest.write("\ufeff")
        return _write_rows(dest, logs, known, header=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            count = _write_rows(handle, logs, known, header=True)
        os.replace(temporary, dest)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def append_csv(log: FlightLog, path: Path, *, vehicle: VehicleRecord | None = None) -> None:
    """Add one flight to a CSV file, creating it (BOM and header) if it is new or empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", encoding="utf-8-sig" if new else "utf-8", newline="") as handle:
        vehicles = {log.registration: vehicle} if vehicle else {}
        _write_rows(handle, [log], vehicles, header=new)
