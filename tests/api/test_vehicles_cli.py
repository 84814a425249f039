"""``tanbo vehicles`` and ``tanbo logs`` through typer, on SQLite and on PostgreSQL.

The groups are mounted on a root that sets up the state as ``api.cli``'s root does.
"""

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import pytest
import typer
from pypdf import PdfReader
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from api import fleet_store
from api.config import load_settings
from api.console import State
from api.db import connect
from api.vehicles_cli import logs_app, vehicles_app
from fleet.registry import SprayerKind
from tests.fleet.test_flightlog import FLIGHT_ID, flight_log
from tests.fleet.test_registry import inspection, sprayer_drone

REG = "JU0123456789"
ADD = ["vehicles", "add", REG, "--model", "Tanbo S10", "--mtow-kg", "24.9",
       "--battery-mah", "16000", "--cells", "12", "--tank-l", "10",
       "--sprayer", "servo:9:1900:1100",
       "--sysid", "1",
       "--connect", "tcp:127.0.0.1:5760"]  # fmt: skip


Tanbo = Callable[..., Result]
"""Runs ``tanbo ARGS…`` against this test's database."""


def app_for(tmp_path: Path) -> typer.Typer:
    root = typer.Typer(pretty_exceptions_enable=False)

    @root.callback()
    def _root(
        ctx: typer.Context, database_url: Annotated[str, typer.Option("--database-url")]
    ) -> None:
        state = State(settings=load_settings(data_dir=tmp_path, database_url=database_url))
        ctx.obj = state
        # One process per command in real use; here the engine must go with the command.
        ctx.call_on_close(lambda: state.engine.dispose() if state.engine else None)

    root.add_typer(vehicles_app, name="vehicles")
    root.add_typer(logs_app, name="logs")
    return root


@pytest.fixture
def tanbo(tmp_path: Path, database_url: str) -> Tanbo:
    app = app_for(tmp_path)
    runner = CliRunner()

    def run(*args: str | Path) -> Result:
        return runner.invoke(
            app, ["--database-url", database_url, *map(str, args)], env={"COLUMNS": "250"}
        )

    return run


@pytest.fixture
def store(database_url: str, tanbo: Tanbo) -> Iterator[Engine]:
    """The same database the commands use, migrated by a first command."""
    assert tanbo("vehicles", "list").exit_code == 0
    engine = connect(database_url)
    yield engine
    engine.dispose()


def one_line(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_add_list_show_set_retire(tanbo: Tanbo, store: Engine) -> None:
    added = tanbo(*ADD)
    assert added.exit_code == 0, added.output
    assert f"registered {REG}" in added.stdout
    listed = tanbo("vehicles", "list")
    assert REG in listed.stdout
    assert "servo 9" in listed.stdout
    shown = tanbo("vehicles", "show", REG.lower())
    assert shown.exit_code == 0
    assert "回転翼航空機（マルチローター）" in shown.stdout
    assert "servo:9:1900:1100" in shown.stdout
    changed = tanbo("vehicles", "set", REG, "--tank-l", "16", "--sprayer", "ardupilot")
    assert changed.exit_code == 0, changed.output
    vehicle = fleet_store.get_vehicle(store, REG)
    assert (vehicle.tank_l, vehicle.sprayer.kind) == (16.0, SprayerKind.ARDUPILOT_SPRAYER)
    retired = tanbo("vehicles", "retire", REG)
    assert retired.exit_code == 0
    assert "its flight logs are kept" in retired.stdout
    assert REG not in tanbo("vehicles", "list").stdout
    assert "retired" in tanbo("vehicles", "list", "--all").stdout


def test_a_simulator_vehicle_is_said_not_to_be_registered(tanbo: Tanbo) -> None:
    result = tanbo("vehicles", "add", "sim-demo", "--model", "SITL Copter", "--mtow-kg", "3",
                   "--battery-mah", "5000", "--cells", "4")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "registered SIM-DEMO (simulator: not a real registration)" in result.stdout


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["vehicles", "add", "JU123", "--model", "X", "--mtow-kg", "3", "--battery-mah", "5000",
          "--cells", "4"], ["REGISTRATION", "'JU123'", "JU followed by 10"]),
        ([*ADD[:-6], "--sprayer", "servo:9:1900"], ["--sprayer", "'servo:9:1900'"]),
        ([*ADD, "--payload-kg", "30"], ["--payload-kg", "30 kg is not below"]),
        ([*ADD[:-4], "--sysid", "300"], ["--sysid", "300", "1..255"]),
        ([*ADD[:-2], "--connect", "tcp:nowhere"], ["--connect", "'tcp:nowhere'"]),
        (["logs", "list", "--from", "June"], ["--from", "'June'", "YYYY-MM-DD"]),
        (["logs", "list", "--from", "2026-06-05", "--to", "2026-06-01"], ["--from", "is after"]),
        (["vehicles", "set", REG], ["give at least one option"]),
    ],
)  # fmt: skip
def test_bad_values_exit_2_naming_the_option_and_value(
    tanbo: Tanbo,
    args: list[str],
    names: list[str],
) -> None:
    result = tanbo(*args)
    assert result.exit_code == 2, result.output
    message = one_line(result.stderr)
    for name in names:
        assert name in message
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["vehicles", "show", REG], f"tanbo: no vehicle registered as '{REG}'"),
        (["vehicles", "set", REG, "--notes", "x"], f"tanbo: no vehicle registered as '{REG}'"),
        (["vehicles", "retire", REG], f"tanbo: no vehicle registered as '{REG}'"),
        (["logs", "show", FLIGHT_ID], f"tanbo: no flight log with id '{FLIGHT_ID}'"),
    ],
)
def test_unknown_items_are_one_line_and_exit_2(tanbo: Tanbo, args: list[str], line: str) -> None:
    result = tanbo(*args)
    assert result.exit_code == 2
    assert result.stderr.strip() == line


