"""Whether a water-level sensor can be believed: stale, clock ahead, out of range, jumping,
stuck.

Each check returns a :class:`Check`: a named :class:`Plausibility` verdict with its reason
in English and Japanese (for the farmer's alert). The controller keeps a small
:class:`LevelTrack` per sensor and folds each new reading in with :func:`observe`, so a
tick costs the same however long the history; :func:`check_readings` runs the same checks
over a list of recent readings.

>>> from datetime import UTC, datetime
>>> paddy = Paddy(id="p1", area_m2=1000.0)
>>> check_jump(3.0, 9.5, 600.0, paddy, PlausibilitySettings()).verdict
<Plausibility.JUMP: 'jump'>
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from irrigation.model import Paddy, Reading

__all__ = [
    "OK",
    "Check",
    "LevelTrack",
    "Plausibility",
    "PlausibilitySettings",
    "check_clock",
    "check_flat_line",
    "check_jump",
    "check_range",
    "check_readings",
    "check_stale",
    "max_change_cm",
    "observe",
]


class Plausibility(StrEnum):
    """What a sensor check found."""

    OK = "ok"
    STALE = "stale"
    """No believable reading for too long: the device or its radio is offline, or its
    clock went back."""
    CLOCK = "clock"
    """The device's clock is ahead: a reading dated well after it arrived."""
    OUT_OF_RANGE = "out_of_range"
    """Deeper than the levee allows or drier than the ground can be."""
    JUMP = "jump"
    """A change faster than the inlet and the heaviest rain can make."""
    FLAT_LINE = "flat_line"
    """Exactly the same value while water was coming in: a stuck float."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Check:
    """A verdict and why, for the log and the farmer."""

    verdict: Plausibility
    reason: str = ""
    reason_ja: str = ""

    @property
    def ok(self) -> bool:
        """Whether the reading can be believed."""
        return self.verdict is Plausibility.OK


OK = Check(verdict=Plausibility.OK)
"""The verdict of a reading that passes every check."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PlausibilitySettings:
    """Limits of a believable water-level sensor (typical values, configurable).

    Parameters
    ----------
    stale_after_s
        A sensor silent this long is offline.
    min_depth_cm
        The lowest believable level (the water table below the soil surface).
    above_levee_cm
        How far above the levee crest a reading may go before it is nonsense.
    noise_cm
        A change this small is always believable (waves, wind, float play).
    heavy_rain_mm_h
        The heaviest rain to allow for when judging a rise.
    max_fall_cm_h
        The fastest fall to allow for besides the outlet gate (spill, percolation, a cut).
    flat_after_s, flat_inflow_cm
        A value unchanged for this long while at least this much water came in (inlet open
        or rain) is a stuck sensor.
    max_clock_ahead_s
        A reading dated more than this after it arrived comes from a clock that is ahead.
    """

    stale_after_s: float = 1800.0
    min_depth_cm: float = -20.0
    above_levee_cm: float = 5.0
    noise_cm: float = 1.0
    heavy_rain_mm_h: float = 100.0
    max_fall_cm_h: float = 10.0
    flat_after_s: float = 3 * 3600.0
    flat_inflow_cm: float = 2.0
    max_clock_ahead_s: float = 300.0


def check_stale(last_heard_at: datetime, now: datetime, settings: PlausibilitySettings) -> Check:
    """Whether the sensor has been silent too long: no believable reading since.

    Parameters
    ----------
    last_heard_at
        When its last believed reading arrived (or when watching began, before any).
    now
        The current time.
    settings
        ``stale_after_s`` is the limit, s.
    """
    silent_s = (now - last_heard_at).total_seconds()
    if silent_s < settings.stale_after_s:
        return OK
    minutes = silent_s / 60.0
    return Check(
        verdict=Plausibility.STALE,
        reason=f"no believable water-level reading for {minutes:.0f} min",
        reason_ja=f"{minutes:.0f}分間、信頼できる水位データがありません",
    )


def _span(seconds: float) -> tuple[str, str]:
    """A duration in the largest whole unit, in English and Japanese."""
    for unit_s, en, ja in ((86400.0, "days", "日"), (3600.0, "h", "時間")):
        if seconds >= unit_s:
            return f"{seconds / unit_s:.0f} {en}", f"{seconds / unit_s:.0f}{ja}"
    return f"{seconds / 60.0:.0f} min", f"{seconds / 60.0:.0f}分"


