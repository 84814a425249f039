"""Past yields for the forecast's model: harvest records and yield-monitor points, each with
its season's features.

A record comes from a harvest CSV (``fields.agronomy.harvests``) or from yield-monitor points
averaged per forecast field and season (``fields.agronomy.yield_monitor``); where both give
a field-season, the harvest record is kept. Its features come one of two ways:

- from the record's own feature columns, when it carries them;
- computed the way the forecast computes the coming season's: AquaCrop run from the
  record's transplanting (its ``transplanted`` column, else the forecast's month and day in
  the record's year) on the ``--weather`` CSV with the forecast's water management, the
  field's NDVI images near tillering and heading (``--ndvi``), and the nitrogen of the
  record's ``n_applied_kg_ha`` column, else ``--base-n``. Records sharing a transplanting day
  share one run (about 0.2–0.4 s each). A season the CSV does not cover, or no ``--weather``
  at all, leaves the record unusable and says what to give: aquacrop's shipped Hyderabad
  weather is never passed off as a farm's past season.

``history.csv`` lists every record, its features and how they were come by.
"""

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from fields.agronomy.errors import AgronomyError, NotEnoughData
from fields.agronomy.generated_history import generate_history, hyderabad_process_runs
from fields.agronomy.harvests import HarvestRecord, join_history, read_harvest_records
from fields.agronomy.model import FieldShape
from fields.agronomy.season import SeasonSetup, run_season
from fields.agronomy.season_inputs import WaterManagement
from fields.agronomy.season_outcome import SeasonOutcome
from fields.agronomy.season_reference import REFERENCE_YEARS
from fields.agronomy.yield_features import (
    FEATURE_NAMES,
    TILLERING_BEFORE_HEADING_DAYS,
    SeasonFeatures,
    season_features,
)
from fields.agronomy.yield_model import YieldModel, train_yield_model
from fields.agronomy.yield_monitor import YieldPoint, read_yield_points, records_from_points

__all__ = [
    "HISTORY_COLUMNS",
    "History",
    "HistoryEntry",
    "HistoryInputs",
    "load_history",
    "write_history_csv",
]

HISTORY_COLUMNS = ("field_id", "season", "yield_t_ha", "source", "features", *FEATURE_NAMES)
_FROM_FILE = "from the record's feature columns"


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class HistoryInputs:
    """What a past season's features are computed from when its record does not carry them."""

    weather: pd.DataFrame | None
    """The ``--weather`` CSV's days as AquaCrop's frame; None when none was given."""
    weather_name: str
    transplanted: date
    """The forecast's transplanting: its month and day serve records without their own."""
    water: WaterManagement
    water_name: str
    ndvi: Mapping[str, Sequence[tuple[date, float]]]
    """Field id → (image date, mean NDVI), all seasons."""
    base_n_kg_ha: float


@dataclass(frozen=True, kw_only=True, slots=True)
class HistoryEntry:
    """A past yield, its season's features (None when unusable), and how they were come by."""

    record: HarvestRecord
    features: SeasonFeatures | None
    how: str


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class History:
    """The model learned from past yields, the records, and one line per thing to tell."""

    model: YieldModel | None
    entries: tuple[HistoryEntry, ...]
    lines: tuple[str, ...]
    generated: bool = False


def _in_season(forecast_day: date, season: int) -> date:
    try:
        return forecast_day.replace(year=season)
    except ValueError:  # 29 February into a year without one
        return forecast_day.replace(year=season, day=28)


def _ndvi_note(features: SeasonFeatures) -> str:
    stages = [
        name
        for name, value in (
            ("tillering", features.ndvi_tillering_mean),
            ("heading", features.ndvi_heading_mean),
        )
        if not math.isnan(value)
    ]
    if not stages:
        return "no NDVI image near tillering or heading"
    return f"NDVI near {' and '.join(stages)}"


