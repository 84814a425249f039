"""飛行日誌 as the MLIT form in a PDF, read back with pypdf: every flight's row with its
items in Japan time, headers on every page, the anomalies said."""

import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta

from pypdf import PdfReader

from api.flight_log_pdf import FONT, write_pdf
from fleet.flightlog import Anomaly
from tests.fleet.test_flightlog import TAKEOFF, flight_log
from tests.fleet.test_registry import sprayer_drone

PRINTED = datetime(2026, 6, 30, 1, 0, tzinfo=UTC)


def _pages(data: bytes) -> list[str]:
    """Each page's text with no white space (a cell wraps its text where it must)."""
    return [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def test_each_flight_is_a_row_of_the_mlit_items_in_japan_time() -> None:
    sink = io.BytesIO()
    vehicle = sprayer_drone()
    count = write_pdf([flight_log(registration=vehicle.registration)], sink,
                      vehicles={vehicle.registration: vehicle}, chosen="登録記号 X",
                      printed_at=PRINTED)  # fmt: skip
    assert count == 1
    (text,) = _pages(sink.getvalue())
    for item in ("飛行年月日", "飛行させた者の氏名", "離陸時刻", "飛行の安全に影響のあった事項"):
        assert item in text
    assert "2026/06/02" in text  # 23:30 UTC on 1 June is 2 June in Japan
    assert "加西太郎" in text
    assert "08:30:00" in text  # the take-off, JST
    assert "GPSglitch" in text  # the anomaly, in the safety column
    assert vehicle.model.replace(" ", "") in text
    assert "登録記号X1件、飛行時間計0時間12分出力2026/06/3010:00(JST)" in text
    assert "1頁" in text
    fonts = PdfReader(io.BytesIO(sink.getvalue())).pages[0]["/Resources"]["/Font"]
    assert any(FONT in str(f.get_object()["/BaseFont"]) for f in fonts.values())


def test_a_season_of_flights_runs_over_pages_with_the_header_on_each() -> None:
    logs = [
        flight_log(
            flight_id=str(uuid.UUID(int=n + 1)),
            flight_date=date(2026, 6, 2) + timedelta(days=n // 4),
            takeoff_at=TAKEOFF + timedelta(days=n // 4, minutes=20 * (n % 4)),
            landing_at=TAKEOFF + timedelta(days=n // 4, minutes=20 * (n % 4) + 12),
            anomalies=(Anomaly(at=TAKEOFF, text=f"event {n}"),) if n % 10 == 0 else (),
        )
        for n in range(80)
    ]  # fmt: skip
    sink = io.BytesIO()
    assert write_pdf(logs, sink, vehicles={}, printed_at=PRINTED) == 80
    pages = _pages(sink.getvalue())
    assert len(pages) > 2
    assert all("飛行年月日" in page for page in pages)  # the header row repeats
    assert [f"{n}頁" in page for n, page in enumerate(pages, start=1)] == [True] * len(pages)
    text = "".join(pages)
    assert all(f"event{n}" in text for n in range(0, 80, 10))
    assert text.count("なし") >= 72  # no anomaly: said, not left blank
    assert "80件" in pages[0]


def test_no_flights_is_an_empty_form_not_an_error() -> None:
    sink = io.BytesIO()
    assert write_pdf([], sink, vehicles={}, printed_at=PRINTED) == 0
    (text,) = _pages(sink.getvalue())
    assert "0件" in text
    assert "飛行年月日" in text
