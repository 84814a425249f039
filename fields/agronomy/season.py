"""One paddy-rice season in FAO's AquaCrop (the ``aquacrop`` package), set up from Tanbo's values.

Why a process model: a field's yield history is short or missing, and the season's weather,
water and transplanting date explain much of a paddy's yield before any image is taken.
AquaCrop grows the canopy day by day from temperature, turns transpiration into biomass and
biomass into grain through a harvest index, and ships a paddy-rice crop, a ``Paddy`` soil and
bunds that hold standing water.

The default crop is ``localpaddy``, the Hyderabad rice of the package's own paddy exercise:
phenology in growing degree days, so heading and maturity move with the temperatures, and
the crop with which the package reproduces FAO's AquaCrop 6.1 for Windows and AquaCrop-OS
for MATLAB on their shipped Hyderabad runs (``fields.agronomy.season_reference``).
``PaddyRice`` (calendar days, 104 from transplanting) is there for runs that need a fixed
season length. AquaCrop 3.1 has no soil-fertility stress, so fertiliser is not simulated
here; its effect is learned by ``fields.agronomy.yield_model`` or assumed in
``fields.agronomy.forecast``.

What a run gives — dates, yields at 15 % moisture, water totals, the daily canopy — is
``fields.agronomy.season_outcome.SeasonOutcome``.

Every foreign error from ``aquacrop`` is translated in ``_aquacrop_errors`` into
``AgronomyError`` (``NotEnoughData`` when the weather ends before the crop matures).
"""

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from aquacrop import (
    AquaCropModel,
    Crop,
    FieldMngt,
    InitialWaterContent,
    IrrigationManagement,
    Soil,
)
from aquacrop.entities.crops.crop_params import crop_params

from fields.agronomy.errors import AgronomyError, NotEnoughData
from fields.agronomy.season_inputs import (
    CustomSoil,
    PondedWater,
    Rainfed,
    WaterManagement,
    check_weather_frame,
)
from fields.agronomy.season_outcome import SeasonOutcome, outcome_from_run

__all__ = [
    "CROP_NAMES",
    "DEFAULT_CROP",
    "SOIL_NAMES",
    "SeasonSetup",
    "crop_canopy_max",
    "run_season",
    "run_seasons",
]

DEFAULT_CROP = "localpaddy"
CROP_NAMES = ("localpaddy", "PaddyRice", "PaddyRiceGDD")
"""The package's rice crops: Hyderabad's local rice (GDD), and FAO's rice in days or GDD."""

SOIL_NAMES = (
    "Clay", "ClayLoam", "Loam", "LoamySand", "Paddy", "Sand", "SandyClay", "SandyClayLoam",
    "SandyLoam", "Silt", "SiltClay", "SiltClayLoam", "SiltLoam",
)  # fmt: skip
"""The package's soils by name; ``Paddy`` has a 0.5 m puddled layer over a 2 mm/day pan."""

_INITIAL_STATES = ("FC", "SAT", "WP")
_YIELD_DRY_MATTER_PCT = 90.0
"""``PaddyRice``'s YldWC, which ``localpaddy`` lacks (its fresh yield would be 0/0)."""
_MAX_IRRIGATION_MM_DAY = 500.0
"""AquaCrop caps each day's irrigation at 25 mm unless told; a paddy inlet gives more."""
_SEASON_LIMIT_DAYS = 300


