"""How well the yield model forecasts a season it has not seen, against AquaCrop alone.

Leave-one-season-out: for each season of the history, the model is trained on the other
seasons (``train_yield_model``, its interval from their out-of-season residuals only) and
predicts the held-out season's field yields. The report gives the mean absolute and root
mean square errors (t/ha) of those predictions, the share of yields inside their 80 %
interval, and the same errors for the process model's own yield, the baseline the learned
model must beat — and, to say how much of the gain is mere calibration, for AquaCrop's yield
scaled by the training seasons' mean ratio of harvested to modelled yield. ``bench/`` prints
``CvReport.table()``.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import LeaveOneGroupOut

from fields.agronomy.errors import NotEnoughData
from fields.agronomy.yield_features import FieldSeason
from fields.agronomy.yield_model import NOMINAL_COVERAGE, train_yield_model

__all__ = ["CvFold", "CvReport", "cross_validated_error", "season_folds"]


@dataclass(frozen=True, kw_only=True, slots=True)
class CvFold:
    """One held-out season: which seasons trained the model, and how it did."""

    held_out_season: int
    train_seasons: tuple[int, ...]
    n_train: int
    n_test: int
    source: str
    """``"trained model"``, or ``"process model only"`` when the training part was too small."""
    model_mae_t_ha: float
    process_mae_t_ha: float
    covered: int
    """Held-out yields inside their 80 % interval."""


@dataclass(frozen=True, kw_only=True, slots=True)
class CvReport:
    """Cross-validated errors (t/ha) of the learned model and of AquaCrop alone."""

    n_field_seasons: int
    seasons: tuple[int, ...]
    folds: tuple[CvFold, ...]
    model_mae_t_ha: float
    model_rmse_t_ha: float
    process_mae_t_ha: float
    process_rmse_t_ha: float
    scaled_process_mae_t_ha: float
    """AquaCrop's yield × the training seasons' mean harvested/modelled ratio."""
    scaled_process_rmse_t_ha: float
    interval_coverage: float
    """Share of held-out yields inside their interval (NaN when no fold had one)."""
    nominal_coverage: float = NOMINAL_COVERAGE
    mean_interval_width_t_ha: float = math.nan

    def table(self) -> str:
        """A small text table for the bench."""
        return "\n".join(
            (
                f"leave-one-season-out, {self.n_field_seasons} field-seasons, "
                f"{len(self.seasons)} seasons",
                f"{'':<24}{'MAE t/ha':>10}{'RMSE t/ha':>11}",
                f"{'learned model':<24}{self.model_mae_t_ha:>10.3f}{self.model_rmse_t_ha:>11.3f}",
                f"{'AquaCrop alone':<24}{self.process_mae_t_ha:>10.3f}"
                f"{self.process_rmse_t_ha:>11.3f}",
                f"{'AquaCrop, scaled':<24}{self.scaled_process_mae_t_ha:>10.3f}"
                f"{self.scaled_process_rmse_t_ha:>11.3f}",
                f"80 % interval: {self.interval_coverage:.0%} of yields inside, "
                f"{self.mean_interval_width_t_ha:.2f} t/ha wide on average",
                f"ratio learned/AquaCrop MAE: {self.model_mae_t_ha / self.process_mae_t_ha:.2f}",
            )
        )


def season_folds(
    history: Sequence[FieldSeason],
) -> tuple[tuple[int, np.ndarray, np.ndarray], ...]:
    """(held-out season, training row indices, test row indices), one per season, in order."""
    seasons = np.array([h.season for h in history])
    rows = np.arange(len(history)).reshape(-1, 1)
    folds = [
        (int(seasons[test][0]), train, test)
        for train, test in LeaveOneGroupOut().split(rows, groups=seasons)
    ]
    return tuple(sorted(folds, key=lambda f: f[0]))


def cross_validated_error(history: Sequence[FieldSeason]) -> CvReport:
    """Leave-one-season-out errors of the learned model and of the process model alone.

    Parameters
    ----------
    history
        Past field-seasons (real or generated).

    Returns
    -------
    CvReport

    Raises
    ------
    NotEnoughData
        The history spans fewer than two seasons.
    """
    if len({h.season for h in history}) < 2:
        raise NotEnoughData("cross-validation by season needs past yields from two seasons")
    folds, errors, process_errors, widths, covered = [], [], [], [], []
    scaled_errors: list[float] = []
    for season, train, test in season_folds(history):
        training = [history[i] for i in train]
        model = train_yield_model(training)
        ratio = float(np.mean([h.yield_t_ha / h.features.process_yield_t_ha for h in training]))
        held_out = [history[i] for i in test]
        predictions = [model.predict(h.features) for h in held_out]
        fold_errors = [
            p.p50_t_ha - h.yield_t_ha for p, h in zip(predictions, held_out, strict=True)
        ]
        fold_process = [h.features.process_yield_t_ha - h.yield_t_ha for h in held_out]
        inside = 0
        for p, h in zip(predictions, held_out, strict=True):
            if p.p10_t_ha is not None and p.p90_t_ha is not None:
                inside += p.p10_t_ha <= h.yield_t_ha <= p.p90_t_ha
                widths.append(p.p90_t_ha - p.p10_t_ha)
                covered.append(p.p10_t_ha <= h.yield_t_ha <= p.p90_t_ha)
        errors += fold_errors
        process_errors += fold_process
        scaled_errors += [ratio * h.features.process_yield_t_ha - h.yield_t_ha for h in held_out]
        folds.append(
            CvFold(
                held_out_season=season,
                train_seasons=tuple(sorted({history[i].season for i in train})),
                n_train=len(train),
                n_test=len(test),
                source=predictions[0].source,
                model_mae_t_ha=float(np.mean(np.abs(fold_errors))),
                process_mae_t_ha=float(np.mean(np.abs(fold_process))),
                covered=inside,
            )
        )
    e, pe, se = np.array(errors), np.array(process_errors), np.array(scaled_errors)
    return CvReport(
        n_field_seasons=len(history),
        seasons=tuple(f.held_out_season for f in folds),
        folds=tuple(folds),
        model_mae_t_ha=float(np.mean(np.abs(e))),
        model_rmse_t_ha=float(np.sqrt(np.mean(e**2))),
        process_mae_t_ha=float(np.mean(np.abs(pe))),
        process_rmse_t_ha=float(np.sqrt(np.mean(pe**2))),
        scaled_process_mae_t_ha=float(np.mean(np.abs(se))),
        scaled_process_rmse_t_ha=float(np.sqrt(np.mean(se**2))),
        interval_coverage=float(np.mean(covered)) if covered else math.nan,
        mean_interval_width_t_ha=float(np.mean(widths)) if widths else math.nan,
    )
