"""The features of a field-season that the yield model learns from, and how they are measured.

One row per field and season: the canopy the images saw at two growth stages, the season's
warmth, rain and irrigation, the nitrogen applied, and the process model's own yield, so
that the learned model corrects AquaCrop rather than replacing it.

Growth stages come from the season's AquaCrop run: heading is the run's start of yield
formation; maximum tillering is taken 35 days before heading, the length of rice's
reproductive phase from panicle initiation to heading (Yoshida 1981, "Fundamentals of Rice
Crop Science", IRRI), around which tillering peaks in most varieties. An index statistic at
a stage is the mean of the images within ±10 days of it — an image every 5 days from
Sentinel-2, fewer through the rainy season's clouds; a stage with no image is missing (NaN)
and the model fills it with its training mean.
"""

import math
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from datetime import date, timedelta

from fields.agronomy.errors import AgronomyError
from fields.agronomy.season_outcome import SeasonOutcome

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_UNITS",
    "STAGE_WINDOW_DAYS",
    "TILLERING_BEFORE_HEADING_DAYS",
    "FieldSeason",
    "SeasonFeatures",
    "index_mean_near",
    "season_features",
]

TILLERING_BEFORE_HEADING_DAYS = 35
STAGE_WINDOW_DAYS = 10


@dataclass(frozen=True, kw_only=True, slots=True)
class SeasonFeatures:
    """One field-season's features; NDVI means are NaN where no image fell near the stage."""

    ndvi_tillering_mean: float
    ndvi_heading_mean: float
    gdd_c_day: float
    rain_mm: float
    irrigation_mm: float
    n_applied_kg_ha: float
    process_yield_t_ha: float
    """AquaCrop's yield for the field's season (15 % moisture), t/ha."""

    def __post_init__(self) -> None:
        for name in ("gdd_c_day", "rain_mm", "irrigation_mm", "n_applied_kg_ha"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise AgronomyError(f"feature {name} = {value:g}: must be finite and ≥ 0")
        if not (math.isfinite(self.process_yield_t_ha) and self.process_yield_t_ha >= 0.0):
            raise AgronomyError(f"process yield {self.process_yield_t_ha:g} t/ha")
        for name in ("ndvi_tillering_mean", "ndvi_heading_mean"):
            value = getattr(self, name)
            if not (math.isnan(value) or -1.0 <= value <= 1.0):
                raise AgronomyError(f"feature {name} = {value:g}: NDVI is within −1…1")

    def as_row(self) -> list[float]:
        """The values in ``FEATURE_NAMES`` order."""
        return [float(v) for v in astuple(self)]


FEATURE_NAMES = tuple(f.name for f in fields(SeasonFeatures))
FEATURE_UNITS = {
    "ndvi_tillering_mean": "NDVI",
    "ndvi_heading_mean": "NDVI",
    "gdd_c_day": "°C·day",
    "rain_mm": "mm",
    "irrigation_mm": "mm",
    "n_applied_kg_ha": "kg N/ha",
    "process_yield_t_ha": "t/ha",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldSeason:
    """A past season of one field: its features and the yield harvested (15 % moisture)."""

    field_id: str
    season: int
    features: SeasonFeatures
    yield_t_ha: float
    source: str
    """Where the yield comes from: a file and line, a yield monitor, or "generated …"."""

    def __post_init__(self) -> None:
        if not self.field_id:
            raise AgronomyError("a field-season needs a field id")
        if not (math.isfinite(self.yield_t_ha) and 0.0 < self.yield_t_ha <= 20.0):
            raise AgronomyError(f"{self.field_id} {self.season}: yield {self.yield_t_ha:g} t/ha")


def index_mean_near(
    series: Sequence[tuple[date, float]], day: date, *, window_days: int = STAGE_WINDOW_DAYS
) -> float:
    """Mean of an index's values within ``window_days`` of ``day``; NaN when none fell there.

    >>> index_mean_near([(date(2024, 7, 1), 0.5), (date(2024, 7, 9), 0.7)], date(2024, 7, 5))
    0.6
    """
    near = [v for d, v in series if abs((d - day).days) <= window_days and not math.isnan(v)]
    return sum(near) / len(near) if near else math.nan


def season_features(
    outcome: SeasonOutcome,
    *,
    ndvi: Sequence[tuple[date, float]],
    n_applied_kg_ha: float,
) -> SeasonFeatures:
    """A field-season's features from its AquaCrop run and its images.

    Parameters
    ----------
    outcome
        ``run_season`` for the field's season (its weather, soil, water, transplanting).
    ndvi
        (image date, mean NDVI over the field or zone) pairs.
    n_applied_kg_ha
        Nitrogen applied in the season, kg N/ha.

    Returns
    -------
    SeasonFeatures

    Raises
    ------
    AgronomyError
        A value out of range.
    """
    tillering = outcome.heading - timedelta(days=TILLERING_BEFORE_HEADING_DAYS)
    return SeasonFeatures(
        ndvi_tillering_mean=index_mean_near(ndvi, tillering),
        ndvi_heading_mean=index_mean_near(ndvi, outcome.heading),
        gdd_c_day=outcome.gdd_c_day,
        rain_mm=outcome.rain_mm,
        irrigation_mm=outcome.irrigation_mm,
        n_applied_kg_ha=n_applied_kg_ha,
        process_yield_t_ha=outcome.yield_t_ha,
    )
