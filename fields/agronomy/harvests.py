"""Past yields: harvest records from a CSV file, joined to their seasons' features.

A farm's records come as a CSV, one row per field and season::

    field_id,season,yield_kg_10a,moisture_pct,harvest_date
    A-12,2023,542,15.0,2023-09-20

The yield's unit comes from its column — ``yield_t_ha``, ``yield_kg_10a`` or ``yield_kg_ha``
— or from a ``unit`` column beside a plain ``yield`` (``t/ha``, ``kg/10a``, ``kg/ha``).
Rice yields are compared at 15 % grain moisture, the convention of Japanese statistics: a
row with ``moisture_pct`` is converted, ``yield × (100 − moisture) / 85``; a row without is
taken to be at 15 % already. Which grain — rough rice or brown rice (玄米, about 80 % of rough
by weight) — is the farm's to keep consistent; AquaCrop's yield is rough rice.

A row may also give what its season's features are computed from — ``transplanted`` (ISO
date, in the season's year) and ``n_applied_kg_ha`` — or carry the features themselves (every
column of ``fields.agronomy.yield_features.FEATURE_NAMES``; the NDVI ones may be blank). A row
with some feature columns filled but not all is a bad row: which one is meant is not guessed.

A bad row is reported by its line number and the good rows are kept, so one typo does not
cost a farm its history. Where no real history exists, ``fields.agronomy.generated_history``
generates one from AquaCrop and marks every record as generated; both go through
``join_history``.
"""

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fields.agronomy.errors import AgronomyError
from fields.agronomy.season_outcome import STANDARD_MOISTURE_PCT
from fields.agronomy.yield_features import FEATURE_NAMES, FieldSeason, SeasonFeatures

__all__ = [
    "YIELD_UNITS",
    "HarvestRecord",
    "RecordProblem",
    "join_history",
    "read_harvest_records",
    "row_yield_t_ha",
    "standard_yield_t_ha",
    "yield_column",
]

YIELD_UNITS = {"t/ha": 1.0, "kg/10a": 0.01, "kg/ha": 0.001}
"""Yield units Tanbo reads, and what one of each is in t/ha."""
_YIELD_COLUMNS = {"yield_t_ha": "t/ha", "yield_kg_10a": "kg/10a", "yield_kg_ha": "kg/ha"}
_MIN_YIELD_T_HA, _MAX_YIELD_T_HA = 0.3, 20.0
"""Plausible rice yields, t/ha: below 30 kg/10a and above any yield on record (about 15 t/ha)
lie unit mix-ups (t/ha in a kg/10a column) and a yield monitor's start-of-pass zeros."""
_MAX_N_KG_HA = 400.0
"""More nitrogen than any rice field is given (Japanese paddies get 40–120 kg N/ha)."""
_CARRIED = tuple(n for n in FEATURE_NAMES if not n.startswith("ndvi"))
"""The feature columns a row must fill to carry its features (the NDVI ones may be blank)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class HarvestRecord:
    """One field's yield in one season, at 15 % moisture, and where it comes from."""

    field_id: str
    season: int
    yield_t_ha: float
    moisture_pct: float | None = None
    """The moisture the yield was recorded at, when the record gave it."""
    harvested: date | None = None
    transplanted: date | None = None
    """Transplanting day, when the record gave it (its season's run starts there)."""
    n_applied_kg_ha: float | None = None
    """Nitrogen applied in the season, kg N/ha, when the record gave it."""
    features: SeasonFeatures | None = None
    """The season's features, when the record carried them."""
    source: str
    """The file and line, "yield monitor: …", or "generated: …" for a generated record."""

    def __post_init__(self) -> None:
        if not self.field_id:
            raise AgronomyError("a harvest record needs a field id")
        if not (math.isfinite(self.yield_t_ha) and 0.0 < self.yield_t_ha <= _MAX_YIELD_T_HA):
            raise AgronomyError(f"yield {self.yield_t_ha:g} t/ha is outside 0…{_MAX_YIELD_T_HA:g}")
        n = self.n_applied_kg_ha
        if n is not None and not (math.isfinite(n) and 0.0 <= n <= _MAX_N_KG_HA):
            raise AgronomyError(f"n_applied_kg_ha {n:g} is outside 0…{_MAX_N_KG_HA:g}")
        if self.transplanted is not None and self.transplanted.year != self.season:
            raise AgronomyError(f"transplanted {self.transplanted} is not in season {self.season}")

    @property
    def yield_kg_10a(self) -> float:
        """The yield in kg/10a."""
        return 100.0 * self.yield_t_ha

    @property
    def generated(self) -> bool:
        """Whether the record was generated, not harvested."""
        return self.source.startswith("generated")


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordProblem:
    """A row that could not be used, by file and line."""

    where: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.reason}"


