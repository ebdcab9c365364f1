"""HTTP answers for the errors a caller can fix."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from serve.edge import printable

MAX_ERRORS = 20
"""Most validation errors one 422 lists (a body of 20,000 bad tickets gets a short answer)."""


async def ticketlens_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """A `TicketlensError` raised while handling a request is about the caller's input: 422."""
    return JSONResponse(status_code=422, content={"detail": str(exc)})


def _loc_part(part: Any) -> Any:
    return printable(part)[:100] if isinstance(part, str) else part


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """422 with at most `MAX_ERRORS` errors, each its location, message and type (never the
    input, which may be large or not valid UTF-8)."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    shown = [
        {
            "loc": [_loc_part(part) for part in error.get("loc", ())],
            "msg": printable(str(error.get("msg", "")))[:300],
            "type": error.get("type", "value_error"),
        }
        for error in errors[:MAX_ERRORS]
    ]
    body: dict[str, Any] = {"detail": shown}
    if len(errors) > MAX_ERRORS:
        body["errors_total"] = len(errors)
    return JSONResponse(status_code=422, content=body)


class QueryRedactingFilter(logging.Filter):
    """Drop query strings from uvicorn's access log: a token sent as `?token=…` stays out."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, mark, _query = args[2].partition("?")
            if mark:
                record.args = (*args[:2], f"{path}?<redacted>", *args[3:])
        return True


def redact_access_log() -> None:
    """Install `QueryRedactingFilter` on uvicorn's access logger (once per process)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QueryRedactingFilter) for f in access.filters):
        access.addFilter(QueryRedactingFilter())