def check_clock(at: datetime, arrived_at: datetime, settings: PlausibilitySettings) -> Check:
    """Whether a reading taken ``at`` (device time) can have arrived at ``arrived_at``.

    A device whose clock runs ahead dates its readings in the future; believed, one such
    reading would make every truthful one after it look old.

    >>> from datetime import UTC, datetime
    >>> check_clock(datetime(2030, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC),
    ...             PlausibilitySettings()).reason
    "the device's clock is 1310 days ahead"
    """
    ahead_s = (at - arrived_at).total_seconds()
    if ahead_s <= settings.max_clock_ahead_s:
        return OK
    en, ja = _span(ahead_s)
    return Check(
        verdict=Plausibility.CLOCK,
        reason=f"the device's clock is {en} ahead",
        reason_ja=f"センサーの時計が{ja}進んでいます",
    )


def check_range(depth_cm: float, paddy: Paddy, settings: PlausibilitySettings) -> Check:
    """Whether a depth (cm) lies between ``min_depth_cm`` and the levee crest plus a margin."""
    high_cm = paddy.levee_height_cm + settings.above_levee_cm
    if settings.min_depth_cm <= depth_cm <= high_cm:
        return OK
    return Check(
        verdict=Plausibility.OUT_OF_RANGE,
        reason=f"{depth_cm:.1f} cm is outside {settings.min_depth_cm:g}…{high_cm:g} cm",
        reason_ja=f"{depth_cm:.1f} cm は {settings.min_depth_cm:g}〜{high_cm:g} cm の範囲外です",
    )


def max_change_cm(paddy: Paddy, dt_s: float, settings: PlausibilitySettings) -> tuple[float, float]:
    """The largest believable (rise, fall) of the water in ``dt_s`` seconds, cm.

    A rise is bounded by the inlet fully open plus the heaviest rain; a fall by the outlet
    gate fully open plus ``max_fall_cm_h``; both plus ``noise_cm``.

    >>> max_change_cm(Paddy(id="p", area_m2=1000.0), 600.0, PlausibilitySettings())
    (3.333333333333333, 2.6666666666666665)
    """
    hours = max(dt_s, 0.0) / 3600.0
    rise_cm_h = paddy.inlet_flow_m3_h / paddy.area_m2 * 100.0 + settings.heavy_rain_mm_h / 10.0
    fall_cm_h = paddy.outlet_flow_m3_h / paddy.area_m2 * 100.0 + settings.max_fall_cm_h
    return settings.noise_cm + rise_cm_h * hours, settings.noise_cm + fall_cm_h * hours


def check_jump(
    previous_cm: float, depth_cm: float, dt_s: float, paddy: Paddy, settings: PlausibilitySettings
) -> Check:
    """Whether the change from ``previous_cm`` to ``depth_cm`` in ``dt_s`` s is possible."""
    rise_cm, fall_cm = max_change_cm(paddy, dt_s, settings)
    change_cm = depth_cm - previous_cm
    if -fall_cm <= change_cm <= rise_cm:
        return OK
    minutes = dt_s / 60.0
    return Check(
        verdict=Plausibility.JUMP,
        reason=f"{change_cm:+.1f} cm in {minutes:.0f} min is faster than water can move",
        reason_ja=f"{minutes:.0f}分で {change_cm:+.1f} cm は物理的にありえない変化です",
    )


