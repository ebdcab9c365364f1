"""HTTP answers for the errors a caller can fix."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse


async def ticketlens_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """A `TicketlensError` raised while handling a request is about the caller's input: 422."""
    return JSONResponse(status_code=422, content={"detail": str(exc)})
