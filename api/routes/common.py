"""Pieces every router shares: the page envelope, documented problems, upload names."""

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

from fastapi import UploadFile
from pydantic import BaseModel

from api.errors import TooLarge
from api.problems import PROBLEM_JSON, Problem

__all__ = [
    "MAX_UPLOAD_BYTES",
    "Page",
    "ProblemResponses",
    "VersionedResponses",
    "safe_upload_name",
    "saved_upload",
]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, how many match in all, and where the page starts."""

    data: list[T]
    count: int
    limit: int
    offset: int


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "model": Problem, "content": {PROBLEM_JSON: {}}}


ProblemResponses: dict[int | str, dict[str, Any]] = {
    401: _problem("No valid bearer token."),
    403: _problem("The caller's roles do not allow this."),
    404: _problem("No such resource, or not one the caller may see."),
    422: _problem("The request is not valid; `errors` names each bad item."),
    503: _problem("The database (or a city platform) cannot be reached; try again."),
}
"""Problem answers documented on every router (RFC 9457)."""

VersionedResponses: dict[int | str, dict[str, Any]] = {
    409: _problem("The change contradicts the stored state (e.g. an illegal transition)."),
    412: _problem("If-Match names a version that is no longer current."),
    428: _problem("No If-Match: say which version you change."),
}
"""Problem answers of the routes that change a versioned resource (If-Match)."""

MAX_UPLOAD_BYTES = 100 << 20
"""The largest boundary file taken over HTTP (a whole municipality's fude polygons fit)."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_upload_name(name: str | None, *, default: str) -> str:
    """A file name from an upload that cannot leave its folder, keeping the extension.

    >>> safe_upload_name("../../etc/passwd", default="x.geojson")
    'passwd'
    >>> safe_upload_name("北条 fields.gpkg", default="x.geojson")
    'fields.gpkg'
    >>> safe_upload_name(None, default="x.geojson")
    'x.geojson'
    """
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip("._")
    return cleaned[-120:] or default


@contextmanager
def saved_upload(file: UploadFile, *, default: str) -> Iterator[Path]:
    """The upload written to a private temporary folder (under a safe name), removed after."""
    with tempfile.TemporaryDirectory(prefix="tanbo-upload-") as folder:
        path = Path(folder) / safe_upload_name(file.filename, default=default)
        written = 0
        with path.open("wb") as sink:
            while chunk := file.file.read(1 << 20):
                written += len(chunk)
                if written > MAX_UPLOAD_BYTES:
                    raise TooLarge(
                        f"{path.name}: larger than {MAX_UPLOAD_BYTES // (1 << 20)} MiB; "
                        "split it, or import it with tanbo fields import"
                    )
                sink.write(chunk)
        yield path
