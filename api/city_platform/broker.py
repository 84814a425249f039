"""The city's context broker behind a protocol, and its NGSI-LD HTTP client.

:class:`ContextBroker` is all publishing needs: which of Tanbo's entities the broker
holds, upsert a batch, delete some. :class:`HttpContextBroker` speaks the NGSI-LD API
(ETSI GS CIM 009) to any broker (Orion-LD, Scorpio, Stellio): batch upserts to
``POST /ngsi-ld/v1/entityOperations/upsert`` as ``application/ld+json`` in batches of at
most 100, batch deletes, and paged queries by type and id pattern. httpx's errors are
translated here and nowhere else; :mod:`api.city_platform.recording` has the record-only
broker for tests and dry runs.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Protocol, Self

import httpx

from api.city_platform.errors import BrokerError, BrokerRefused, BrokerUnavailable
from api.city_platform.ngsi import Entity

__all__ = ["MAX_BATCH", "ContextBroker", "HttpContextBroker", "batches"]

MAX_BATCH = 100
"""Entities per batch request (what brokers commonly accept, Orion-LD's default too)."""
_NOT_FOUND = "ResourceNotFound"


class ContextBroker(Protocol):
    """Where city data goes."""

    def published_ids(self, *, entity_type: str, context: str, id_prefix: str) -> frozenset[str]:
        """Ids of the entities of ``entity_type`` (a term of ``context``) whose id starts
        with ``id_prefix``: what Tanbo published before."""
        ...

    def upsert(self, entities: Sequence[Entity]) -> None:
        """Create the entities, or replace those that exist, whole."""
        ...

    def delete(self, entity_ids: Sequence[str]) -> None:
        """Delete entities; an id the broker does not hold is already deleted."""
        ...


def batches(items: Sequence[Any], size: int = MAX_BATCH) -> Iterator[Sequence[Any]]:
    """``items`` in slices of at most ``size``, in order.

    >>> [list(b) for b in batches(range(5), 2)]
    [[0, 1], [2, 3], [4]]
    """
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _problem(body: Any) -> str:
    if isinstance(body, Mapping):
        kind = str(body.get("type", "")).rsplit("/", 1)[-1]
        text = body.get("detail") or body.get("title") or ""
        return f"{kind}: {text}" if kind and text else str(kind or text or "refused")
    return "refused"


class HttpContextBroker:
    """A context broker at ``base_url`` (the part before ``/ngsi-ld/v1``) over HTTP.

    ``transport`` replaces the network (httpx's ``MockTransport`` in a unit test; the tests
    of this module use a real server); ``headers`` are sent with every request (a bearer
    token, ``NGSILD-Tenant``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        batch_size: int = MAX_BATCH,
        timeout_s: float = 30.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size {batch_size}: 1 to {MAX_BATCH}")
        self.batch_size = batch_size
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/ngsi-ld/v1",
            timeout=timeout_s,
            headers=dict(headers or {}),
            transport=transport,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    @contextmanager
    def _reaching(self, what: str) -> Iterator[None]:
        try:
            yield
        except httpx.HTTPError as exc:
            raise BrokerUnavailable(
                f"context broker at {self._client.base_url}: {what}: {exc}"
            ) from exc

    def _send(self, method: str, path: str, **given: Any) -> httpx.Response:
        with self._reaching(f"{method} {path}"):
            response = self._client.request(method, path, **given)
        if response.status_code >= 500:
            raise BrokerUnavailable(
                f"context broker at {self._client.base_url}: {method} {path}: "
                f"{response.status_code} {_problem(_json(response))}"
            )
        return response

    def published_ids(self, *, entity_type: str, context: str, id_prefix: str) -> frozenset[str]:
        """Ids by paged queries (``GET /entities?type=…&idPattern=^prefix``).

        Raises
        ------
        BrokerUnavailable
            No usable answer.
        BrokerError
            The broker refused the query.
        """
        link = (
            f'<{context}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
        )
        pattern = "^" + id_prefix.replace(".", r"\.")
        found: set[str] = set()
        offset = 0
        while True:
            params = {"type": entity_type, "idPattern": pattern, "limit": self.batch_size,
                      "offset": offset, "options": "keyValues"}  # fmt: skip
            response = self._send("GET", "/entities", params=params,
                                  headers={"Link": link, "Accept": "application/json"})  # fmt: skip
            page = _json(response)
            if response.status_code != 200 or not isinstance(page, list):
                raise BrokerError(
                    f"context broker at {self._client.base_url}: the query for {entity_type}: "
                    f"{response.status_code} {_problem(page)}"
                )
            found |= {e["id"] for e in page if str(e.get("id", "")).startswith(id_prefix)}
            if len(page) < self.batch_size:
                return frozenset(found)
            offset += len(page)

    def upsert(self, entities: Sequence[Entity]) -> None:
        """Upsert in batches (``options`` replace: an entity is replaced whole, so an
        attribute no longer there goes). Every batch is sent even when one is refused.

        Raises
        ------
        BrokerUnavailable
            No usable answer (the batches before it were taken).
        BrokerRefused
            Naming every entity refused, with the broker's reason.
        """
        failures: dict[str, str] = {}
        for batch in batches(entities, self.batch_size):
            response = self._send(
                "POST", "/entityOperations/upsert", json=list(batch),
                headers={"Content-Type": "application/ld+json"},
            )  # fmt: skip
            failures |= _failures(response, [str(e["id"]) for e in batch], ignore=())
        if failures:
            raise BrokerRefused("the upsert", failures, out_of=len(entities))

    def delete(self, entity_ids: Sequence[str]) -> None:
        """Delete in batches; ids the broker does not hold count as deleted.

        Raises
        ------
        BrokerUnavailable
            No usable answer.
        BrokerRefused
            Naming every entity the broker would not delete.
        """
        failures: dict[str, str] = {}
        for batch in batches(entity_ids, self.batch_size):
            response = self._send("POST", "/entityOperations/delete", json=list(batch))
            failures |= _failures(response, list(batch), ignore=(_NOT_FOUND,))
        if failures:
            raise BrokerRefused("the deletion", failures, out_of=len(entity_ids))


def _json(response: httpx.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return response.text[:200]


def _failures(
    response: httpx.Response, sent: list[str], *, ignore: tuple[str, ...]
) -> dict[str, str]:
    """The ids a batch answer refuses: none for 2xx but 207; 207 lists them (a
    BatchOperationResult); any other answer refuses the whole batch."""
    body = _json(response)
    if response.status_code == 207 and isinstance(body, Mapping):
        failed: dict[str, str] = {}
        for error in body.get("errors", []):
            reason = _problem(error.get("error"))
            if not (ignore and reason.startswith(ignore)):
                failed[str(error.get("entityId"))] = reason
        return failed
    if 200 <= response.status_code < 300:
        return {}
    reason = f"{response.status_code} {_problem(body)}"
    return dict.fromkeys(sent, reason)
