"""AquaCrop's paddy-rice reference: the Hyderabad runs the ``aquacrop`` package ships.

The package ships the results of FAO's AquaCrop 6.1 for Windows
(``paddyrice_hyderabad_windows.OUT``) and of AquaCrop-OS for MATLAB
(``paddyrice_hyderabad_matlab.txt``) for rice transplanted on 1 August of 2000–2010 at
Hyderabad, rainfed, on the ``Paddy`` soil behind 0.20 m bunds, the profile at field capacity
at transplanting — exercise 8 of FAO's AquaCrop training handbook. The package's developers
run that exercise with their ``localpaddy`` crop, and its comparison notebook
(``docs/notebooks/05_comparison.ipynb``) judges a reproduction by the mean absolute error of
the seasons' yields against each program (it prints 0.02 t/ha from Windows for its wheat
case; it asserts no bound for rice).

Through ``run_season`` and ``reference_setup`` Tanbo reproduces the MATLAB yields to a mean
absolute error of 0.08 t/ha (0.16 at worst, in 2004's drought) and the Windows yields to
0.07, with every harvest date one day before the programs' (they count the harvest day
after the last day of growth). The test pins this, and pins that Tanbo's set-up gives what
the package itself gives for the same inputs within the package's own test tolerance.
"""

from datetime import date
from pathlib import Path

import pandas as pd
from aquacrop.utils import get_filepath

from fields.agronomy.season import SeasonSetup
from fields.agronomy.season_inputs import Rainfed

__all__ = [
    "REFERENCE_BUND_HEIGHT_M",
    "REFERENCE_YEARS",
    "matlab_reference",
    "reference_setup",
    "windows_reference",
]

REFERENCE_YEARS = tuple(range(2000, 2011))
REFERENCE_BUND_HEIGHT_M = 0.20

_WINDOWS_COLUMNS = (
    "RunNr", "Day1", "Month1", "Year1", "Rain", "ETo", "GD", "CO2", "Irri", "Infilt", "Runoff",
    "Drain", "Upflow", "E", "E/Ex", "Tr", "TrW", "Tr/Trx", "SaltIn", "SaltOut", "SaltUp",
    "SaltProf", "Cycle", "SaltStr", "FertStr", "WeedStr", "TempStr", "ExpStr", "StoStr",
    "BioMass", "Brelative", "HI", "Yield", "WPet", "DayN", "MonthN", "YearN",
)  # fmt: skip
_MATLAB_COLUMNS = (
    "season", "crop", "planted", "planted_step", "harvested", "harvested_step", "Yield", "irr",
)  # fmt: skip


def reference_setup(year: int, weather: pd.DataFrame, *, crop: str = "localpaddy") -> SeasonSetup:
    """The reference season of ``year``: 1 August, rainfed, ``Paddy`` soil, 0.20 m bunds.

    Parameters
    ----------
    year
        One of ``REFERENCE_YEARS`` to compare with the shipped results.
    weather
        The Hyderabad series (``shipped_weather("hyderabad")``) or any that covers the season.
    crop
        ``localpaddy`` as the package's exercise; ``PaddyRice`` for a fixed 104-day season.

    Raises
    ------
    NotEnoughData, AgronomyError
        As ``SeasonSetup``.
    """
    return SeasonSetup(
        weather=weather,
        transplanting=date(year, 8, 1),
        crop=crop,
        soil="Paddy",
        bund_height_m=REFERENCE_BUND_HEIGHT_M,
        water=Rainfed(),
        initial_water="FC",
        initial_pond_mm=0.0,
    )


def _data_file(name: str) -> Path:
    return Path(get_filepath(name))


def windows_reference() -> pd.DataFrame:
    """AquaCrop 6.1 for Windows, one row per season: Rain, ETo, Runoff, Drain, E, Tr, Yield…

    Yield and BioMass are t/ha (dry), water columns mm, ``DayN/MonthN/YearN`` the harvest.
    """
    return pd.read_csv(
        _data_file("paddyrice_hyderabad_windows.OUT"),
        skiprows=5,
        sep=r"\s+",
        names=list(_WINDOWS_COLUMNS),
        encoding="ISO-8859-1",
    )


def matlab_reference() -> pd.DataFrame:
    """AquaCrop-OS for MATLAB, one row per season: ``harvested`` (dd/mm/yyyy), ``Yield`` (t/ha)."""
    frame = pd.read_csv(_data_file("paddyrice_hyderabad_matlab.txt"), sep=r"\s+", header=None)
    frame.columns = pd.Index(_MATLAB_COLUMNS)
    return frame
