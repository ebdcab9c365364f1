"""The model page, `/models/current` (`/model` is the API's): the bundle's manifest and how it
does live."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from serve.deps import ServiceDep
from serve.web import aggregates
from serve.web.pages.common import engine, page
from serve.web.session import Viewer

router = APIRouter(include_in_schema=False)


@router.get("/models/current", response_class=HTMLResponse)
async def model_page(request: Request, user: Viewer, service: ServiceDep) -> HTMLResponse:
    current = service.classifier()
    log = engine(service)
    live = {
        f: await asyncio.to_thread(aggregates.label_counts, log, f)
        for f in current.bundle.manifest.fields
    }
    return page(
        request,
        "model.html",
        user,
        manifest=current.bundle.manifest,
        version=current.version,
        live=live,
    )
