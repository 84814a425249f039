"""Drone delivery dispatch: OR-tools (``logistics.dispatch``) beside the greedy baseline.

Three solvers run in this process on the same scenarios: the greedy baseline
(:func:`logistics.greedy.dispatch_greedy`: earliest deadline first, each request to the
vehicle that drops it soonest), OR-tools stopped at its first local optimum
(``search_s=None``: deterministic unless the first solve reaches
``logistics.dispatch.FIRST_SOLVE_CAP_S``) and OR-tools with 2 s of guided local search from
that optimum (``search_s=2.0``). Every plan is checked with the tests' invariant checker
(``tests.logistics.checks.assert_valid_dispatch``: windows, holds, the cold chain and the
insulated box, payload, reserve, the release method, the vehicle's own depot, the no-fly
zones); a plan that fails is reported as INVALID in the table.

The scenarios are **generated**, not recorded (seeded ``random.Random``, seed 20261207 plus
the number of requests, so a size's requests are the same with and without the hold):

- depots: Kasai city hall (34.9283 N, 134.8414 E; spare batteries, 5 min swap) and, for the
  larger sizes, a second depot 6.4 km north-west that recharges its drones' own batteries
  (60 min for a full charge, pro rata of the energy used), and for the largest a third 6.4 km
  south-east with spare batteries;
- two no-fly zones: a hospital helipad (600 m square, 2 km north of the hall, 30 m buffer)
  and an airfield (1.6 × 0.8 km, 3.5 km east and 2.5 km south of the hall);
- drop points, about two for every three requests, each 1–8 km from a depot picked at
  random, at a random bearing, never inside a no-fly zone: 70 % gardens with a winch, 20 %
  clinics (land or winch), 10 % community centres (land only);
- vehicles, alternately: a large insulated drone (2.5 kg, 40 min endurance, 15 m/s, winch and
  land) and a small plain one (2.0 kg, 30 min, 12 m/s, winch only), spread over the depots,
  each ready at the start or within the next 20 min (back from a flight);
- requests, one parcel each, 0.2–2.5 kg, 20 % cool (2–8 °C, insulated box only, at most 45
  min in the air); 60 % as soon as possible (made in the last hour), 40 % with a window of
  30–90 min opening within the next 4 h (booked the day before);
- with "hold": one weather hold, 40 min from 45 min after the start.

Figures per solver: requests served, late ones (a windowed request not dropped in its window,
or an as-soon-as-possible one dropped more than :data:`LATE_ASAP_MIN` after it was made, or
not at all), the total flight distance, their delay (drop time minus the request time, or
minus the window's opening for a windowed request: ``DispatchPlan.delay_s``) in total, mean
and 90th percentile, the total time in the air, and the solver's wall time (its call, the
routes round the no-fly zones and the planner's flight plans included). Ratios are
OR-tools ÷ greedy in the same run. A total delay ratio means most when both served the same
number of requests; the mean delay is there for when they do not. Under the table, the
requests each solver left out, by reason.

    .venv/bin/python bench/dispatch.py [--quick] [--markdown]
"""

import argparse
import math
import os
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on the path: look in the repository
# (bench/ holds scripts, not packages; a script's name must not hide one).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from core import GeoPoint, ZoneId  # noqa: E402
from fields import Restriction, ZoneKind, ZoneRecord, local_crs_for  # noqa: E402
from logistics import (  # noqa: E402
    DeliveryRequest,
    DeliveryVehicle,
    Depot,
    DispatchPlan,
    DispatchRules,
    DropPoint,
    DropPointKind,
    Hold,
    Item,
    Places,
    Recipient,
    TemperatureClass,
    TimeWindow,
    VehicleState,
    dispatch,
    local_point,
)
from logistics.greedy import dispatch_greedy  # noqa: E402
from mission_planner import PayloadRelease  # noqa: E402
from tests.logistics.checks import assert_valid_dispatch  # noqa: E402

SEED = 20261207
CITY_HALL = GeoPoint(lat_deg=34.9283, lon_deg=134.8414)
NOW = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # 09:00 in Kasai
M_PER_DEG_LAT = 110_950.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(CITY_HALL.lat_deg))
CRS = local_crs_for(CITY_HALL.lon_deg, CITY_HALL.lat_deg)
RULES = DispatchRules()
SEARCH_S = 2.0
LATE_ASAP_MIN = 120.0
"""An as-soon-as-possible parcel dropped later than this after it was asked for is late."""


