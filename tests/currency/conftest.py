"""Real servers for the currency tests: the sandbox platform as a subprocess
(``python -m api.currency.cli``), a webhook receiver on a real socket, and ledgers on
SQLite and PostgreSQL (``engine`` from tests/conftest.py)."""

import contextlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine

from api.currency import Ledger, PlatformClient, PlatformConfig, SandboxClient

REPO = Path(__file__).resolve().parents[2]
API_KEY = "sk_test_currency"
WEBHOOK_SECRET = "whsec_test_currency"
_READY = re.compile(r"currency sandbox: (http://\S+)")


@dataclass
class Sandbox:
    """A running ``tanbo currency-sandbox``."""

    url: str
    process: subprocess.Popen[str]
    client: SandboxClient

    def config(self, *, timeout_s: float = 10.0) -> PlatformConfig:
        return PlatformConfig(base_url=self.url, api_key=API_KEY, timeout_s=timeout_s)

    def funded_account(self, balance_yen: int = 100_000) -> str:
        """A new wallet of its own for one test."""
        account = f"farmer-{uuid.uuid4().hex[:10]}"
        self.client.set_wallet(account, balance_yen=balance_yen)
        return account


@contextlib.contextmanager
def run_sandbox(data_dir: Path, *extra: str) -> Iterator[Sandbox]:
    """Start the sandbox on a free port and stop it (SIGTERM) afterwards."""
    command = [
        sys.executable, "-m", "api.currency.cli", "--port", "0", "--data-dir", str(data_dir),
        "--api-key", API_KEY, *extra,
    ]  # fmt: skip
    log = data_dir / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    assert process.stdout is not None
    line = process.stdout.readline()  # the ready line, or EOF if it died
    match = _READY.search(line)
    if match is None:
        process.kill()
        process.communicate(timeout=10)
        pytest.fail(f"the sandbox did not start: {line!r} {log.read_text()!r}")
    client = SandboxClient(PlatformConfig(base_url=match.group(1), api_key=API_KEY))
    try:
        yield Sandbox(url=match.group(1), process=process, client=client)
    finally:
        client.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        assert process.returncode == 0, log.read_text()  # SIGTERM stops it cleanly


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox for the session (each test uses wallets and keys of its own)."""
    with run_sandbox(tmp_path_factory.mktemp("sandbox")) as running:
        yield running


@pytest.fixture
def platform(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The session's sandbox, answering without delay at the start and the end of the test."""
    sandbox.client.set_answer_delay(0.0)
    yield sandbox
    sandbox.client.set_answer_delay(0.0)


@pytest.fixture
def ledger(engine: Engine, platform: Sandbox) -> Iterator[Ledger]:
    """A ledger on SQLite or PostgreSQL, talking to the sandbox over HTTP."""
    with PlatformClient(platform.config()) as client:
        yield Ledger(engine, client)


Handler = Callable[[bytes, str | None], int]


@dataclass
class Receiver:
    """A webhook endpoint on a real socket: ``handle(body, signature) -> HTTP status``."""

    url: str
    handle: Handler = field(default=lambda _body, _signature: 204)
    received: list[bytes] = field(default_factory=list)


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    target = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/webhooks")

    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            target.received.append(body)
            try:
                status = target.handle(body, self.headers.get("Webhook-Signature"))
            except Exception:  # a failing receiver answers 500, as a web framework would
                status = 500
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server.RequestHandlerClass = _Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield target
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def webhook_sandbox(
    tmp_path_factory: pytest.TempPathFactory, receiver: Receiver
) -> Iterator[Sandbox]:
    """A sandbox that POSTs signed events to :func:`receiver`."""
    data_dir = tmp_path_factory.mktemp("webhook-sandbox")
    flags = ("--webhook-url", receiver.url, "--webhook-secret", WEBHOOK_SECRET)
    with run_sandbox(data_dir, *flags, "--webhook-attempts", "4") as running:
        yield running


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A URL whose server accepts connections and never answers (a request that never
    reaches the platform)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def wait_for(predicate: Callable[[], bool], *, timeout_s: float = 15.0, what: str) -> None:
    """Poll ``predicate`` every 20 ms until it holds."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.02)
