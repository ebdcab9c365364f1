"""What every page module shares: the templates, rendering a page, the log's engine, the fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from serve.deps import ServiceDep
from serve.web.session import User

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")


def page(request: Request, name: str, user: User | None, **context: Any) -> HTMLResponse:
    """Template `name` rendered for `user` (None on the sign-in page)."""
    return templates.TemplateResponse(request, name, {"user": user, **context})


def fields(service: ServiceDep) -> list[str]:
    """The current bundle's label fields (`category` before a model is loaded)."""
    current = service.holder.current
    return list(current.bundle.manifest.fields) if current is not None else ["category"]


def engine(service: ServiceDep) -> Any:
    """The prediction log's engine, or 503 when the log is turned off."""
    if service.store is None:
        raise HTTPException(status_code=503, detail="the prediction log is turned off")
    return service.store.engine