def offset(east_m: float, north_m: float, base: GeoPoint = CITY_HALL) -> GeoPoint:
    """A point so many metres east and north of ``base`` (flat-earth, fine for a few km)."""
    return GeoPoint(
        lat_deg=base.lat_deg + north_m / M_PER_DEG_LAT,
        lon_deg=base.lon_deg + east_m / M_PER_DEG_LON,
    )


def rectangle(centre: GeoPoint, half_east_m: float, half_north_m: float) -> shapely.Polygon:
    dx, dy = half_east_m / M_PER_DEG_LON, half_north_m / M_PER_DEG_LAT
    return shapely.box(centre.lon_deg - dx, centre.lat_deg - dy, centre.lon_deg + dx,
                       centre.lat_deg + dy)  # fmt: skip


HALL = Depot(id="HALL", name="Kasai city hall", location=CITY_HALL, battery_swap_s=300.0)
NORTH_WEST = Depot(id="NW", name="north-west clinic", location=offset(-4500, 4500),
                   battery_swap_s=None)  # fmt: skip
SOUTH_EAST = Depot(id="SE", name="south-east community centre", location=offset(5000, -4000),
                   battery_swap_s=300.0)  # fmt: skip
ZONES = (
    ZoneRecord(id=ZoneId("NF-HOSPITAL"), kind=ZoneKind.HOSPITAL, restriction=Restriction.NO_FLY,
               name="hospital helipad", geometry=rectangle(offset(0, 2000), 300, 300),
               buffer_m=30.0),
    ZoneRecord(id=ZoneId("NF-AIRFIELD"), kind=ZoneKind.AIRPORT, restriction=Restriction.NO_FLY,
               name="airfield", geometry=rectangle(offset(3500, -2500), 800, 400)),
)  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    name: str
    requests: list[DeliveryRequest]
    vehicles: list[VehicleState]
    places: Places
    holds: list[Hold]


def vehicle(vehicle_id: str, depot_id: str, *, large: bool) -> DeliveryVehicle:
    if large:
        return DeliveryVehicle(
            id=vehicle_id, depot_id=depot_id, payload_kg=2.5, box_cm=(40, 30, 25), empty_kg=9.0,
            endurance_min=40.0, speed_m_s=15.0, cruise_altitude_m=60.0,
            releases=(PayloadRelease.WINCH, PayloadRelease.LAND), insulated=True,
        )  # fmt: skip
    return DeliveryVehicle(
        id=vehicle_id, depot_id=depot_id, payload_kg=2.0, box_cm=(30, 25, 20), empty_kg=6.0,
        endurance_min=30.0, speed_m_s=12.0, cruise_altitude_m=60.0,
        releases=(PayloadRelease.WINCH,), insulated=False,
    )  # fmt: skip


def drop_points(rng: random.Random, n: int, depots: Sequence[Depot]) -> dict[str, DropPoint]:
    no_fly = [z.buffer(50.0) for z in Places(depots={}, drop_points={}, zones=ZONES,
                                             crs=CRS).no_fly()]  # fmt: skip
    found: dict[str, DropPoint] = {}
    while len(found) < n:
        depot = rng.choice(depots)
        distance, bearing = rng.uniform(1000, 8000), rng.uniform(0, 2 * math.pi)
        where = offset(distance * math.sin(bearing), distance * math.cos(bearing), depot.location)
        here = shapely.Point(local_point((where.lon_deg, where.lat_deg), CRS))
        if any(z.intersects(here) for z in no_fly):
            continue
        kind = rng.random()
        releases: tuple[PayloadRelease, ...]
        if kind < 0.7:
            what, releases = DropPointKind.GARDEN, (PayloadRelease.WINCH,)
        elif kind < 0.9:
            what, releases = DropPointKind.CLINIC, (PayloadRelease.LAND, PayloadRelease.WINCH)
        else:
            what, releases = DropPointKind.COMMUNITY_CENTRE, (PayloadRelease.LAND,)
        drop_id = f"D{len(found):03d}"
        found[drop_id] = DropPoint(id=drop_id, name=f"drop {drop_id}", location=where, kind=what,
                                   releases=releases, clear_radius_m=6.0)  # fmt: skip
    return found


