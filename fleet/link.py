"""One MAVLink link: a transport, the MAVLink 2 codec, a reader thread and a heartbeat.

A :class:`Link` reads every message from its transport in a thread of its own,
keeps a :class:`~fleet.telemetry.TelemetryTracker` per vehicle heard on it (a
telemetry radio or a UDP port can carry several), publishes their events on the
bus, and sends the ground station's HEARTBEAT once a second — ArduPilot's
ground-station failsafe counts on it (it listens to system id ``SYSID_MYGCS``,
255 by default, which is Tanbo's). Services wait for answers with :meth:`Link.expect`,
registered *before* the request is sent so a quick answer cannot slip past::

    with link.expect(lambda m: m.get_type() == "COMMAND_ACK") as answer:
        link.send(request)
        ack = answer.get(timeout_s=1.5)

A TCP link whose far end closes is reopened every second until it is closed here.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from fleet.errors import LinkError
from fleet.events import EventBus, VehicleEvent
from fleet.telemetry import TelemetryTracker
from fleet.transport import Transport, open_transport

__all__ = ["GCS_COMPONENT", "GCS_SYSTEM", "Link", "Message", "Waiter"]

Message = Any
"""A pymavlink message (pymavlink has no type information)."""

GCS_SYSTEM = 255
"""Tanbo's MAVLink system id: ArduPilot's default SYSID_MYGCS."""
GCS_COMPONENT = mavlink.MAV_COMP_ID_MISSIONPLANNER

_READ_S = 0.1
_REOPEN_S = 1.0

logger = logging.getLogger(__name__)


class Waiter:
    """Messages matching a predicate, queued from the moment it was registered."""

    def __init__(self, match: Callable[[Message], bool]) -> None:
        self.match = match
        self._queue: queue.SimpleQueue[Message] = queue.SimpleQueue()

    def offer(self, msg: Message) -> None:
        if self.match(msg):
            self._queue.put(msg)

    def get(self, timeout_s: float) -> Message | None:
        """The next matching message, or None after ``timeout_s``."""
        try:
            return self._queue.get(timeout=max(timeout_s, 0.0))
        except queue.Empty:
            return None


class Link:
    """A MAVLink 2 link to one or more vehicles over one transport.

    Parameters
    ----------
    url
        A connection string (:mod:`fleet.transport`), e.g. ``tcp:127.0.0.1:5760``.
    bus
        Where the vehicles' events go; a new bus if not given.
    heartbeat_s
        Seconds between the ground station's heartbeats; 0 sends none.
    clock
        Monotonic seconds, for event times and link-loss timing.
    """

    def __init__(
        self,
        url: str,
        *,
        bus: EventBus | None = None,
        heartbeat_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        open_timeout_s: float = 5.0,
    ) -> None:
        self.url = url
        self.bus = bus or EventBus()
        self._clock = clock
        self._heartbeat_s = heartbeat_s
        self._open_timeout_s = open_timeout_s
        self._transport: Transport | None = open_transport(url, timeout_s=open_timeout_s)
        self._mav = mavlink.MAVLink(None, srcSystem=GCS_SYSTEM, srcComponent=GCS_COMPONENT)
        self._mav.robust_parsing = True
        self._send_lock = threading.Lock()
        self._waiters: list[Waiter] = []
        self._listeners: list[Callable[[Message], None]] = []
        self._lock = threading.Lock()
        self.trackers: dict[int, TelemetryTracker] = {}
        self._heard = threading.Condition()
        self._closing = threading.Event()
        self._reader = threading.Thread(target=self._read_loop, name=f"link {url}", daemon=True)
        self._beater = threading.Thread(target=self._beat_loop, name=f"beat {url}", daemon=True)
        self._reader.start()
        if heartbeat_s > 0:
            self._beater.start()

    def __repr__(self) -> str:
        return f"Link({self.url!r}, vehicles={sorted(self.trackers)})"

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Stop the threads and release the transport; safe to repeat."""
        self._closing.set()
        with self._send_lock:
            transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
        for thread in (self._reader, self._beater):
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(timeout=2.0)

    def __enter__(self) -> "Link":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """:meth:`close` was called."""
        return self._closing.is_set()

    # -- sending -----------------------------------------------------------------------

    def send(self, msg: Message) -> None:
        """Pack ``msg`` as a MAVLink 2 frame from the ground station and send it.

        Raises
        ------
        LinkError
            The link is closed.
        """
        transport = self._transport
        if transport is None:
            raise LinkError(f"link {self.url} is closed")
        with self._send_lock:  # one frame at a time, in sequence order, whole
            frame = msg.pack(self._mav)
            self._mav.seq = (self._mav.seq + 1) % 256
            transport.write(frame)

    # -- receiving ---------------------------------------------------------------------

    @contextmanager
    def expect(self, match: Callable[[Message], bool]) -> Iterator[Waiter]:
        """Queue the messages that ``match`` from now until the block ends."""
        waiter = Waiter(match)
        with self._lock:
            self._waiters.append(waiter)
        try:
            yield waiter
        finally:
            with self._lock:
                self._waiters.remove(waiter)

    def listen(self, listener: Callable[[Message], None]) -> Callable[[], None]:
        """Call ``listener`` (in the reader thread) with every message; returns the undo."""
        with self._lock:
            self._listeners.append(listener)

        def unlisten() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unlisten

    def wait_for_vehicle(self, system_id: int | None = None, *, timeout_s: float = 10.0) -> int:
        """Block until a vehicle (``system_id``, or any) has been heard; its system id.

        Raises
        ------
        LinkError
            None was heard within ``timeout_s``.
        """
        deadline = self._clock() + timeout_s
        with self._heard:
            while True:
                heard = [
                    sid for sid, t in self.trackers.items()
                    if t.status.connected and (system_id is None or sid == system_id)
                ]  # fmt: skip
                if heard:
                    return min(heard)
                left = deadline - self._clock()
                if left <= 0 or self.closed:
                    who = "a vehicle" if system_id is None else f"vehicle {system_id}"
                    raise LinkError(f"no heartbeat from {who} on {self.url} in {timeout_s:g} s")
                self._heard.wait(min(left, 0.2))

    def tracker(self, system_id: int) -> TelemetryTracker:
        """The telemetry of ``system_id`` (created empty if not heard yet)."""
        with self._heard:
            if system_id not in self.trackers:
                self.trackers[system_id] = TelemetryTracker(system_id)
            return self.trackers[system_id]

    # -- the threads -------------------------------------------------------------------

    def _read_loop(self) -> None:
        while not self._closing.is_set():
            transport = self._transport
            if transport is None:
                return
            data = transport.read(_READ_S)
            now = self._clock()
            if data is None:
                self._reopen()
            elif data:
                try:
                    messages = self._mav.parse_buffer(data) or []
                except Exception:  # pymavlink on bytes it cannot take: drop them, go on
                    logger.exception("link %s: unparsable bytes dropped", self.url)
                    messages = []
                for msg in messages:
                    try:
                        self._deliver(msg, now)
                    except Exception:  # one bad message must not end the link's thread
                        logger.exception("link %s: could not take %s", self.url, msg)
            self._check_links(now)

    def _deliver(self, msg: Message, now: float) -> None:
        if msg.get_type() == "BAD_DATA":
            return
        source = msg.get_srcSystem()
        events: list[VehicleEvent] = []
        is_gcs = msg.get_type() == "HEARTBEAT" and msg.type == mavlink.MAV_TYPE_GCS
        if source != GCS_SYSTEM and not is_gcs and msg.get_srcComponent() == 1:
            with self._heard:
                tracker = self.trackers.get(source)
                if tracker is None:
                    tracker = self.trackers[source] = TelemetryTracker(source)
                events = tracker.update(msg, now)
                self._heard.notify_all()
        with self._lock:
            waiters = list(self._waiters)
            listeners = list(self._listeners)
        for waiter in waiters:
            waiter.offer(msg)
        for listener in listeners:
            try:
                listener(msg)
            except Exception:
                logger.exception("link listener failed on %s", msg)
        for event in events:
            self.bus.publish(event)

    def _check_links(self, now: float) -> None:
        with self._heard:
            events = [e for t in self.trackers.values() for e in t.check_link(now)]
        for event in events:
            self.bus.publish(event)

    def _reopen(self) -> None:
        old = self._transport
        if old is not None:
            old.close()
        while not self._closing.is_set():
            try:
                reopened = open_transport(self.url, timeout_s=self._open_timeout_s)
            except LinkError as exc:
                logger.info("link %s: %s", self.url, exc)
                self._check_links(self._clock())
                self._closing.wait(_REOPEN_S)
                continue
            with self._send_lock:
                if self._closing.is_set():  # closed while we were connecting
                    reopened.close()
                    return
                self._transport = reopened
            logger.info("link %s reopened", self.url)
            return

    def _beat_loop(self) -> None:
        heartbeat = mavlink.MAVLink_heartbeat_message(
            mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, mavlink.MAV_STATE_ACTIVE, 3
        )
        while not self._closing.wait(self._heartbeat_s):
            try:
                self.send(heartbeat)
            except LinkError:
                return
