"""Every error becomes a response here, in one place: ``{"detail": "<one line>"}``.

camfleet's own errors map by kind (unknown id 404, conflict 409, bad input 422, database
down 503); request validation errors name the field; anything unexpected is a 500 whose body
says only to read the server log (the traceback goes there, never to the client).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from camfleet.control.errors import ConflictError, NotFoundError
from camfleet.errors import CamfleetError, ConfigError, ModelError, SourceError, StoreError

__all__ = ["install_error_handlers", "status_for"]

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[CamfleetError], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (ConfigError, 422),
    (ModelError, 422),
    (SourceError, 422),
    (StoreError, 503),
)


def status_for(error: CamfleetError) -> int:
    return next((status for kind, status in _STATUS if isinstance(error, kind)), 400)


def _field(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def validation_detail(exc: RequestValidationError) -> str:
    errors = list(exc.errors())
    if not errors:
        return "invalid request"
    first = errors[0]
    where = _field(tuple(first.get("loc", ())))
    message = str(first.get("msg", "invalid value"))
    if first.get("type") == "json_invalid":
        message = f"{message}: the body is not valid JSON; send a JSON object"
    elif first.get("type") == "extra_forbidden":
        message = f"{message}: remove this field (see /docs for the fields)"
    more = len(errors) - 1
    tail = f"; and {more} more problem{'s' if more > 1 else ''}" if more else ""
    return f"{where}: {message}{tail}" if where else f"{message}{tail}"


def install_error_handlers(app: FastAPI) -> None:
    async def camfleet_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CamfleetError)
        status = status_for(exc)
        if status >= 500:
            log.warning("%s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"detail": validation_detail(exc)}, status_code=422)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return JSONResponse(
            {"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            {"detail": "internal error; the server log has the details"}, status_code=500
        )

    app.add_exception_handler(CamfleetError, camfleet_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
