"""Pre-flight checks: everything that must hold before a mission starts, each by name.

The checks are pure: :func:`check` takes the facts a :class:`~fleet.flight.Flight`
gathered from the vehicle and the plan and returns one :class:`Check` per rule, so
an operator sees every failure at once, not the first one only.

>>> from dataclasses import replace
>>> facts = Facts(link_age_s=0.4, gps_fix=3, satellites=12, prearm_ok=True,
...               battery_pct=96.0, needed_battery_pct=41.0, mission_verified=True,
...               fence_verified=True, registration="JU0123456789",
...               distance_from_home_m=1.2)
>>> [c.name for c in check(facts) if not c.ok]
[]
>>> failed = check(replace(facts, gps_fix=1, battery_pct=30.0))
>>> for c in failed:
...     if not c.ok:
...         print(f"{c.name}: {c.detail}")
gps: GPS has no 3D fix (fix type 1, 12 satellites)
battery: battery 30 % is less than the 41 % the plan needs
"""

from dataclasses import dataclass

from fleet.errors import PreflightFailed

__all__ = ["HOME_TOLERANCE_M", "LINK_FRESH_S", "Check", "Facts", "check", "require"]

LINK_FRESH_S = 2.0
"""A link counts as alive when the vehicle was heard this recently."""
HOME_TOLERANCE_M = 30.0
"""How far the vehicle may stand from the plan's home: the autopilot takes off where it
stands, so the first leg would otherwise start somewhere the plan never checked."""
MIN_SATELLITES = 6


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """What is known just before take-off. None means "does not apply"."""

    link_age_s: float | None
    gps_fix: int
    satellites: int | None
    prearm_ok: bool | None
    battery_pct: float | None
    needed_battery_pct: float
    mission_verified: bool
    fence_verified: bool | None
    registration: str | None
    distance_from_home_m: float | None
    spray_enabled: bool | None = None
    fence_enabled: bool | None = None
    pump_needed_pct: float | None = None
    inspection: str | None = None
    """The day's inspection (日常点検): "passed", "failed", "missing"; None: not asked
    (a simulator)."""
    armed: bool = False


@dataclass(frozen=True, slots=True)
class Check:
    """One named check and how it went."""

    name: str
    ok: bool
    detail: str


def check(facts: Facts) -> list[Check]:
    """Every pre-flight check on ``facts``, in the order an operator reads them."""
    f = facts
    out: list[Check] = []

    def add(name: str, ok: bool, good: str, bad: str) -> None:
        out.append(Check(name, ok, good if ok else bad))

    age = f.link_age_s
    add(
        "link",
        age is not None and age <= LINK_FRESH_S,
        f"heard {age or 0:.1f} s ago",
        "vehicle not heard" if age is None else f"vehicle last heard {age:.1f} s ago",
    )
    sats = "no" if f.satellites is None else str(f.satellites)
    add(
        "gps",
        f.gps_fix >= 3 and (f.satellites is None or f.satellites >= MIN_SATELLITES),
        f"3D fix, {sats} satellites",
        f"GPS has no 3D fix (fix type {f.gps_fix}, {sats} satellites)"
        if f.gps_fix < 3
        else f"only {sats} satellites (at least {MIN_SATELLITES} wanted)",
    )
    add(
        "prearm",
        f.prearm_ok is not False,
        "autopilot pre-arm checks pass",
        "the autopilot's pre-arm checks do not pass yet (see its PreArm messages)",
    )
    battery = f.battery_pct
    add(
        "battery",
        battery is not None and battery >= f.needed_battery_pct,
        f"battery {battery or 0:.0f} %, the plan needs {f.needed_battery_pct:.0f} %",
        "battery level unknown"
        if battery is None
        else f"battery {battery:.0f} % is less than the "
        f"{f.needed_battery_pct:.0f} % the plan needs",
    )
    add("mission", f.mission_verified, "mission uploaded and read back", "mission not verified")
    if f.fence_verified is not None:
        add("fence", f.fence_verified, "fence uploaded and read back", "fence not verified")
    if f.fence_enabled is not None:
        add("fence_enabled", f.fence_enabled, "fence enabled", "the fence is not enabled")
    add(
        "registration",
        f.registration is not None,
        f"vehicle {f.registration}",
        "vehicle not in the registry (tanbo vehicles add)",
    )
    if f.inspection is not None:
        add(
            "inspection",
            f.inspection == "passed",
            "today's daily inspection (日常点検) passed",
            "no daily inspection (日常点検) recorded today: tanbo vehicles inspect"
            if f.inspection == "missing"
            else "today's daily inspection (日常点検) found an item not ok",
        )
    distance = f.distance_from_home_m
    add(
        "home",
        distance is not None and distance <= HOME_TOLERANCE_M,
        f"{distance or 0:.1f} m from the plan's home",
        "vehicle position unknown"
        if distance is None
        else f"vehicle stands {distance:.0f} m from the plan's home "
        f"(at most {HOME_TOLERANCE_M:g} m)",
    )
    if f.spray_enabled is not None:
        add(
            "sprayer",
            f.spray_enabled,
            "sprayer enabled (SPRAY_ENABLE=1)",
            "the plan sprays but the sprayer is disabled (SPRAY_ENABLE=0)",
        )
    if f.pump_needed_pct is not None:
        add(
            "rate",
            f.pump_needed_pct <= 100.0,
            f"the plan's L/ha needs {f.pump_needed_pct:.0f} % of the pump",
            f"the plan's L/ha needs {f.pump_needed_pct:.0f} % of the pump: fly slower, "
            "or plan a wider swath or a lower rate",
        )
    add("disarmed", not f.armed, "disarmed", "the vehicle is already armed")
    return out


def require(checks: list[Check]) -> None:
    """Raise :class:`PreflightFailed` naming every failed check.

    Raises
    ------
    PreflightFailed
        One or more checks failed; ``check`` is the first one's name.
    """
    failed = [c for c in checks if not c.ok]
    if failed:
        text = "; ".join(f"{c.name}: {c.detail}" for c in failed)
        raise PreflightFailed(f"pre-flight check failed — {text}", check=failed[0].name)
