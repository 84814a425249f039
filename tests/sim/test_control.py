"""The control API over real HTTP, on the vehicle's own event loop: status, faults in and out,
and RFC 9457 problems for what it refuses."""

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from sim import FaultChange
from sim.control import (
    ControlClient,
    ControlPortUnavailable,
    ControlRefused,
    ControlServer,
    ControlUnreachable,
)
from tests.sim.gcs import RunningSim, running


@pytest.fixture
def control(sim: RunningSim) -> Iterator[ControlServer]:
    server = ControlServer([sim.vehicle], port=0, describe=lambda: {"scenario": "test"})
    sim.run(server.start())
    try:
        yield server
    finally:
        sim.run(server.stop())


def call(
    control: ControlServer, method: str, path: str, body: bytes | None = None
) -> tuple[int, dict[str, str], Any]:
    """One request: the status, the headers (lower-case names) and the JSON body (or None)."""
    connection = http.client.HTTPConnection("127.0.0.1", control.port, timeout=5.0)
    try:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        raw = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, json.loads(raw) if raw else None
    finally:
        connection.close()


def test_get_vehicles_is_every_vehicle_s_status(control: ControlServer) -> None:
    status, headers, body = call(control, "GET", "/vehicles")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert body["scenario"] == "test"
    assert body["count"] == 1
    [row] = body["vehicles"]
    assert row["sysid"] == 1
    assert row["mode"] == "STABILIZE"
    assert row["armed"] is False
    assert row["link_up"] is True
    assert row["faults"] == []


def test_a_fault_posted_goes_in_and_is_answered_201_with_the_parsed_fault(
    sim: RunningSim, control: ControlServer
) -> None:
    status, headers, body = call(
        control, "POST", "/vehicles/1/faults", json.dumps({"fault": "gps-loss:20"}).encode()
    )
    assert status == 201
    assert headers["location"] == "/vehicles/1/faults/gps-loss"
    assert body["fault"] == {"kind": "gps-loss", "spec": "gps-loss:20", "duration_s": 20.0}
    assert body["sysid"] == 1
    assert sim.call(lambda: sim.vehicle.state.gps_lost)
    log = sim.call(lambda: list(sim.vehicle.state.fault_log))
    assert [(r.fault.spec, r.change) for r in log] == [("gps-loss:20", FaultChange.INJECTED)]
    _, _, listed = call(control, "GET", "/vehicles/1/faults")
    assert [f["spec"] for f in listed["faults"]] == ["gps-loss:20"]


def test_a_bad_spec_is_a_400_problem_naming_the_bad_part(control: ControlServer) -> None:
    status, headers, body = call(
        control, "POST", "/vehicles/1/faults", json.dumps({"fault": "gust:8@west"}).encode()
    )
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert body == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "fault 'gust:8@west': DEG 'west' is not a number",
        "fault": "gust:8@west",
    }


@pytest.mark.parametrize(
    ("body", "says"),
    [(b"{", "not JSON"), (b'{"spec": "motor"}', '"fault"'), (b'{"fault": 3}', '"fault"')],
)
def test_a_body_without_a_fault_spec_is_a_400(
    control: ControlServer, body: bytes, says: str
) -> None:
    status, _, problem = call(control, "POST", "/vehicles/1/faults", body)
    assert status == 400
    assert says in problem["detail"]


def test_an_unknown_vehicle_or_route_is_a_404_problem(control: ControlServer) -> None:
    status, headers, body = call(control, "POST", "/vehicles/7/faults", b'{"fault": "motor"}')
    assert status == 404
    assert headers["content-type"] == "application/problem+json"
    assert body["detail"] == "no vehicle 7 (system ids: 1)"
    assert call(control, "GET", "/drones")[0] == 404


def test_delete_ends_a_fault_and_a_second_delete_finds_none(
    sim: RunningSim, control: ControlServer
) -> None:
    call(control, "POST", "/vehicles/1/faults", b'{"fault": "link-cut"}')
    assert not sim.call(lambda: sim.vehicle.link_up)
    status, _, body = call(control, "DELETE", "/vehicles/1/faults/link-cut")
    assert (status, body) == (204, None)
    assert sim.call(lambda: sim.vehicle.link_up)
    status, _, problem = call(control, "DELETE", "/vehicles/1/faults/link-cut")
    assert status == 404
    assert problem["in_force"] is False
    assert problem["detail"] == "vehicle 1 has no link-cut fault in force"
    status, _, problem = call(control, "DELETE", "/vehicles/1/faults/rain")
    assert status == 400
    assert "unknown fault kind 'rain'" in problem["detail"]


def test_a_method_a_route_does_not_take_is_a_405_with_allow(control: ControlServer) -> None:
    status, headers, body = call(control, "PUT", "/vehicles/1/faults", b"{}")
    assert status == 405
    assert headers["allow"] == "GET, POST"
    assert body["status"] == 405


def test_the_client_injects_clears_and_raises_the_problem(control: ControlServer) -> None:
    client = ControlClient(control.port)
    reply = client.inject(1, "gust:6@90:30")
    assert reply["fault"]["speed_m_s"] == 6.0
    client.clear(1, "gust")
    with pytest.raises(ControlRefused) as refused:
        client.inject(2, "motor")
    assert refused.value.status == 404
    assert refused.value.problem["title"] == "Not Found"
    assert client.vehicles()["count"] == 1


def test_the_client_says_when_nothing_listens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    with pytest.raises(ControlUnreachable, match=f"no tanbo sim answers on 127.0.0.1:{free}"):
        ControlClient(free, timeout_s=2.0).vehicles()


def test_a_taken_port_is_refused_saying_so() -> None:
    with socket.socket() as squatter, running() as sim:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        with pytest.raises(ControlPortUnavailable) as caught:
            sim.run(ControlServer([sim.vehicle], port=taken).start())
    assert caught.value.in_use
    assert str(caught.value) == f"control port {taken} is in use"


def test_routes_answer_without_a_socket(sim: RunningSim) -> None:
    server = ControlServer([sim.vehicle], port=0)
    response = sim.call(lambda: server.handle("GET", "/vehicles/1"))
    assert response.status == 200
    assert response.encode().startswith(b"HTTP/1.1 200 OK\r\nConnection: close\r\n")
