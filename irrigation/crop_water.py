"""How much water paddy rice uses: FAO-56 single crop coefficients and a drained-soil stress.

``ETc = Ks · Kc · ET0`` (FAO-56 eq. 56 and 81), where:

- ET0 comes from the weather (:mod:`irrigation.weather`): the series' own Penman-Monteith
  value, or pyet's Hargreaves method from temperatures. pyet is the library for ET0 (it also
  has ``pm_fao56`` for sites with radiation, humidity and wind);
- Kc follows FAO-56 Table 12 for rice (Kc_ini 1.05, Kc_mid 1.20, Kc_end 0.90–0.60, here 0.75
  since Japanese paddies are drained 7–10 days before harvest) over the stage lengths of
  FAO-56 Table 11 for rice (initial 30, development 30, mid-season 60, late 30 days, 150 in all)
  scaled to the season. The curve between them (FAO-56 eq. 66, Fig. 25) and the climate
  adjustment of Kc_mid and Kc_end (eq. 62 and 65) are written here: pyet computes ET0 only,
  and pyfao56 computes its coefficients inside its own daily dual-coefficient soil-water model
  rather than as functions to call, so neither covers them;
- Ks is 1 while water stands. Drained, the paddy draws on the soil-water store below the
  surface (:mod:`irrigation.water_balance`, down to ``floor_cm``): ET stays full until a
  fraction p of that store is used and then falls linearly to 0 when it is empty (FAO-56 eq. 84,
  with p = 0.20 for rice from FAO-56 Table 22). Written here too: it is one line.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from irrigation.errors import BadPaddy
from irrigation.weather import SEASON_DAYS, DailyWeather

__all__ = [
    "FAO56_RICE_STAGE_DAYS",
    "RICE_DEPLETION_FRACTION",
    "RiceKc",
    "adjust_kc_for_climate",
    "crop_et_mm",
    "daily_crop_et_mm",
    "kc_on",
    "water_stress",
]

FAO56_RICE_STAGE_DAYS = (30.0, 30.0, 60.0, 30.0)
"""FAO-56 Table 11, rice: initial, development, mid-season and late stages, days."""

RICE_DEPLETION_FRACTION = 0.20
"""FAO-56 Table 22, rice: the share of available soil water used before ET falls (p)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class RiceKc:
    """The FAO-56 crop coefficient curve of paddy rice, from transplanting.

    Parameters
    ----------
    kc_ini, kc_mid, kc_end
        Crop coefficients of the initial stage, the mid-season and at harvest (−).
    initial_days, development_days, mid_days, late_days
        Stage lengths, days.
    """

    kc_ini: float = 1.05
    kc_mid: float = 1.20
    kc_end: float = 0.75
    initial_days: float = 24.0
    development_days: float = 24.0
    mid_days: float = 48.0
    late_days: float = 24.0

    def __post_init__(self) -> None:
        for name in ("kc_ini", "kc_mid", "kc_end"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 <= value <= 2.0):
                raise BadPaddy(f"{name} {value:g} is not a crop coefficient (0…2)")
        for name in ("initial_days", "development_days", "mid_days", "late_days"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise BadPaddy(f"{name} must be positive, not {value:g}")

    @classmethod
    def fao56(cls, *, season_days: float = SEASON_DAYS, kc_end: float = 0.75) -> "RiceKc":
        """FAO-56 rice (Tables 11 and 12) with its stages scaled to a season of this length.

        >>> kc = RiceKc.fao56(season_days=120)
        >>> (kc.initial_days, kc.development_days, kc.mid_days, kc.late_days)
        (24.0, 24.0, 48.0, 24.0)
        """
        if not season_days > 0:
            raise BadPaddy(f"a season of {season_days:g} days is empty")
        total = sum(FAO56_RICE_STAGE_DAYS)
        initial, development, mid, late = (d * season_days / total for d in FAO56_RICE_STAGE_DAYS)
        return cls(
            kc_end=kc_end,
            initial_days=initial,
            development_days=development,
            mid_days=mid,
            late_days=late,
        )

    @property
    def season_days(self) -> float:
        """Transplanting to harvest, days."""
        return self.initial_days + self.development_days + self.mid_days + self.late_days

    def adjusted(self, *, u2_m_s: float, rh_min_pct: float, height_m: float = 1.0) -> "RiceKc":
        """This curve with Kc_mid and Kc_end adjusted to the climate (FAO-56 eq. 62, 65)."""
        kw = {"u2_m_s": u2_m_s, "rh_min_pct": rh_min_pct, "height_m": height_m}
        return replace(
            self,
            kc_mid=adjust_kc_for_climate(self.kc_mid, **kw),
            kc_end=adjust_kc_for_climate(self.kc_end, **kw),
        )


def kc_on(kc: RiceKc, days_after_transplanting: float) -> float:
    """The crop coefficient on a day of the season (FAO-56 eq. 66).

    Constant through the initial stage, linear to Kc_mid over development, constant through
    mid-season, linear to Kc_end over the late stage; Kc_ini before transplanting and Kc_end
    after harvest.

    >>> kc = RiceKc.fao56(season_days=120)
    >>> kc_on(kc, 0), kc_on(kc, 36), kc_on(kc, 60), round(kc_on(kc, 120), 2)
    (1.05, 1.125, 1.2, 0.75)
    """
    t = days_after_transplanting
    development_start = kc.initial_days
    mid_start = development_start + kc.development_days
    late_start = mid_start + kc.mid_days
    if t <= development_start:
        return kc.kc_ini
    if t < mid_start:
        return kc.kc_ini + (t - development_start) / kc.development_days * (kc.kc_mid - kc.kc_ini)
    if t <= late_start:
        return kc.kc_mid
    if t < kc.season_days:
        return kc.kc_mid + (t - late_start) / kc.late_days * (kc.kc_end - kc.kc_mid)
    return kc.kc_end


def adjust_kc_for_climate(
    kc_table: float, *, u2_m_s: float, rh_min_pct: float, height_m: float = 1.0
) -> float:
    """FAO-56 eq. 62: a Table 12 coefficient (for RHmin 45 %, u2 2 m/s) moved to the site.

    Wind and humidity are held to the equation's range (1–6 m/s, 20–80 %); coefficients below
    0.45 are left as they are (FAO-56 eq. 65).

    >>> round(adjust_kc_for_climate(1.20, u2_m_s=2.0, rh_min_pct=45.0), 3)
    1.2
    >>> round(adjust_kc_for_climate(1.20, u2_m_s=1.5, rh_min_pct=70.0), 3)
    1.114
    """
    if kc_table < 0.45:
        return kc_table
    u2 = min(max(u2_m_s, 1.0), 6.0)
    rh_min = min(max(rh_min_pct, 20.0), 80.0)
    h = min(max(height_m, 0.1), 10.0)
    return kc_table + (0.04 * (u2 - 2.0) - 0.004 * (rh_min - 45.0)) * math.pow(h / 3.0, 0.3)


def water_stress(
    depth_cm: float, *, floor_cm: float, depletion_fraction: float = RICE_DEPLETION_FRACTION
) -> float:
    """Ks: how much of the crop's ET a paddy at this water level can supply (0…1).

    1 while water stands (``depth_cm >= 0``). Below the surface the soil-water store runs from
    0 (full) to ``floor_cm`` (empty); ET stays full until ``depletion_fraction`` of it is used,
    then falls linearly to 0 at the floor (FAO-56 eq. 84).

    >>> water_stress(2.0, floor_cm=-20.0), water_stress(-4.0, floor_cm=-20.0)
    (1.0, 1.0)
    >>> water_stress(-12.0, floor_cm=-20.0), water_stress(-20.0, floor_cm=-20.0)
    (0.5, 0.0)
    """
    if depth_cm >= 0.0:
        return 1.0
    depletion = depth_cm / floor_cm
    if depletion <= depletion_fraction:
        return 1.0
    return max(0.0, (1.0 - depletion) / (1.0 - depletion_fraction))


def crop_et_mm(et0_mm: float, kc: float, ks: float = 1.0) -> float:
    """Crop evapotranspiration ``Ks · Kc · ET0`` (FAO-56 eq. 81), mm over ET0's period."""
    return ks * kc * et0_mm


def daily_crop_et_mm(
    weather: Sequence[DailyWeather], kc: RiceKc, *, transplanted_on: date
) -> list[float]:
    """Unstressed crop ET for each day of a series, mm (Kc on each day's middle)."""
    return [
        crop_et_mm(day.et0_mm, kc_on(kc, (day.day - transplanted_on).days + 0.5)) for day in weather
    ]
