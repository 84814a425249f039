"""A simulated fleet run from a thread, for programs that are not asyncio."""

import socket

import pytest

from sim import SimConfig
from sim.background import BackgroundSim
from sim.cluster import SimCluster
from sim.errors import EndpointError
from tests.sim.gcs import Gcs


def test_vehicles_listen_and_answer_and_stop() -> None:
    with BackgroundSim(SimCluster(2, SimConfig(port=0, gps_delay_s=0.0))) as sim:
        ports = sim.cluster.ports
        gcs = Gcs(ports[1])
        try:
            assert gcs.recv("HEARTBEAT").get_srcSystem() == 2
        finally:
            gcs.close()
        assert sim.call(lambda: sim.cluster.vehicles[1].config.system_id) == 2
        with pytest.raises(ZeroDivisionError):
            sim.call(lambda: 1 / 0)  # an error on the loop comes back to the caller
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", ports[0])) != 0  # nothing listens any more
    sim.stop()  # twice is fine


def test_a_taken_port_is_raised_and_the_thread_ends() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sim = BackgroundSim(SimCluster(1, SimConfig(port=port)))
        with pytest.raises(EndpointError, match=str(port)):
            sim.start()
        assert not sim._thread.is_alive()
