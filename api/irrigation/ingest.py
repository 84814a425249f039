"""Readings from the MQTT edge into the database: the ingestor's sink."""

import asyncio
import logging
from collections.abc import Sequence

from sqlalchemy import Engine

from api.irrigation.store import StoreResult, store_readings
from core.clock import Clock, SystemClock
from irrigation import Reading

__all__ = ["DatabaseSink"]

logger = logging.getLogger(__name__)


class DatabaseSink:
    """:class:`irrigation.mqtt.ReadingSink` on the database: each batch in one transaction,
    each reading once (a redelivery is counted, not stored again). The ingestor acknowledges
    a batch to the broker only after :meth:`store` returns."""

    def __init__(self, engine: Engine, *, source: str = "mqtt", clock: Clock | None = None):
        self._engine = engine
        self._source = source
        self._clock = clock or SystemClock()
        self.stored = 0
        self.duplicates = 0

    async def store(self, readings: Sequence[Reading]) -> None:
        """Store a batch (in a worker thread: the event loop keeps serving the broker)."""
        result: StoreResult = await asyncio.to_thread(
            store_readings, self._engine, readings, source=self._source, clock=self._clock
        )
        self.stored += result.stored
        self.duplicates += result.duplicates
        if result.unregistered:
            logger.info("readings from unregistered devices: %s", ", ".join(result.unregistered))
