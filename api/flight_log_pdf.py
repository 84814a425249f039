"""飛行日誌 as a PDF: the MLIT 飛行記録 (様式1) table of the chosen flights, to print or file.

The CSV (:func:`fleet.flightlog.write_csv`) is for spreadsheets; this is the form a pilot
signs and keeps, A4 landscape, one row per flight in the MLIT columns, times in Japan time,
repeated headers on every page and the page number. The Japanese text uses the PDF standard
CID font HeiseiKakuGo-W5 (no font file is embedded: every PDF reader with Japanese support
has it or a stand-in), so it prints the same on any machine Tanbo runs on.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, BinaryIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from fleet import FlightLog, VehicleRecord
from fleet.flightlog import JST, MLIT_COLUMNS, mlit_row

__all__ = ["FONT", "write_pdf"]

FONT = "HeiseiKakuGo-W5"
"""A standard Japanese CID font of PDF readers (Adobe-Japan1), not embedded."""

_WIDTHS_MM = (16, 18, 14, 20, 20, 16, 12, 24, 22, 22, 13, 22, 13, 12, 13, 22)
"""Column widths for the 16 MLIT columns across A4 landscape's 277 mm."""

pdfmetrics.registerFont(UnicodeCIDFont(FONT))
_CELL = ParagraphStyle("cell", fontName=FONT, fontSize=6.5, leading=8, wordWrap="CJK")
_HEAD = ParagraphStyle("head", parent=_CELL, fontSize=6.5, textColor=colors.white)
_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=14, leading=18)
_NOTE = ParagraphStyle("note", fontName=FONT, fontSize=8, leading=11)


def _cell(text: str, style: ParagraphStyle = _CELL) -> Paragraph:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped.replace("\n", "<br/>"), style)


def write_pdf(
    logs: Iterable[FlightLog],
    dest: BinaryIO,
    *,
    vehicles: Mapping[str, VehicleRecord],
    chosen: str = "",
    printed_at: datetime,
) -> int:
    """Write the flights as the 飛行記録 table; the number written.

    ``chosen`` says which flights these are (a vehicle, dates), printed under the title;
    ``printed_at`` is when (shown in Japan time).
    """
    rows: list[list[Any]] = [[_cell(c, _HEAD) for c in MLIT_COLUMNS]]
    flights = list(logs)
    for log in flights:
        rows.append([_cell(v) for v in mlit_row(log, vehicles.get(log.registration))])
    table = LongTable(rows, colWidths=[w * mm for w in _WIDTHS_MM], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#33691e")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9e9e9e")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f1f8e9")]),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))  # fmt: skip
    when = printed_at.astimezone(JST).strftime("%Y/%m/%d %H:%M")
    total_s = sum(log.flight_time_s or 0.0 for log in flights)
    hours, minutes = int(total_s // 3600), int(total_s % 3600 // 60)
    summary = (f"{chosen + '　' if chosen else ''}{len(flights)} 件、飛行時間 計 "
               f"{hours}時間{minutes}分　出力 {when} (JST)")  # fmt: skip

    def page_number(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawRightString(A4[1] - 10 * mm, 7 * mm, f"飛行日誌（飛行記録） {doc.page} 頁")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        dest, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
        topMargin=10 * mm, bottomMargin=12 * mm, title="飛行日誌（飛行記録）", author="Tanbo",
    )  # fmt: skip
    story = [_cell("飛行日誌（飛行記録）", _TITLE), _cell(summary, _NOTE), Spacer(1, 3 * mm), table]
    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return len(flights)
