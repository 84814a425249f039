"""AquaCrop runs the agronomy tests share, made once per test session (about 5 s)."""

from functools import cache

from fields.agronomy.generated_history import hyderabad_process_runs
from fields.agronomy.season_outcome import SeasonOutcome

__all__ = ["hyderabad_runs"]


@cache
def hyderabad_runs() -> dict[tuple[str, int], SeasonOutcome]:
    """Rainfed and ponded runs of the 11 Hyderabad seasons (2000–2010)."""
    return hyderabad_process_runs()
