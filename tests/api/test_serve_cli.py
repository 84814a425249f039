"""``tanbo serve`` as a person starts it: one process, and several workers electing one
scheduler leader."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_with_problems_and_docs(tmp_path: Path, workers: int) -> None:
    port = _free_port()
    env = {**os.environ, "TANBO_DATA_DIR": str(tmp_path / "data")}
    command = [
        str(Path(sys.executable).with_name("tanbo")),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    log = (tmp_path / "serve.log").open("w+b")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            server.kill()
            server.wait(timeout=10)
            log.seek(0)
            pytest.fail(f"tanbo serve did not answer: {log.read()[-2000:]!r}")
        answer = httpx.get(f"{base}/me")
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert httpx.get(f"{base}/docs").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.seek(0)
        output = log.read().decode(errors="replace")
        log.close()
    assert "Traceback" not in output, output[-3000:]
