"""Index statistics over an area from its pixels' values and the share of each it covers.

exactextract gives, for an outline, the value and the covered share (0 to 1) of every
unmasked pixel it touches; every figure here is computed from those two arrays, each pixel
weighted by its share: weight 1 for a pixel wholly inside, 0.3 for one 30 % inside. Fields
(``fields.agronomy.exact``) and management zones (``fields.agronomy.mgmt_zones``) both go
through ``weighted_index_stats``, so their figures mean the same thing.

Quantiles are those of the area-weighted distribution of the values: the q-quantile is the
smallest pixel value v such that the pixels of value ≤ v carry at least a share q of the
total weight, the inverse of the weighted empirical CDF (numpy's ``inverted_cdf`` method,
with weights). It never interpolates, so it is always a value some pixel has, and it
depends only on how much area has which value: two half pixels of a value count as one
whole, whatever the grid. exactextract's own ``median`` and ``quantile`` operations do not
work so: they interpolate between the distinct values with no regard to how much area each
has, so that 396 pixels of 0.8 and 4 of 0.4 get a median of 0.6.

With equal weights the q-quantile is the value of rank ⌈q·n⌉ of n. numpy's default
(``linear``) interpolates at rank (n − 1)·q + 1, less than one rank away, so the two differ
by less than the step between neighbouring sorted values: the median of 0.0, 0.1, …, 0.9 is
0.4 here and 0.45 in ``numpy.percentile``.
"""

import math
from collections.abc import Sequence
from typing import Final, TypeAlias

import numpy as np
import numpy.typing as npt

from fields.agronomy.model import IndexStats

__all__ = ["QUANTILES", "weighted_index_stats", "weighted_quantiles"]

QUANTILES: Final = (0.10, 0.25, 0.50, 0.75, 0.90)
"""The quantiles ``IndexStats`` reports: p10, p25, median, p75, p90."""

# Rounding in a running sum of weights must not carry a quantile past a value whose share
# reaches q exactly (0.3 × 10 is 3.0000000000000004 in floating point): a target within
# this relative distance below a cumulative weight counts as reached.
_REL_TOLERANCE = 1e-9

_Floats: TypeAlias = npt.NDArray[np.float64]
_QUANTILE_ARRAY = np.array(QUANTILES)


def weighted_quantiles(
    values: npt.ArrayLike, weights: npt.ArrayLike, quantiles: Sequence[float]
) -> _Floats:
    """The inverse of the weighted empirical CDF of ``values`` at each of ``quantiles``.

    Parameters
    ----------
    values
        One value per pixel, finite.
    weights
        One weight per pixel, ≥ 0 (the share of it covered), not all 0.
    quantiles
        Each between 0 and 1.

    Returns
    -------
    numpy.ndarray
        For each q, the smallest value v such that the weights of the values ≤ v sum to at
        least q times the total weight.

    Raises
    ------
    ValueError
        The arrays differ in shape or are empty, a weight is negative or not finite, the
        weights sum to 0, or a quantile lies outside 0..1.

    Examples
    --------
    >>> weighted_quantiles([0.4, 0.8], [4.0, 396.0], [0.01, 0.5])
    array([0.4, 0.8])
    >>> weighted_quantiles([1.0, 2.0, 3.0], [1.0, 0.5, 0.5], [0.5, 0.75])
    array([1., 2.])
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    w = np.asarray(weights, dtype=np.float64).ravel()
    q = np.asarray(quantiles, dtype=np.float64)
    if v.shape != w.shape or v.size == 0:
        raise ValueError(f"{v.size} values and {w.size} weights: one weight per value, not none")
    if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
        raise ValueError("weights must be finite, ≥ 0 and not all 0")
    if not ((q >= 0) & (q <= 1)).all():
        raise ValueError(f"quantiles {q.tolist()} outside 0..1")
    order = np.argsort(v, kind="stable")
    return _ranked(v[order], np.cumsum(w[order]), q)


def weighted_index_stats(
    values: npt.ArrayLike, coverage: npt.ArrayLike, *, pixels: float
) -> IndexStats:
    """Coverage-weighted statistics of the valid pixels over an area.

    Parameters
    ----------
    values
        The index value of each pixel the area touches, in the raster's units. Pixels whose
        value is not finite count as masked.
    coverage
        The share of each of those pixels inside the area, 0 to 1.
    pixels
        The area's size in pixels, masked pixels included (and, for a field, its part off
        the image); it becomes ``IndexStats.pixels`` and the denominator of
        ``valid_fraction``.

    Returns
    -------
    IndexStats
        The weighted mean, standard deviation (population, weighted), quantiles (see the
        module's docstring), and the least and greatest value of a pixel with any share in
        the area; all NaN and ``valid_fraction`` 0 when no valid pixel is covered.
        ``valid_fraction`` is the covered share of valid pixels over ``pixels``, at most 1
        (rounding), and 0 when ``pixels`` is 0.

    Raises
    ------
    ValueError
        ``values`` and ``coverage`` differ in shape, a share is not finite, or ``pixels``
        is negative.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    w = np.asarray(coverage, dtype=np.float64).ravel()
    if v.shape != w.shape:
        raise ValueError(f"{v.size} values and {w.size} coverage shares")
    if not np.isfinite(w).all() or pixels < 0:
        raise ValueError(f"coverage shares must be finite and pixels ≥ 0 (pixels {pixels})")
    keep = np.isfinite(v) & (w > 0)
    if not keep.all():
        v, w = v[keep], w[keep]
    if v.size == 0:
        nan = float("nan")
        return IndexStats(
            pixels=pixels, valid_fraction=0.0, mean=nan, median=nan, std=nan,
            min=nan, max=nan, p10=nan, p25=nan, p75=nan, p90=nan,
        )  # fmt: skip
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    cumulative = np.cumsum(w)
    valid = float(cumulative[-1])
    mean = float(np.dot(v, w)) / valid
    deviations = v - mean
    p10, p25, median, p75, p90 = _ranked(v, cumulative, _QUANTILE_ARRAY).tolist()
    return IndexStats(
        pixels=pixels,
        valid_fraction=min(1.0, valid / pixels) if pixels > 0 else 0.0,
        mean=mean,
        median=median,
        std=math.sqrt(float(np.dot(w, deviations * deviations)) / valid),
        min=float(v[0]),
        max=float(v[-1]),
        p10=p10,
        p25=p25,
        p75=p75,
        p90=p90,
    )


def _ranked(ordered: _Floats, cumulative: _Floats, quantiles: _Floats) -> _Floats:
    """The quantiles of values sorted ascending, given their weights' running sum.

    The arithmetic of ``weighted_quantiles``, kept apart so that ``weighted_index_stats``
    (once per field) sorts once and checks nothing twice.
    """
    targets = quantiles * cumulative[-1] * (1 - _REL_TOLERANCE)
    ranks = np.minimum(np.searchsorted(cumulative, targets, side="left"), ordered.size - 1)
    result: _Floats = ordered[ranks]
    return result
