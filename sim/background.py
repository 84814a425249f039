"""A simulated fleet on an event loop of its own, in a background thread.

For a program that is not asyncio itself — the demo, a script, a test — but wants
simulated vehicles to talk to over real sockets::

    with BackgroundSim(SimCluster(1, SimConfig(port=0))) as sim:
        port = sim.cluster.ports[0]
        tank_l = sim.call(lambda: sim.cluster.vehicles[0].state.tank_l)

Never touch a vehicle from another thread: :meth:`BackgroundSim.call` runs a function on
the vehicles' loop and hands back its result.
"""

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from types import TracebackType
from typing import Any, TypeVar

from sim.cluster import SimCluster

__all__ = ["BackgroundSim"]

T = TypeVar("T")

_WAIT_S = 10.0


class BackgroundSim:
    """Runs ``cluster`` on a new event loop in a daemon thread until stopped."""

    def __init__(self, cluster: SimCluster) -> None:
        self.cluster = cluster
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="sim")

    def start(self) -> None:
        """Start the thread and the vehicles (they listen once this returns).

        Raises
        ------
        EndpointError
            A vehicle cannot listen on its port.
        """
        self._thread.start()
        try:
            self.run(self.cluster.start())
        except BaseException:
            self._halt()
            raise

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the vehicles' loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=_WAIT_S)

    def call(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` on the vehicles' loop and wait for its result."""
        future: Future[T] = Future()

        def job() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed back to the caller's thread
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(job)
        return future.result(timeout=_WAIT_S)

    def stop(self) -> None:
        """Stop the vehicles, the loop and the thread; safe to repeat."""
        if not self._thread.is_alive():
            return
        try:
            self.run(self.cluster.stop())
        finally:
            self._halt()

    def _halt(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=_WAIT_S)
        self._loop.close()

    def __enter__(self) -> "BackgroundSim":
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
