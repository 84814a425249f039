"""What an exercise records: the vehicle sampled on simulated time, the faults, the failsafes.

:class:`Recorder` is called after every step of the flight model and keeps a
:class:`Sample` every :data:`SAMPLE_PERIOD_S` simulated seconds, and at once whenever the
mode, arming, being airborne or the pump changes, so every such change is timed to the
step it happened in. The position kept is where the vehicle really is, which is what
the spray lands on. The :class:`Trace` it gives is a plain value: :mod:`sim.score`
scores it without a vehicle.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sim.faults import FaultChange, FaultRecord
from sim.scenarios.model import Expect
from sim.scenarios.timeline import is_airborne, is_spraying
from sim.state import FailsafeEvent, VehicleState

__all__ = [
    "SAMPLE_PERIOD_S",
    "FailsafeMark",
    "FaultMark",
    "Recorder",
    "Sample",
    "Trace",
    "fault_marks",
]

SAMPLE_PERIOD_S = 0.2
"""Simulated seconds between two samples when nothing changes (a metre at spraying speed)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Sample:
    """The vehicle at simulated ``time_s``: its true position, height above home, mode
    (ArduPilot's name), arming, whether it is off the ground and the pump running, the
    battery left (%) and the wind blowing (steady and gust, m/s)."""

    time_s: float
    lat_deg: float
    lon_deg: float
    alt_m: float
    mode: str
    armed: bool
    airborne: bool
    spraying: bool
    battery_pct: float
    wind_m_s: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class FaultMark:
    """Fault ``spec`` (of ``kind``) injected at ``time_s``, with the reaction expected:
    from the scenario's timeline, or the scenario's default for one an instructor put in."""

    time_s: float
    spec: str
    kind: str
    expect: Expect = Expect.OPERATOR
    react_within_s: float = 15.0


@dataclass(frozen=True, kw_only=True, slots=True)
class FailsafeMark:
    """A failsafe of ``kind`` went off at ``time_s`` and the autopilot did ``action`` (a mode
    name, ``"disarm"``, ``"none"`` or ``"cleared"``; :class:`sim.state.FailsafeEvent`)."""

    time_s: float
    kind: str
    action: str

    @classmethod
    def of(cls, event: FailsafeEvent) -> "FailsafeMark":
        """From the vehicle's own record."""
        return cls(time_s=event.time_s, kind=str(event.kind), action=event.action)


@dataclass(frozen=True, kw_only=True, slots=True)
class Trace:
    """A whole exercise: the samples in time order, the faults injected, the failsafes,
    home and the rally points (lat, lon), and the simulated time it ended at."""

    home_lat_deg: float
    home_lon_deg: float
    samples: tuple[Sample, ...]
    faults: tuple[FaultMark, ...] = ()
    failsafes: tuple[FailsafeMark, ...] = ()
    rally: tuple[tuple[float, float], ...] = ()
    end_s: float = 0.0


def fault_marks(
    log: list[FaultRecord], expected: dict[tuple[float, str], tuple[Expect, float]],
    default: tuple[Expect, float],
) -> tuple[FaultMark, ...]:  # fmt: skip
    """The injections in a vehicle's fault log, each with the reaction ``expected`` of it
    (by time and spec), else ``default``."""
    marks = []
    for record in log:
        if record.change != FaultChange.INJECTED:
            continue
        spec = record.fault.spec
        expect, within_s = expected.get((record.time_s, spec), default)
        marks.append(
            FaultMark(
                time_s=record.time_s, spec=spec, kind=str(record.fault.kind),
                expect=expect, react_within_s=within_s,
            )
        )  # fmt: skip
    return tuple(marks)


class Recorder:
    """Samples one vehicle after each step of its flight model.

    Parameters
    ----------
    state
        The vehicle's state, read only.
    wind_m_s
        The wind blowing now (steady and gust), m/s.
    period_s
        Simulated seconds between samples when nothing changes.
    """

    def __init__(
        self,
        state: VehicleState,
        wind_m_s: Callable[[], float],
        period_s: float = SAMPLE_PERIOD_S,
    ) -> None:
        self.state = state
        self._wind_m_s = wind_m_s
        self.period_s = period_s
        self.samples: list[Sample] = []
        self.took_off = False
        """The vehicle has been off the ground since recording began."""

    def sample(self) -> Sample:
        """The vehicle now."""
        s = self.state
        return Sample(
            time_s=s.time_s, lat_deg=s.true_lat_deg, lon_deg=s.true_lon_deg, alt_m=s.alt_m,
            mode=s.mode.name, armed=s.armed, airborne=is_airborne(s), spraying=is_spraying(s),
            battery_pct=s.battery_pct, wind_m_s=self._wind_m_s(),
        )  # fmt: skip

    def update(self, dt_s: float = 0.0) -> None:
        """Called after every step (with its length, unused): keep a sample if one is due."""
        s = self.state
        last = self.samples[-1] if self.samples else None
        airborne = is_airborne(s)
        self.took_off = self.took_off or airborne
        if (
            last is None
            or s.time_s >= last.time_s + self.period_s - 1e-9
            or last.mode != s.mode.name
            or last.armed != s.armed
            or last.airborne != airborne
            or last.spraying != is_spraying(s)
        ):
            self.samples.append(self.sample())

    @property
    def landed_after_flying(self) -> bool:
        """It has flown, and now stands disarmed on the ground."""
        s = self.state
        return self.took_off and not s.armed and not is_airborne(s)

    def finish(self) -> tuple[Sample, ...]:
        """The samples, with one of the vehicle now if time has moved since the last."""
        if not self.samples or self.samples[-1].time_s < self.state.time_s:
            self.samples.append(self.sample())
        return tuple(self.samples)
