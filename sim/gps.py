"""The GPS receiver: a fix that wanders about the true position as a real one does.

A GPS position error is not white jitter: it comes from the satellites' orbits and
clocks and from the ionosphere and troposphere, which change over minutes, so the
error now is close to the error a second ago. It is modelled, per axis, as a
first-order Gauss-Markov process (a random walk pulled back to zero) with standard
deviation ``sigma`` and correlation time :data:`CORRELATION_S`, sampled exactly at the
receiver's rate (:data:`RATE_HZ`) on simulated time:

    e[k+1] = a * e[k] + sigma * sqrt(1 - a**2) * N(0, 1),   a = exp(-dt / CORRELATION_S)

so the spread is ``sigma`` at every rate and the samples depend only on the seed and
the simulated time, never on how often a ground station asks. The vertical error is
:data:`VERTICAL_RATIO` times the horizontal one (satellites are all above the antenna).

What the vehicle reports follows ArduPilot: GPS_RAW_INT carries the raw, noisy fix
(with HDOP and accuracies that say how noisy), while GLOBAL_POSITION_INT carries the
EKF's estimate, which blends the GPS with the inertial sensors and the barometer and
so does not jump about with each fix; the simulator takes the true position for it
(the EKF's own small error is not modelled).

>>> gps = GpsReceiver(noise_m=0.5, seed=1)
>>> gps.error_at(10.0) == GpsReceiver(noise_m=0.5, seed=1).error_at(10.0)
True
"""

import math
import random
from dataclasses import dataclass

__all__ = [
    "CORRELATION_S",
    "RATE_HZ",
    "SATELLITES",
    "UERE_M",
    "VERTICAL_RATIO",
    "GpsError",
    "GpsReceiver",
]

CORRELATION_S = 60.0
"""Correlation time of the position error, seconds (satellite and atmosphere errors)."""

RATE_HZ = 5.0
"""How often the receiver computes a fix (ArduPilot's default GPS rate), Hz."""

VERTICAL_RATIO = 1.5
"""Vertical error over horizontal error (VDOP is typically 1.5 times HDOP)."""

UERE_M = 0.6
"""User equivalent range error, metres: HDOP is the horizontal error over it."""

SATELLITES = 16
"""Satellites used in a fix in open sky (GPS with GLONASS or Galileo)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class GpsError:
    """The error of one fix: metres north, east and up of the truth."""

    north_m: float = 0.0
    east_m: float = 0.0
    up_m: float = 0.0


class GpsReceiver:
    """A GPS receiver's error over simulated time, reproducible from its seed.

    Parameters
    ----------
    noise_m
        Horizontal error, one standard deviation per axis, metres (0: a perfect fix).
    seed
        Seeds the receiver's own ``random.Random``; the same seed gives the same errors.

    Raises
    ------
    ValueError
        ``noise_m`` is negative or not finite.
    """

    def __init__(self, *, noise_m: float, seed: int | str = 0) -> None:
        if not (math.isfinite(noise_m) and noise_m >= 0.0):
            raise ValueError(f"GPS noise {noise_m} m must be finite and >= 0")
        self.noise_m = noise_m
        self._rng = random.Random(seed)
        self._step_s = 1.0 / RATE_HZ
        self._keep = math.exp(-self._step_s / CORRELATION_S)
        self._k = 0
        sigmas = (noise_m, noise_m, noise_m * VERTICAL_RATIO)
        self._sigmas = sigmas
        self._error = [s * self._rng.gauss(0.0, 1.0) for s in sigmas]  # the stationary spread

    @property
    def hdop(self) -> float:
        """Horizontal dilution of precision this noise corresponds to (at least 0.5)."""
        return max(0.5, self.noise_m / UERE_M)

    def fix_time_s(self, time_s: float) -> float:
        """The time of the latest fix at or before ``time_s``, seconds."""
        return math.floor(time_s * RATE_HZ + 1e-9) / RATE_HZ

    def error_at(self, time_s: float) -> GpsError:
        """The error of the latest fix at ``time_s`` (seconds since start; never earlier
        than a time asked before: the process only moves forward)."""
        k = math.floor(time_s * RATE_HZ + 1e-9)
        fresh = math.sqrt(1.0 - self._keep**2)
        while self._k < k:
            self._k += 1
            for axis, sigma in enumerate(self._sigmas):
                noise = sigma * fresh * self._rng.gauss(0.0, 1.0)
                self._error[axis] = self._keep * self._error[axis] + noise
        north, east, up = self._error
        return GpsError(north_m=north, east_m=east, up_m=up)
