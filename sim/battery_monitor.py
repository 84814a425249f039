"""The battery monitor's failsafe levels, as ArduPilot's AP_BattMonitor works them out.

Low and critical are each reached two ways: by voltage (BATT_LOW_VOLT, BATT_CRT_VOLT),
only once it has stayed below for more than BATT_LOW_TIMER seconds (0 turns the
voltage trigger off), or by remaining capacity (BATT_LOW_MAH, BATT_CRT_MAH: capacity
less what has been drawn), at once. A threshold of 0 is not used. Critical is checked
first. The voltage is the measured one, or with BATT_FS_VOLTSRC 1 the resting voltage
(the sag under load added back). Pure: the time is given.

>>> settings = BatterySettings(low_v=44.4, critical_v=42.0, timer_s=10.0)
>>> monitor = BatteryMonitor()
>>> [monitor.update(voltage_v=44.0, consumed_mah=0.0, now_s=t, settings=settings).name
...  for t in (0.0, 10.0, 10.1)]
['NONE', 'NONE', 'LOW']
"""

from dataclasses import dataclass

from sim.state import BatteryLevel

__all__ = ["BatteryMonitor", "BatterySettings"]


@dataclass(frozen=True, kw_only=True, slots=True)
class BatterySettings:
    """The BATT_* failsafe parameters in SI units (0 for a threshold that is not used)."""

    low_v: float = 0.0
    critical_v: float = 0.0
    low_mah: float = 0.0
    critical_mah: float = 0.0
    timer_s: float = 10.0
    capacity_mah: float = 22000.0


@dataclass(frozen=True, kw_only=True, slots=True)
class _Below:
    low_v: bool
    critical_v: bool
    low_mah: bool
    critical_mah: bool


def _below(voltage_v: float, consumed_mah: float, s: BatterySettings) -> _Below:
    left = s.capacity_mah - consumed_mah
    return _Below(
        low_v=voltage_v > 0.0 and s.low_v > 0.0 and voltage_v < s.low_v,
        critical_v=voltage_v > 0.0 and s.critical_v > 0.0 and voltage_v < s.critical_v,
        low_mah=s.low_mah > 0.0 and left < s.low_mah,
        critical_mah=s.critical_mah > 0.0 and left < s.critical_mah,
    )


class BatteryMonitor:
    """One battery's voltage timers (the only memory the levels need)."""

    def __init__(self) -> None:
        self._low_since_s: float | None = None
        self._critical_since_s: float | None = None

    def update(
        self, *, voltage_v: float, consumed_mah: float, now_s: float, settings: BatterySettings
    ) -> BatteryLevel:
        """The level the battery is at now (not latched: the caller keeps the highest)."""
        below = _below(voltage_v, consumed_mah, settings)
        timer = settings.timer_s
        if below.critical_v:
            if self._critical_since_s is None:  # just dropped below: the timer starts
                self._critical_since_s = now_s
            elif 0.0 < timer < now_s - self._critical_since_s:
                return BatteryLevel.CRITICAL
        else:
            self._critical_since_s = None
        if below.critical_mah:
            return BatteryLevel.CRITICAL
        if below.low_v:
            if self._low_since_s is None:
                self._low_since_s = now_s
            elif 0.0 < timer < now_s - self._low_since_s:
                return BatteryLevel.LOW
        else:
            self._low_since_s = None
        return BatteryLevel.LOW if below.low_mah else BatteryLevel.NONE

    def reset(self) -> None:
        """Forget the timers (they run only while armed)."""
        self._low_since_s = self._critical_since_s = None

    @staticmethod
    def arming_failure(
        *, voltage_v: float, consumed_mah: float, settings: BatterySettings
    ) -> str | None:
        """Why the battery stops arming, in ArduPilot's words after "Battery 1 ", or None."""
        below = _below(voltage_v, consumed_mah, settings)
        for failed, reason in (
            (below.low_v, "low voltage failsafe"),
            (below.low_mah, "low capacity failsafe"),
            (below.critical_v, "critical voltage failsafe"),
            (below.critical_mah, "critical capacity failsafe"),
        ):
            if failed:
                return reason
        s = settings
        if s.critical_mah > 0.0 and s.low_mah > 0.0 and s.low_mah < s.critical_mah:
            return "capacity failsafe critical > low"
        if s.critical_v > 0.0 and s.low_v > 0.0 and s.low_v < s.critical_v:
            return "voltage failsafe critical > low"
        return None