def check_flat_line(same_for_s: float, inflow_cm: float, settings: PlausibilitySettings) -> Check:
    """Whether a value unchanged for ``same_for_s`` s while ``inflow_cm`` came in is stuck.

    Count in ``inflow_cm`` only water that could not have left (outlet gate shut, the level
    below the outlet crest): a paddy spilling over its weir in a storm stands still.
    """
    if same_for_s < settings.flat_after_s or inflow_cm < settings.flat_inflow_cm:
        return OK
    hours = same_for_s / 3600.0
    return Check(
        verdict=Plausibility.FLAT_LINE,
        reason=f"the same value for {hours:.1f} h while {inflow_cm:.1f} cm of water came in",
        reason_ja=f"{inflow_cm:.1f} cm 分の給水・降雨があったのに {hours:.1f} 時間値が変わりません",
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class LevelTrack:
    """What is remembered of one sensor: its last believed reading and how long it held."""

    depth_cm: float
    at: datetime
    same_since: datetime
    """When the value last changed."""
    inflow_cm: float = 0.0
    """Water that came in (inlet, rain) since ``same_since``, cm."""

    def add_inflow(self, cm: float) -> "LevelTrack":
        """The track with more water counted in since the value last changed."""
        if cm <= 0.0:
            return self
        return LevelTrack(
            depth_cm=self.depth_cm,
            at=self.at,
            same_since=self.same_since,
            inflow_cm=self.inflow_cm + cm,
        )


def observe(
    track: LevelTrack | None,
    depth_cm: float,
    at: datetime,
    paddy: Paddy,
    settings: PlausibilitySettings,
    *,
    arrived_at: datetime | None = None,
) -> tuple[LevelTrack | None, Check | None]:
    """Fold a new reading into the track and judge it.

    A reading dated ahead of its arrival, out of range or jumping is not taken in (the
    track stays, so the next one is judged against the last believed value over the longer
    time); a stuck one is, so the verdict clears as soon as the value moves. A reading not
    newer than the track is ignored and gets no verdict (None): it says nothing of the
    sensor now, so the caller keeps the verdict it had.

    Parameters
    ----------
    track
        The sensor's track, or None before its first believed reading (and None stays
        None while the readings are out of range).
    depth_cm
        The new reading, cm.
    at
        When it was taken (the device's clock).
    paddy
        For the levee, the area and the gate flows.
    settings
        The limits.
    arrived_at
        When it arrived (the receiver's clock), for :func:`check_clock`; None skips it.
    """
    if arrived_at is not None and not (clock := check_clock(at, arrived_at, settings)).ok:
        return track, clock
    ranged = check_range(depth_cm, paddy, settings)
    if track is None:
        return (LevelTrack(depth_cm=depth_cm, at=at, same_since=at) if ranged.ok else None), ranged
    if at <= track.at:
        return track, None
    if not ranged.ok:
        return track, ranged
    jumped = check_jump(track.depth_cm, depth_cm, (at - track.at).total_seconds(), paddy, settings)
    if not jumped.ok:
        return track, jumped
    if depth_cm != track.depth_cm:
        return LevelTrack(depth_cm=depth_cm, at=at, same_since=at), OK
    held = LevelTrack(
        depth_cm=depth_cm, at=at, same_since=track.same_since, inflow_cm=track.inflow_cm
    )
    flat = check_flat_line((at - track.same_since).total_seconds(), track.inflow_cm, settings)
    return held, flat


def check_readings(
    readings: Sequence[Reading],
    now: datetime,
    paddy: Paddy,
    *,
    inflow_cm_h: float = 0.0,
    settings: PlausibilitySettings | None = None,
) -> Check:
    """The first thing wrong with a sensor's recent water-level readings, or OK.

    Parameters
    ----------
    readings
        Water-level readings, any order (sorted by ``device_time`` here).
    now
        The current time (for staleness, and the arrival of a reading without
        ``received_at``).
    paddy
        The paddy the sensor stands in.
    inflow_cm_h
        The mean rate water came in over the window (inlet open, rain), cm/h; it makes a
        stuck float visible.
    settings
        The limits; defaults if None.
    """
    settings = settings or PlausibilitySettings()
    if not readings:
        return Check(
            verdict=Plausibility.STALE,
            reason="no water-level readings",
            reason_ja="水位データがありません",
        )
    ordered = sorted(readings, key=lambda reading: reading.device_time)
    track: LevelTrack | None = None
    previous_at = ordered[0].device_time
    for reading in ordered:
        if track is not None:
            hours = (reading.device_time - previous_at).total_seconds() / 3600.0
            track = track.add_inflow(inflow_cm_h * hours)
        previous_at = reading.device_time
        arrived_at = reading.received_at or now
        track, check = observe(
            track, reading.value, reading.device_time, paddy, settings, arrived_at=arrived_at
        )
        if check is not None and not check.ok:
            return check
    return check_stale(ordered[-1].device_time, now, settings)
