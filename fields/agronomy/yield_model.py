"""A yield model learned from the farm's past seasons, on top of AquaCrop, with an interval.

The model is a ridge regression (scikit-learn's ``RidgeCV``) on standardised features, the
process model's own yield among them, so it learns how the farm departs from AquaCrop.
A linear model because past yields are few: a farm has tens of field-seasons over a handful
of years, too few for boosted quantile trees to place a 10th and a 90th percentile (each
tail would rest on a few rows). What it learned is stated as coefficients in the features'
own units (t/ha per kg N/ha, per mm…) and as permutation importances (scikit-learn's
``permutation_importance``: how much the mean absolute error grows, t/ha, when a feature is
shuffled).

The prediction interval (10th–90th percentile, 80 % nominal) is the point prediction plus the
10th and 90th percentiles of the model's out-of-season residuals: each training season's
yields predicted by a model fitted on the other seasons — the CV+ idea of Barber, Candès,
Ramdas & Tibshirani (2021, "Predictive inference with the jackknife+", Ann. Statist.
49(1)). Leaving whole seasons out, not rows, keeps a season's shared weather and pests out
of its own residuals, as they will be when a new season is forecast.

Cross-validation (``cross_validated_error``) leaves one season out at a time
(``LeaveOneGroupOut`` on the year): the model never trains on the season it predicts, and
the intervals of a held-out season come from residuals of the training seasons only.

Below ``MIN_FIELD_SEASONS`` past yields, or from fewer than ``MIN_SEASONS`` seasons,
nothing is learned: ``train_yield_model`` returns ``ProcessModelOnly``, whose basis says so.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import LeaveOneGroupOut, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from fields.agronomy.yield_features import FEATURE_NAMES, FEATURE_UNITS, FieldSeason, SeasonFeatures

__all__ = [
    "MIN_FIELD_SEASONS",
    "MIN_SEASONS",
    "NOMINAL_COVERAGE",
    "LearnedEffect",
    "LearnedNitrogenResponse",
    "ProcessModelOnly",
    "TrainedYieldModel",
    "YieldModel",
    "YieldPrediction",
    "fallback_reason",
    "train_yield_model",
]

MIN_FIELD_SEASONS = 30
MIN_SEASONS = 3
NOMINAL_COVERAGE = 0.8
_QUANTILES = (0.1, 0.9)
_ALPHAS = tuple(float(a) for a in np.logspace(-3, 3, 13))
_MIN_RESIDUALS_FOR_INTERVAL = 5


@dataclass(frozen=True, kw_only=True, slots=True)
class YieldPrediction:
    """Expected yield (median) and 80 % interval, t/ha at 15 % moisture, and its basis."""

    p10_t_ha: float | None
    p50_t_ha: float
    p90_t_ha: float | None
    source: str
    """``"trained model"`` or ``"process model only"``."""
    basis: str

    @property
    def p50_kg_10a(self) -> float:
        """The median in kg/10a."""
        return 100.0 * self.p50_t_ha

    @property
    def interval_kg_10a(self) -> tuple[float, float] | None:
        """The 10th–90th percentile interval in kg/10a, when there is one."""
        if self.p10_t_ha is None or self.p90_t_ha is None:
            return None
        return 100.0 * self.p10_t_ha, 100.0 * self.p90_t_ha


@dataclass(frozen=True, kw_only=True, slots=True)
class LearnedEffect:
    """One feature's learned effect: t/ha per unit of it, and its permutation importance."""

    feature: str
    unit: str
    t_ha_per_unit: float
    importance_t_ha: float
    """Increase of the mean absolute error, t/ha, when the feature is shuffled."""

    def describe(self) -> str:
        """One line, e.g. ``n_applied_kg_ha: +0.0123 t/ha per kg N/ha (importance 0.21 t/ha)``."""
        return (
            f"{self.feature}: {self.t_ha_per_unit:+.4g} t/ha per {self.unit}"
            f" (importance {self.importance_t_ha:.3f} t/ha)"
        )


