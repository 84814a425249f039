"""Gate commands against real Mosquitto brokers: sent at QoS 1, answered, refused, unanswered.

The simulated gates stand in for real ones on the shared broker, each test with a topic prefix
of its own; the in-process gates need no broker.
"""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import aiomqtt
import pytest

from irrigation.control_state import command_id as make_command_id
from irrigation.errors import GateUnavailable
from irrigation.gates_mqtt import GateBehaviour, InProcessGates, MqttGates, SimulatedGateDevice
from irrigation.model import GateAck, GateAction, GateCommand, GateRole
from irrigation.mqtt import EdgeState, MqttSettings, clear_session
from tests.irrigation.conftest import Broker, run, until


def command(command_id: str = "c1", action: GateAction = GateAction.OPEN) -> GateCommand:
    return GateCommand(
        command_id=command_id,
        paddy_id="p1",
        role=GateRole.INLET,
        action=action,
        issued_at=datetime.now(UTC),
        reason="below the band",
        opening_pct=60.0,
    )


async def publish_acks(settings: MqttSettings, acks: list[tuple[str, dict[str, object]]]) -> None:
    """Publish answers as any client of the broker could: (``<farm>/<paddy>/<device>``, body)."""
    async with aiomqtt.Client(settings.host, settings.port) as client:
        for where, body in acks:
            topic = f"{settings.topic_prefix}/{where}/ack"
            await client.publish(topic, json.dumps(body).encode(), qos=1)


def test_a_gate_command_comes_back_acknowledged(shared_settings: MqttSettings) -> None:
    async def main() -> None:
        gate = SimulatedGateDevice(shared_settings, farm="kasai", paddy_id="p1", device_id="g-in")
        async with gate, MqttGates(shared_settings, ack_timeout_s=5.0) as gates:
            await gate.wait_connected()
            ack = await gates.send(command("c1"), farm="kasai", device="g-in")
            assert ack.ok
            assert ack.command_id == "c1"
            assert gate.opening_pct == 60.0
            assert [c.command_id for c in gate.commands] == ["c1"]
            closed = await gates.send(command("c2", GateAction.CLOSE), farm="kasai", device="g-in")
            assert closed.ok
            assert gate.opening_pct == 0.0
            assert gates.pending() == []
        await clear_session(shared_settings, client_id=gate.client_id)
        await clear_session(shared_settings, client_id=gates.client_id)

    run(main())


def test_a_refusing_gate_answers_not_ok(shared_settings: MqttSettings) -> None:
    async def main() -> None:
        gate = SimulatedGateDevice(
            shared_settings,
            farm="kasai",
            paddy_id="p1",
            device_id="g-out",
            role=GateRole.OUTLET,
            behaviour=GateBehaviour.REFUSE,
        )
        async with gate, MqttGates(shared_settings, ack_timeout_s=5.0) as gates:
            await gate.wait_connected()
            ack = await gates.send(command(), farm="kasai", device="g-out")
        assert not ack.ok
        assert ack.detail == "motor fault"
        assert gate.opening_pct == 0.0
        await clear_session(shared_settings, client_id=gate.client_id)
        await clear_session(shared_settings, client_id=gates.client_id)

    run(main())


def test_a_silent_gate_is_unavailable_after_the_timeout(shared_settings: MqttSettings) -> None:
    async def main() -> None:
        gate = SimulatedGateDevice(
            shared_settings,
            farm="kasai",
            paddy_id="p1",
            device_id="g-mute",
            behaviour=GateBehaviour.SILENT,
        )
        async with gate, MqttGates(shared_settings, ack_timeout_s=0.5) as gates:
            await gate.wait_connected()
            started = time.monotonic()
            with pytest.raises(GateUnavailable, match=r"did not answer command c1 within 0\.5 s"):
                await gates.send(command("c1"), farm="kasai", device="g-mute")
            # At least the 0.5 s given, and far short of the 30 s default (a loaded machine
            # may take seconds more, never 30).
            assert 0.5 <= time.monotonic() - started < 20.0
            await until(lambda: len(gate.commands) == 1)  # it heard, and kept quiet
            assert gates.pending() == []
        await clear_session(shared_settings, client_id=gate.client_id)
        await clear_session(shared_settings, client_id=gates.client_id)

    run(main())


def test_a_controller_tick_posts_without_waiting_and_hears_the_ack_later(
    shared_settings: MqttSettings,
) -> None:
    heard: list[GateAck] = []

    async def main() -> None:
        async with MqttGates(shared_settings, ack_timeout_s=1.0, on_ack=heard.append) as gates:
            posted = await gates.post(command("c1"), farm="kasai", device="g-slow")
            await gates.post(command("c2"), farm="kasai", device="g-mute")
            assert [p.command.command_id for p in gates.pending()] == ["c1", "c2"]
            assert heard == []
            # The slow gate answers only now, after both posts have returned.
            await publish_acks(shared_settings, [("kasai/p1/g-slow", {"id": "c1", "ok": True})])
            await until(lambda: len(heard) == 1)
            assert heard[0].command_id == "c1"
            assert heard[0].ok
            assert [p.command.command_id for p in gates.pending()] == ["c2"]
            assert gates.expire(posted.sent_at) == []
            expired = gates.expire(posted.deadline + timedelta(seconds=1))
            assert [p.command.command_id for p in expired] == ["c2"]
            assert gates.pending() == []
        await clear_session(shared_settings, client_id=gates.client_id)

    run(main())


