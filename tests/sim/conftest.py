"""Fixtures: a ready simulated vehicle on a free port, and a ground station connected to it."""

from collections.abc import Iterator

import pytest

from tests.sim.gcs import Gcs, RunningSim, connected, running


@pytest.fixture
def sim() -> Iterator[RunningSim]:
    """A vehicle ready at once (fix and pre-arm checks passed) on a free port."""
    with running() as started:
        yield started


@pytest.fixture
def gcs(sim: RunningSim) -> Iterator[Gcs]:
    """A ground station connected to ``sim``, having seen its first HEARTBEAT."""
    with connected(sim) as station:
        station.recv("HEARTBEAT")
        yield station
