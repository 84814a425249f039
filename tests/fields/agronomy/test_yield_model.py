"""The learned yield model: cross-validated by season, with intervals, or the fallback."""

from datetime import date

import numpy as np
import pytest

from fields.agronomy.errors import NotEnoughData
from fields.agronomy.forecast import FieldForecast, YieldForecast, ZoneForecast
from fields.agronomy.generated_history import generate_history
from fields.agronomy.harvests import join_history
from fields.agronomy.n_response import with_without_prescription
from fields.agronomy.season_reference import REFERENCE_YEARS
from fields.agronomy.yield_cv import CvReport, cross_validated_error, season_folds
from fields.agronomy.yield_features import FEATURE_NAMES, FieldSeason
from fields.agronomy.yield_model import (
    MIN_FIELD_SEASONS,
    ProcessModelOnly,
    TrainedYieldModel,
    train_yield_model,
)
from tests.fields.agronomy.season_runs import hyderabad_runs

FIELDS = tuple(f"F{i:02d}" for i in range(10))


@pytest.fixture(scope="module")
def history() -> tuple[FieldSeason, ...]:
    generated = generate_history(
        FIELDS, REFERENCE_YEARS, rng=np.random.default_rng(7), process_runs=hyderabad_runs()
    )
    joined, unmatched = join_history(generated.records, generated.features)
    assert not unmatched
    return joined


@pytest.fixture(scope="module")
def report(history: tuple[FieldSeason, ...]) -> CvReport:
    return cross_validated_error(history)


@pytest.fixture(scope="module")
def trained(history: tuple[FieldSeason, ...]) -> TrainedYieldModel:
    model = train_yield_model(history, rng=np.random.default_rng(0))
    assert isinstance(model, TrainedYieldModel)
    return model


def test_cross_validation_never_trains_on_the_season_it_predicts(
    history: tuple[FieldSeason, ...], report: CvReport
) -> None:
    folds = season_folds(history)
    assert [season for season, _, _ in folds] == list(REFERENCE_YEARS)
    for season, train, test in folds:
        assert {history[i].season for i in test} == {season}
        assert season not in {history[i].season for i in train}
        assert len(train) + len(test) == len(history)
    for fold in report.folds:
        assert fold.held_out_season not in fold.train_seasons
        assert len(fold.train_seasons) == len(REFERENCE_YEARS) - 1
        assert fold.n_test == len(FIELDS)
        assert fold.source == "trained model"


def test_the_learned_model_beats_aquacrop_alone_and_its_interval_holds_its_share(
    report: CvReport,
) -> None:
    assert report.n_field_seasons == len(FIELDS) * len(REFERENCE_YEARS)
    assert report.model_mae_t_ha < 0.8 * report.process_mae_t_ha
    assert report.model_rmse_t_ha < report.process_rmse_t_ha
    assert report.nominal_coverage == 0.8
    assert 0.7 <= report.interval_coverage <= 0.9  # 110 yields: ±0.04 of sampling spread
    assert sum(f.covered for f in report.folds) == round(report.interval_coverage * 110)
    assert "AquaCrop alone" in report.table()


def test_the_trained_model_says_what_it_learned(trained: TrainedYieldModel) -> None:
    assert [e.feature for e in trained.effects] == list(FEATURE_NAMES)
    by_name = {e.feature: e for e in trained.effects}
    assert by_name["ndvi_heading_mean"].t_ha_per_unit > 0.0  # a fuller canopy, more grain
    assert by_name["process_yield_t_ha"].t_ha_per_unit > 0.0
    assert by_name["n_applied_kg_ha"].unit == "kg N/ha"
    top = max(trained.effects, key=lambda e: e.importance_t_ha)
    assert top.importance_t_ha > 0.1
    lines = trained.summary()
    assert lines[0].startswith("trained model (ridge regression on 110 past yields, 11 seasons")
    assert lines[1] == top.describe()
    assert "t/ha per" in lines[1]


def test_a_prediction_is_an_interval_in_both_units(
    history: tuple[FieldSeason, ...], trained: TrainedYieldModel
) -> None:
    prediction = trained.predict(history[0].features)
    assert prediction.source == "trained model"
    assert prediction.p10_t_ha is not None
    assert prediction.p90_t_ha is not None
    assert prediction.p10_t_ha < prediction.p50_t_ha < prediction.p90_t_ha
    assert prediction.p50_kg_10a == pytest.approx(100.0 * prediction.p50_t_ha)
    interval = prediction.interval_kg_10a
    assert interval is not None
    assert list(interval) == pytest.approx(
        [100.0 * prediction.p10_t_ha, 100.0 * prediction.p90_t_ha]
    )


def test_too_few_past_yields_fall_back_to_the_process_model_and_say_so(
    history: tuple[FieldSeason, ...],
) -> None:
    few = history[: MIN_FIELD_SEASONS - 10]
    model = train_yield_model(few)
    assert isinstance(model, ProcessModelOnly)
    assert model.basis.startswith("process model only (N past yields 20 < 30")
    prediction = model.predict(few[0].features)
    assert prediction.source == "process model only"
    assert prediction.p50_t_ha == few[0].features.process_yield_t_ha
    assert prediction.p10_t_ha is not None  # its own past errors give the interval
    two_seasons = [h for h in history if h.season in (2001, 2002)] * 2
    assert "from 2 season(s) < 3" in train_yield_model(two_seasons).basis
    three = train_yield_model(history[:3]).predict(history[0].features)
    assert three.p10_t_ha is None
    assert "no interval" in three.basis
    with pytest.raises(NotEnoughData, match="two seasons"):
        cross_validated_error([h for h in history if h.season == 2005])


def test_a_trained_model_values_a_prescription_by_what_it_learned(
    history: tuple[FieldSeason, ...], trained: TrainedYieldModel
) -> None:
    features = history[0].features
    response = trained.nitrogen_response(features)
    assert not response.assumed
    assert "learned" in response.basis
    gain = response.yield_gain_t_ha(yield_t_ha=7.0, base_n_kg_ha=60.0, extra_n_kg_ha=20.0)
    n_effect = {e.feature: e for e in trained.effects}["n_applied_kg_ha"]
    assert gain == pytest.approx(20.0 * n_effect.t_ha_per_unit)  # linear in N
    forecast = YieldForecast(
        yield_t_ha=7.0,
        transplanting=date(2000, 8, 1),
        heading=date(2000, 10, 5),
        harvest=date(2000, 11, 8),
        basis="test",
    )
    field = FieldForecast(
        field_id="F00", zones=(ZoneForecast(zone=1, area_m2=10_000.0, forecast=forecast),)
    )
    effect = with_without_prescription(field, {1: 20.0}, base_n_kg_ha=60.0, response=response)
    assert not effect.assumed
    assert effect.with_t_ha - effect.without_t_ha == pytest.approx(gain)