def test_a_second_add_and_removing_a_flown_vehicle_are_refused(tanbo: Tanbo, store: Engine) -> None:
    assert tanbo(*ADD).exit_code == 0
    again = tanbo(*ADD)
    assert again.exit_code == 2
    assert again.stderr.strip() == f"tanbo: vehicle {REG} is already registered"
    fleet_store.save_flight_log(store, flight_log())
    removed = tanbo("vehicles", "remove", REG)
    assert removed.exit_code == 2
    assert "retire it instead" in removed.stderr


def test_logs_list_show_and_export(tanbo: Tanbo, store: Engine, tmp_path: Path) -> None:
    fleet_store.add_vehicle(store, sprayer_drone())
    fleet_store.save_flight_log(store, flight_log())
    listed = tanbo("logs", "list", "--registration", REG)
    assert listed.exit_code == 0, listed.output
    assert FLIGHT_ID in listed.stdout
    assert "農薬散布" in listed.stdout
    assert "1 flights, 0:12:34 in the air" in listed.stdout
    assert "no flight logs" in tanbo("logs", "list", "--from", "2026-06-03").stdout
    shown = tanbo("logs", "show", FLIGHT_ID)
    assert shown.exit_code == 0, shown.output
    assert "2026-06-02 08:35:00 JST  GPS glitch" in shown.stdout
    assert "2026-06-02 08:30:00 JST" in shown.stdout
    out = tmp_path / "export" / "journal.csv"
    exported = tanbo("logs", "export", "--csv", out, "--to", "2026-06-02")
    assert exported.exit_code == 0, exported.output
    assert f"wrote 1 flight logs to {out}" in one_line(exported.stdout)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["登録記号"], row["離陸時刻"]) == (REG, "08:30:00")
    pdf = tmp_path / "export" / "journal.pdf"
    printed = tanbo("logs", "export", "--pdf", pdf, "--registration", REG)
    assert printed.exit_code == 0, printed.output
    assert f"wrote 1 flight logs to {pdf}" in one_line(printed.stdout)
    (page,) = PdfReader(pdf).pages
    assert REG in page.extract_text().replace("\n", "")
    neither = tanbo("logs", "export", "--to", "2026-06-02")
    assert neither.exit_code == 2
    assert "--csv or --pdf" in one_line(neither.stderr)


def test_a_daily_inspection_is_recorded(tanbo: Tanbo, store: Engine) -> None:
    assert tanbo(*ADD).exit_code == 0
    ok = tanbo("vehicles", "inspect", REG, "--inspector", "加西 花子", "--ok", "all",
               "--date", "2026-06-01", "--place", "北条町")  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert ": passed" in ok.stdout
    (stored,) = fleet_store.list_inspections(store, registration=REG)
    assert stored.passed
    assert {r.item.value for r in stored.results} >= {"propellers", "sprayer"}
    bad = tanbo("vehicles", "inspect", REG, "--inspector", "加西 花子", "--ok", "all",
                "--fail", "propellers:chipped tip", "--date", "2026-06-02")  # fmt: skip
    assert "NOT passed" in bad.stdout
    assert "not ok: propellers (プロペラ) chipped tip" in bad.stdout
    listed = tanbo("vehicles", "inspections", REG)
    assert "NOT passed" in listed.stdout
    assert "propellers" in listed.stdout
    unknown = tanbo("vehicles", "inspect", REG, "--inspector", "x", "--ok", "wings")
    assert unknown.exit_code == 2
    assert "'wings' is not an item" in one_line(unknown.stderr)


def test_inspection_items_must_be_named(tanbo: Tanbo, store: Engine) -> None:
    fleet_store.add_vehicle(store, sprayer_drone())
    fleet_store.save_inspection(store, inspection())
    result = tanbo("vehicles", "inspect", REG, "--inspector", "加西 花子")
    assert result.exit_code == 2
    assert "say what was checked" in one_line(result.stderr)
