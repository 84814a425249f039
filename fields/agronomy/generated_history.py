"""A yield history generated from AquaCrop, for when no real one exists — and labelled so.

No installed package or public data set gives per-field rice yields with the images,
weather and fertiliser of each season. Until a farm's own records are imported, Tanbo
generates a history from the process model, honestly:

- each season's AquaCrop run (the package's Hyderabad weather, 2000–2010, one run per water
  regime and season) gives the yield a field would reach with no other limit;
- each field gets a lasting vigour (soil, levelling, variety: lognormal, σ = 8 %) and a usual
  nitrogen rate (uniform 30–110 kg N/ha, ±10 kg/ha from season to season); nitrogen acts
  through the assumed Mitscherlich curve of ``fields.agronomy.n_response`` (AquaCrop 3.1 has
  no fertility stress), on the canopy and the yield alike;
- each season has a shock shared by all fields (pests, storms: σ = 4 %) and each field-season
  its own (σ = 5 %);
- the images are a Sentinel-2-like NDVI series every 5 days, 40 % of them lost to cloud,
  from AquaCrop's canopy times the field's vigour and N effect, turned into NDVI by the
  inverse of the Trout et al. (2008) relation, with 0.03 of sensor noise.

Every record's ``source`` starts with "generated", and the features are computed from the
runs and images by ``season_features`` and joined by ``join_history``, the same path real
records take. A model trained on this history learns the assumptions above, including the
assumed N response; its errors say how the method behaves, not how well Tanbo knows a farm.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from fields.agronomy.errors import AgronomyError
from fields.agronomy.forecast import TROUT_2008
from fields.agronomy.harvests import HarvestRecord
from fields.agronomy.n_response import MitscherlichResponse
from fields.agronomy.season import run_season
from fields.agronomy.season_inputs import PondedWater, Rainfed, WaterManagement, shipped_weather
from fields.agronomy.season_outcome import SeasonOutcome
from fields.agronomy.season_reference import REFERENCE_YEARS, reference_setup
from fields.agronomy.yield_features import SeasonFeatures, season_features

__all__ = [
    "GENERATED_SOURCE",
    "HYDERABAD_REGIMES",
    "GeneratedField",
    "GeneratedHistory",
    "generate_history",
    "hyderabad_process_runs",
]

GENERATED_SOURCE = "generated from AquaCrop with field effects and noise, not a harvest"
_VIGOUR_SIGMA = 0.08
_SEASON_SIGMA = 0.04
_NOISE_SIGMA = 0.05
_N_RANGE_KG_HA = (30.0, 110.0)
_N_JITTER_KG_HA = 10.0
_IMAGE_EVERY_DAYS = 5
_CLOUD_LOSS = 0.4
_NDVI_NOISE = 0.03

HYDERABAD_REGIMES: Mapping[str, WaterManagement] = {
    "rainfed": Rainfed(),
    "ponded": PondedWater(depth_mm=50.0, refill_below_mm=20.0, dry_spells=((30, 39),)),
}
"""The water regimes of a generated history: rain only, or 5 cm kept with a mid-season drain."""


def hyderabad_process_runs(
    seasons: Sequence[int] = REFERENCE_YEARS,
    regimes: Mapping[str, WaterManagement] = HYDERABAD_REGIMES,
) -> dict[tuple[str, int], SeasonOutcome]:
    """AquaCrop on the package's Hyderabad seasons (reference set-up), one run per regime.

    About 0.1 s a rainfed season and 0.3 s a ponded one.

    Raises
    ------
    NotEnoughData, AgronomyError
        As ``run_season`` (a season outside 2000–2010).
    """
    weather = shipped_weather("hyderabad")
    return {
        (name, season): run_season(replace(reference_setup(season, weather), water=water))
        for name, water in regimes.items()
        for season in seasons
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class GeneratedField:
    """A generated field's hidden truth: its water regime, vigour and usual N rate."""

    field_id: str
    regime: str
    vigour: float
    n_usual_kg_ha: float