def _matrix(features: Sequence[SeasonFeatures]) -> np.ndarray:
    return np.array([f.as_row() for f in features], dtype=float)


def _pipeline() -> Pipeline:
    return make_pipeline(
        SimpleImputer(strategy="mean", keep_empty_features=True),
        StandardScaler(),
        RidgeCV(alphas=_ALPHAS),
    )


def _out_of_season_residuals(x: np.ndarray, y: np.ndarray, seasons: np.ndarray) -> np.ndarray:
    predicted = cross_val_predict(_pipeline(), x, y, groups=seasons, cv=LeaveOneGroupOut())
    residuals: np.ndarray = y - np.asarray(predicted, dtype=float)
    return residuals


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class TrainedYieldModel:
    """A ridge model of yield on the season's features, fitted on the farm's past seasons."""

    pipeline: Pipeline
    residual_quantiles_t_ha: tuple[float, float]
    n_field_seasons: int
    seasons: tuple[int, ...]
    n_range_kg_ha: tuple[float, float]
    effects: tuple[LearnedEffect, ...]

    @property
    def basis(self) -> str:
        """What the model was trained on."""
        first, last = self.seasons[0], self.seasons[-1]
        return (
            f"trained model (ridge regression on {self.n_field_seasons} past yields, "
            f"{len(self.seasons)} seasons {first}–{last}; 80 % interval from out-of-season "
            "residuals)"
        )

    def _point(self, features: SeasonFeatures) -> float:
        return float(self.pipeline.predict(_matrix([features]))[0])

    def predict(self, features: SeasonFeatures) -> YieldPrediction:
        """Median and 80 % interval of the season's yield, t/ha."""
        p50 = self._point(features)
        low, high = self.residual_quantiles_t_ha
        return YieldPrediction(
            p10_t_ha=max(p50 + low, 0.0),
            p50_t_ha=p50,
            p90_t_ha=p50 + high,
            source="trained model",
            basis=self.basis,
        )

    def summary(self) -> tuple[str, ...]:
        """What the model learned, most important feature first."""
        ranked = sorted(self.effects, key=lambda e: -e.importance_t_ha)
        return (self.basis, *(e.describe() for e in ranked))

    def nitrogen_response(self, features: SeasonFeatures) -> "LearnedNitrogenResponse":
        """The N response the model learned, for a field-season like ``features``."""
        return LearnedNitrogenResponse(model=self, features=features)


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class LearnedNitrogenResponse:
    """Yield change the trained model predicts when only the nitrogen applied changes."""

    model: TrainedYieldModel
    features: SeasonFeatures

    @property
    def assumed(self) -> bool:
        """Never: the response is learned from the farm's past seasons."""
        return False

    @property
    def basis(self) -> str:
        """The model, and the N range it saw (a linear model extrapolates beyond it)."""
        low, high = self.model.n_range_kg_ha
        return (
            f"N response learned by the {self.model.basis}; seen N {low:.0f}–{high:.0f} kg/ha,"
            " linear beyond"
        )

    def yield_gain_t_ha(
        self, *, yield_t_ha: float, base_n_kg_ha: float, extra_n_kg_ha: float
    ) -> float:
        """Predicted yield at ``base + extra`` minus at ``base`` kg N/ha, t/ha."""
        before = replace(self.features, n_applied_kg_ha=base_n_kg_ha)
        after = replace(self.features, n_applied_kg_ha=base_n_kg_ha + extra_n_kg_ha)
        return self.model._point(after) - self.model._point(before)


