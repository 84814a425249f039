"""The NGSI-LD HTTP client against a real (small) broker on a loopback port."""

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from api.city_platform import (
    BrokerError,
    BrokerRefused,
    BrokerUnavailable,
    HttpContextBroker,
    RecordingBroker,
)
from api.city_platform.ngsi import CORE_CONTEXT, prop
from tests.api.city_platform.fake_broker import FakeBroker

CONTEXT = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld"
)
PREFIX = "urn:ngsi-ld:Device:test:"


def devices(count: int, prefix: str = PREFIX) -> list[dict[str, Any]]:
    return [
        {"id": f"{prefix}{n:03d}", "type": "Device", "controlledProperty": prop(["waterLevel"]),
         "@context": [CONTEXT, CORE_CONTEXT]}
        for n in range(count)
    ]  # fmt: skip


def test_upserts_go_in_batches_of_at_most_100_as_json_ld(broker: FakeBroker) -> None:
    sent = devices(250)
    with HttpContextBroker(broker.base_url) as client:
        client.upsert(sent)
        held = client.published_ids(entity_type="Device", context=CONTEXT, id_prefix=PREFIX)
    assert [len(b) for b in broker.batches] == [100, 100, 50]
    assert [i for b in broker.batches for i in b] == [e["id"] for e in sent]
    assert set(broker.content_types) == {"application/ld+json"}
    assert broker.entities == {e["id"]: e for e in sent}
    assert held == {e["id"] for e in sent}
    assert len(broker.links) == 3, "read in pages of 100"
    assert all(f"<{CONTEXT}>" in link and "json-ld#context" in link for link in broker.links)


def test_a_query_returns_only_the_prefix_asked_for(broker: FakeBroker) -> None:
    with HttpContextBroker(broker.base_url) as client:
        client.upsert(devices(3) + devices(2, "urn:ngsi-ld:Device:other:"))
        mine = client.published_ids(entity_type="Device", context=CONTEXT, id_prefix=PREFIX)
        none = client.published_ids(entity_type="AgriParcel", context=CONTEXT, id_prefix=PREFIX)
    assert mine == {f"{PREFIX}{n:03d}" for n in range(3)}
    assert none == frozenset()


def test_refused_entities_are_listed_by_id_and_the_rest_are_taken(broker: FakeBroker) -> None:
    sent = devices(150)
    broker.refuse = {sent[3]["id"], sent[120]["id"]}
    with HttpContextBroker(broker.base_url) as client, pytest.raises(BrokerRefused) as refused:
        client.upsert(sent)
    assert refused.value.failures == {
        sent[3]["id"]: "BadRequestData: not accepted",
        sent[120]["id"]: "BadRequestData: not accepted",
    }
    assert str(refused.value).startswith("the broker refused the upsert of 2 of 150 entities: ")
    assert sent[3]["id"] in str(refused.value)
    assert sent[120]["id"] in str(refused.value)
    assert len(broker.entities) == 148, "both batches were sent"


def test_deleting_an_entity_the_broker_lacks_is_no_error(broker: FakeBroker) -> None:
    with HttpContextBroker(broker.base_url, batch_size=2) as client:
        client.upsert(devices(3))
        client.delete([f"{PREFIX}000", f"{PREFIX}002", f"{PREFIX}999"])
    assert list(broker.entities) == [f"{PREFIX}001"]
    assert broker.deletions == [[f"{PREFIX}000", f"{PREFIX}002"], [f"{PREFIX}999"]]


def test_a_broken_or_missing_broker_is_unavailable(broker: FakeBroker) -> None:
    broker.fail_with = 503
    with HttpContextBroker(broker.base_url) as client, pytest.raises(BrokerUnavailable) as down:
        client.upsert(devices(1))
    assert "/entityOperations/upsert: 503 InternalError: down" in str(down.value)
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nobody = f"http://127.0.0.1:{port}"
    with (
        HttpContextBroker(nobody, timeout_s=2) as client,
        pytest.raises(BrokerUnavailable, match=f"context broker at {nobody}"),
    ):
        client.delete(["urn:ngsi-ld:Device:test:1"])


def test_a_broker_that_answers_no_to_everything_is_named(broker: FakeBroker) -> None:
    broker.fail_with = 400
    with HttpContextBroker(broker.base_url) as client:
        with pytest.raises(BrokerRefused) as refused:
            client.upsert(devices(2))
        with pytest.raises(BrokerError, match="the query for Device: 400 InternalError: down"):
            client.published_ids(entity_type="Device", context=CONTEXT, id_prefix=PREFIX)
    assert refused.value.failures == dict.fromkeys(
        [f"{PREFIX}000", f"{PREFIX}001"], "400 InternalError: down"
    )


def test_batch_size_is_at_most_100() -> None:
    with pytest.raises(ValueError, match="batch_size 101"):
        HttpContextBroker("http://127.0.0.1:1", batch_size=101)


def test_the_record_only_broker_keeps_requests_and_replays_its_file(tmp_path: Path) -> None:
    out = tmp_path / "sent" / "city.jsonl"
    first = RecordingBroker(out)
    first.upsert(devices(3))
    first.delete([f"{PREFIX}001"])
    first.upsert([])
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["operation"] for line in lines] == ["upsert", "delete"]
    assert [e["id"] for e in lines[0]["entities"]] == [
        f"{PREFIX}000",
        f"{PREFIX}001",
        f"{PREFIX}002",
    ]
    again = RecordingBroker(out)
    held = again.published_ids(entity_type="Device", context=CONTEXT, id_prefix=PREFIX)
    assert held == {f"{PREFIX}000", f"{PREFIX}002"}
    assert again.published_ids(entity_type="Device", context=CONTEXT, id_prefix="urn:x:") == set()
    assert again.requests == [], "what the file held is the broker's state, not this run's"


def test_a_corrupt_record_file_is_named(tmp_path: Path) -> None:
    out = tmp_path / "city.jsonl"
    out.write_text('{"operation": "upsert", "entities": []}\nnot json\n')
    with pytest.raises(BrokerUnavailable, match=f"cannot replay {out}"):
        RecordingBroker(out)


def test_recording_while_forwarding_asks_the_real_broker(
    broker: FakeBroker, tmp_path: Path
) -> None:
    broker.entities = {e["id"]: e for e in devices(2)}
    with HttpContextBroker(broker.base_url) as client:
        tee = RecordingBroker(tmp_path / "log.jsonl", forward_to=client)
        assert tee.published_ids(entity_type="Device", context=CONTEXT, id_prefix=PREFIX) == {
            f"{PREFIX}000",
            f"{PREFIX}001",
        }
        tee.upsert(devices(3))
    assert len(broker.entities) == 3
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 1