def crop_canopy_max(crop: str) -> float:
    """The crop's own maximum canopy cover (CCx, 0…1) in the package's parameters.

    Raises
    ------
    AgronomyError
        Not one of ``CROP_NAMES``.
    """
    if crop not in CROP_NAMES:
        raise AgronomyError(f"crop {crop!r} is not one of {', '.join(CROP_NAMES)}")
    return float(crop_params[crop]["CCx"])


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class SeasonSetup:
    """One field's season as AquaCrop needs it (compared by identity: it holds a frame).

    Parameters
    ----------
    weather
        Daily weather, consecutive days, as ``fields.agronomy.season_inputs.weather_frame``
        builds it: ``Date``, ``MinTemp``/``MaxTemp`` (°C), ``Precipitation`` (mm),
        ``ReferenceET`` (FAO-56 ET0, mm). It must run from transplanting to maturity.
    transplanting
        Transplanting day; the season starts on it.
    crop
        One of ``CROP_NAMES``.
    soil
        One of ``SOIL_NAMES`` or a ``CustomSoil``.
    bund_height_m
        Height of the levees that hold standing water, m (0 for none).
    water
        ``Rainfed()``, ``PondedWater(...)`` or an ``IrrigationSchedule``.
    initial_water
        Soil water at transplanting: ``"FC"``, ``"SAT"``, ``"WP"`` in every layer, or a
        percentage of total available water (0…100).
    initial_pond_mm
        Standing water at transplanting, mm.
    canopy_max_fraction
        The crop's maximum canopy cover (CCx, 0…1) when not the crop's own, as
        ``fields.agronomy.forecast`` sets it to match what the images show.
    """

    weather: pd.DataFrame
    transplanting: date
    crop: str = DEFAULT_CROP
    soil: str | CustomSoil = "Paddy"
    bund_height_m: float = 0.20
    water: WaterManagement = field(default_factory=Rainfed)
    initial_water: str | float = "FC"
    initial_pond_mm: float = 0.0
    canopy_max_fraction: float | None = None

    def __post_init__(self) -> None:
        if self.crop not in CROP_NAMES:
            raise AgronomyError(f"crop {self.crop!r} is not one of {', '.join(CROP_NAMES)}")
        if isinstance(self.soil, str) and self.soil not in SOIL_NAMES:
            raise AgronomyError(f"soil {self.soil!r} is not one of {', '.join(SOIL_NAMES)}")
        if not 0.0 <= self.bund_height_m <= 1.0:
            raise AgronomyError(f"bund height {self.bund_height_m:g} m is outside 0…1")
        if isinstance(self.initial_water, str):
            if self.initial_water not in _INITIAL_STATES:
                raise AgronomyError(f"initial water {self.initial_water!r}: use FC, SAT or WP")
        elif not 0.0 <= self.initial_water <= 100.0:
            raise AgronomyError(f"initial water {self.initial_water:g} % TAW is outside 0…100")
        if self.initial_pond_mm < 0.0 or self.initial_pond_mm > self.bund_height_m * 1000.0:
            raise AgronomyError(f"initial pond {self.initial_pond_mm:g} mm exceeds the bunds")
        if isinstance(self.water, PondedWater) and self.water.depth_mm > self.bund_height_m * 1e3:
            raise AgronomyError(
                f"ponded water {self.water.depth_mm:g} mm deep needs bunds at least that high,"
                f" not {self.bund_height_m:g} m"
            )
        ccx = self.canopy_max_fraction
        if ccx is not None and not 0.05 <= ccx <= 1.0:
            raise AgronomyError(f"maximum canopy cover {ccx:g} is outside 0.05…1")
        object.__setattr__(self, "weather", check_weather_frame(self.weather, self.transplanting))

    @property
    def last_weather_day(self) -> date:
        """The last day the weather covers."""
        return pd.Timestamp(self.weather["Date"].iloc[-1]).date()  # type: ignore[no-any-return]


@contextlib.contextmanager
def _aquacrop_errors(setup: SeasonSetup) -> Iterator[None]:
    """The one place where the package's own exceptions become Tanbo's."""
    where = f"AquaCrop season from {setup.transplanting}"
    try:
        yield
    except AssertionError as exc:
        # aquacrop asserts where it should raise: its only data check on valid inputs is
        # "not enough growing degree days in simulation … to reach maturity".
        if "growing degree days" in str(exc):
            raise NotEnoughData(f"{where}: the weather ends before the crop matures") from exc
        raise AgronomyError(f"{where}: {exc}") from exc
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise AgronomyError(f"{where}: {exc}") from exc


def _soil(soil: str | CustomSoil) -> Soil:
    if isinstance(soil, str):
        return Soil(soil)
    depth_dm = round(sum(layer.thickness_m for layer in soil.layers) * 10.0)
    custom = Soil(
        "custom", cn=soil.curve_number, rew=soil.readily_evaporable_water_mm, dz=[0.1] * depth_dm
    )
    for layer in soil.layers:
        custom.add_layer(
            layer.thickness_m,
            layer.wilting_point,
            layer.field_capacity,
            layer.saturation,
            layer.ksat_mm_day,
            100,
        )
    return custom


