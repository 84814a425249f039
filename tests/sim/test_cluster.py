"""Many vehicles in one loop: SITL's numbering, homes apart, a clean failed start, lag."""

import asyncio
import math
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from sim import EndpointError, SimConfig, port_for
from sim.cluster import (
    HOME_SPACING_M,
    LagStats,
    PortUnavailable,
    SimCluster,
    find_free_base_port,
)
from sim.physics import LocalFrame
from tests.sim.gcs import Gcs

T = TypeVar("T")

READY = {"gps_delay_s": 0.0, "prearm_delay_s": 0.0}


def with_cluster(cluster: SimCluster, client: Callable[[SimCluster], T]) -> T:
    """Run ``cluster`` on a loop here and ``client`` (blocking, pymavlink) in a thread beside it."""

    async def main() -> T:
        async with cluster:
            return await asyncio.to_thread(client, cluster)

    return asyncio.run(main())


def on_loop(cluster: SimCluster, body: Callable[[SimCluster], Awaitable[T]]) -> T:
    """Run ``body`` on the loop while ``cluster`` runs."""

    async def main() -> T:
        async with cluster:
            return await body(cluster)

    return asyncio.run(main())


def refuses(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return True
    return False


def test_vehicle_i_answers_as_system_i_plus_1_on_its_sitl_port() -> None:
    base = find_free_base_port(3)
    cluster = SimCluster(3, SimConfig(port=base, **READY))

    def client(cluster: SimCluster) -> list[tuple[int, Any]]:
        seen = []
        for i in range(3):
            gcs = Gcs(port_for(base, i))
            try:
                heartbeat = gcs.recv("HEARTBEAT")
                seen.append((heartbeat.get_srcSystem(), gcs.recv("GLOBAL_POSITION_INT")))
            finally:
                gcs.close()
        return seen

    seen = with_cluster(cluster, client)
    assert [sysid for sysid, _ in seen] == [1, 2, 3]
    assert cluster.ports == [base, base + 10, base + 20]
    frame = LocalFrame(lat0_deg=34.9283, lon0_deg=134.8414)
    for i, (_, pos) in enumerate(seen):  # in a line east of the base home, 5 m apart
        north, east = frame.to_local(pos.lat / 1e7, pos.lon / 1e7)
        assert abs(north) < 0.05
        assert east == pytest.approx(i * HOME_SPACING_M, abs=0.05)


def test_status_and_repr_say_what_runs_where() -> None:
    base = find_free_base_port(2)
    cluster = SimCluster(2, SimConfig(port=base, **READY))
    assert repr(cluster) == f"SimCluster(2 vehicles on tcp 127.0.0.1:{base}..{base + 10}, stopped)"

    async def body(cluster: SimCluster) -> tuple[str, list[Any]]:
        return repr(cluster), cluster.status()

    running, rows = on_loop(cluster, body)
    assert running.endswith(", running)")
    assert [(r.system_id, r.port, r.mode, r.armed, r.connected) for r in rows] == [
        (1, base, "STABILIZE", False, False),
        (2, base + 10, "STABILIZE", False, False),
    ]
    assert rows[0].battery_pct == pytest.approx(100.0)
    assert rows[1].home.lon_deg > rows[0].home.lon_deg
    assert not cluster.running


def test_a_taken_port_is_named_and_nothing_is_left_listening() -> None:
    base = find_free_base_port(3)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port_for(base, 1)))
        squatter.listen()
        cluster = SimCluster(3, SimConfig(port=base))
        with pytest.raises(EndpointError) as caught:
            asyncio.run(cluster.start())
    assert isinstance(caught.value, PortUnavailable)
    assert str(caught.value) == f"port {base + 10} is in use (vehicle 2)"
    assert (caught.value.port, caught.value.system_id, caught.value.in_use) == (base + 10, 2, True)
    assert not cluster.running
    assert refuses(base)  # vehicle 1 was started, then stopped again
    assert refuses(base + 20)


def test_a_cluster_beyond_the_last_port_is_refused_before_starting() -> None:
    with pytest.raises(ValueError, match="beyond 65535"):
        SimCluster(3, SimConfig(port=65520))
    with pytest.raises(ValueError, match=r"1\.\.255"):
        SimCluster(0)


def test_port_0_puts_each_vehicle_on_a_free_port() -> None:
    cluster = SimCluster(2, SimConfig(port=0, **READY))

    def client(cluster: SimCluster) -> list[int]:
        ids = []
        for port in cluster.ports:
            gcs = Gcs(port)
            try:
                ids.append(gcs.recv("HEARTBEAT").get_srcSystem())
            finally:
                gcs.close()
        return ids

    assert with_cluster(cluster, client) == [1, 2]


def test_an_idle_cluster_keeps_up_with_the_wall_clock() -> None:
    cluster = SimCluster(3, SimConfig(port=0, **READY))

    async def body(cluster: SimCluster) -> Any:
        await asyncio.sleep(0.1)
        cluster.lag.reset()
        await asyncio.sleep(0.5)
        return cluster.lag.report()

    report = on_loop(cluster, body)
    assert report.loop.samples >= 10
    assert report.vehicles.samples == report.loop.samples
    assert report.vehicles.p99_s < 0.2  # a tick is 0.02 s; slack for a busy machine
    assert report.loop.p99_s < 0.2
    assert set(report.vehicle_max_s) == {1, 2, 3}


def test_a_blocked_loop_shows_as_lag_of_every_vehicle() -> None:
    cluster = SimCluster(2, SimConfig(port=0, speedup=4.0, **READY))

    async def body(cluster: SimCluster) -> Any:
        await asyncio.sleep(0.1)
        cluster.lag.reset()
        time.sleep(0.3)  # the loop does nothing else meanwhile
        await asyncio.sleep(0.1)
        return cluster.lag.report()

    report = on_loop(cluster, body)
    assert report.loop.max_s >= 0.25
    assert all(0.25 <= late < 0.6 for late in report.vehicle_max_s.values())
    assert report.vehicles.max_s == max(report.vehicle_max_s.values())


def test_lag_percentiles_are_nearest_rank() -> None:
    stats = LagStats.of([i / 1000 for i in range(1, 101)])
    assert (stats.samples, stats.p50_s, stats.p99_s, stats.max_s) == (100, 0.05, 0.099, 0.1)
    assert LagStats.of([]).samples == 0
    assert math.isclose(LagStats.of([0.2]).p99_s, 0.2)