@dataclass(frozen=True, kw_only=True, slots=True)
class GeneratedHistory:
    """Generated harvest records, each field-season's features, and the fields' truths."""

    records: tuple[HarvestRecord, ...]
    features: Mapping[tuple[str, int], SeasonFeatures]
    fields: tuple[GeneratedField, ...]


def _ndvi_series(
    outcome: SeasonOutcome, canopy_factor: float, rng: np.random.Generator
) -> list[tuple[date, float]]:
    start = outcome.transplanting + timedelta(days=int(rng.integers(_IMAGE_EVERY_DAYS)))
    series = []
    day = start
    while day <= outcome.maturity:
        if rng.random() >= _CLOUD_LOSS:
            modelled = outcome.canopy_on(day) or 0.0
            cover = min(max(modelled * canopy_factor, 0.0), 0.99)
            ndvi = (cover - TROUT_2008.intercept) / TROUT_2008.slope + rng.normal(0, _NDVI_NOISE)
            series.append((day, float(min(max(ndvi, -0.1), 0.95))))
        day += timedelta(days=_IMAGE_EVERY_DAYS)
    return series


def generate_history(
    fields: Sequence[str],
    seasons: Sequence[int],
    *,
    rng: np.random.Generator,
    process_runs: Mapping[tuple[str, int], SeasonOutcome],
) -> GeneratedHistory:
    """A history of yields generated from AquaCrop runs, with field effects and noise.

    Parameters
    ----------
    fields
        Field ids to generate; they take the water regimes of ``process_runs`` in turn.
    seasons
        Years to generate; each needs a run for every regime.
    rng
        The only source of randomness: the same seed gives the same history.
    process_runs
        (regime name, season) → the AquaCrop run for it, e.g. "rainfed" and "ponded".

    Returns
    -------
    GeneratedHistory
        Records whose ``source`` is ``GENERATED_SOURCE``, features per (field, season), and
        the fields' hidden vigour and N rates.

    Raises
    ------
    AgronomyError
        No run, or a season without a run for some regime.
    """
    regimes = sorted({regime for regime, _ in process_runs})
    if not regimes:
        raise AgronomyError("generating a history needs AquaCrop runs")
    missing = [(r, s) for r in regimes for s in seasons if (r, s) not in process_runs]
    if missing:
        raise AgronomyError(f"generating a history: no AquaCrop run for {missing[:3]}")
    n_curve = MitscherlichResponse()
    truths = tuple(
        GeneratedField(
            field_id=field_id,
            regime=regimes[i % len(regimes)],
            vigour=float(math.exp(rng.normal(0.0, _VIGOUR_SIGMA))),
            n_usual_kg_ha=float(rng.uniform(*_N_RANGE_KG_HA)),
        )
        for i, field_id in enumerate(fields)
    )
    shocks = {s: float(math.exp(rng.normal(0.0, _SEASON_SIGMA))) for s in seasons}
    records, features = [], {}
    for season in seasons:
        for truth in truths:
            run = process_runs[(truth.regime, season)]
            n = float(max(truth.n_usual_kg_ha + rng.normal(0.0, _N_JITTER_KG_HA), 0.0))
            factor = truth.vigour * n_curve.relative_yield(n)
            ndvi = _ndvi_series(run, factor, rng)
            noise = math.exp(rng.normal(0.0, _NOISE_SIGMA))
            records.append(
                HarvestRecord(
                    field_id=truth.field_id,
                    season=season,
                    yield_t_ha=run.yield_t_ha * factor * shocks[season] * noise,
                    source=GENERATED_SOURCE,
                )
            )
            features[(truth.field_id, season)] = season_features(run, ndvi=ndvi, n_applied_kg_ha=n)
    return GeneratedHistory(records=tuple(records), features=features, fields=truths)
