"""The alerts page: stored alerts and releases, acknowledging an alert, recording a release."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from serve.deps import ServiceDep
from serve.web import alerts as stored
from serve.web.pages.common import engine, page
from serve.web.session import Admin, Agent, CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)


@router.get("/alerts", response_class=HTMLResponse)
async def alerts_page(request: Request, user: Viewer, service: ServiceDep) -> HTMLResponse:
    log = engine(service)
    rows = await asyncio.to_thread(stored.list_alerts, log)
    shipped = await asyncio.to_thread(stored.releases, log)
    return page(request, "alerts.html", user, alerts=rows, releases=shipped)


@router.post("/alerts/{alert_id}/ack")
async def alerts_ack(
    alert_id: int, user: Agent, service: ServiceDep, _csrf: CsrfChecked
) -> Response:
    await asyncio.to_thread(stored.acknowledge, engine(service), alert_id, user.name)
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/releases")
async def alerts_release(
    user: Admin,
    service: ServiceDep,
    _csrf: CsrfChecked,
    version: Annotated[str, Form()],
) -> Response:
    await asyncio.to_thread(
        stored.record_release, engine(service), version, None, f"by {user.name}"
    )
    return RedirectResponse("/alerts", status_code=303)
