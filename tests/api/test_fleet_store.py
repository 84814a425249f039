"""Vehicles, inspections and flight logs on a real database: each test on SQLite and PostgreSQL."""

import csv
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, inspect
from sqlmodel import Session, select

import api.db
from api import fleet_store
from api.db import connect, migrate
from api.errors import NotFound
from api.fleet_store import Conflict, Saved
from api.models import FlightLogRow
from core.clock import FakeClock
from fleet.errors import UnknownVehicle
from fleet.flightlog import JST, FlightLog, FlightResult
from fleet.registry import InvalidRecord, Sprayer, SprayerKind
from tests.fleet.test_flightlog import FLIGHT_ID, TAKEOFF, flight_log
from tests.fleet.test_registry import inspection, sprayer_drone

REG = "JU0123456789"
OTHER = "JUABCDEFGHIJ"


def flight(n: int, **changes: object) -> FlightLog:
    """The n-th of a series of flights, one a day from 2 June (Japan time)."""
    at = TAKEOFF + timedelta(days=n)
    fields: dict[str, object] = {
        "flight_id": f"{FLIGHT_ID[:-2]}{n:02d}",
        "flight_date": date(2026, 6, 2) + timedelta(days=n),
        "takeoff_at": at,
        "landing_at": at + timedelta(seconds=754),
        "anomalies": (),
    }
    return flight_log(**(fields | changes))


def count_logs(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(FlightLogRow)).one()


def test_a_vehicle_comes_back_as_it_went_in(engine: Engine) -> None:
    drone = sprayer_drone()
    fleet_store.add_vehicle(engine, drone)
    assert fleet_store.get_vehicle(engine, REG) == drone
    sim = sprayer_drone(registration="SIM-DEMO", sprayer=Sprayer.parse("ardupilot"))
    fleet_store.add_vehicle(engine, sim)
    assert fleet_store.list_vehicles(engine) == [drone, sim]


def test_a_registration_is_registered_once(engine: Engine) -> None:
    fleet_store.add_vehicle(engine, sprayer_drone())
    with pytest.raises(Conflict, match=f"{REG} is already registered"):
        fleet_store.add_vehicle(engine, sprayer_drone(model="Other"))
    with pytest.raises(UnknownVehicle, match=OTHER):
        fleet_store.get_vehicle(engine, OTHER)


def test_an_update_is_validated_as_a_whole_and_refused_entirely(engine: Engine) -> None:
    fleet_store.add_vehicle(engine, sprayer_drone())
    clock = FakeClock(TAKEOFF)
    changed = fleet_store.update_vehicle(
        engine, REG, {"tank_l": 16.0, "system_id": 7, "notes": "new pump"}, clock=clock
    )
    assert fleet_store.get_vehicle(engine, REG) == changed
    assert (changed.tank_l, changed.system_id, changed.notes) == (16.0, 7, "new pump")
    with pytest.raises(InvalidRecord, match="needs a tank"):
        fleet_store.update_vehicle(engine, REG, {"tank_l": 0.0})
    assert fleet_store.get_vehicle(engine, REG).tank_l == 16.0
    with pytest.raises(ValueError, match="cannot change registration"):
        fleet_store.update_vehicle(engine, REG, {"registration": OTHER})
    with pytest.raises(UnknownVehicle):
        fleet_store.update_vehicle(engine, OTHER, {"notes": "x"})


def test_a_retired_vehicle_keeps_its_logs_and_leaves_the_list(engine: Engine) -> None:
    fleet_store.add_vehicle(engine, sprayer_drone())
    fleet_store.save_flight_log(engine, flight(1))
    with pytest.raises(Conflict, match=r"1 flight logs and 0 inspections.*retire it instead"):
        fleet_store.remove_vehicle(engine, REG)
    retired = fleet_store.retire_vehicle(engine, REG, clock=FakeClock(TAKEOFF))
    assert retired.retired_at == TAKEOFF
    assert fleet_store.retire_vehicle(engine, REG) == retired
    assert fleet_store.list_vehicles(engine) == []
    assert fleet_store.list_vehicles(engine, include_retired=True) == [retired]
    assert fleet_store.get_vehicle(engine, REG).retired
    assert [log.flight_id for log in fleet_store.list_flight_logs(engine)] == [flight(1).flight_id]


