"""A small NGSI-LD broker for the tests, served over real HTTP: batch upsert and delete,
and entity queries by type and id pattern with paging — the part of the API (ETSI GS CIM
009) Tanbo uses, with its status codes: 201 or 204 for a batch all taken, 207 with a
BatchOperationResult when some are refused, 415 for a body that is not
``application/ld+json``."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

from api.serving import serving

_ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


@dataclass
class FakeBroker:
    """What the broker holds and saw; ``refuse`` names ids it answers BadRequestData to,
    ``fail_with`` a status it answers every request with (a broken broker)."""

    base_url: str = ""
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: list[list[str]] = field(default_factory=list)
    """Ids of each upsert batch, in order."""
    deletions: list[list[str]] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    fail_with: int | None = None
    tenants: list[str | None] = field(default_factory=list)
    """Each request's ``NGSILD-Tenant`` header (None: the default tenant)."""
    authorizations: list[str | None] = field(default_factory=list)


def _problem(kind: str, detail: str) -> dict[str, str]:
    return {"type": _ERRORS + kind, "title": kind, "detail": detail}


def _batch_answer(created: list[str], errors: list[dict[str, Any]]) -> Response:
    if errors:
        return JSONResponse({"success": created, "errors": errors}, status_code=207)
    return JSONResponse(created, status_code=201) if created else Response(status_code=204)


def broker_app(state: FakeBroker) -> FastAPI:
    """The broker's HTTP app over ``state``."""
    app = FastAPI()

    @app.middleware("http")
    async def broken(request: Request, call_next: Any) -> Any:
        state.tenants.append(request.headers.get("ngsild-tenant"))
        state.authorizations.append(request.headers.get("authorization"))
        if state.fail_with is not None:
            return JSONResponse(_problem("InternalError", "down"), status_code=state.fail_with)
        return await call_next(request)

    @app.post("/ngsi-ld/v1/entityOperations/upsert")
    async def upsert(request: Request) -> Response:
        kind = request.headers.get("content-type", "")
        state.content_types.append(kind)
        if not kind.startswith("application/ld+json"):
            return JSONResponse(_problem("UnsupportedMediaType", kind), status_code=415)
        body = await request.json()
        state.batches.append([e.get("id") for e in body])
        created, errors = [], []
        for entity in body:
            entity_id = entity.get("id")
            if entity_id in state.refuse or "@context" not in entity or "type" not in entity:
                errors.append({"entityId": entity_id,
                               "error": _problem("BadRequestData", "not accepted")})  # fmt: skip
                continue
            if entity_id not in state.entities:
                created.append(entity_id)
            state.entities[entity_id] = entity
        return _batch_answer(created, errors)

    @app.post("/ngsi-ld/v1/entityOperations/delete")
    async def delete(request: Request) -> Response:
        ids = await request.json()
        state.deletions.append(ids)
        errors = []
        for entity_id in ids:
            if state.entities.pop(entity_id, None) is None:
                missing = _problem("ResourceNotFound", "no such entity")
                errors.append({"entityId": entity_id, "error": missing})
        return _batch_answer([], errors)

    @app.get("/ngsi-ld/v1/entities")
    async def query(
        request: Request,
        type: str,
        id_pattern: Annotated[str, Query(alias="idPattern")] = ".*",
        limit: int = 20,
        offset: int = 0,
    ) -> Response:
        state.links.append(request.headers.get("link", ""))
        if limit > 1000:
            return JSONResponse(_problem("TooManyResults", "limit"), status_code=400)
        pattern = re.compile(id_pattern)
        found = [
            {"id": i, "type": e["type"]}
            for i, e in sorted(state.entities.items())
            if e["type"] == type and pattern.match(i)
        ]
        return JSONResponse(found[offset : offset + limit])

    return app


@contextmanager
def fake_broker() -> Iterator[FakeBroker]:
    """A fake broker served on a free loopback port."""
    state = FakeBroker()
    with serving(broker_app(state)) as base_url:
        state.base_url = base_url
        yield state
