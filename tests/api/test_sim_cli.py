"""``tanbo sim`` as a user runs it: a real process, real ports, a real ground station."""

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sim.cluster import find_free_base_port
from tests.sim.gcs import Gcs

TANBO = Path(sys.executable).with_name("tanbo")


class Running:
    """A ``tanbo sim`` process whose standard output is read line by line as it comes."""

    def __init__(self, *args: str, cwd: Path) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TANBO_")}
        environment |= {"TANBO_DATA_DIR": str(cwd / "data"), "COLUMNS": "200"}
        self.process = subprocess.Popen(
            [str(TANBO), "sim", *args],
            cwd=cwd,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.stdout.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} within {timeout} s; got {self.stdout}")

    def finish(self, timeout: float) -> tuple[int, str, str]:
        """Wait for the exit: the code, the rest of standard output, standard error."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5.0)
        while not self.lines.empty():
            self.stdout.append(self.lines.get())
        assert self.process.stderr is not None
        return code, "".join(self.stdout), self.process.stderr.read()


@contextmanager
def tanbo_sim(*args: str, cwd: Path) -> Iterator[Running]:
    running = Running(*args, cwd=cwd)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()
        for stream in (running.process.stdout, running.process.stderr):
            if stream is not None:
                stream.close()


def heartbeat_from(port: int) -> int:
    gcs = Gcs(port)
    try:
        return int(gcs.recv("HEARTBEAT", timeout=3.0).get_srcSystem())
    finally:
        gcs.close()


def test_each_drone_answers_on_its_sitl_port_until_the_duration_ends(tmp_path: Path) -> None:
    base = find_free_base_port(2)
    args = ("--drones", "2", "--port", str(base), "--duration", "4", "--speedup", "10")
    with tanbo_sim(*args, cwd=tmp_path) as sim:
        sim.wait_for("Ctrl-C to stop")
        assert [heartbeat_from(base), heartbeat_from(base + 10)] == [1, 2]
        code, stdout, stderr = sim.finish(timeout=15.0)
    assert code == 0, stderr
    assert f"tcp:127.0.0.1:{base + 10}" in stdout
    assert re.search(r"stopped 2 vehicles after 4\.\d s \(--duration 4 s\); largest step", stdout)
    assert stderr == ""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_it_cleanly_with_a_summary(tmp_path: Path, sig: signal.Signals) -> None:
    base = find_free_base_port(1)
    with tanbo_sim("--port", str(base), "--quiet", cwd=tmp_path) as sim:
        sim.wait_for("Ctrl-C to stop")
        assert heartbeat_from(base) == 1
        sent = time.monotonic()
        sim.process.send_signal(sig)
        code, stdout, stderr = sim.finish(timeout=10.0)
    assert time.monotonic() - sent < 3.0
    assert code == 0
    assert "stopped 1 vehicle after" in stdout
    assert f"({sig.name})" in stdout
    assert "Traceback" not in stderr
    assert stderr == ""
    assert "sysid" not in stdout  # --quiet: no table


def test_a_taken_port_is_one_line_naming_it_and_exit_code_2(tmp_path: Path) -> None:
    base = find_free_base_port(2)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base + 10))
        squatter.listen()
        with tanbo_sim("-n", "2", "--port", str(base), "--duration", "1", cwd=tmp_path) as sim:
            code, stdout, stderr = sim.finish(timeout=30.0)
    assert code == 2
    assert stderr.strip() == (
        f"tanbo: port {base + 10} is in use (vehicle 2) — is SITL or another tanbo sim running? "
        "use --port"
    )
    assert stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--wind", "3@west"), "tanbo: --wind: expected MPS@DEG"),
        (("--home", "95,134"), "tanbo: --home: latitude 95.0 is outside -90..90"),
        (("--udp-out", "14550"), "tanbo: --udp-out: expected HOST:PORT"),
        (("--drones", "2", "--port", "65530"), "tanbo: --port: 65530 is outside 1..65525"),
        (("--ground-crew", "-5"), "tanbo: --ground-crew: -5 is not a number of seconds >= 0"),
        (("--control-port", "5760"), "tanbo: --control-port: 5760 is a vehicle's TCP port"),
        (("--scenario", "nope"), "tanbo: no built-in scenario 'nope'; built in: "),
        (("--scenario", "gusty-spray", "-n", "2"), "tanbo: --drones: a scenario flies one"),
        (("--score-out", "s.json"), "tanbo: --score-out: goes with --scenario"),
    ],
    ids=[
        "wind",
        "home",
        "udp-out",
        "port",
        "ground-crew",
        "control-port",
        "scenario",
        "scenario-drones",
        "score-out",
    ],
)
def test_bad_input_is_one_line_naming_the_option_and_exit_code_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    with tanbo_sim(*args, "--duration", "1", cwd=tmp_path) as sim:
        code, stdout, stderr = sim.finish(timeout=30.0)
    assert code == 2
    assert stderr.startswith(message)
    assert len(stderr.strip().splitlines()) == 1
    assert stdout == ""


# -- the control API and its command-line client -------------------------------------------

CONTROL = re.compile(r"control on http://127\.0\.0\.1:(\d+)")


def sim_client(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``tanbo sim SUBCOMMAND …``."""
    program = [str(TANBO), "sim"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TANBO_")}
    return subprocess.run(
        [*program, *args], cwd=cwd, env=environment | {"COLUMNS": "200"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_faults_go_in_and_out_of_a_running_sim_from_the_command_line(tmp_path: Path) -> None:
    from sim.control import ControlClient

    base = find_free_base_port(1)
    args = ("--port", str(base), "--control-port", "0", "--quiet", "--ground-crew", "30")
    with tanbo_sim(*args, cwd=tmp_path) as sim:
        match = CONTROL.search(sim.wait_for("Ctrl-C to stop"))
        assert match is not None
        port = match.group(1)
        injected = sim_client("fault", "gps-loss:20", "--control-port", port, cwd=tmp_path)
        assert injected.returncode == 0, injected.stderr
        assert re.fullmatch(r"vehicle 1: gps-loss:20 injected at \d+\.\d s \(simulated\)\n",
                            injected.stdout)  # fmt: skip
        [row] = ControlClient(int(port)).vehicles()["vehicles"]
        assert [f["spec"] for f in row["faults"]] == ["gps-loss:20"]
        assert row["gps_ok"] is False
        cleared = sim_client("clear", "gps-loss", "--control-port", port, cwd=tmp_path)
        assert (cleared.returncode, cleared.stdout) == (0, "vehicle 1: gps-loss cleared\n")
        again = sim_client("clear", "gps-loss", "--control-port", port, cwd=tmp_path)
        assert again.returncode == 1
        assert again.stderr == "tanbo: vehicle 1 has no gps-loss fault in force\n"
        bad = sim_client("fault", "battery:lots", "--control-port", port, cwd=tmp_path)
        assert bad.returncode == 2
        assert bad.stderr == "tanbo: fault 'battery:lots': PCT 'lots' is not a number\n"
        other = sim_client("fault", "motor", "--vehicle", "9", "--control-port", port, cwd=tmp_path)
        assert other.returncode == 2
        assert other.stderr == "tanbo: no vehicle 9 (system ids: 1)\n"
        sim.process.send_signal(signal.SIGINT)
        code, _, stderr = sim.finish(timeout=10.0)
    assert (code, stderr) == (0, "")


def test_the_fault_command_with_no_sim_running_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = str(probe.getsockname()[1])
    result = sim_client("fault", "link-cut:20", "--control-port", free, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"tanbo: no tanbo sim answers on 127.0.0.1:{free}")
    assert len(result.stderr.strip().splitlines()) == 1