class _Runs:
    """AquaCrop runs of past seasons, one per transplanting day (weather and water are fixed)."""

    def __init__(self, inputs: HistoryInputs) -> None:
        self.inputs = inputs
        self.done: dict[date, SeasonOutcome | AgronomyError] = {}

    def outcome(self, day: date) -> SeasonOutcome:
        if day not in self.done:
            assert self.inputs.weather is not None
            try:
                setup = SeasonSetup(weather=self.inputs.weather, transplanting=day,
                                    water=self.inputs.water)  # fmt: skip
                self.done[day] = run_season(setup)
            except AgronomyError as exc:
                self.done[day] = exc
        found = self.done[day]
        if isinstance(found, AgronomyError):
            raise found
        return found


def _computed(record: HarvestRecord, runs: _Runs) -> HistoryEntry:
    inputs = runs.inputs
    day = record.transplanted or _in_season(inputs.transplanted, record.season)
    try:
        outcome = runs.outcome(day)
    except NotEnoughData:
        frame = inputs.weather
        assert frame is not None
        first, last = frame["Date"].iloc[0].date(), frame["Date"].iloc[-1].date()
        why = (
            f"{inputs.weather_name} runs {first}…{last}, which does not cover the season from"
            f" {day} to maturity: give a --weather CSV that covers season {record.season}"
        )
        return HistoryEntry(record=record, features=None, how=f"unusable: {why}")
    except AgronomyError as exc:
        return HistoryEntry(record=record, features=None, how=f"unusable: {exc}")
    n, n_from = (
        (record.n_applied_kg_ha, "the record's")
        if record.n_applied_kg_ha is not None
        else (inputs.base_n_kg_ha, "--base-n")
    )
    features = season_features(
        outcome, ndvi=inputs.ndvi.get(record.field_id, ()), n_applied_kg_ha=n
    )
    how = (
        f"computed: AquaCrop from {day} on {inputs.weather_name}, {inputs.water_name}"
        f" (heading {outcome.heading}, tillering {TILLERING_BEFORE_HEADING_DAYS} days before);"
        f" {_ndvi_note(features)}; N {n:g} kg/ha ({n_from})"
    )
    return HistoryEntry(record=record, features=features, how=how)


def _generated() -> History:
    runs = hyderabad_process_runs()
    generated = generate_history(
        [f"G{i:02d}" for i in range(10)], REFERENCE_YEARS,
        rng=np.random.default_rng(7), process_runs=runs,
    )  # fmt: skip
    entries = tuple(
        HistoryEntry(
            record=r,
            features=generated.features[(r.field_id, r.season)],
            how="generated with the record",
        )
        for r in generated.records
    )
    history, _ = join_history(generated.records, generated.features)
    note = f"{len(history)} yields {generated.records[0].source}"
    model = train_yield_model(history, rng=np.random.default_rng(7))
    return History(model=model, entries=entries, lines=(note,), generated=True)


def _from_points(
    paths: Sequence[Path], shapes: Sequence[FieldShape], lines: list[str]
) -> tuple[HarvestRecord, ...]:
    """Records from yield-monitor files, a line per file with bad points and one for strays."""
    if not paths:
        return ()
    points: list[YieldPoint] = []
    for path in paths:
        found, problems = read_yield_points(path)
        undated = [p for p in found if p.season is None]
        if undated:
            raise AgronomyError(
                f"{path}: the points carry no season: give a season (or year) column, or a"
                " time column (ISO 8601)"
            )
        if problems:
            first = "; ".join(str(p) for p in problems[:3])
            lines.append(f"{path.name}: {len(problems)} point(s) left out ({first})")
        points.extend(found)
    records, outside = records_from_points(points, shapes, source=", ".join(p.name for p in paths))
    if outside:
        lines.append(
            f"yield points: {outside} of {len(points)} fall inside none of the fields"
            " forecast; left out"
        )
    return records