def request(rng: random.Random, k: int, drop_ids: Sequence[str]) -> DeliveryRequest:
    weight = round(rng.uniform(0.2, 2.5), 2)
    cool = rng.random() < 0.2
    window = None
    if rng.random() < 0.4:
        length = rng.uniform(30, 90)
        opens = NOW + timedelta(minutes=rng.uniform(0, 240 - length))
        window = TimeWindow(earliest=opens, latest=opens + timedelta(minutes=length))
        asked = NOW - timedelta(hours=rng.uniform(12, 24))
    else:
        asked = NOW - timedelta(minutes=rng.uniform(0, 60))
    size = (20, 15, 10) if weight <= 1.5 else (25, 20, 15)
    temperature = TemperatureClass.COOL if cool else TemperatureClass.AMBIENT
    name = "medicine" if cool or rng.random() < 0.7 else "food"
    item = Item(name=name, weight_kg=weight, size_cm=size, temperature=temperature)
    return DeliveryRequest(
        id=f"R{k:03d}", pharmacy_id=f"P{rng.randrange(4)}", items=(item,),
        recipient=Recipient(resident_id=f"resident-{k:03d}"), drop_point_id=rng.choice(drop_ids),
        requested_at=asked, window=window,
    )  # fmt: skip


def scenario(n_requests: int, n_vehicles: int, n_depots: int, *, hold: bool) -> Scenario:
    rng = random.Random(SEED + n_requests)
    depots = [HALL, NORTH_WEST, SOUTH_EAST][:n_depots]
    drops = drop_points(rng, max(6, 2 * n_requests // 3), depots)
    fleet = [
        VehicleState(
            vehicle=vehicle(f"V{i:02d}", depots[(i // 2) % n_depots].id, large=i % 2 == 0),
            ready_at=NOW + timedelta(minutes=rng.choice([0, 0, 0, rng.uniform(0, 20)])),
        )
        for i in range(n_vehicles)
    ]
    drop_ids = sorted(drops)
    requests = [request(rng, k, drop_ids) for k in range(n_requests)]
    places = Places(depots={d.id: d for d in depots}, drop_points=drops, zones=ZONES, crs=CRS)
    gusts = Hold(start=NOW + timedelta(minutes=45), end=NOW + timedelta(minutes=85),
                 reason="gusts over 10 m/s")  # fmt: skip
    holds = [gusts] if hold else []
    name = f"{n_requests} req / {n_vehicles} veh / {n_depots} depot{'s' * (n_depots > 1)}"
    return Scenario(name=name + (" + hold" if hold else ""), requests=requests, vehicles=fleet,
                    places=places, holds=holds)  # fmt: skip


@dataclass(frozen=True)
class Figures:
    served: int
    delay_total_min: float
    delay_mean_min: float
    delay_p90_min: float
    flight_h: float
    wall_s: float
    problem: str | None
    """None when the plan passed every check."""
    late_windows: int
    late: int
    """Windowed requests not served, and as-soon-as-possible ones served late or not at all."""
    flight_km: float
    why_unserved: dict[str, int]
    """How many requests were left out for each reason (its first words)."""


def _problems(plan: DispatchPlan, s: Scenario) -> str | None:
    try:
        assert_valid_dispatch(plan, s.requests, s.vehicles, s.places, now=NOW, holds=s.holds,
                              rules=RULES)  # fmt: skip
    except AssertionError as error:
        return f"assert_valid_dispatch: {error or 'an invariant failed'}"
    return None


def measure(solve: Callable[[Scenario], DispatchPlan], s: Scenario) -> Figures:
    started = time.perf_counter()
    plan = solve(s)
    wall = time.perf_counter() - started
    asked = {r.id: r.window.earliest if r.window else r.requested_at for r in s.requests}
    delays = [(t.drop_at - asked[t.request_id]).total_seconds() / 60 for t in plan.trips]
    windowed = {r.id for r in s.requests if r.window is not None}
    return Figures(
        served=len(plan.trips),
        delay_total_min=plan.delay_s(asked) / 60,
        delay_mean_min=float(np.mean(delays)) if delays else math.nan,
        delay_p90_min=float(np.percentile(delays, 90)) if delays else math.nan,
        flight_h=plan.flight_s / 3600,
        wall_s=wall,
        problem=_problems(plan, s),
        late_windows=sum(1 for u in plan.unassigned if u.request_id in windowed),
        late=len(plan.unassigned)
        + sum(
            1
            for t in plan.trips
            if t.request_id not in windowed
            and (t.drop_at - asked[t.request_id]).total_seconds() / 60 > LATE_ASAP_MIN
        ),
        flight_km=sum(float(t.plan.stats["distance_m"]) for t in plan.trips) / 1000,
        why_unserved=dict(Counter(_reason(u.reason) for u in plan.unassigned)),
    )


def _reason(reason: str) -> str:
    """A reason without its per-vehicle details: "no vehicle can carry it (V00: …)"."""
    return reason.split(" (", 1)[0].split(":", 1)[0]


SOLVERS: list[tuple[str, Callable[[Scenario], DispatchPlan]]] = [
    ("greedy (baseline)",
     lambda s: dispatch_greedy(s.requests, s.vehicles, s.places, now=NOW, holds=s.holds,
                               rules=RULES)),
    ("OR-tools, first local optimum",
     lambda s: dispatch(s.requests, s.vehicles, s.places, now=NOW, holds=s.holds, rules=RULES,
                        search_s=None)),
    (f"OR-tools, + {SEARCH_S:g} s GLS",
     lambda s: dispatch(s.requests, s.vehicles, s.places, now=NOW, holds=s.holds, rules=RULES,
                        search_s=SEARCH_S)),
]  # fmt: skip

HEADER = ("scenario", "solver", "served", "late", "windowed unserved", "delay total min",
          "delay mean min", "delay p90 min", "flight km", "flight h", "wall s", "served ÷ greedy",
          "delay ÷ greedy", "checks")  # fmt: skip


def row(s: Scenario, solver: str, f: Figures, base: Figures) -> tuple[str, ...]:
    greedy = f is base
    return (
        s.name, solver, f"{f.served}/{len(s.requests)}", f"{f.late}", f"{f.late_windows}",
        f"{f.delay_total_min:,.0f}", f"{f.delay_mean_min:.1f}", f"{f.delay_p90_min:.1f}",
        f"{f.flight_km:,.0f}", f"{f.flight_h:.2f}", f"{f.wall_s:.2f}",
        "1.00" if greedy else f"{f.served / base.served:.2f}" if base.served else "—",
        "1.00" if greedy else f"{f.delay_total_min / base.delay_total_min:.2f}"
        if base.delay_total_min else "—",
        "ok" if f.problem is None else "INVALID",
    )  # fmt: skip


def print_table(rows: list[tuple[str, ...]], markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(HEADER) + " |")
        print("|---|---|" + "---:|" * (len(HEADER) - 3) + "---|")
        for cells in rows:
            print("| " + " | ".join(cells) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADER)]
    for cells in (HEADER, *rows):
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(cells, widths, strict=True))))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smallest size only (CI smoke)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    sizes = [(20, 2, 1)] if args.quick else [(20, 2, 1), (60, 6, 2), (120, 10, 2), (200, 20, 3)]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; Python "
          f"{sys.version.split()[0]}, ortools {version('ortools')}, shapely "
          f"{shapely.__version__}; load {os.getloadavg()[0]:.2f}")  # fmt: skip
    rows: list[tuple[str, ...]] = []
    invalid: list[str] = []
    unserved: list[str] = []
    for n_requests, n_vehicles, n_depots in sizes:
        for hold in (False, True):
            s = scenario(n_requests, n_vehicles, n_depots, hold=hold)
            figures = [(name, measure(solve, s)) for name, solve in SOLVERS]
            base = figures[0][1]
            for name, f in figures:
                rows.append(row(s, name, f, base))
                if f.problem is not None:
                    invalid.append(f"{s.name}, {name}: {f.problem}")
                if f.why_unserved:
                    why = "; ".join(f"{n} {r}" for r, n in sorted(f.why_unserved.items()))
                    unserved.append(f"{s.name}, {name}: {why}")
            print(f"… {s.name} done", flush=True)
    print_table(rows, args.markdown)
    print("\nLeft out, by reason:" if unserved else "\nNothing left out.")
    for line in unserved:
        print(f"- {line}")
    for line in invalid:
        print(f"!!! INVALID PLAN — {line}")
    if not invalid:
        print("Every plan passed assert_valid_dispatch.")


if __name__ == "__main__":
    main()