def standard_yield_t_ha(value: float, unit: str, moisture_pct: float | None) -> float:
    """A recorded yield in t/ha at 15 % moisture.

    >>> round(standard_yield_t_ha(540.0, "kg/10a", 17.0), 3)
    5.273

    Raises
    ------
    ValueError
        An unknown unit, or a moisture outside 0…40 %.
    """
    if unit not in YIELD_UNITS:
        raise ValueError(f"unit {unit!r} is not one of {', '.join(YIELD_UNITS)}")
    t_ha = value * YIELD_UNITS[unit]
    if moisture_pct is None:
        return t_ha
    if not 0.0 <= moisture_pct < 40.0:
        raise ValueError(f"moisture {moisture_pct:g} % is outside 0…40")
    return t_ha * (100.0 - moisture_pct) / (100.0 - STANDARD_MOISTURE_PCT)


def yield_column(header: Sequence[str], where: str) -> str:
    """The header's yield column (``yield`` when a ``unit`` column gives the unit per row).

    Raises
    ------
    AgronomyError
        No yield column, or more than one.
    """
    found = [c for c in header if c in _YIELD_COLUMNS]
    if "yield" in header and "unit" in header:
        found.append("yield")
    if len(found) != 1:
        raise AgronomyError(
            f"{where}: need exactly one of {', '.join(_YIELD_COLUMNS)} (or yield with unit),"
            f" found {found or 'none'}"
        )
    return found[0]


def row_yield_t_ha(cells: Mapping[str, str], column: str) -> tuple[float, float | None]:
    """A row's yield at 15 % moisture, t/ha, and the moisture it gave (ValueError if bad)."""
    unit = _YIELD_COLUMNS.get(column) or cells.get("unit", "").strip()
    raw = cells.get(column, "").strip()
    if not raw:
        raise ValueError("no yield")
    value = float(raw)
    moisture_text = (cells.get("moisture_pct") or "").strip()
    moisture = float(moisture_text) if moisture_text else None
    t_ha = standard_yield_t_ha(value, unit, moisture)
    if not (math.isfinite(t_ha) and _MIN_YIELD_T_HA <= t_ha <= _MAX_YIELD_T_HA):
        raise ValueError(
            f"{value:g} {unit} is not a rice yield ({_MIN_YIELD_T_HA:g}…{_MAX_YIELD_T_HA:g} t/ha)"
        )
    return t_ha, moisture


def _record(cells: Mapping[str, str], column: str, where: str, line: int) -> HarvestRecord:
    field_id = cells.get("field_id", "").strip()
    if not field_id:
        raise ValueError("no field_id")
    season_text = (cells.get("season") or cells.get("year") or "").strip()
    season = int(season_text)
    if not 1900 <= season <= 2100:
        raise ValueError(f"season {season} is not a year")
    t_ha, moisture = row_yield_t_ha(cells, column)
    date_text = (cells.get("harvest_date") or "").strip()
    harvested = date.fromisoformat(date_text) if date_text else None
    if harvested is not None and harvested.year not in (season, season + 1):
        raise ValueError(f"harvest date {harvested} is not in season {season}")
    transplanted_text = (cells.get("transplanted") or "").strip()
    n_text = (cells.get("n_applied_kg_ha") or "").strip()
    return HarvestRecord(
        field_id=field_id,
        season=season,
        yield_t_ha=t_ha,
        moisture_pct=moisture,
        harvested=harvested,
        transplanted=date.fromisoformat(transplanted_text) if transplanted_text else None,
        n_applied_kg_ha=float(n_text) if n_text else None,
        features=_carried_features(cells),
        source=f"{where}:{line}",
    )