def test_an_unused_vehicle_can_be_removed(engine: Engine) -> None:
    fleet_store.add_vehicle(engine, sprayer_drone())
    fleet_store.remove_vehicle(engine, REG)
    assert fleet_store.list_vehicles(engine, include_retired=True) == []
    with pytest.raises(UnknownVehicle):
        fleet_store.remove_vehicle(engine, REG)


def test_a_flight_log_comes_back_as_it_went_in(engine: Engine) -> None:
    fleet_store.add_vehicle(engine, sprayer_drone())
    log = flight_log(takeoff_at=TAKEOFF.astimezone(JST))  # stored in UTC, the same instant
    assert fleet_store.save_flight_log(engine, log) is Saved.CREATED
    back = fleet_store.get_flight_log(engine, FLIGHT_ID)
    assert back == log
    assert back.takeoff_at is not None
    assert back.takeoff_at.tzinfo is not None
    assert back.anomalies[0].text == "GPS glitch"
    with pytest.raises(NotFound, match="no flight log"):
        fleet_store.get_flight_log(engine, FLIGHT_ID[:-1] + "0")


def test_saving_the_same_log_again_does_not_duplicate_it(engine: Engine) -> None:
    fleet_store.add_vehicle(engine, sprayer_drone())
    assert fleet_store.save_flight_log(engine, flight_log()) is Saved.CREATED
    assert fleet_store.save_flight_log(engine, flight_log()) is Saved.UNCHANGED
    assert count_logs(engine) == 1


def test_a_snapshot_is_replaced_by_the_finished_log_and_never_the_reverse(engine: Engine) -> None:
    fleet_store.add_vehicle(engine, sprayer_drone())
    snapshot = flight_log(result=FlightResult.IN_PROGRESS, landing=None, landing_at=None)
    assert fleet_store.save_flight_log(engine, snapshot) is Saved.CREATED
    assert fleet_store.save_flight_log(engine, flight_log()) is Saved.REPLACED
    assert fleet_store.save_flight_log(engine, snapshot) is Saved.UNCHANGED
    assert fleet_store.get_flight_log(engine, FLIGHT_ID) == flight_log()
    assert count_logs(engine) == 1


def test_a_different_finished_log_under_the_same_id_is_refused(engine: Engine) -> None:
    fleet_store.add_vehicle(engine, sprayer_drone())
    fleet_store.save_flight_log(engine, flight_log())
    with pytest.raises(Conflict, match="kept as it was"):
        fleet_store.save_flight_log(engine, flight_log(result=FlightResult.CRASHED))
    assert fleet_store.get_flight_log(engine, FLIGHT_ID).result is FlightResult.COMPLETED


def test_a_log_must_name_a_registered_vehicle_and_a_stored_inspection(engine: Engine) -> None:
    with pytest.raises(UnknownVehicle, match=REG):
        fleet_store.save_flight_log(engine, flight_log())
    fleet_store.add_vehicle(engine, sprayer_drone())
    with pytest.raises(NotFound, match="no inspection"):
        fleet_store.save_flight_log(engine, flight_log(inspection_id="nope"))
    assert count_logs(engine) == 0


def test_logs_are_filtered_by_vehicle_and_flight_date(engine: Engine) -> None:
    fleet_store.add_vehicle(engine, sprayer_drone())
    fleet_store.add_vehicle(engine, sprayer_drone(registration=OTHER))
    for n in (3, 1, 2):
        fleet_store.save_flight_log(engine, flight(n))
    fleet_store.save_flight_log(engine, flight(4, registration=OTHER))

    def ids(**filters: object) -> list[str]:
        return [log.flight_id[-2:] for log in fleet_store.list_flight_logs(engine, **filters)]  # type: ignore[arg-type]

    assert ids() == ["01", "02", "03", "04"]
    assert ids(registration=OTHER) == ["04"]
    assert ids(date_from=date(2026, 6, 4), date_to=date(2026, 6, 5)) == ["02", "03"]
    assert ids(registration=REG, date_from=date(2026, 6, 5)) == ["03"]
    assert ids(date_to=date(2026, 6, 1)) == []


