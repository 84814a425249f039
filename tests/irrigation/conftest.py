"""Fixtures for the MQTT edge: settings of a test's own on the shared broker, and a private
Mosquitto (its own port, config and persistence file) that a test may stop and start again;
``run`` and ``until`` for the async tests of the readings and gates that use them.

The shared broker is the Mosquitto at 127.0.0.1:1883 (anonymous, persistence on). Each test
gets its own topic prefix and client ids on it, so tests never hear one another.
"""

import asyncio
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from irrigation.mqtt import MqttSettings

MOSQUITTO = "/usr/sbin/mosquitto"
SHARED_HOST, SHARED_PORT = "127.0.0.1", 1883


def run(main: Coroutine[Any, Any, None], timeout_s: float = 40.0) -> None:
    asyncio.run(asyncio.wait_for(main, timeout_s))


async def until(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Broker:
    """A private Mosquitto for one test; ``stop`` and ``start`` keep its persistence file."""

    folder: Path
    port: int = field(default_factory=_free_port)
    extra_config: str = ""
    """More ``mosquitto.conf`` lines, such as ``autosave_interval 1``."""
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def write_config(self) -> Path:
        config = self.folder / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.folder}/\n"
            "persistence_file mosquitto.db\n"
            # The default (1000 queued per client) drops QoS 1 messages for a subscriber that
            # falls behind a burst, PUBACK to the publisher notwithstanding.
            "max_queued_messages 1000000\n"
            f"log_dest file {self.folder / 'mosquitto.log'}\n"
            "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
            + ("user root\n" if os.geteuid() == 0 else "")
            + self.extra_config
        )
        return config

    def start(self) -> None:
        """Start (or start again) and wait until it listens."""
        assert self.process is None, "the broker is already running"
        config = self.write_config()
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10.0
        while not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"mosquitto did not start on port {self.port}:\n{self.log[-2000:]}")
            time.sleep(0.02)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop it: SIGTERM saves the persistence file first, SIGKILL does not."""
        if self.process is None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=10.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def settings(self, **overrides: object) -> MqttSettings:
        """Settings for a client of this broker, with quick reconnects."""
        values: dict[str, object] = {
            "port": self.port,
            "client_id": f"t{uuid.uuid4().hex[:10]}",
            "reconnect_min_s": 0.1,
            "reconnect_max_s": 0.5,
            "timeout_s": 5.0,
        }
        values.update(overrides)
        return MqttSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[Broker]:
    """A Mosquitto of this test's own, persistence on, on a free port; killed afterwards."""
    if not os.access(MOSQUITTO, os.X_OK):
        pytest.skip(f"{MOSQUITTO} is not installed")
    broker = Broker(folder=tmp_path / "mosquitto")
    broker.folder.mkdir()
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


@pytest.fixture
def shared_settings() -> MqttSettings:
    """Settings on the shared broker with a topic prefix and client ids of this test's own.

    Sessions expire 30 s after their client leaves, so none outlives the test run for long.
    """
    if not _listening(SHARED_PORT):
        pytest.fail(f"no MQTT broker at {SHARED_HOST}:{SHARED_PORT}", pytrace=False)
    tag = uuid.uuid4().hex[:10]
    return MqttSettings(
        host=SHARED_HOST,
        port=SHARED_PORT,
        client_id=f"t{tag}",
        topic_prefix=f"test-{tag}/tanbo",
        session_expiry_s=30,
        reconnect_min_s=0.1,
        reconnect_max_s=0.5,
        timeout_s=5.0,
    )
