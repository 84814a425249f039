"""Flight logs: the value's rules, the MLIT CSV read back with ``csv``, and a builder that
ends every flight with a log, however the flight ends."""

import codecs
import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.geo import GeoPoint
from fleet.flightlog import (
    EXTRA_COLUMNS,
    MLIT_COLUMNS,
    Anomaly,
    FlightLog,
    FlightPurpose,
    FlightResult,
    Place,
    append_csv,
    write_csv,
)
from fleet.registry import InvalidRecord
from tests.fleet.test_registry import sprayer_drone

HOME = GeoPoint(lat_deg=34.9283, lon_deg=134.8414)
FLIGHT_ID = "6f1c2b9e-8d3a-4c55-9a7e-2f0b1d4c3a21"
# 23:30 UTC on 1 June is 08:30 on 2 June in Japan.
TAKEOFF = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)


def flight_log(**changes: Any) -> FlightLog:
    """A finished spraying flight of 12 min 34 s with one failsafe event."""
    fields: dict[str, Any] = {
        "flight_id": FLIGHT_ID,
        "flight_date": date(2026, 6, 2),
        "pilot": "加西 太郎",
        "pilot_licence_no": "1234567890",
        "registration": "JU0123456789",
        "purpose": FlightPurpose.SPRAYING,
        "result": FlightResult.COMPLETED,
        "route": "B000, B007",
        "permissions": ("dropping objects (物件投下)", "carrying dangerous goods (危険物輸送)"),
        "takeoff": Place(point=HOME, address="兵庫県加西市北条町"),
        "takeoff_at": TAKEOFF,
        "landing": Place(point=HOME),
        "landing_at": TAKEOFF + timedelta(seconds=754),
        "flight_time_s": 754.0,
        "total_flight_time_s": 36_000.0 + 754.0,
        "anomalies": (Anomaly(at=TAKEOFF + timedelta(minutes=5), text="GPS glitch"),),
        "mission_name": "B000.plan",
        "mission_sha256": "ab" * 32,
        "system_id": 1,
        "area_sprayed_ha": 0.3,
        "distance_m": 1234.5,
        "max_altitude_m": 3.0,
        "battery_used_pct": 61.0,
        "battery_used_mah": 9800.0,
        "tank_used_l": 2.4,
        "items_reached": 40,
        "items_total": 42,
    }
    return FlightLog(**(fields | changes))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"flight_id": "flight-1"}, "flight_id"),
        ({"flight_id": FLIGHT_ID.upper()}, "flight_id"),
        ({"registration": "JU12"}, "registration"),
        ({"pilot": " "}, "pilot"),
        ({"takeoff_at": datetime(2026, 6, 1, 8, 30)}, "takeoff_at"),
        ({"landing_at": TAKEOFF - timedelta(seconds=1)}, "landing_at"),
        ({"flight_time_s": -1.0}, "flight_time_s"),
        ({"distance_m": float("inf")}, "distance_m"),
        ({"mission_sha256": "xyz"}, "mission_sha256"),
        ({"system_id": 0}, "system_id"),
        ({"items_reached": 43}, "items_reached"),
        ({"anomalies": (Anomaly(at=datetime(2026, 6, 1), text="naive"),)}, "anomalies"),
    ],
)
def test_flight_log_rules_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        flight_log(**changes)
    assert caught.value.field == field


def test_purposes_have_japanese_and_english_labels() -> None:
    assert (FlightPurpose.SPRAYING.ja, FlightPurpose.SPRAYING.en) == (
        "農薬散布",
        "pesticide spraying",
    )
    assert FlightPurpose.AERIAL_PHOTOGRAPHY.ja == "空中撮影"
    assert FlightPurpose.TRANSPORT.ja == "物資輸送"
    assert all(p.ja and p.en for p in FlightPurpose)