def _carried_features(cells: Mapping[str, str]) -> SeasonFeatures | None:
    """The row's own features when it fills every feature column; None when it fills none.

    ``n_applied_kg_ha`` alone is not a feature set: it is what a computed season is given.
    """
    filled = {n for n in FEATURE_NAMES if (cells.get(n) or "").strip()}
    if not filled - {"n_applied_kg_ha"}:
        return None
    missing = [n for n in _CARRIED if n not in filled]
    if missing:
        raise ValueError(
            f"has {', '.join(sorted(filled))} but not {', '.join(missing)}:"
            " give every feature column or none (then they are computed)"
        )
    return SeasonFeatures(
        **{n: float(cells[n]) if n in filled else math.nan for n in FEATURE_NAMES}
    )


def read_harvest_records(
    path: Path,
) -> tuple[tuple[HarvestRecord, ...], tuple[RecordProblem, ...]]:
    """Read a farm's harvest records; keep the good rows and report the bad ones by line.

    Parameters
    ----------
    path
        A CSV with a header: ``field_id``, ``season`` (or ``year``), one yield column,
        optionally ``moisture_pct``, ``harvest_date`` and ``transplanted`` (ISO),
        ``n_applied_kg_ha``, and the feature columns (``FEATURE_NAMES``).

    Returns
    -------
    records, problems
        The usable records (yields in t/ha at 15 % moisture), and one problem per bad row;
        a second row for the same field and season is a problem, the first is kept.

    Raises
    ------
    AgronomyError
        The file cannot be read, or its header lacks the columns.
    """
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgronomyError(f"{where}: cannot read it ({exc})") from exc
    reader = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(reader, [])]
    if "field_id" not in header or not {"season", "year"} & set(header):
        raise AgronomyError(f"{where}:1: the header needs field_id and season (or year)")
    column = yield_column(header, f"{where}:1")
    records: list[HarvestRecord] = []
    problems: list[RecordProblem] = []
    seen: dict[tuple[str, int], int] = {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(RecordProblem(where=where, line=line, reason="more cells than columns"))
            continue
        try:
            record = _record(dict(zip(header, row, strict=False)), column, where, line)
        except (ValueError, AgronomyError) as exc:
            problems.append(RecordProblem(where=where, line=line, reason=str(exc)))
            continue
        key = (record.field_id, record.season)
        if key in seen:
            reason = f"{key[0]} {key[1]} already on line {seen[key]}"
            problems.append(RecordProblem(where=where, line=line, reason=reason))
            continue
        seen[key] = line
        records.append(record)
    return tuple(records), tuple(problems)


def join_history(
    records: Sequence[HarvestRecord],
    features: Mapping[tuple[str, int], SeasonFeatures],
) -> tuple[tuple[FieldSeason, ...], tuple[HarvestRecord, ...]]:
    """Pair each past yield with its field-season's features, for the yield model.

    Parameters
    ----------
    records
        Harvest records, read or generated.
    features
        (field id, season) → that season's features (``season_features``).

    Returns
    -------
    history, unmatched
        The field-seasons, and the records with no features (no run, no images).
    """
    history, unmatched = [], []
    for r in records:
        f = features.get((r.field_id, r.season))
        if f is None:
            unmatched.append(r)
            continue
        history.append(
            FieldSeason(
                field_id=r.field_id,
                season=r.season,
                features=f,
                yield_t_ha=r.yield_t_ha,
                source=r.source,
            )
        )
    return tuple(history), tuple(unmatched)
