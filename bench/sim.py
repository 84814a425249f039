"""How many simulated vehicles one process runs in real time with 10 Hz telemetry.

For each count N, a child process runs ``SimCluster(N)`` at speedup 1 (the vehicles
ready at once: no GPS or pre-arm delay) and measures its own CPU time and how late
its vehicles step (:class:`sim.cluster.LagMonitor`). This process is the ground
station side: one TCP client per vehicle, as a ground station connects, that sends
its HEARTBEAT once a second, asks for GLOBAL_POSITION_INT, ATTITUDE and VFR_HUD at
10 Hz (SET_MESSAGE_INTERVAL; the rest stay at ArduPilot's default rates), switches
to GUIDED, arms and takes off to 30 m; halfway through the measured window it sends
every vehicle to a point 150 m north (SET_POSITION_TARGET_GLOBAL_INT), so the flight
model climbs and cruises throughout. The clients read frames by their MAVLink 2
header only (no CRC, no unpacking beyond a few fields) to stay light. Both processes
share the machine's cores.

N keeps real time when at least 95 % of the 10 Hz messages expected arrive and the
99th percentile of its vehicles' step delay is under 100 ms. Baseline: the 1-vehicle
run of this same invocation; the ratios say how the per-vehicle cost grows with N.

    .venv/bin/python bench/sim.py [--counts 1,5,10,20,40,60,80,100,120,150,200] [--seconds 10]
"""

import argparse
import asyncio
import json
import os
import platform
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]  # this script is bench/sim.py: `import sim` must find the package

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import SimConfig, port_for
from sim.cluster import (
    PortUnavailable,
    SimCluster,
    find_free_base_port,
    vehicle_config,
)
from sim.physics import LocalFrame

FAST_HZ = 10.0
FAST = (
    mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT,
    mavlink.MAVLINK_MSG_ID_ATTITUDE,
    mavlink.MAVLINK_MSG_ID_VFR_HUD,
)
TAKEOFF_M = 30.0
POSITION_ONLY = 0b0000_1111_1111_1000  # type_mask: ignore velocity, acceleration and yaw
GOTO_NORTH_M = 150.0
WARMUP_S = 2.0
COUNTS = "1,5,10,20,40,60,80,100,120,150,200"
KEEPS_RECEIVED = 0.95
KEEPS_P99_S = 0.100
PORT_TAKEN = 3  # the child's exit code when a port was taken meanwhile: draw another base


# -- the simulator's side (a child process) ---------------------------------------------------