def read_back(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_has_the_mlit_columns_in_order_then_tanbos(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "flights.csv"
    assert write_csv([flight_log()], path) == 1
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    assert b"\r\n" in raw
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == [*MLIT_COLUMNS, *EXTRA_COLUMNS]
    assert header[:4] == ["飛行年月日", "飛行させた者の氏名", "技能証明書番号", "登録記号"]
    assert header.index("離陸場所") < header.index("着陸時刻") < header.index("飛行時間")
    assert header[len(MLIT_COLUMNS) - 1] == "飛行の安全に影響のあった事項"


def test_csv_values_are_in_japan_time_and_the_laws_words(tmp_path: Path) -> None:
    path = tmp_path / "flights.csv"
    write_csv([flight_log()], path)
    (row,) = read_back(path)
    assert row["飛行年月日"] == "2026/06/02"
    assert row["飛行させた者の氏名"] == "加西 太郎"
    assert row["登録記号"] == "JU0123456789"
    assert row["飛行の目的"] == "農薬散布"
    assert row["飛行の経路"] == "B000, B007"
    assert "物件投下" in row["飛行させた飛行禁止空域及び飛行の方法"]
    assert row["離陸場所"] == "兵庫県加西市北条町 (34.928300,134.841400)"
    assert row["離陸時刻"] == "08:30:00"
    assert row["着陸場所"] == "34.928300,134.841400"
    assert row["着陸時刻"] == "08:42:34"
    assert row["飛行時間"] == "0:12:34"
    assert row["製造後の総飛行時間"] == "10:12:34"
    assert row["飛行の安全に影響のあった事項"] == "あり: 08:35:00 GPS glitch"
    assert row["flight_id"] == FLIGHT_ID
    assert row["result"] == "completed"
    assert row["takeoff_utc"] == "2026-06-01T23:30:00+00:00"
    assert float(row["takeoff_lat"]) == pytest.approx(34.9283)
    assert float(row["distance_m"]) == pytest.approx(1234.5)
    assert (row["items_reached"], row["items_total"]) == ("40", "42")


def test_csv_says_none_where_nothing_affected_safety_and_fills_the_vehicle(tmp_path: Path) -> None:
    path = tmp_path / "flights.csv"
    write_csv([flight_log(anomalies=())], path, vehicles={"JU0123456789": sprayer_drone()})
    (row,) = read_back(path)
    assert row["飛行の安全に影響のあった事項"] == "なし"
    assert row["種類及び型式"] == "回転翼航空機（マルチローター） Tanbo S10"
    assert row["製造者及び製造番号"] == "Kasai Drone Works KDW-0001"


def test_a_simulator_flight_is_marked_as_having_no_registration(tmp_path: Path) -> None:
    path = tmp_path / "flights.csv"
    write_csv([flight_log(registration="SIM-DEMO")], path)
    (row,) = read_back(path)
    assert row["登録記号"].startswith("SIM-DEMO（シミュレータ")


def test_a_landing_on_the_next_day_carries_its_date(tmp_path: Path) -> None:
    late = datetime(2026, 6, 1, 14, 50, tzinfo=UTC)  # 23:50 JST
    path = tmp_path / "flights.csv"
    late_log = flight_log(
        flight_date=date(2026, 6, 1),
        takeoff_at=late,
        landing_at=late + timedelta(minutes=20),
        anomalies=(),
    )
    write_csv([late_log], path)
    (row,) = read_back(path)
    assert row["離陸時刻"] == "23:50:00"
    assert row["着陸時刻"] == "2026/06/02 00:10:00"


def test_csv_to_a_stream_starts_with_the_bom() -> None:
    stream = io.StringIO()
    assert write_csv([flight_log(), flight_log(flight_id=FLIGHT_ID[:-1] + "2")], stream) == 2
    text = stream.getvalue()
    assert text.startswith("\ufeff飛行年月日,")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [r["flight_id"][-1] for r in rows] == ["1", "2"]


def test_appending_writes_the_header_once(tmp_path: Path) -> None:
    path = tmp_path / "journal.csv"
    append_csv(flight_log(), path)
    append_csv(flight_log(flight_id=FLIGHT_ID[:-1] + "2"), path)
    assert path.read_bytes().count(codecs.BOM_UTF8) == 1
    assert len(read_back(path)) == 2


def test_an_export_that_fails_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "flights.csv"
    write_csv([flight_log()], path)
    before = path.read_bytes()

    def broken() -> Any:
        yield flight_log()
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError):
        write_csv(broken(), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flights.csv"]
