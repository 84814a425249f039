"""A kinematic multicopter: where it is and how fast it goes, one explicit time step at a time.

Pure: :func:`fly` takes a :class:`Motion`, a :class:`Goal` and the limits and returns
the next :class:`Motion`; nothing here reads a clock or keeps state. Positions are
metres north, east and up of home in a local tangent plane (:class:`LocalFrame`);
the position controller is ArduPilot's square-root controller (linear near the
goal, constant deceleration farther out), capped by the speed limits and reached
through the acceleration limits. The vehicle moves through the air; the wind
carries it over the ground, so a change of wind drifts it until the controller
has caught up, and a wind stronger than its airspeed blows it away.

>>> m = fly(Motion(), Goal(north_m=0.0, east_m=0.0, up_m=10.0), Limits(), 0.1)
>>> round(m.up_m, 3), round(m.vu_m_s, 2)
(0.01, 0.1)
"""

import math
from dataclasses import dataclass

__all__ = [
    "CALM",
    "EARTH_RADIUS_M",
    "POSITION_GAIN",
    "Goal",
    "Limits",
    "LocalFrame",
    "Motion",
    "Wind",
    "fly",
    "sqrt_speed",
    "tumble",
]

EARTH_RADIUS_M = 6_378_137.0
"""WGS84 equatorial radius, metres."""

POSITION_GAIN = 2.0
"""Proportional gain of the position controller near its goal, 1/s."""

_DRAG_PER_S = 0.5  # an uncontrolled airframe's speed through the air halves in about 1.4 s
_FACE_GOAL_M = 2.0  # nearer than this the vehicle keeps its heading (ArduPilot: WP_YAW_BEHAVIOR)


@dataclass(frozen=True, kw_only=True, slots=True)
class LocalFrame:
    """Metres north and east of an origin, on an equirectangular plane (centimetres within km).

    >>> f = LocalFrame(lat0_deg=35.0, lon0_deg=135.0)
    >>> n, e = f.to_local(35.001, 135.001)
    >>> round(n, 1), round(e, 1)
    (111.3, 91.2)
    >>> [round(v, 9) for v in f.to_global(n, e)]
    [35.001, 135.001]
    """

    lat0_deg: float
    lon0_deg: float

    @property
    def _m_per_deg_lat(self) -> float:
        return math.radians(1.0) * EARTH_RADIUS_M

    @property
    def _m_per_deg_lon(self) -> float:
        return self._m_per_deg_lat * math.cos(math.radians(self.lat0_deg))

    def to_local(self, lat_deg: float, lon_deg: float) -> tuple[float, float]:
        """(north_m, east_m) of a WGS84 position given in degrees."""
        return (
            (lat_deg - self.lat0_deg) * self._m_per_deg_lat,
            (lon_deg - self.lon0_deg) * self._m_per_deg_lon,
        )

    def to_global(self, north_m: float, east_m: float) -> tuple[float, float]:
        """(lat_deg, lon_deg) of a point ``north_m``, ``east_m`` metres from the origin."""
        return (
            self.lat0_deg + north_m / self._m_per_deg_lat,
            self.lon0_deg + east_m / self._m_per_deg_lon,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Wind:
    """A steady wind: ``speed_m_s`` blowing *from* ``from_deg`` (clockwise from north).

    >>> w = Wind(speed_m_s=3.0, from_deg=90.0)  # an easterly blows west
    >>> round(w.north_m_s, 6), round(w.east_m_s, 6)
    (-0.0, -3.0)
    """

    speed_m_s: float = 0.0
    from_deg: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed_m_s) and self.speed_m_s >= 0.0):
            raise ValueError(f"wind speed {self.speed_m_s} m/s must be finite and >= 0")

    @property
    def north_m_s(self) -> float:
        """The air's velocity northwards, m/s."""
        return -self.speed_m_s * math.cos(math.radians(self.from_deg))

    @property
    def east_m_s(self) -> float:
        """The air's velocity eastwards, m/s."""
        return -self.speed_m_s * math.sin(math.radians(self.from_deg))

    def plus(self, other: "Wind") -> "Wind":
        """The two winds blowing together (their velocities added).

        >>> w = Wind(speed_m_s=3.0, from_deg=0.0).plus(Wind(speed_m_s=4.0, from_deg=90.0))
        >>> round(w.speed_m_s, 6), round(w.from_deg, 2)
        (5.0, 53.13)
        """
        north, east = self.north_m_s + other.north_m_s, self.east_m_s + other.east_m_s
        speed = math.hypot(north, east)
        if speed < 1e-12:
            return CALM
        return Wind(speed_m_s=speed, from_deg=math.degrees(math.atan2(-east, -north)) % 360.0)


