"""The season's expected yield: AquaCrop's, corrected by the canopy the images show.

AquaCrop grows the canopy the crop would have under the season's weather and water; a field
short of nitrogen, thinned by pests or badly transplanted grows less, and the images see it.
The correction fits the crop's maximum canopy cover (CCx) so that the modelled canopy matches
the observed one on the image dates, and reruns the season with it. Rerunning, rather than
scaling the yield by the canopy ratio, keeps AquaCrop's own chain from canopy to
transpiration to biomass to grain (transpiration saturates at high cover, so 10 % less canopy
costs less than 10 % of the yield) and its dates; a season runs in about a tenth of a second,
and the fit takes two to four runs.

The fit is a least-squares ratio ``Σ observed·modelled / Σ modelled²`` over the image dates
inside the season, applied to CCx and repeated until it is within 1 % of one. Images of a
canopy still tiny carry little weight, as they should: they say more about the transplanting
than about the season's ceiling. CCx stays within 0.05…0.99.

Images give an index, not a canopy cover: ``canopy_cover_from_ndvi`` converts NDVI by the
linear relation of Trout, Johnson & Gartung (2008, "Remote sensing of canopy cover in
horticultural crops", HortScience 43(2):333–337), CC = 1.22 NDVI − 0.21 clipped to 0…1, the
relation most often used to drive AquaCrop-like models from NDVI. It was fitted on row crops,
not rice; where a field has its own bare-water and full-canopy NDVI, ``ScaledNdvi`` (the
linearly scaled NDVI of Gutman & Ignatov 1998, Int. J. Remote Sens. 19(8):1533–1543) uses
them instead.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from fields.agronomy.errors import AgronomyError
from fields.agronomy.model import ZoneMap
from fields.agronomy.season import SeasonSetup, crop_canopy_max, run_season
from fields.agronomy.season_outcome import SeasonOutcome

__all__ = [
    "TROUT_2008",
    "CanopyCorrection",
    "CanopyRelation",
    "FieldForecast",
    "LinearCanopyRelation",
    "ScaledNdvi",
    "YieldForecast",
    "ZoneForecast",
    "canopy_cover_from_ndvi",
    "forecast_yield",
    "forecast_zones",
]

_CCX_LIMITS = (0.05, 0.99)
_FIT_TOLERANCE = 0.01
_FIT_ROUNDS = 5


class CanopyRelation(Protocol):
    """A conversion from NDVI to canopy cover (0…1), with where it comes from."""

    @property
    def source(self) -> str: ...
    def cover(self, ndvi: float) -> float: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class LinearCanopyRelation:
    """CC = slope · NDVI + intercept, clipped to 0…1."""

    slope: float
    intercept: float
    source: str

    def cover(self, ndvi: float) -> float:
        """Canopy cover for an NDVI."""
        return min(max(self.slope * ndvi + self.intercept, 0.0), 1.0)


@dataclass(frozen=True, kw_only=True, slots=True)
class ScaledNdvi:
    """CC = (NDVI − NDVI of bare ground or water) / (NDVI of full canopy − that), clipped."""

    ndvi_bare: float
    ndvi_full: float
    source: str = "scaled NDVI (Gutman & Ignatov 1998)"

    def __post_init__(self) -> None:
        if not -1.0 <= self.ndvi_bare < self.ndvi_full <= 1.0:
            raise AgronomyError(f"scaled NDVI: bare {self.ndvi_bare:g}, full {self.ndvi_full:g}")

    def cover(self, ndvi: float) -> float:
        """Canopy cover for an NDVI."""
        scaled = (ndvi - self.ndvi_bare) / (self.ndvi_full - self.ndvi_bare)
        return min(max(scaled, 0.0), 1.0)


TROUT_2008 = LinearCanopyRelation(
    slope=1.22, intercept=-0.21, source="CC = 1.22 NDVI − 0.21 (Trout et al. 2008)"
)


def canopy_cover_from_ndvi(
    ndvi: Sequence[tuple[date, float]], *, relation: CanopyRelation = TROUT_2008
) -> tuple[tuple[date, float], ...]:
    """An NDVI time series (e.g. each image's mean over a zone) as canopy cover.

    Parameters
    ----------
    ndvi
        (image date, NDVI) pairs; NaN values (no valid pixel) are dropped.
    relation
        The conversion; Trout et al. (2008) by default.

    Returns
    -------
    tuple of (date, float)
        (image date, canopy cover 0…1), in date order.
    """
    return tuple(sorted((d, relation.cover(v)) for d, v in ndvi if not math.isnan(v)))


@dataclass(frozen=True, kw_only=True, slots=True)
class CanopyCorrection:
    """How the images moved the forecast: the canopy seen against the canopy modelled."""

    images_used: int
    images_outside_season: int
    observed_mean: float
    """Mean observed canopy cover on the image dates, 0…1."""
    modelled_mean: float
    """Mean canopy cover AquaCrop gave on those dates before the correction, 0…1."""
    canopy_max_before: float
    canopy_max_after: float
    uncorrected_yield_t_ha: float


@dataclass(frozen=True, kw_only=True, slots=True)
class YieldForecast:
    """Expected grain yield at 15 % moisture, with the season's dates and how it was made."""

    yield_t_ha: float
    transplanting: date
    heading: date
    harvest: date
    basis: str
    correction: CanopyCorrection | None = None

    @property
    def yield_kg_10a(self) -> float:
        """The yield in kg/10a (Japanese farmers' unit; 100 × t/ha)."""
        return 100.0 * self.yield_t_ha


def _forecast(
    outcome: SeasonOutcome, basis: str, correction: CanopyCorrection | None
) -> YieldForecast:
    return YieldForecast(
        yield_t_ha=outcome.yield_t_ha,
        transplanting=outcome.transplanting,
        heading=outcome.heading,
        harvest=outcome.harvest,
        basis=basis,
        correction=correction,
    )


def _modelled(outcome: SeasonOutcome, days: Sequence[date]) -> list[float]:
    return [outcome.canopy_on(d) or 0.0 for d in days]


def forecast_yield(
    setup: SeasonSetup,
    *,
    observed_canopy: Sequence[tuple[date, float]] = (),
    base: SeasonOutcome | None = None,
) -> YieldForecast:
    """The season's expected yield, corrected to the canopy cover the images showed.

    Parameters
    ----------
    setup
        The field's season; weather for days still to come may be climatology
        (``extend_with_climatology``).
    observed_canopy
        (image date, canopy cover 0…1) pairs, e.g. from ``canopy_cover_from_ndvi``; dates
        outside the modelled season are counted and ignored.
    base
        ``run_season(setup)`` when the caller has it already (forecasting many zones).

    Returns
    -------
    YieldForecast
        Yield in t/ha and kg/10a at 15 % moisture, heading and harvest dates.

    Raises
    ------
    AgronomyError
        A canopy cover outside 0…1; or as ``run_season``.
    """
    for day, cover in observed_canopy:
        if not 0.0 <= cover <= 1.0:
            raise AgronomyError(f"canopy cover {cover:g} on {day} is outside 0…1")
    outcome = base if base is not None else run_season(setup)
    inside = [(d, c) for d, c in observed_canopy if outcome.canopy_on(d) is not None]
    days, observed = [d for d, _ in inside], [c for _, c in inside]
    model_basis = f"AquaCrop {setup.crop}"
    if not inside or sum(m * m for m in _modelled(outcome, days)) < 1e-6:
        return _forecast(outcome, f"{model_basis}, no image of the canopy in the season", None)
    before = setup.canopy_max_fraction or crop_canopy_max(setup.crop)
    ccx, corrected = before, outcome
    for _ in range(_FIT_ROUNDS):
        modelled = _modelled(corrected, days)
        ratio = sum(o * m for o, m in zip(observed, modelled, strict=True)) / sum(
            m * m for m in modelled
        )
        new = min(max(ccx * ratio, _CCX_LIMITS[0]), _CCX_LIMITS[1])
        if abs(ratio - 1.0) < _FIT_TOLERANCE or abs(new - ccx) < 1e-4:
            break
        ccx = new
        corrected = run_season(replace(setup, canopy_max_fraction=ccx))
    initial = _modelled(outcome, days)
    correction = CanopyCorrection(
        images_used=len(inside),
        images_outside_season=len(observed_canopy) - len(inside),
        observed_mean=sum(observed) / len(observed),
        modelled_mean=sum(initial) / len(initial),
        canopy_max_before=before,
        canopy_max_after=ccx,
        uncorrected_yield_t_ha=outcome.yield_t_ha,
    )
    basis = f"{model_basis}, maximum canopy fitted to {len(inside)} image(s)"
    return _forecast(corrected, basis, correction)


@dataclass(frozen=True, kw_only=True, slots=True)
class ZoneForecast:
    """One management zone's forecast."""

    zone: int
    area_m2: float
    forecast: YieldForecast


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldForecast:
    """A field's forecast zone by zone; the field's yield is their area-weighted mean."""

    field_id: str
    zones: tuple[ZoneForecast, ...]

    def __post_init__(self) -> None:
        if not self.zones:
            raise AgronomyError(f"field {self.field_id}: a forecast needs at least one zone")

    @property
    def heading(self) -> date:
        """Expected heading (the zones share the field's weather and transplanting)."""
        return self.zones[0].forecast.heading

    @property
    def harvest(self) -> date:
        """Expected harvest."""
        return self.zones[0].forecast.harvest

    @property
    def area_m2(self) -> float:
        """The zones' total area, m²."""
        return sum(z.area_m2 for z in self.zones)

    @property
    def yield_t_ha(self) -> float:
        """Area-weighted expected yield, t/ha at 15 % moisture."""
        return sum(z.area_m2 * z.forecast.yield_t_ha for z in self.zones) / self.area_m2

    @property
    def yield_kg_10a(self) -> float:
        """Area-weighted expected yield, kg/10a."""
        return 100.0 * self.yield_t_ha

    @property
    def production_t(self) -> float:
        """Expected grain from the whole field, t."""
        return self.yield_t_ha * self.area_m2 / 10_000.0


def forecast_zones(
    setup: SeasonSetup,
    zones: ZoneMap,
    zone_canopy: Mapping[int, Sequence[tuple[date, float]]],
) -> FieldForecast:
    """Each management zone's expected yield, corrected by that zone's own canopy series.

    Parameters
    ----------
    setup
        The field's season (the zones share its weather, soil, water and dates).
    zones
        The field's management zones (their numbers and areas).
    zone_canopy
        Zone number → (image date, canopy cover) pairs; a zone without images gets the
        uncorrected forecast, and its basis says so.

    Returns
    -------
    FieldForecast
        Per zone and, area-weighted, per field.

    Raises
    ------
    AgronomyError
        ``zone_canopy`` names a zone the map lacks; or as ``forecast_yield``.
    """
    unknown = set(zone_canopy) - {z.zone for z in zones.zones}
    if unknown:
        raise AgronomyError(f"field {zones.field_id}: no zone {sorted(unknown)} in the zone map")
    base = run_season(setup)
    return FieldForecast(
        field_id=zones.field_id,
        zones=tuple(
            ZoneForecast(
                zone=z.zone,
                area_m2=z.area_m2,
                forecast=forecast_yield(
                    setup, observed_canopy=zone_canopy.get(z.zone, ()), base=base
                ),
            )
            for z in zones.zones
        ),
    )
