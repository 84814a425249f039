"""The demo's flight: the planned spray mission flown on a simulated copter, end to end.

A simulated ArduPilot Copter (:mod:`sim`) stands on the plan's home, on a free TCP port,
with a ground crew that refills the tank and swaps the battery between sorties. Tanbo
flies it exactly as ``tanbo fly`` does (:mod:`api.flight_ops`): upload and read back,
pre-flight checks, arm, AUTO, sortie after sortie, flight logs to the database and the
CSV. Only the simulator is the demo's own; everything that talks to it is what flies a
real drone.
"""

import threading
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from api import fleet_store
from api.config import Settings
from api.flight_ops import FlyJob, Pilot, first_checks, fly_sorties
from api.flying import load_flight_file, sorties_of
from fleet.events import EventKind, VehicleEvent
from fleet.flight import FlightOptions
from fleet.link import Link
from fleet.registry import Sprayer, SprayerKind, VehicleRecord
from sim import Airframe, SimConfig
from sim.background import BackgroundSim
from sim.cluster import SimCluster

__all__ = ["DEMO_VEHICLE", "SPEEDUP", "fly_demo"]

SPEEDUP = 60.0
"""Simulated seconds per wall second: a 17-minute job in well under a minute."""
GROUND_CREW_S = 30.0
"""Simulated seconds the crew takes to refill the tank and swap the battery."""
PUMP_L_MIN = 16.0
"""The simulated sprayer's pump at full output, as a 10–20 L class spraying drone's."""

DEMO_VEHICLE = VehicleRecord(
    registration="SIM-DEMO-1",
    model="Tanbo SIM 10 L sprayer",
    maker="Tanbo (simulator)",
    max_takeoff_weight_kg=24.9,
    max_payload_kg=10.0,
    tank_l=10.0,
    pump_max_l_min=PUMP_L_MIN,
    battery_mah=22000,
    battery_cells=12,
    sprayer=Sprayer(kind=SprayerKind.ARDUPILOT_SPRAYER),
    notes="The demo's simulated copter: not a real aircraft.",
)


def fly_demo(engine: Engine, settings: Settings, out: Console, plan: Path) -> None:
    """Fly ``plan`` on a simulated copter and print what happened."""
    flight_file = load_flight_file(plan)
    home = flight_file.mission.home
    if not any(v.registration == DEMO_VEHICLE.registration for v in _vehicles(engine)):
        fleet_store.add_vehicle(engine, DEMO_VEHICLE)
    config = SimConfig(
        port=0, home_lat_deg=home.lat_deg, home_lon_deg=home.lon_deg, speedup=SPEEDUP,
        ground_crew_s=GROUND_CREW_S, airframe=Airframe(pump_max_l_min=PUMP_L_MIN),
    )  # fmt: skip
    sorties = sorties_of(flight_file.mission)
    out.print(
        f"\n[bold]Flying it on a simulated copter[/bold] ({DEMO_VEHICLE.registration}, "
        f"ArduPilot Copter dialect, {SPEEDUP:g}× real time): {len(sorties)} sorties, the "
        f"crew refilling and swapping the battery between them"
    )
    with (
        BackgroundSim(SimCluster(1, config)) as sim,
        Link(f"tcp:127.0.0.1:{sim.cluster.ports[0]}") as link,
    ):
        vehicle = sim.cluster.vehicles[0]

        def on_event(pilot: Pilot, event: VehicleEvent) -> None:
            if event.kind == EventKind.FAILSAFE:
                out.print(f"  [red]failsafe[/red]: {escape(event.detail)}")

        pilot = Pilot(url=link.url, vehicle=DEMO_VEHICLE, link=link, sorties=sorties)
        job = FlyJob(
            engine=engine, flight_file=flight_file, pilot="加西 太郎 (demo pilot)",
            options=FlightOptions(endurance_s=12 * 60.0, reserve_pct=20.0),
            csv_path=settings.data_dir / "flight-logs.csv", turnaround_s=GROUND_CREW_S + 5.0,
            turnaround_max_s=600.0, timeout_s=600.0, say=lambda text: None,
            warn=lambda text: out.print(f"  [red]{escape(text)}[/red]"), on_event=on_event,
        )  # fmt: skip
        first_checks(job, pilot)
        if pilot.error:
            out.print(f"  [red]refused before take-off[/red]: {escape(pilot.error)}")
            return
        assert pilot.flight is not None
        for note in pilot.flight.setup_notes:
            out.print(f"  set up: {escape(note)}")
        checks = pilot.flight.record.checks
        out.print("  checks passed: " + ", ".join(c.name for c in checks))
        fly_sorties(job, pilot, threading.Event())
        capacity = vehicle.config.airframe.tank_capacity_l
        used_l = sim.call(lambda: vehicle.ground_crew.refilled_l + capacity - vehicle.state.tank_l)
    _print_flights(out, pilot, used_l, job.csv_path)


def _vehicles(engine: Engine) -> list[VehicleRecord]:
    return fleet_store.list_vehicles(engine, include_retired=True)


def _print_flights(out: Console, pilot: Pilot, used_l: float, csv_path: Path) -> None:
    total_s = 0.0
    sprayed_m2 = 0.0
    for number, (flight, _log) in enumerate(pilot.done, 1):
        rec = flight.record
        total_s += rec.flight_time_s
        sprayed_m2 += rec.sprayed_m2
        battery = ""
        if rec.battery_start_pct is not None and rec.battery_end_pct is not None:
            battery = f", battery {rec.battery_start_pct:.0f} → {rec.battery_end_pct:.0f} %"
        out.print(
            f"  sortie {number}: {rec.outcome.value}, {rec.flight_time_s / 60:.1f} min, "
            f"{rec.distance_m:,.0f} m, sprayed {rec.sprayed_m2 / 10_000:.3f} ha{battery}"
        )
        for anomaly in rec.anomalies:
            out.print(f"    [yellow]![/yellow] {escape(anomaly.text)}")
    if pilot.error:
        out.print(f"  [red]{escape(pilot.error)}[/red]")
    logs = [log for _, log in pilot.done if log is not None]
    out.print(
        f"  in all: {len(pilot.done)} flights, {total_s / 60:.1f} min in the air, "
        f"{sprayed_m2 / 10_000:.3f} ha sprayed, {used_l:.1f} L used; "
        f"{len(logs)} flight logs (飛行日誌) in the database and {escape(str(csv_path))}"
    )
