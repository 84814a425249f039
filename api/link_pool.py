"""The serving process's MAVLink links: one per vehicle connection, shared by whoever needs it.

A vehicle serves one ground-station connection on a TCP port (ArduPilot SITL and Tanbo's
simulator close a second at once), so everything in a ``tanbo serve`` process that talks
to a vehicle — the fleet watch that shows it on the operators' map, a mission's flight,
a delivery drone's trips — takes the same :class:`~fleet.link.Link` from here. A link is
opened by the first :meth:`LinkPool.acquire` and closed when the last holder releases it::

    link = pool.acquire("tcp:127.0.0.1:5760")
    try:
        ...  # fly, upload, read link.tracker(system_id).status
    finally:
        pool.release(link)

A :class:`~fleet.link.Link` is made to be shared (its waiters and listeners are per call,
its telemetry trackers are read-only for callers), so holders never close it themselves.
An abort that must cut short whatever waits on a link discards it: every holder sees it
closed, and the next acquire opens a new one.
"""

import threading
from dataclasses import dataclass

from fleet.errors import LinkError
from fleet.link import Link

__all__ = ["LinkPool"]


@dataclass
class _Held:
    link: Link
    holders: int


class LinkPool:
    """Links by connection URL, opened on first use and closed after the last use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}
        self._opening: dict[str, threading.Lock] = {}
        self._closed = False

    def acquire(self, url: str, *, open_timeout_s: float = 5.0) -> Link:
        """The link to ``url``, opened now if nobody holds it; release it when done.

        Raises
        ------
        fleet.errors.LinkError
            The connection cannot be opened (or the pool is closed).
        """
        with self._lock:
            opening = self._opening.setdefault(url, threading.Lock())
        with opening:  # one opener per URL; others wait for its link
            with self._lock:
                if self._closed:
                    raise LinkError(f"connection {url}: Tanbo is shutting down")
                held = self._held.get(url)
                if held is not None and not held.link.closed:
                    held.holders += 1
                    return held.link
            link = Link(url, open_timeout_s=open_timeout_s)
            with self._lock:
                self._held[url] = _Held(link=link, holders=1)
            return link

    def release(self, link: Link) -> None:
        """One holder is done with ``link``; the last one closes it."""
        with self._lock:
            url = self._url_of(link)
            if url is None:  # discarded or closed meanwhile
                return
            held = self._held[url]
            held.holders -= 1
            if held.holders > 0:
                return
            del self._held[url]
        link.close()

    def discard(self, link: Link) -> None:
        """Close ``link`` now for every holder (an abort cutting short what waits on it);
        the next :meth:`acquire` of its URL opens a new one."""
        with self._lock:
            url = self._url_of(link)
            if url is not None:
                del self._held[url]
        link.close()

    def _url_of(self, link: Link) -> str | None:
        return next((u for u, h in self._held.items() if h.link is link), None)

    def held(self, url: str) -> Link | None:
        """The open link to ``url`` if someone holds it (for reading its telemetry)."""
        with self._lock:
            held = self._held.get(url)
        return held.link if held is not None and not held.link.closed else None

    def close(self) -> None:
        """Close every link; nothing is opened after."""
        with self._lock:
            self._closed = True
            links = [h.link for h in self._held.values()]
            self._held.clear()
        for link in links:
            link.close()
