"""Errors as RFC 9457 problem documents (``application/problem+json``), in one place.

Every error the API answers with is a problem document: ``type`` (a URI naming the
kind of problem, relative to the API), ``title``, ``status``, ``detail`` (this
occurrence, in words) and ``instance`` (the request path); validation problems add
``errors``, one per bad item, each naming where it is; a refused drop point adds
``problems``, every check it failed in words.
"""

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.accounts import BadCredentials
from api.currency import PlatformRefused, PlatformUnavailable, WebhookRejected
from api.errors import (
    ApiError,
    ConfigError,
    Conflict,
    Forbidden,
    NotConfigured,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    StorageError,
    TooLarge,
)
from api.identity import LoginRejected, ProviderMismatch, ProviderUnavailable
from api.logistics.service import Unserviceable
from core.errors import TanboError
from fields.agronomy import (
    BadPrescription,
    BadRaster,
    BandProblem,
    FieldOutsideImage,
    NotEnoughData,
)
from fleet import UnknownVehicle
from logistics import BadRequest, DropPointRefused, IllegalTransition

__all__ = ["PROBLEM_JSON", "Problem", "install_problem_handlers", "problem_response"]

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("tanbo.api")

_KINDS: Sequence[tuple[type[Exception], int, str, str]] = (
    (BadCredentials, 401, "unauthenticated", "Authentication required"),
    (LoginRejected, 401, "login-rejected", "The login was refused"),
    (ProviderUnavailable, 503, "identity-unavailable", "The city identity cannot be reached"),
    (ProviderMismatch, 502, "identity-misconfigured", "The city identity does not fit"),
    (Forbidden, 403, "forbidden", "Not allowed"),
    (NotFound, 404, "not-found", "Not found"),
    (UnknownVehicle, 404, "not-found", "Not found"),
    (Conflict, 409, "conflict", "Conflict with the stored state"),
    (PreconditionFailed, 412, "precondition-failed", "The resource has changed"),
    (PreconditionRequired, 428, "precondition-required", "If-Match required"),
    (NotConfigured, 404, "not-configured", "Not configured on this server"),
    (TooLarge, 413, "too-large", "Too large"),
    (StorageError, 503, "storage-unavailable", "Storage unavailable"),
    (WebhookRejected, 400, "webhook-rejected", "The webhook is not genuine or not fresh"),
    (PlatformRefused, 409, "payment-refused", "The currency platform refused"),
    (PlatformUnavailable, 503, "payment-unavailable", "The currency platform cannot be reached"),
    (ConfigError, 500, "configuration", "Server misconfigured"),
    (BadRaster, 422, "bad-raster", "The image cannot be used"),
    (BandProblem, 422, "band-problem", "A band is missing, mixed up or not reflectance"),
    (FieldOutsideImage, 422, "field-outside-image", "The field is not on the image"),
    (BadPrescription, 422, "bad-prescription", "No usable prescription"),
    (NotEnoughData, 422, "not-enough-data", "Not enough data"),
    (Unserviceable, 422, "unserviceable", "No vehicle can carry it"),
    (DropPointRefused, 422, "drop-point-refused", "The drop point fails its checks"),
    (IllegalTransition, 409, "illegal-transition", "Not allowed in the delivery's state"),
    (BadRequest, 422, "bad-logistics-request", "Not a delivery, place or vehicle Tanbo takes"),
)


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


def problem_response(
    request: Request,
    status: int,
    kind: str,
    title: str,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem document response."""
    body: dict[str, Any] = {
        "type": f"/problems/{kind}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _classify(exc: Exception) -> tuple[int, str, str]:
    if isinstance(exc, OperationalError | InterfaceError):  # the database is down or gone
        return 503, "storage-unavailable", "Storage unavailable"
    for cls, status, kind, title in _KINDS:
        if isinstance(exc, cls):
            return status, kind, title
    if isinstance(exc, TanboError | ValueError):
        # A domain rule broken by the request (an invalid record, a refused plan).
        return 422, "invalid", "The request breaks a rule"
    return 500, "internal", "Internal error"


async def _tanbo_error(request: Request, exc: Exception) -> JSONResponse:
    status, kind, title = _classify(exc)
    if kind == "internal":
        _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    headers = {"WWW-Authenticate": 'Bearer realm="tanbo"'} if status == 401 else None
    if kind == "internal" or isinstance(exc, OperationalError | InterfaceError | StorageError):
        detail = "an unexpected error; it has been logged"
        if status == 503:  # the driver's words (hosts, paths, values) stay in the log
            _log.error("database on %s %s: %s", request.method, request.url.path, exc)
            detail = "the database cannot be reached; try again shortly"
    else:
        detail = str(exc)
    extra = {"problems": list(exc.problems)} if isinstance(exc, DropPointRefused) else {}
    return problem_response(request, status, kind, title, detail, headers=headers, **extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "where": ".".join(str(p) for p in error.get("loc", ())),
            "problem": str(error.get("msg", "")),
        }
        for error in exc.errors()
    ]
    first = errors[0] if errors else {"where": "request", "problem": "invalid"}
    return problem_response(
        request,
        422,
        "invalid-request",
        "The request is not valid",
        f"{first['where']}: {first['problem']}",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind = {404: "not-found", 405: "method-not-allowed", 401: "unauthenticated"}.get(
        exc.status_code, "http"
    )
    return problem_response(
        request,
        exc.status_code,
        kind,
        str(exc.detail) if exc.status_code != 404 else "Not found",
        str(exc.detail),
        headers=dict(exc.headers) if exc.headers else None,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a problem document."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ApiError, _tanbo_error)
    app.add_exception_handler(TanboError, _tanbo_error)
    app.add_exception_handler(ValueError, _tanbo_error)
    app.add_exception_handler(Exception, _tanbo_error)
