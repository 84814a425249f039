"""Gate commands against real Mosquitto brokers: sent at QoS 1, answered, refused, unanswered.

The simulated gates stand in for real ones on the shared broker, each test with a topic prefix
of its own; the in-process gates need no broker.
"""

import time
from datetime import UTC, datetime, timedelta

import pytest

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
            assert 0.5 <= time.monotonic() - started < 2.0
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
        gate = SimulatedGateDevice(
            shared_settings, farm="kasai", paddy_id="p1", device_id="g-slow", delay_s=0.3
        )
        mute = SimulatedGateDevice(
            shared_settings,
            farm="kasai",
            paddy_id="p1",
            device_id="g-mute",
            behaviour=GateBehaviour.SILENT,
        )
        gates = MqttGates(shared_settings, ack_timeout_s=1.0, on_ack=heard.append)
        async with gate, mute, gates:
            await gate.wait_connected()
            await mute.wait_connected()
            posted = await gates.post(command("c1"), farm="kasai", device="g-slow")
            await gates.post(command("c2"), farm="kasai", device="g-mute")
            assert [p.command.command_id for p in gates.pending()] == ["c1", "c2"]
            assert heard == []
            await until(lambda: len(heard) == 1)
            assert heard[0].command_id == "c1"
            assert heard[0].ok
            assert [p.command.command_id for p in gates.pending()] == ["c2"]
            assert gates.expire(posted.sent_at) == []
            expired = gates.expire(posted.deadline + timedelta(seconds=1))
            assert [p.command.command_id for p in expired] == ["c2"]
            assert gates.pending() == []
        for session in (gate, mute, gates):
            await clear_session(shared_settings, client_id=session.client_id)

    run(main())


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