def test_export_writes_the_chosen_logs_with_their_vehicle(engine: Engine, tmp_path: Path) -> None:
    fleet_store.add_vehicle(engine, sprayer_drone())
    for n in (1, 2):
        fleet_store.save_flight_log(engine, flight(n))
    path = tmp_path / "journal.csv"
    assert fleet_store.export_flight_logs_csv(engine, path, date_from=date(2026, 6, 4)) == 1
    with path.open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["飛行年月日"] == "2026/06/04"
    assert row["種類及び型式"].endswith("Tanbo S10")
    assert row["flight_id"] == flight(2).flight_id


def test_inspections_are_stored_listed_and_found_by_day(engine: Engine) -> None:
    fleet_store.add_vehicle(engine, sprayer_drone())
    morning = inspection()
    clock = FakeClock(datetime(2026, 6, 1, 0, 0, tzinfo=UTC))
    assert fleet_store.save_inspection(engine, morning, clock=clock) is Saved.CREATED
    assert fleet_store.save_inspection(engine, morning) is Saved.UNCHANGED
    clock.advance(3600)
    noon = inspection(remarks="after the battery swap")
    fleet_store.save_inspection(engine, noon, clock=clock)
    fleet_store.save_inspection(engine, inspection(inspected_on=date(2026, 6, 2)))
    assert fleet_store.get_inspection(engine, morning.id) == morning
    assert fleet_store.inspection_of_day(engine, REG, date(2026, 6, 1)) == noon
    assert fleet_store.inspection_of_day(engine, REG, date(2026, 5, 31)) is None
    assert len(fleet_store.list_inspections(engine, registration=REG)) == 3
    assert len(fleet_store.list_inspections(engine, date_from=date(2026, 6, 2))) == 1
    with pytest.raises(Conflict):
        fleet_store.save_inspection(engine, replace(morning, remarks="edited"))
    with pytest.raises(UnknownVehicle):
        fleet_store.save_inspection(engine, inspection(registration=OTHER))
    with pytest.raises(NotFound):
        fleet_store.get_inspection(engine, "nope")


def test_a_log_refers_to_the_days_inspection(engine: Engine) -> None:
    fleet_store.add_vehicle(engine, sprayer_drone())
    checked = inspection()
    fleet_store.save_inspection(engine, checked)
    fleet_store.save_flight_log(engine, flight_log(inspection_id=checked.id))
    assert fleet_store.get_flight_log(engine, FLIGHT_ID).inspection_id == checked.id
    with pytest.raises(Conflict, match="1 flight logs and 1 inspections"):
        fleet_store.remove_vehicle(engine, REG)


def test_sprayer_kinds_survive_the_round_trip(engine: Engine) -> None:
    for n, spec in enumerate(("none", "ardupilot", "servo:10:2000:1000")):
        sprayer = Sprayer.parse(spec)
        tank = 0.0 if sprayer.kind is SprayerKind.NONE else 8.0
        drone = sprayer_drone(registration=f"SIM-{n}", sprayer=sprayer, tank_l=tank)
        fleet_store.add_vehicle(engine, drone)
        assert fleet_store.get_vehicle(engine, drone.registration).sprayer == sprayer


def test_migration_0002_goes_down_and_up_again(database_url: str) -> None:
    engine = connect(database_url)
    migrate(engine)
    config = Config()
    config.set_main_option("script_location", str(Path(api.db.__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert {"vehicle", "flight_log", "inspection"}.isdisjoint(inspect(engine).get_table_names())
    migrate(engine)
    assert {"vehicle", "flight_log", "inspection"} <= set(inspect(engine).get_table_names())
    fleet_store.add_vehicle(engine, sprayer_drone())
    engine.dispose()