def _initial_water(setup: SeasonSetup, layers: int) -> InitialWaterContent:
    numbers = list(range(1, layers + 1))
    if isinstance(setup.initial_water, str):
        state = setup.initial_water
        return InitialWaterContent("Prop", "Layer", numbers, [state] * layers)
    return InitialWaterContent("Pct", "Layer", numbers, [float(setup.initial_water)] * layers)


def _irrigation(water: WaterManagement) -> IrrigationManagement:
    if isinstance(water, Rainfed):
        return IrrigationManagement(irrigation_method=0)
    if isinstance(water, PondedWater):
        return IrrigationManagement(irrigation_method=5, MaxIrr=_MAX_IRRIGATION_MM_DAY)
    schedule = pd.DataFrame(
        {
            "Date": pd.to_datetime([day for day, _ in water.mm_by_day]),
            "Depth": [mm for _, mm in water.mm_by_day],
        }
    )
    return IrrigationManagement(
        irrigation_method=3, Schedule=schedule, MaxIrr=_MAX_IRRIGATION_MM_DAY
    )


def _model(setup: SeasonSetup) -> AquaCropModel:
    start = setup.transplanting
    end = min(setup.last_weather_day, start + timedelta(days=_SEASON_LIMIT_DAYS))
    crop_params: dict[str, float] = {"YldWC": _YIELD_DRY_MATTER_PCT}
    if setup.canopy_max_fraction is not None:
        crop_params["CCx"] = setup.canopy_max_fraction
    soil = _soil(setup.soil)
    layers = 2 if isinstance(setup.soil, str) and setup.soil == "Paddy" else 1
    if isinstance(setup.soil, CustomSoil):
        layers = len(setup.soil.layers)
    return AquaCropModel(
        sim_start_time=start.strftime("%Y/%m/%d"),
        sim_end_time=end.strftime("%Y/%m/%d"),
        weather_df=setup.weather,
        soil=soil,
        crop=Crop(setup.crop, planting_date=start.strftime("%m/%d"), **crop_params),
        initial_water_content=_initial_water(setup, layers),
        irrigation_management=_irrigation(setup.water),
        field_management=FieldMngt(
            bunds=setup.bund_height_m > 0.0,
            z_bund=setup.bund_height_m,
            bund_water=setup.initial_pond_mm,
        ),
    )


def _run_ponded(model: AquaCropModel, water: PondedWater) -> None:
    """Step day by day, topping the pond up to its depth when it falls below the refill mark.

    AquaCrop has no ponded-depth rule; its irrigation method 5 applies whatever depth is set
    for the next day, which is how the package's own authors drive it from outside. The
    attributes used (``_initialize``, ``_clock_struct``, ``_init_cond``, ``_param_struct``)
    are the ones their examples use.
    """
    model._initialize()
    day = 0
    while not model._clock_struct.model_is_finished:
        pond_mm = float(model._init_cond.surface_storage)
        dose = water.dose_mm(day_after_transplanting=day, pond_mm=pond_mm)
        model._param_struct.IrrMngt.depth = dose
        model.run_model(num_steps=1, initialize_model=False)
        day += 1


def run_season(setup: SeasonSetup) -> SeasonOutcome:
    """Run AquaCrop over one season, from transplanting to maturity.

    Parameters
    ----------
    setup
        The season.

    Returns
    -------
    SeasonOutcome
        Heading and harvest dates, yields (t/ha), water totals (mm) and the daily state.

    Raises
    ------
    NotEnoughData
        The weather ends before the crop matures.
    AgronomyError
        AquaCrop refused the set-up.
    """
    with _aquacrop_errors(setup):
        model = _model(setup)
        if isinstance(setup.water, PondedWater):
            _run_ponded(model, setup.water)
        else:
            model.run_model(till_termination=True)
        results = model.get_simulation_results()
        growth = model.get_crop_growth()
        flux = model.get_water_flux()
    if len(results) == 0:
        raise NotEnoughData(
            f"AquaCrop season from {setup.transplanting}: the weather ends on"
            f" {setup.last_weather_day}, before the crop matures"
        )
    return outcome_from_run(setup, results.iloc[0], growth, flux)


def run_seasons(setups: Iterable[SeasonSetup]) -> tuple[SeasonOutcome, ...]:
    """Run several seasons, each on its own (as AquaCrop runs a multi-year simulation).

    Raises
    ------
    NotEnoughData, AgronomyError
        As ``run_season``, for the first season that fails.
    """
    return tuple(run_season(setup) for setup in setups)
