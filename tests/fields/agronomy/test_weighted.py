"""Coverage-weighted index statistics from per-pixel values and covered shares."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fields.agronomy.weighted import QUANTILES, weighted_index_stats, weighted_quantiles

pixel_values = st.lists(st.floats(-1.0, 1.0, allow_nan=False, width=32), min_size=1, max_size=60)
shares = st.floats(0.01, 1.0)


def test_a_few_low_pixels_do_not_move_the_median_of_a_uniform_field() -> None:
    values = np.array([0.8] * 396 + [0.4] * 4)

    stats = weighted_index_stats(values, np.ones(400), pixels=400.0)

    assert [stats.p10, stats.p25, stats.median, stats.p75, stats.p90] == pytest.approx([0.8] * 5)
    assert (stats.min, stats.max) == pytest.approx((0.4, 0.8))
    assert stats.mean == pytest.approx(0.796)
    assert stats.valid_fraction == pytest.approx(1.0)


def test_boundary_pixels_weigh_by_their_covered_share() -> None:
    # weights 0.5, 0.25, 1, 0.25 of 2: the weighted CDF is 0.25, 0.375, 0.875, 1 at 1, 2, 3, 4
    values, coverage = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.5, 0.25, 1.0, 0.25])

    stats = weighted_index_stats(values, coverage, pixels=2.5)

    assert [stats.p10, stats.p25, stats.median, stats.p75, stats.p90] == [1.0, 1.0, 3.0, 3.0, 4.0]
    assert stats.mean == pytest.approx(2.5)
    assert stats.std == pytest.approx(1.0)  # (0.5·2.25 + 0.25·0.25 + 1·0.25 + 0.25·2.25) / 2
    assert (stats.min, stats.max) == (1.0, 4.0)
    assert stats.pixels == 2.5
    assert stats.valid_fraction == pytest.approx(2.0 / 2.5)


def test_quantile_reached_exactly_takes_the_lower_value_despite_rounding() -> None:
    # 0.3 × 10 is 3.0000000000000004: the third value already holds 30 % of the weight
    assert weighted_quantiles(np.arange(10.0), np.ones(10), [0.3]).tolist() == [2.0]
    thirds = np.full(3, 0.1)  # summed in floating point to 0.30000000000000004
    assert weighted_quantiles([5.0, 6.0, 7.0], thirds, [1 / 3, 2 / 3]).tolist() == [5.0, 6.0]


def test_masked_pixels_count_in_pixels_but_not_in_the_figures() -> None:
    values = np.array([0.2, np.nan, 0.6, np.inf])

    stats = weighted_index_stats(values, np.ones(4), pixels=4.0)

    assert stats.mean == pytest.approx(0.4)
    assert stats.valid_fraction == pytest.approx(0.5)
    assert (stats.min, stats.max) == (0.2, 0.6)


@pytest.mark.parametrize(
    ("values", "coverage"),
    [([], []), ([np.nan, np.nan], [1.0, 0.5]), ([0.3], [0.0])],
    ids=["no-pixel", "all-masked", "zero-share"],
)
def test_no_valid_pixel_gives_nan_figures_and_no_data(
    values: list[float], coverage: list[float]
) -> None:
    stats = weighted_index_stats(values, coverage, pixels=3.0)

    assert stats.pixels == 3.0
    assert stats.valid_fraction == 0.0
    assert not stats.has_data
    assert all(math.isnan(x) for x in (stats.mean, stats.median, stats.std, stats.min, stats.p90))


@pytest.mark.parametrize(
    ("values", "coverage", "pixels"),
    [([0.1, 0.2], [1.0], 2.0), ([0.1], [np.nan], 1.0), ([0.1], [1.0], -1.0)],
    ids=["shapes-differ", "nan-share", "negative-pixels"],
)
def test_inconsistent_inputs_are_refused(
    values: list[float], coverage: list[float], pixels: float
) -> None:
    with pytest.raises(ValueError, match=r"values|coverage|pixels"):
        weighted_index_stats(values, coverage, pixels=pixels)


@pytest.mark.parametrize(
    ("values", "weights", "quantiles"),
    [([], [], [0.5]), ([1.0], [0.0], [0.5]), ([1.0], [-1.0], [0.5]), ([1.0], [1.0], [1.5])],
    ids=["empty", "zero-weight", "negative-weight", "quantile-above-1"],
)
def test_weighted_quantiles_refuses_what_has_no_quantile(
    values: list[float], weights: list[float], quantiles: list[float]
) -> None:
    with pytest.raises(ValueError, match=r"weight|quantiles"):
        weighted_quantiles(values, weights, quantiles)


@settings(max_examples=200, deadline=None)
@given(values=pixel_values)
def test_equal_weights_agree_with_numpy_percentile_within_one_step(values: list[float]) -> None:
    ordered = np.sort(np.array(values))
    ranks = (len(values) - 1) * np.array(QUANTILES)  # numpy's linear method, 0-based

    ours = weighted_quantiles(values, np.ones(len(values)), QUANTILES)

    below, above = ordered[np.floor(ranks).astype(int)], ordered[np.ceil(ranks).astype(int)]
    assert ((ours == below) | (ours == above)).all()  # a neighbour of numpy's rank
    step = above - below
    assert (np.abs(ours - np.percentile(values, 100 * np.array(QUANTILES))) <= step + 1e-12).all()


@settings(max_examples=200, deadline=None)
@given(pixels=st.lists(st.tuples(st.floats(-1.0, 1.0, width=32), shares), min_size=1, max_size=60))
def test_fractional_weights_match_numpys_weighted_inverted_cdf(
    pixels: list[tuple[float, float]],
) -> None:
    values, weights = (np.array(column) for column in zip(*pixels, strict=True))

    ours = weighted_quantiles(values, weights, QUANTILES)

    # numpy sums the weights in another order; where a cumulative weight lands within
    # rounding of a target the two may pick neighbouring values, so compare the CDF instead
    theirs = np.quantile(values, QUANTILES, weights=weights, method="inverted_cdf")
    for q, a, b in zip(QUANTILES, ours, theirs, strict=True):
        if a != b:
            share_below = weights[values <= min(a, b)].sum() / weights.sum()
            assert share_below == pytest.approx(q, rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(pixels=st.lists(st.tuples(st.floats(-1.0, 1.0, width=32), shares), min_size=1, max_size=40))
def test_a_pixel_split_in_two_halves_counts_as_one_whole(
    pixels: list[tuple[float, float]],
) -> None:
    values, weights = (np.array(column) for column in zip(*pixels, strict=True))
    halves = np.concatenate([weights, weights]) / 2

    whole = weighted_index_stats(values, weights, pixels=float(weights.sum()))
    split = weighted_index_stats(
        np.concatenate([values, values]), halves, pixels=float(weights.sum())
    )

    assert [split.p10, split.p25, split.median, split.p75, split.p90] == [
        whole.p10, whole.p25, whole.median, whole.p75, whole.p90,
    ]  # fmt: skip
    assert split.mean == pytest.approx(whole.mean, abs=1e-12)
    assert split.std == pytest.approx(whole.std, abs=1e-9)