CALM = Wind()
"""No wind."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Limits:
    """How fast the vehicle may go and change speed (ArduPilot's WPNAV_* in SI units).

    Attributes
    ----------
    speed_m_s
        Horizontal ground speed, m/s (WPNAV_SPEED / 100).
    climb_m_s, descent_m_s
        Vertical speeds, m/s (WPNAV_SPEED_UP, WPNAV_SPEED_DN / 100).
    accel_m_s2, accel_z_m_s2
        Horizontal and vertical acceleration, m/s² (WPNAV_ACCEL, WPNAV_ACCEL_Z / 100).
    airspeed_m_s
        The most the vehicle can fly through the air (its lean limit), m/s.
    yaw_rate_deg_s
        Turn rate, degrees per second.
    """

    speed_m_s: float = 5.0
    climb_m_s: float = 2.5
    descent_m_s: float = 1.5
    accel_m_s2: float = 2.5
    accel_z_m_s2: float = 1.0
    airspeed_m_s: float = 15.0
    yaw_rate_deg_s: float = 90.0

    def __post_init__(self) -> None:
        for name in self.__slots__:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f"{name} = {value} must be finite and positive")


@dataclass(frozen=True, kw_only=True, slots=True)
class Goal:
    """Where the position controller steers to: metres north, east and up of home."""

    north_m: float
    east_m: float
    up_m: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Motion:
    """The vehicle's kinematic state.

    Attributes
    ----------
    north_m, east_m, up_m
        Position relative to home, metres (``up_m`` 0 is on the ground).
    air_n_m_s, air_e_m_s
        Velocity through the air, m/s.
    vn_m_s, ve_m_s, vu_m_s
        Velocity over the ground (air plus wind), m/s; ``vu_m_s`` positive climbs.
    heading_deg, yaw_rate_deg_s
        Heading (clockwise from north, 0..360) and its rate of change, degrees and deg/s.
    """

    north_m: float = 0.0
    east_m: float = 0.0
    up_m: float = 0.0
    air_n_m_s: float = 0.0
    air_e_m_s: float = 0.0
    vn_m_s: float = 0.0
    ve_m_s: float = 0.0
    vu_m_s: float = 0.0
    heading_deg: float = 0.0
    yaw_rate_deg_s: float = 0.0

    @property
    def on_ground(self) -> bool:
        """Standing on the ground (not climbing away from it)."""
        return self.up_m <= 0.0 and self.vu_m_s <= 0.0

    @property
    def groundspeed_m_s(self) -> float:
        """Horizontal speed over the ground, m/s."""
        return math.hypot(self.vn_m_s, self.ve_m_s)

    @property
    def airspeed_m_s(self) -> float:
        """Horizontal speed through the air, m/s."""
        return math.hypot(self.air_n_m_s, self.air_e_m_s)

    def distance_to(self, goal: Goal) -> float:
        """Straight-line (3D) distance to ``goal``, metres."""
        return math.dist(
            (self.north_m, self.east_m, self.up_m), (goal.north_m, goal.east_m, goal.up_m)
        )

    def stopping_point(self, accel_m_s2: float) -> Goal:
        """Where braking at ``accel_m_s2`` from the ground velocity now would stop it (at the
        same height): where ArduPilot holds or lands after a mode change."""
        ahead_s = self.groundspeed_m_s / (2.0 * accel_m_s2)
        return Goal(
            north_m=self.north_m + self.vn_m_s * ahead_s,
            east_m=self.east_m + self.ve_m_s * ahead_s,
            up_m=self.up_m,
        )

    def here(self, up_m: float | None = None) -> Goal:
        """A goal at the vehicle's position (at ``up_m`` if given)."""
        return Goal(
            north_m=self.north_m, east_m=self.east_m, up_m=self.up_m if up_m is None else up_m
        )


def sqrt_speed(distance_m: float, accel_m_s2: float, gain: float = POSITION_GAIN) -> float:
    """ArduPilot's square-root controller: the speed (m/s) to close ``distance_m`` and stop.

    Linear (``gain * distance``) near the goal, ``sqrt(2 a d)`` farther out, the two
    joined where their slopes match.

    >>> sqrt_speed(0.1, 2.5), round(sqrt_speed(20.0, 2.5), 3)
    (0.2, 9.922)
    """
    linear_m = accel_m_s2 / gain**2
    if distance_m <= linear_m:
        return gain * distance_m
    return math.sqrt(2.0 * accel_m_s2 * (distance_m - 0.5 * linear_m))


def _toward(value: float, wanted: float, step: float) -> float:
    return value + max(-step, min(step, wanted - value))


def fly(motion: Motion, goal: Goal, limits: Limits, dt_s: float, wind: Wind = CALM) -> Motion:
    """Move ``motion`` on by ``dt_s`` seconds, steering for ``goal`` within ``limits``.

    Parameters
    ----------
    motion
        The state now.
    goal
        Where to go (``up_m`` below 0 keeps descending until touchdown).
    limits
        Speed, acceleration and turn limits.
    dt_s
        The time step, seconds (0.05 or less keeps arrival checks within centimetres).
    wind
        The wind; it moves the vehicle only once it is off the ground.

    Returns
    -------
    Motion
        The state ``dt_s`` later. On the ground the vehicle stays put horizontally.

    Raises
    ------
    ValueError
        ``dt_s`` is not positive.
    """
    if not dt_s > 0.0:
        raise ValueError(f"time step {dt_s} s must be positive")
    # Vertical: climb or descend toward the goal.
    dz = goal.up_m - motion.up_m
    vu_want = math.copysign(sqrt_speed(abs(dz), limits.accel_z_m_s2), dz)
    vu_want = max(-limits.descent_m_s, min(limits.climb_m_s, vu_want))
    vu = _toward(motion.vu_m_s, vu_want, limits.accel_z_m_s2 * dt_s)
    up = motion.up_m + vu * dt_s
    if up <= 0.0:
        up, vu = 0.0, max(vu, 0.0)
    if up <= 0.0 and motion.up_m <= 0.0:  # on the ground: held by it, facing where it was
        return Motion(
            north_m=motion.north_m, east_m=motion.east_m, up_m=0.0,
            air_n_m_s=-wind.north_m_s, air_e_m_s=-wind.east_m_s,
            vu_m_s=vu, heading_deg=motion.heading_deg,
        )  # fmt: skip
    # Horizontal: the ground velocity wanted, flown through the air that moves.
    dn, de = goal.north_m - motion.north_m, goal.east_m - motion.east_m
    distance = math.hypot(dn, de)
    speed = min(limits.speed_m_s, sqrt_speed(distance, limits.accel_m_s2))
    want_n, want_e = (dn / distance * speed, de / distance * speed) if distance > 1e-9 else (0, 0)
    air_n, air_e = want_n - wind.north_m_s, want_e - wind.east_m_s
    air = math.hypot(air_n, air_e)
    if air > limits.airspeed_m_s:
        air_n, air_e = air_n * limits.airspeed_m_s / air, air_e * limits.airspeed_m_s / air
    # Lifting off, it starts still over the ground, the air moving past it.
    was_n, was_e = motion.air_n_m_s, motion.air_e_m_s
    if motion.up_m <= 0.0:
        was_n, was_e = -wind.north_m_s, -wind.east_m_s
    dvn, dve = air_n - was_n, air_e - was_e
    change = math.hypot(dvn, dve)
    most = limits.accel_m_s2 * dt_s
    if change > most:
        dvn, dve = dvn * most / change, dve * most / change
    air_n, air_e = was_n + dvn, was_e + dve
    vn, ve = air_n + wind.north_m_s, air_e + wind.east_m_s
    heading, rate = motion.heading_deg, 0.0
    if distance > _FACE_GOAL_M:
        turn = (math.degrees(math.atan2(de, dn)) - heading + 180.0) % 360.0 - 180.0
        turn = max(-limits.yaw_rate_deg_s * dt_s, min(limits.yaw_rate_deg_s * dt_s, turn))
        heading, rate = (heading + turn) % 360.0, turn / dt_s
    return Motion(
        north_m=motion.north_m + vn * dt_s, east_m=motion.east_m + ve * dt_s, up_m=up,
        air_n_m_s=air_n, air_e_m_s=air_e, vn_m_s=vn, ve_m_s=ve, vu_m_s=vu,
        heading_deg=heading, yaw_rate_deg_s=rate,
    )  # fmt: skip


TUMBLE_ACCEL_M_S2 = 7.0
"""Downward acceleration of a quadcopter that has lost a motor (the others still push, but
it spins and tilts), m/s²."""

TUMBLE_SPEED_M_S = 15.0
"""The fastest it falls (drag), m/s."""

_TUMBLE_YAW_RATE_DEG_S = 360.0  # the unbalanced torque spins it


def tumble(motion: Motion, dt_s: float, wind: Wind = CALM) -> Motion:
    """Move an uncontrolled vehicle on by ``dt_s``: it falls, spinning, and drifts with the air.

    Its speed through the air dies away (drag), so over the ground it goes with the wind;
    on the ground it stays where it came down.

    >>> m = tumble(Motion(up_m=20.0), 1.0)
    >>> round(m.up_m, 1), round(m.vu_m_s, 1)
    (13.0, -7.0)

    Raises
    ------
    ValueError
        ``dt_s`` is not positive.
    """
    if not dt_s > 0.0:
        raise ValueError(f"time step {dt_s} s must be positive")
    if motion.up_m <= 0.0:
        return Motion(
            north_m=motion.north_m, east_m=motion.east_m, air_n_m_s=-wind.north_m_s,
            air_e_m_s=-wind.east_m_s, heading_deg=motion.heading_deg,
        )  # fmt: skip
    vu = max(-TUMBLE_SPEED_M_S, motion.vu_m_s - TUMBLE_ACCEL_M_S2 * dt_s)
    up = max(0.0, motion.up_m + vu * dt_s)
    keep = math.exp(-_DRAG_PER_S * dt_s)
    air_n, air_e = motion.air_n_m_s * keep, motion.air_e_m_s * keep
    vn, ve = air_n + wind.north_m_s, air_e + wind.east_m_s
    spin = _TUMBLE_YAW_RATE_DEG_S if up > 0.0 else 0.0
    return Motion(
        north_m=motion.north_m + vn * dt_s, east_m=motion.east_m + ve * dt_s, up_m=up,
        air_n_m_s=air_n, air_e_m_s=air_e, vn_m_s=vn, ve_m_s=ve,
        vu_m_s=vu if up > 0.0 else 0.0,
        heading_deg=(motion.heading_deg + spin * dt_s) % 360.0, yaw_rate_deg_s=spin,
    )  # fmt: skip
