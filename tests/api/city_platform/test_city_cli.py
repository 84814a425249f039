"""``tanbo city`` as a user runs it: real processes, a SQLite file, a broker on loopback."""

import json
import socket
from pathlib import Path

import pytest

from api.db import connect, migrate
from tests.api.city_platform.city import City, make_city
from tests.api.city_platform.fake_broker import FakeBroker
from tests.api.test_cli import tanbo


@pytest.fixture
def town(tmp_path: Path) -> City:
    """The small city in the SQLite file ``tanbo`` uses in ``tmp_path``."""
    engine = connect(f"sqlite:///{tmp_path / 'data' / 'tanbo.db'}")
    migrate(engine)
    made = make_city(engine)
    engine.dispose()
    return made


def one_line(result: object) -> str:
    stderr = str(getattr(result, "stderr", ""))
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_bad_input_is_one_line_and_exit_code_2(tmp_path: Path, town: City) -> None:
    unknown = tanbo("city", "consent", "nobody", "--grant", cwd=tmp_path)
    assert unknown.returncode == 2
    assert one_line(unknown) == "tanbo: no account with id 'nobody'"
    no_broker = tanbo("city", "publish", cwd=tmp_path)
    assert no_broker.returncode == 2
    assert "set city_broker_url (TANBO_CITY_BROKER_URL)" in one_line(no_broker)
    bad_prefix = tanbo("city", "publish", "--dry-run", cwd=tmp_path,
                       env={"TANBO_CITY_ID_PREFIX": "two words"})  # fmt: skip
    assert bad_prefix.returncode == 2
    assert one_line(bad_prefix).startswith("tanbo: setting city_id_prefix:")
    undecided = tanbo("city", "consent", town.farmer, cwd=tmp_path)
    assert undecided.returncode == 2
    assert "--grant" in undecided.stderr


def test_a_dry_run_records_to_a_file_and_names_what_was_refused(tmp_path: Path, town: City) -> None:
    out = tmp_path / "city.jsonl"
    first = tanbo("city", "publish", "--dry-run", "--out", out, cwd=tmp_path)
    assert first.returncode == 2, "a field without a crop is refused"
    assert one_line(first) == (
        "refused AgriParcel urn:ngsi-ld:AgriParcel:tanbo:A-2: "
        "attribute 'hasAgriCrop': required by AgriParcel but missing"
    )
    assert (
        "would send 12 entities (AgriCrop 1, AgriParcel 1, AgriParcelRecord 1, Device 6, "
        "DeviceMeasurement 2, FleetVehicleOperation 1): 12 new, 0 already published"
    ) in first.stdout
    assert "skipped 9: 5 no_consent, 2 not_an_account, 1 nothing_measured, 1 simulated" in (
        first.stdout
    )
    sent = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["operation"] for r in sent] == ["upsert"]
    assert len(sent[0]["entities"]) == 12

    withdrawn = tanbo("city", "consent", town.farmer, "--withdraw", cwd=tmp_path)
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "no consent; their entities are deleted at the next publish" in withdrawn.stdout
    second = tanbo("city", "publish", "--dry-run", "--out", out, cwd=tmp_path)
    assert "would send 7 entities" in second.stdout
    assert "0 new, 7 already published" in second.stdout
    assert "would delete urn:ngsi-ld:AgriParcel:tanbo:A-1: consent withdrawn" in second.stdout
    assert second.stderr == "", "A-2 is the withdrawn farmer's: not even checked now"


def test_publish_to_the_citys_broker(tmp_path: Path, town: City, broker: FakeBroker) -> None:
    env = {"TANBO_CITY_BROKER_URL": broker.base_url, "TANBO_CITY_ID_PREFIX": "kasai"}
    granted = tanbo("city", "consent", town.other_resident, "--grant", cwd=tmp_path, env=env)
    assert granted.returncode == 0, granted.stderr
    assert "consents since 20" in granted.stdout
    published = tanbo("city", "publish", cwd=tmp_path, env=env)
    assert published.returncode == 2, "A-2 is refused"
    assert f"{broker.base_url}: sent 13 entities" in published.stdout
    assert len(broker.entities) == 13
    assert all(":kasai:" in i for i in broker.entities)
    assert {len(b) for b in broker.batches} == {13}
    again = tanbo("city", "publish", cwd=tmp_path, env=env)
    assert "0 new, 13 already published" in again.stdout
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = tanbo("city", "publish", cwd=tmp_path,
                 env=env | {"TANBO_CITY_BROKER_URL": f"http://127.0.0.1:{port}"})  # fmt: skip
    assert down.returncode == 1
    assert one_line(down).startswith(f"tanbo: context broker at http://127.0.0.1:{port}")