@dataclass(frozen=True, kw_only=True, slots=True)
class ProcessModelOnly:
    """Too few past yields to learn from: the process model's yield, and why."""

    basis: str
    residual_quantiles_t_ha: tuple[float, float] | None
    """The process model's own 10th/90th error percentiles on past yields, when ≥ 5."""

    def predict(self, features: SeasonFeatures) -> YieldPrediction:
        """AquaCrop's yield, with an interval from its past errors when there were enough."""
        p50 = features.process_yield_t_ha
        q = self.residual_quantiles_t_ha
        return YieldPrediction(
            p10_t_ha=None if q is None else max(p50 + q[0], 0.0),
            p50_t_ha=p50,
            p90_t_ha=None if q is None else p50 + q[1],
            source="process model only",
            basis=self.basis,
        )


YieldModel = TrainedYieldModel | ProcessModelOnly


def _process_only(history: Sequence[FieldSeason], why: str) -> ProcessModelOnly:
    errors = np.array([h.yield_t_ha - h.features.process_yield_t_ha for h in history])
    enough = len(errors) >= _MIN_RESIDUALS_FOR_INTERVAL
    quantiles = (
        (float(np.quantile(errors, _QUANTILES[0])), float(np.quantile(errors, _QUANTILES[1])))
        if enough
        else None
    )
    interval = "80 % interval from its past errors" if enough else "no interval"
    return ProcessModelOnly(
        basis=f"process model only ({why}; {interval})", residual_quantiles_t_ha=quantiles
    )


def fallback_reason(history: Sequence[FieldSeason]) -> str | None:
    """Why ``history`` is too small to learn from, or None when it is enough."""
    seasons = {h.season for h in history}
    if len(history) < MIN_FIELD_SEASONS:
        return f"N past yields {len(history)} < {MIN_FIELD_SEASONS}"
    if len(seasons) < MIN_SEASONS:
        return f"past yields from {len(seasons)} season(s) < {MIN_SEASONS}"
    return None


def train_yield_model(
    history: Sequence[FieldSeason], *, rng: np.random.Generator | None = None
) -> YieldModel:
    """Learn the farm's yields from its past seasons, or fall back to the process model.

    Parameters
    ----------
    history
        Past field-seasons, real or generated (their ``source`` says which).
    rng
        Seeds the permutation importances; without it they are not computed (cross-validation
        needs none) and every importance reads 0.

    Returns
    -------
    TrainedYieldModel or ProcessModelOnly
        The latter when there are fewer than ``MIN_FIELD_SEASONS`` past yields or fewer than
        ``MIN_SEASONS`` seasons; its ``basis`` says which.
    """
    why = fallback_reason(history)
    if why is not None:
        return _process_only(history, why)
    x = _matrix([h.features for h in history])
    y = np.array([h.yield_t_ha for h in history])
    seasons = np.array([h.season for h in history])
    residuals = _out_of_season_residuals(x, y, seasons)
    pipeline = _pipeline().fit(x, y)
    importances = np.zeros(len(FEATURE_NAMES))
    if rng is not None:
        importances = permutation_importance(
            pipeline, x, y, scoring="neg_mean_absolute_error", n_repeats=10,
            random_state=int(rng.integers(2**31 - 1)),
        ).importances_mean  # fmt: skip
    scale = pipeline.named_steps["standardscaler"].scale_
    coef = pipeline.named_steps["ridgecv"].coef_ / scale
    effects = tuple(
        LearnedEffect(
            feature=name,
            unit=FEATURE_UNITS[name],
            t_ha_per_unit=float(c),
            importance_t_ha=float(i),
        )
        for name, c, i in zip(FEATURE_NAMES, coef, importances, strict=True)
    )
    n_applied = x[:, FEATURE_NAMES.index("n_applied_kg_ha")]
    return TrainedYieldModel(
        pipeline=pipeline,
        residual_quantiles_t_ha=(
            float(np.quantile(residuals, _QUANTILES[0])),
            float(np.quantile(residuals, _QUANTILES[1])),
        ),
        n_field_seasons=len(history),
        seasons=tuple(sorted({int(s) for s in seasons})),
        n_range_kg_ha=(float(n_applied.min()), float(n_applied.max())),
        effects=effects,
    )