def test_an_ack_from_another_topic_does_not_answer_a_command(shared_settings: MqttSettings) -> None:
    errors: list[str] = []
    wrong = ["kasai/p1/g-other", "kasai/p2/g-in", "mogami/p1/g-in"]

    async def main() -> None:
        gates = MqttGates(shared_settings, ack_timeout_s=15.0, on_error=errors.append)
        async with gates:
            await gates.wait_connected()
            sending = asyncio.create_task(gates.send(command("c1"), farm="kasai", device="g-in"))
            await until(lambda: len(gates.pending()) == 1)
            forged = {"id": "c1", "ok": True}
            await publish_acks(shared_settings, [(where, forged) for where in wrong])
            await until(lambda: len(errors) == 3)
            assert not sending.done()
            assert [p.command.command_id for p in gates.pending()] == ["c1"]
            real = {"id": "c1", "ok": False, "detail": "jammed"}
            await publish_acks(shared_settings, [("kasai/p1/g-in", real)])
            ack = await sending
        assert (ack.ok, ack.detail) == (False, "jammed")
        await clear_session(shared_settings, client_id=gates.client_id)

    run(main())
    prefix = shared_settings.topic_prefix
    assert errors == [
        f"{prefix}/{where}/ack: ack of command c1, which was sent to gate kasai/p1/g-in: ignored"
        for where in wrong
    ]


def test_a_late_ack_is_heard_only_from_the_paddy_its_command_names(
    shared_settings: MqttSettings,
) -> None:
    heard: list[GateAck] = []
    errors: list[str] = []
    late_id = make_command_id("p1", GateRole.INLET, datetime(2026, 6, 1, 3, tzinfo=UTC))

    async def main() -> None:
        gates = MqttGates(
            shared_settings, ack_timeout_s=1.0, on_ack=heard.append, on_error=errors.append
        )
        async with gates:
            posted = await gates.post(command(late_id), farm="kasai", device="g-in")
            assert gates.expire(posted.deadline) == [posted]
            await publish_acks(
                shared_settings,
                [
                    ("kasai/p2/g-in", {"id": late_id, "ok": True}),
                    ("kasai/p1/g-in", {"id": late_id, "ok": True}),
                ],
            )
            await until(lambda: len(heard) == 1 and len(errors) == 1)
        await clear_session(shared_settings, client_id=gates.client_id)

    run(main())
    assert [ack.command_id for ack in heard] == [late_id]
    [error] = errors
    prefix = shared_settings.topic_prefix
    assert error.startswith(f"{prefix}/kasai/p2/g-in/ack: ack of command {late_id}, which")


@pytest.mark.parametrize(("expiry_s", "delivered"), [(1, False), (60, True)])
def test_a_command_waits_for_an_offline_gate_only_until_it_expires(
    shared_settings: MqttSettings, expiry_s: int, delivered: bool
) -> None:
    where = {"farm": "kasai", "paddy_id": "p1", "device_id": "g-away"}
    heard: list[list[str]] = []

    async def main() -> None:
        gate = SimulatedGateDevice(shared_settings, **where)
        async with gate:
            await gate.wait_connected()  # subscribed: the broker keeps its session from now on
        async with MqttGates(shared_settings, command_expiry_s=expiry_s) as gates:
            await gates.post(command("c-stale"), farm="kasai", device="g-away")
        await asyncio.sleep(2.0)  # the gate stays offline 2 s
        back = SimulatedGateDevice(shared_settings, **where)
        async with back, MqttGates(shared_settings) as gates:
            await back.wait_connected()
            # Queued for the gate after anything held for it, so once it has this one it
            # has had everything the broker still kept.
            await gates.post(command("c-fresh"), farm="kasai", device="g-away")
            await until(lambda: "c-fresh" in [c.command_id for c in back.commands])
        heard.append([c.command_id for c in back.commands])
        for session in (back, gates):
            await clear_session(shared_settings, client_id=session.client_id)

    run(main())
    assert heard == [["c-stale", "c-fresh"] if delivered else ["c-fresh"]]


def test_gates_without_a_broker_are_unavailable(private_broker: Broker) -> None:
    settings = private_broker.settings(timeout_s=0.5)
    private_broker.kill()

    async def main() -> None:
        async with MqttGates(settings) as gates:
            with pytest.raises(GateUnavailable, match="no connection to the MQTT broker"):
                await gates.send(command(), farm="kasai", device="g-in")
            assert gates.state in (EdgeState.CONNECTING, EdgeState.RECONNECTING)

    run(main())


def test_in_process_gates_answer_at_once_except_silent_ones() -> None:
    gates = InProcessGates(silent=["g-mute"])

    async def main() -> None:
        ack = await gates.send(command("c1"), farm="kasai", device="g-in")
        assert ack.ok
        assert ack.command_id == "c1"
        with pytest.raises(GateUnavailable):
            await gates.send(command("c2"), farm="kasai", device="g-mute")

    run(main())
    assert gates.openings_pct == {("kasai", "p1", "g-in"): 60.0}