def load_history(
    source: str | None,
    *,
    inputs: HistoryInputs,
    yield_points: Sequence[Path] = (),
    shapes: Sequence[FieldShape] = (),
) -> History:
    """The yield model from past yields, with every record's features and how they came.

    Parameters
    ----------
    source
        ``generated``, a harvest CSV, or None.
    inputs
        What features are computed from for records without their own.
    yield_points
        Yield-monitor files (CSV or GeoJSON), averaged per field of ``shapes`` and season.
    shapes
        The forecast's fields.

    Returns
    -------
    History
        ``model`` None without any past yield.

    Raises
    ------
    AgronomyError
        A file cannot be read or lacks its columns (one bad row is only reported).
    """
    if source == "generated":
        return _generated()
    if source is None and not yield_points:
        return History(model=None, entries=(), lines=())
    lines: list[str] = []
    records: list[HarvestRecord] = []
    if source is not None:
        read, problems = read_harvest_records(Path(source))
        lines += [str(p) for p in problems]
        records += read
    kept = {(r.field_id, r.season): r for r in records}
    for r in _from_points(yield_points, shapes, lines):
        earlier = kept.get((r.field_id, r.season))
        if earlier is not None:
            lines.append(
                f"{r.field_id} {r.season}: the yield monitor's {r.yield_t_ha:.2f} t/ha left"
                f" out; the harvest record {earlier.source} gives {earlier.yield_t_ha:.2f}"
            )
            continue
        records.append(r)
    entries = _entries(records, inputs, lines)
    features = {(e.record.field_id, e.record.season): e.features for e in entries if e.features}
    history, _ = join_history(records, features)
    model = train_yield_model(history, rng=np.random.default_rng(7))
    return History(model=model, entries=entries, lines=tuple(lines))


def _entries(
    records: Sequence[HarvestRecord], inputs: HistoryInputs, lines: list[str]
) -> tuple[HistoryEntry, ...]:
    runs = _Runs(inputs)
    entries: list[HistoryEntry] = []
    unweathered: list[HarvestRecord] = []
    for r in records:
        if r.features is not None:
            entries.append(HistoryEntry(record=r, features=r.features, how=_FROM_FILE))
        elif inputs.weather is None:
            unweathered.append(r)
            entries.append(HistoryEntry(record=r, features=None, how="unusable: no --weather"))
        else:
            entry = _computed(r, runs)
            if entry.features is None:
                lines.append(f"{r.field_id} {r.season} ({r.source}): {entry.how}")
            entries.append(entry)
    if unweathered:
        seasons = sorted({r.season for r in unweathered})
        lines.append(
            f"{len(unweathered)} record(s) without feature columns (seasons"
            f" {', '.join(map(str, seasons))}) are unusable: their features are computed on the"
            " farm's weather and no --weather was given; give your station's daily CSV"
            " covering those seasons (the shipped Hyderabad series is not used for them)"
        )
    counts = {
        "from their feature columns": sum(e.how == _FROM_FILE for e in entries),
        f"computed ({len(runs.done)} AquaCrop runs)": sum(
            e.how.startswith("computed") for e in entries
        ),
        "unusable": sum(e.features is None for e in entries),
    }
    summary = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
    lines.append(f"{len(entries)} past yields: {summary}; each in history.csv")
    return tuple(entries)


def write_history_csv(entries: Sequence[HistoryEntry], path: Path) -> None:
    """Every past yield, its features and how they were come by, as ``HISTORY_COLUMNS``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(HISTORY_COLUMNS))
        writer.writeheader()
        for e in entries:
            values = (
                e.features.as_row() if e.features is not None else [math.nan] * len(FEATURE_NAMES)
            )
            writer.writerow(
                {
                    "field_id": e.record.field_id, "season": e.record.season,
                    "yield_t_ha": round(e.record.yield_t_ha, 3), "source": e.record.source,
                    "features": e.how,
                    **{n: "" if math.isnan(v) else round(v, 4)
                       for n, v in zip(FEATURE_NAMES, values, strict=True)},
                }
            )  # fmt: skip
