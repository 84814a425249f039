"""Paddy water at scale: MQTT readings stored per second with none lost, and the control tick.

1. **Readings in.** N water-level readings (default 10,000: 200 sensors on 200 paddies, one
   every 10 min of device time) are published at QoS 1 by ``publish_readings`` from a child
   process (the devices) to a private Mosquitto, while this process runs ``MqttIngestor``
   with ``DatabaseSink`` (batches of 500, PUBACK only once stored). Timed from the "go" to
   the publisher until the sink has stored all N; then ``count_readings`` must equal N
   (none lost). SQLite (a file) and PostgreSQL (127.0.0.1), each run on a fresh copy of a
   database holding the paddies and devices. Baselines in this process: the same readings
   through ``store_readings`` directly, 500 a batch (ratio MQTT ÷ direct), and the MQTT path
   with a sink that stores nothing (what broker, client and parsing alone allow).
2. **Control tick.** ``--paddies`` paddies (default 10,000; transplanted 3 days before, so
   each holds a 5–7 cm band), each with a level sensor and an inlet gate, and one fresh
   level per paddy before each tick; ``IrrigationRunner.tick()`` on ``DatabaseControlStore``
   with ``InProcessGates``: the first tick, then ``--repeat`` more 10 min apart (the second
   takes in the acks of the first's commands). Split into reading the store, ``decide_all``
   and keeping the tick (``--repeat`` ≥ 2 for steady ticks). Baseline: the pure
   ``decide_all`` over the same inputs in memory; ratio tick ÷ decide.

    .venv/bin/python bench/irrigation.py [--readings 10000] [--paddies 10000] [--repeat 3]
    .venv/bin/python bench/irrigation.py --quick        # a smoke run, a few seconds
"""

import argparse
import asyncio
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import sqlalchemy
from sqlalchemy import Engine, insert
from sqlalchemy.engine import make_url

# bench/irrigation.py and bench/api.py would shadow the packages of the same names.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.db import connect, migrate
from api.irrigation.ingest import DatabaseSink
from api.irrigation.service import DatabaseControlStore
from api.irrigation.store import add_paddy, count_readings, register_device, store_readings
from api.irrigation.tables import DeviceRow, PaddyRow, ReadingRow
from core.clock import FakeClock
from irrigation import Device, DeviceKind, GateAck, Metric, Paddy, Reading
from irrigation.controller import Decision
from irrigation.gates_mqtt import InProcessGates
from irrigation.mqtt import MqttIngestor, MqttSettings, publish_readings
from irrigation.runner import ControlledPaddy, IrrigationRunner, TickReport

