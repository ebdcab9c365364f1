"""The model page, `/models/current` (`/model` is the API's): the bundle's manifest, how it does
live, and each retrain's gate result from the models folder's gate log; for a cascade also its
threshold, its two bundles and the share of tickets sent to the accurate one, expected and live."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from classifier.bundle.gate_log import GATE_LOG, read_gate_records
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
    models_dir = service.settings.model_path.parent
    gates = await asyncio.to_thread(read_gate_records, models_dir)
    return page(
        request,
        "model.html",
        user,
        manifest=current.bundle.manifest,
        version=current.version,
        cascade=service.cascade_out(current),
        live=live,
        gates=gates,
        gate_log=models_dir / GATE_LOG,
    )