async def serve(count: int, base_port: int, seconds: float) -> int:
    """Run the cluster; on "go" from stdin measure for ``seconds`` and print the figures."""
    config = SimConfig(port=base_port, gps_delay_s=0.0, prearm_delay_s=0.0)
    cluster = SimCluster(count, config)
    try:
        await cluster.start()
    except PortUnavailable as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return PORT_TAKEN
    try:
        print(json.dumps({"ready": True}), flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # "go"
        cluster.lag.reset()
        cpu_s, wall_s = time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        cpu_s, wall_s = time.process_time() - cpu_s, time.monotonic() - wall_s
        lag = cluster.lag.report()
        rows = cluster.status()
        result = {
            "cpu": cpu_s / wall_s,
            "step_p50_s": lag.vehicles.p50_s,
            "step_p99_s": lag.vehicles.p99_s,
            "step_max_s": lag.vehicles.max_s,
            "loop_p99_s": lag.loop.p99_s,
            "airborne": sum(1 for r in rows if r.armed and r.alt_m > 5.0),
        }
        print(json.dumps(result), flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # "stop"
    finally:
        await cluster.stop()
    return 0


# -- the ground station's side -----------------------------------------------------------------


@dataclass
class Client:
    """One light ground-station connection: counts frames by message id from their headers."""

    system_id: int
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    counts: dict[int, int] = field(default_factory=dict)
    acks: dict[int, int] = field(default_factory=dict)
    relative_alt_m: float = 0.0
    lat_e7: int = 0
    _buffer: bytearray = field(default_factory=bytearray)
    _mav: Any = field(
        default_factory=lambda: mavlink.MAVLink(None, srcSystem=255, srcComponent=190)
    )

    def send(self, message: Any) -> None:
        self.writer.write(message.pack(self._mav))

    def command(self, command: int, *params: float) -> None:
        p = [*params, *[0.0] * (7 - len(params))]
        self.send(mavlink.MAVLink_command_long_message(self.system_id, 1, command, 0, *p))

    async def read(self) -> None:
        while data := await self.reader.read(65536):
            self._buffer += data
            self._scan()

    def _scan(self) -> None:
        buf, at = self._buffer, 0
        while True:
            start = buf.find(0xFD, at)
            if start < 0 or len(buf) - start < 10:
                at = len(buf) if start < 0 else start
                break
            length, incompat = buf[start + 1], buf[start + 2]
            end = start + 12 + length + (13 if incompat & 1 else 0)
            if end > len(buf):
                at = start
                break
            msg_id = buf[start + 7] | buf[start + 8] << 8 | buf[start + 9] << 16
            self._seen(msg_id, bytes(buf[start + 10 : start + 10 + length]))
            at = end
        del buf[:at]

    def _seen(self, msg_id: int, payload: bytes) -> None:
        self.counts[msg_id] = self.counts.get(msg_id, 0) + 1
        if msg_id == mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT:
            lat, rel = struct.unpack_from("<4xi8xi", payload.ljust(28, b"\0"))
            self.lat_e7, self.relative_alt_m = lat, rel / 1000.0
        elif msg_id == mavlink.MAVLINK_MSG_ID_COMMAND_ACK:
            command, result = struct.unpack_from("<HB", payload.ljust(3, b"\0"))
            self.acks[command] = result


async def connect(count: int, base_port: int) -> list[Client]:
    clients = []
    for i in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port_for(base_port, i))
        clients.append(Client(i + 1, reader, writer))
    return clients


async def heartbeats(clients: list[Client]) -> None:
    """Once a second, as a ground station does (so the GCS failsafe sees a live link)."""
    beat = mavlink.MAVLink_heartbeat_message(
        mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, mavlink.MAV_STATE_ACTIVE, 3
    )
    while True:
        for c in clients:
            c.send(beat)
        await asyncio.sleep(1.0)


def take_off(client: Client) -> None:
    for msg_id in FAST:
        client.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, msg_id, 1e6 / FAST_HZ)
    custom = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
    client.command(mavlink.MAV_CMD_DO_SET_MODE, custom, 4)  # GUIDED
    client.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    client.command(mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, TAKEOFF_M)


def go_north(client: Client, base: SimConfig) -> None:
    home = vehicle_config(base, client.system_id - 1)
    lat, _ = LocalFrame(lat0_deg=home.home_lat_deg, lon0_deg=home.home_lon_deg).to_global(
        GOTO_NORTH_M, 0.0
    )
    client.send(
        mavlink.MAVLink_set_position_target_global_int_message(
            0, client.system_id, 1, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, POSITION_ONLY,
            round(lat * 1e7), round(home.home_lon_deg * 1e7), TAKEOFF_M, 0, 0, 0, 0, 0, 0, 0, 0,
        )
    )  # fmt: skip


async def measure(count: int, seconds: float) -> dict[str, Any]:
    """One run of ``count`` vehicles; the figures of both sides."""
    while True:
        base_port = find_free_base_port(count)
        child = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve", str(count), str(base_port), str(seconds),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert child.stdin is not None
        assert child.stdout is not None
        line = await child.stdout.readline()
        if line:
            break
        if await child.wait() != PORT_TAKEN:
            raise RuntimeError(f"the simulator process failed with exit code {child.returncode}")
    base = SimConfig(port=base_port)
    clients = await connect(count, base_port)
    readers = [asyncio.create_task(c.read()) for c in clients]
    readers.append(asyncio.create_task(heartbeats(clients)))
    try:
        for c in clients:
            take_off(c)
        await asyncio.sleep(WARMUP_S)
        refused = sum(1 for c in clients if any(r != 0 for r in c.acks.values()))
        for c in clients:
            c.counts.clear()
        child.stdin.write(b"go\n")
        cpu_s, started_s = time.process_time(), time.monotonic()
        await asyncio.sleep(seconds / 2)
        for c in clients:
            go_north(c, base)
        await asyncio.sleep(started_s + seconds - time.monotonic())
        received = [dict(c.counts) for c in clients]
        client_cpu = (time.process_time() - cpu_s) / (time.monotonic() - started_s)
        sim = json.loads(await child.stdout.readline())
        north = sum(1 for c in clients if c.lat_e7 > base.home_lat_deg * 1e7 + 100)  # > 1 m
        child.stdin.write(b"stop\n")
        await child.stdin.drain()
    finally:
        readers[-1].cancel()
        for c in clients:
            c.writer.close()
        await asyncio.gather(*readers, return_exceptions=True)
        await child.wait()
    fast = sum(n for counts in received for msg_id, n in counts.items() if msg_id in FAST)
    total = sum(n for counts in received for n in counts.values())
    expected = count * len(FAST) * FAST_HZ * seconds
    return {
        "count": count,
        "fast_per_s": fast / seconds,
        "expected_per_s": expected / seconds,
        "all_per_s": total / seconds,
        "received": fast / expected,
        "client_cpu": client_cpu,
        "refused": refused,
        "north": north,
        **sim,
    }


