"""A record-only context broker: keeps what would have been sent, in memory and, given a
file, as JSON Lines (one request a line), for tests and dry runs.

It holds what a broker would hold after those requests, so publishing against it behaves
as against a real one — the second publish finds the first's entities, a withdrawal
deletes them. Given a file that exists, it starts from the requests the file records: a
dry run to the same file again shows what changed since.

Each line is ``{"operation": "upsert", "entities": […]}`` or ``{"operation": "delete",
"ids": […]}``.
"""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from api.city_platform.broker import ContextBroker
from api.city_platform.errors import BrokerUnavailable
from api.city_platform.ngsi import Entity

__all__ = ["RecordingBroker"]


class RecordingBroker:
    """Records requests; optionally passes them on to ``forward_to`` (then the real broker
    answers what it holds, and the file is a log of what was sent to it)."""

    def __init__(
        self, path: Path | None = None, *, forward_to: ContextBroker | None = None
    ) -> None:
        self.path = path
        self.forward_to = forward_to
        self.requests: list[dict[str, Any]] = []
        self.held: dict[str, Entity] = {}
        """What a broker would hold now: entity id → entity."""
        if path is not None and path.is_file():
            self._replay(path)

    def _replay(self, path: Path) -> None:
        try:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if line.strip():
                    self._apply(json.loads(line), f"{path}:{number}")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BrokerUnavailable(f"cannot replay {path}: {exc}") from exc

    def _apply(self, request: dict[str, Any], where: str = "") -> None:
        if request["operation"] == "upsert":
            self.held |= {str(e["id"]): e for e in request["entities"]}
        elif request["operation"] == "delete":
            for entity_id in request["ids"]:
                self.held.pop(str(entity_id), None)
        else:
            raise ValueError(f"{where}: unknown operation {request['operation']!r}")

    def _record(self, request: dict[str, Any]) -> None:
        self.requests.append(request)
        self._apply(request)
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(request, ensure_ascii=False, sort_keys=True) + "\n")
            except OSError as exc:
                raise BrokerUnavailable(f"cannot record to {self.path}: {exc}") from exc

    def published_ids(self, *, entity_type: str, context: str, id_prefix: str) -> frozenset[str]:
        """What the forwarded-to broker holds, else what the recorded requests left."""
        if self.forward_to is not None:
            return self.forward_to.published_ids(
                entity_type=entity_type, context=context, id_prefix=id_prefix
            )
        return frozenset(
            i
            for i, e in self.held.items()
            if e.get("type") == entity_type and i.startswith(id_prefix)
        )

    def upsert(self, entities: Sequence[Entity]) -> None:
        """Record the upsert (and pass it on)."""
        if not entities:
            return
        self._record({"operation": "upsert", "entities": list(entities)})
        if self.forward_to is not None:
            self.forward_to.upsert(entities)

    def delete(self, entity_ids: Sequence[str]) -> None:
        """Record the deletion (and pass it on)."""
        if not entity_ids:
            return
        self._record({"operation": "delete", "ids": list(entity_ids)})
        if self.forward_to is not None:
            self.forward_to.delete(entity_ids)