POSTGRES_URL = os.environ.get(
    "TANBO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
MOSQUITTO = "/usr/sbin/mosquitto"
BATCH = 500
T0 = datetime(2026, 5, 23, 1, 0, tzinfo=UTC)
"""The control bench's first tick: day 3 after transplanting (rooting, 6 cm ± 1)."""
TRANSPLANTED = date(2026, 5, 20)
T = TypeVar("T")


# --- databases and the broker -------------------------------------------------------------


class Databases:
    """Fresh databases: SQLite files in a folder, PostgreSQL databases dropped at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._created: list[str] = []

    def _admin(self, sql: str) -> None:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(sql)

    def fresh(self, backend: str, template: str | None = None) -> str:
        """A new database's URL, empty or a copy of ``template`` (a URL from here)."""
        name = f"tanbo_bench_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            path = self.folder / f"{name}.db"
            if template is not None:
                shutil.copy(make_url(template).database or "", path)
            return f"sqlite:///{path}"
        copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{copy}')
        self._created.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for name in self._created:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def private_broker(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A Mosquitto of this run's own whose queues never drop a QoS 1 message."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = folder / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        # The default, 1000 queued per client, drops QoS 1 messages to a subscriber that
        # falls behind a burst although the publisher had its PUBACK.
        "max_queued_messages 0\n"
        f"log_dest file {folder / 'mosquitto.log'}\n" + ("user root\n" if os.geteuid() == 0 else "")
    )
    broker = subprocess.Popen([MOSQUITTO, "-c", str(config)], stderr=subprocess.DEVNULL)
    for _ in range(500):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return broker, port
        time.sleep(0.02)
    broker.kill()
    raise RuntimeError(f"mosquitto did not start on port {port}")


def mqtt_settings(port: int) -> MqttSettings:
    return MqttSettings(
        port=port,
        client_id=f"bench{uuid.uuid4().hex[:8]}",
        session_expiry_s=60,
        reconnect_min_s=0.1,
        reconnect_max_s=1.0,
    )


# --- 1. readings in -----------------------------------------------------------------------


def sensor_readings(count: int, devices: int, start: datetime) -> list[Reading]:
    """``count`` water levels, every sensor once per 10 min of device time, drifting."""
    rng = random.Random(6)
    levels = [rng.uniform(3.0, 8.0) for _ in range(devices)]
    out: list[Reading] = []
    step = 0
    while len(out) < count:
        at = start + timedelta(minutes=10 * step)
        for d in range(min(devices, count - len(out))):
            levels[d] = min(max(levels[d] + rng.gauss(0.0, 0.2), -5.0), 20.0)
            out.append(
                Reading(
                    device_id=f"wl-{d:04d}",
                    metric=Metric.WATER_LEVEL,
                    value=round(levels[d], 1),
                    device_time=at,
                    farm="bench",
                    paddy_id=f"p-{d:04d}",
                )
            )
        step += 1
    return out


def readings_start(count: int, devices: int) -> int:
    """Device time of the first reading (epoch s): the last one falls 10 min before now."""
    steps = -(-count // devices)
    return int(time.time()) // 60 * 60 - 600 * steps


def publisher(port: int, client_id: str, count: int, devices: int, start: int) -> None:
    """The child: build the readings, say ``ready``, publish them all on ``go``."""
    readings = sensor_readings(count, devices, datetime.fromtimestamp(start, UTC))
    settings = MqttSettings(port=port, client_id=client_id, reconnect_min_s=0.1)
    print("ready", flush=True)
    sys.stdin.readline()
    begin = time.perf_counter()
    published = asyncio.run(publish_readings(settings, readings))
    print(f"{published} {time.perf_counter() - begin:.6f}", flush=True)


def seed_readings_db(databases: Databases, backend: str, devices: int) -> str:
    """A database with the paddies and sensors the readings come from."""
    url = databases.fresh(backend)
    engine = connect(url)
    migrate(engine)
    for d in range(devices):
        paddy = Paddy(id=f"p-{d:04d}", farm="bench", area_m2=2000.0, transplanted_on=TRANSPLANTED)
        add_paddy(engine, paddy, owner="bench")
        register_device(
            engine,
            Device(id=f"wl-{d:04d}", farm="bench", kind=DeviceKind.SENSOR, paddy_id=paddy.id),
        )
    engine.dispose()
    return url


class NullSink:
    """A reading sink that stores nothing: the MQTT path alone."""

    def __init__(self) -> None:
        self.stored = 0
        self.duplicates = 0

    async def store(self, readings: Sequence[Reading]) -> None:
        self.stored += len(readings)


async def through_mqtt(
    port: int, sink: NullSink | DatabaseSink, count: int, devices: int
) -> dict[str, float]:
    """Publish ``count`` readings from a child and wait until the sink has stored them."""
    settings = mqtt_settings(port)
    errors: list[str] = []
    async with MqttIngestor(settings, sink, on_error=errors.append) as ingestor:
        await ingestor.wait_connected()
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--publisher",
            str(port),
            f"{settings.client_id}-dev",
            str(count),
            str(devices),
            str(readings_start(count, devices)),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert child.stdin is not None
        assert child.stdout is not None
        assert (await child.stdout.readline()).strip() == b"ready"
        begin = time.perf_counter()
        child.stdin.write(b"go\n")
        await child.stdin.drain()
        result = asyncio.create_task(child.stdout.readline())
        last, last_change = sink.stored, time.perf_counter()
        while sink.stored < count:
            await asyncio.sleep(0.002)
            now = time.perf_counter()
            if sink.stored != last:
                last, last_change = sink.stored, now
            # Lost readings never come: give up once the publisher is done and all is quiet.
            if (result.done() and now - last_change > 5.0) or now - begin > 150.0:
                break
        elapsed = time.perf_counter() - begin
        published, publish_s = (await result).split()
        await child.wait()
    if errors:
        raise RuntimeError(f"{len(errors)} readings refused, e.g. {errors[0]}")
    return {
        "published": float(published),
        "sink_stored": float(sink.stored),
        "duplicates": float(sink.duplicates),
        "seconds": elapsed,
        "publish_s": float(publish_s),
    }


def directly(url: str, readings: list[Reading]) -> float:
    engine = connect(url)
    begin = time.perf_counter()
    for k in range(0, len(readings), BATCH):
        store_readings(engine, readings[k : k + BATCH], source="mqtt")
    elapsed = time.perf_counter() - begin
    assert count_readings(engine) == len(readings)
    engine.dispose()
    return elapsed


def ingest_table(
    databases: Databases, port: int, backends: list[str], count: int, devices: int, repeat: int
) -> None:
    seeds = {b: seed_readings_db(databases, b, devices) for b in backends}
    readings = sensor_readings(
        count, devices, datetime.fromtimestamp(readings_start(count, devices), UTC)
    )
    runs: dict[str, list[dict[str, float]]] = {"null": []}
    for backend in backends:
        runs[f"{backend} direct"], runs[f"{backend} mqtt"] = [], []
    for _ in range(repeat):
        runs["null"].append(asyncio.run(through_mqtt(port, NullSink(), count, devices)))
        for backend in backends:
            url = databases.fresh(backend, seeds[backend])
            runs[f"{backend} direct"].append({"seconds": directly(url, readings)})
            url = databases.fresh(backend, seeds[backend])
            engine = connect(url)
            figures = asyncio.run(through_mqtt(port, DatabaseSink(engine), count, devices))
            figures["stored"] = float(count_readings(engine))
            engine.dispose()
            runs[f"{backend} mqtt"].append(figures)

    def rate(key: str) -> float:
        return count / statistics.median(r["seconds"] for r in runs[key])

    print(f"\n## Readings in: {count:,} water levels from {devices} sensors, ×{repeat}\n")
    print(
        "| backend | path | published | stored | lost | duplicates | publisher done s | "
        "all stored s | readings/s | ÷ direct |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    null = runs["null"]
    print(
        f"| — | MQTT QoS 1 → sink storing nothing (baseline 2) | "
        f"{sum(r['published'] for r in null):,.0f} | {sum(r['sink_stored'] for r in null):,.0f}"
        f" (sink) | {sum(r['published'] - r['sink_stored'] for r in null):,.0f} | — | "
        f"{statistics.median(r['publish_s'] for r in null):.2f} | "
        f"{statistics.median(r['seconds'] for r in null):.2f} | {rate('null'):,.0f} | — |"
    )
    verdicts = []
    for backend in backends:
        direct = rate(f"{backend} direct")
        print(
            f"| {backend} | store_readings directly, {BATCH} a batch (baseline) | — | "
            f"{count * repeat:,} | — | — | — | "
            f"{statistics.median(r['seconds'] for r in runs[f'{backend} direct']):.2f} | "
            f"{direct:,.0f} | 1.00 |"
        )
        mqtt = runs[f"{backend} mqtt"]
        published = sum(r["published"] for r in mqtt)
        stored = sum(r["stored"] for r in mqtt)
        print(
            f"| {backend} | MQTT QoS 1 → MqttIngestor → DatabaseSink | {published:,.0f} | "
            f"{stored:,.0f} | {published - stored:,.0f} | "
            f"{sum(r['duplicates'] for r in mqtt):,.0f} | "
            f"{statistics.median(r['publish_s'] for r in mqtt):.2f} | "
            f"{statistics.median(r['seconds'] for r in mqtt):.2f} | "
            f"{rate(f'{backend} mqtt'):,.0f} | {rate(f'{backend} mqtt') / direct:.2f} |"
        )
        verdict = "none lost" if published == stored else f"LOST {published - stored:,.0f}"
        verdicts.append(f"- {backend}: published {published:,.0f}, stored {stored:,.0f}: {verdict}")
    print()
    for line in verdicts:
        print(line)


# --- 2. the control tick ------------------------------------------------------------------


class TimedStore:
    """``DatabaseControlStore`` with the seconds each call took."""

    def __init__(self, inner: DatabaseControlStore) -> None:
        self._inner = inner
        self.read_s = 0.0
        self.keep_s = 0.0

    def _timed(self, name: str, call: Callable[[], T]) -> T:
        begin = time.perf_counter()
        try:
            return call()
        finally:
            setattr(self, name, getattr(self, name) + time.perf_counter() - begin)

    def controlled(self, now: datetime) -> Sequence[ControlledPaddy]:
        return self._timed("read_s", lambda: self._inner.controlled(now))

    def newest_levels(
        self, paddy_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, Reading]:
        return self._timed("read_s", lambda: self._inner.newest_levels(paddy_ids, since, until))

    def rain_mm(
        self, paddy_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, float]:
        return self._timed("read_s", lambda: self._inner.rain_mm(paddy_ids, since, until))

    def keep(
        self, results: Sequence[tuple[ControlledPaddy, Decision]], acks: Sequence[GateAck]
    ) -> None:
        self._timed("keep_s", lambda: self._inner.keep(results, acks))


def seed_paddies(url: str, count: int) -> Engine:
    """``count`` paddies, each with a level sensor and an inlet gate, in three statements."""
    engine = connect(url)
    migrate(engine)
    now = T0 - timedelta(days=1)
    paddies, devices = [], []
    for i in range(count):
        farm = f"farm-{i // 50:04d}"
        paddy = Paddy(
            id=f"p-{i:05d}",
            farm=farm,
            area_m2=1000.0 + 500.0 * (i % 7),
            transplanted_on=TRANSPLANTED,
            inlet_flow_m3_h=20.0 + 5.0 * (i % 5),
        )
        row = {f.name: getattr(paddy, f.name) for f in fields(Paddy)}
        row.update(transplanted_on=TRANSPLANTED.isoformat(), owner=farm, mode="auto")
        row.update(calendar=None, control_state=None, version=1, created_at=now, updated_at=now)
        paddies.append(row)
        common = {"farm": farm, "paddy_id": paddy.id, "calibration": {}, "created_at": now}
        devices.append({**common, "id": f"lv-{i:05d}", "kind": "sensor", "role": None})
        devices.append({**common, "id": f"in-{i:05d}", "kind": "gate", "role": "inlet"})
    with engine.begin() as connection:
        connection.execute(insert(PaddyRow), paddies)
        connection.execute(insert(DeviceRow), [{**d, "updated_at": now} for d in devices])
    return engine


def store_levels(engine: Engine, levels: list[float], rng: random.Random, now: datetime) -> None:
    """One fresh level per paddy (the sensors' 10-minute report), in one statement: the
    storing path is what the readings table measures."""
    rows = []
    for i, level in enumerate(levels):
        levels[i] = min(max(level + rng.gauss(0.0, 0.15), 0.0), 15.0)
        value = round(levels[i], 1)
        rows.append(
            {
                "device_id": f"lv-{i:05d}",
                "paddy_id": f"p-{i:05d}",
                "metric": Metric.WATER_LEVEL.value,
                "raw_value": value,
                "value": value,
                "device_time": now - timedelta(seconds=30),
                "received_at": now - timedelta(seconds=20),
                "source": "mqtt",
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(ReadingRow), rows)


async def control_ticks(engine: Engine, count: int, repeat: int) -> dict[str, Any]:
    rng = random.Random(10)
    levels = [rng.uniform(2.0, 10.0) for _ in range(count)]
    clock = FakeClock(T0 - timedelta(minutes=10))
    timed = TimedStore(DatabaseControlStore(engine))
    runner = IrrigationRunner(timed, InProcessGates(clock=clock), clock=clock)
    ticks: list[tuple[TickReport, float, float]] = []
    for _ in range(1 + repeat):
        clock.advance(600)
        store_levels(engine, levels, rng, clock.now())
        timed.read_s = timed.keep_s = 0.0
        report = await runner.tick()
        await runner.drain()
        assert report.paddies == count
        assert not report.failed, report.failed[:3]
        ticks.append((report, timed.read_s, timed.keep_s))
    # Baseline: the pure decisions over the next tick's inputs, read once, decided in memory.
    clock.advance(600)
    store_levels(engine, levels, rng, clock.now())
    probe, now = DatabaseControlStore(engine), clock.now()
    paddies = probe.controlled(now)
    ids = [c.paddy.id for c in paddies]
    since = now - timedelta(minutes=10)
    inputs = (
        paddies,
        now,
        probe.newest_levels(ids, since, now),
        probe.rain_mm(ids, since, now),
        (),
    )
    pure = IrrigationRunner(probe, InProcessGates(clock=clock), clock=clock)
    decide = []
    for _ in range(repeat):
        begin = time.perf_counter()
        results, failed = pure.decide_all(*inputs)
        decide.append(time.perf_counter() - begin)
        assert len(results) == count
        assert not failed
    return {"ticks": ticks, "decide": decide}


def tick_row(
    backend: str, label: str, ticks: list[tuple[TickReport, float, float]], decide: float
) -> str:
    seconds = statistics.median(t.elapsed_s for t, _, _ in ticks)
    fastest = min(t.elapsed_s for t, _, _ in ticks)
    span = f"{seconds:.2f}" + (f" (min {fastest:.2f})" if len(ticks) > 1 else "")
    cells = [
        span,
        f"{statistics.median(r for _, r, _ in ticks):.2f}",
        f"{statistics.median(t.decide_s for t, _, _ in ticks):.2f}",
        f"{statistics.median(k for _, _, k in ticks):.2f}",
        f"{statistics.median(t.elapsed_s - t.decide_s for t, _, _ in ticks):.2f}",
        "/".join(f"{t.commands:,}" for t, _, _ in ticks),
        "/".join(f"{t.acks:,}" for t, _, _ in ticks),
        f"{decide:.2f}",
        f"{seconds / decide:.1f}",
    ]
    return f"| {backend} | {label} | " + " | ".join(cells) + " |"


def tick_table(databases: Databases, backends: list[str], count: int, repeat: int) -> None:
    print(f"\n## Control tick: {count:,} paddies, {1 + repeat} ticks 10 min apart\n")
    print(
        "| backend | tick | tick s | read s | decide s | keep s | rest (DB I/O, threads) s | "
        "commands | acks in | baseline: decide_all in memory s | tick ÷ decide |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    notes = []
    for backend in backends:
        begin = time.perf_counter()
        engine = seed_paddies(databases.fresh(backend), count)
        seeded_s = time.perf_counter() - begin
        figures = asyncio.run(control_ticks(engine, count, repeat))
        engine.dispose()
        decide = statistics.median(figures["decide"])
        first, second, steady = figures["ticks"][0], figures["ticks"][1], figures["ticks"][2:]
        print(tick_row(backend, "first (no memory yet)", [first], decide))
        print(tick_row(backend, "second (the first's acks in)", [second], decide))
        if steady:
            print(tick_row(backend, f"steady, median of {len(steady)}", steady, decide))
        notes.append(
            f"{backend}: registering {count:,} paddies and {2 * count:,} devices (bulk insert) "
            f"{seeded_s:.1f} s"
        )
    print()
    for note in notes:
        print(f"- {note}")


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) == 7 and sys.argv[1] == "--publisher":
        port, client_id, count, devices, start = sys.argv[2:]
        publisher(int(port), client_id, int(count), int(devices), int(start))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=200, help="sensors the readings come from")
    parser.add_argument("--paddies", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true", help="2,000 readings, 500 paddies, ×1")
    args = parser.parse_args()
    if args.quick:
        args.readings, args.devices, args.paddies, args.repeat = 2_000, 50, 500, 1
    backends = args.backends.split(",")
    # So that `timeout` or Ctrl-C still stops the broker and drops the databases.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with psycopg.connect(POSTGRES_URL) as admin:
        pg = admin.execute("SHOW server_version").fetchone()
    mosquitto = subprocess.run([MOSQUITTO, "-h"], capture_output=True, text=True).stdout
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLAlchemy {sqlalchemy.__version__}; PostgreSQL {pg[0] if pg else '?'} on 127.0.0.1; "
        f"{mosquitto.splitlines()[0] if mosquitto else 'mosquitto'} (private, "
        "max_queued_messages 0); load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    with tempfile.TemporaryDirectory(prefix="tanbo-bench-irrigation-") as tmp:
        folder = Path(tmp)
        databases = Databases(folder)
        broker, port = private_broker(folder)
        try:
            ingest_table(databases, port, backends, args.readings, args.devices, args.repeat)
            tick_table(databases, backends, args.paddies, args.repeat)
        finally:
            broker.kill()
            broker.wait()
            databases.drop_all()


if __name__ == "__main__":
    main()