def keeps_real_time(row: dict[str, Any]) -> bool:
    return bool(row["received"] >= KEEPS_RECEIVED and row["step_p99_s"] < KEEPS_P99_S)


def print_table(rows: list[dict[str, Any]]) -> None:
    base = rows[0]
    head = (
        "| vehicles | 10 Hz msgs/s (expected) | received | all msgs/s | msgs/s per vehicle ÷ "
        "baseline | sim CPU | CPU per vehicle ÷ baseline | step delay p50 / p99 / max ms | "
        "loop lag p99 ms | client CPU | airborne / heading north | keeps real time |"
    )
    print(head)
    print("|" + "---:|" * (head.count("|") - 2) + "---|")
    for r in rows:
        per_vehicle = r["fast_per_s"] / r["count"] / (base["fast_per_s"] / base["count"])
        cpu_ratio = (r["cpu"] / r["count"]) / (base["cpu"] / base["count"])
        print(
            f"| {r['count']} | {r['fast_per_s']:,.0f} ({r['expected_per_s']:,.0f}) "
            f"| {r['received']:.1%} | {r['all_per_s']:,.0f} | {per_vehicle:.3f} "
            f"| {r['cpu']:.0%} | {cpu_ratio:.2f} "
            f"| {r['step_p50_s'] * 1e3:.1f} / {r['step_p99_s'] * 1e3:.1f} / "
            f"{r['step_max_s'] * 1e3:.1f} | {r['loop_p99_s'] * 1e3:.1f} | {r['client_cpu']:.0%} "
            f"| {r['airborne']} / {r['north']} | {'yes' if keeps_real_time(r) else 'no'} |"
        )
    kept = [r["count"] for r in rows if keeps_real_time(r)]
    refused = sum(r["refused"] for r in rows)
    print(f"\nlargest N that keeps real time: {max(kept) if kept else 'none'}")
    if refused:
        print(f"warning: {refused} vehicles refused a command (the flight part did not run)")


async def bench(counts: list[int], seconds: float) -> None:
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average before: {', '.join(f'{v:.2f}' for v in os.getloadavg())}; "
        f"{seconds:g} s measured per run at speedup 1",
        flush=True,
    )
    rows: list[dict[str, Any]] = []
    failed_in_a_row = 0
    for count in counts:
        row = await measure(count, seconds)
        rows.append(row)
        print(
            f"  {count} vehicles: {row['received']:.1%} received, sim CPU {row['cpu']:.0%}, "
            f"step delay p99 {row['step_p99_s'] * 1e3:.1f} ms",
            file=sys.stderr,
            flush=True,
        )
        failed_in_a_row = 0 if keeps_real_time(row) else failed_in_a_row + 1
        if failed_in_a_row == 2:
            break
    print(flush=True)
    print_table(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default=COUNTS, help="vehicle counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured wall seconds")
    parser.add_argument(
        "--serve", nargs=3, metavar=("N", "BASE", "SECONDS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        count, base_port, seconds = args.serve
        sys.exit(asyncio.run(serve(int(count), int(base_port), float(seconds))))
    counts = [int(n) for n in args.counts.split(",")]
    if counts[0] != 1:
        counts.insert(0, 1)  # the baseline
    asyncio.run(bench(counts, args.seconds))


if __name__ == "__main__":
    main()
