"""The pages: sign-in, pulse, review queue, model (/models/current: /model is the API's) and
alerts, server-rendered with Jinja2."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from serve.deps import ServiceDep
from serve.web import aggregates, alerts, queue
from serve.web.chart import stacked_chart
from serve.web.session import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    Admin,
    Agent,
    CsrfChecked,
    SessionSigner,
    SignInLimiter,
    User,
    Viewer,
    check_password,
    new_csrf,
)

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str, user: User | None, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"user": user, **context})


def _fields(service: ServiceDep) -> list[str]:
    current = service.holder.current
    return list(current.bundle.manifest.fields) if current is not None else ["category"]


def _engine(service: ServiceDep) -> Any:
    if service.store is None:
        raise HTTPException(status_code=503, detail="the prediction log is turned off")
    return service.store.engine


@router.get("/", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/pulse", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/pulse", error: str = "") -> HTMLResponse:
    token = new_csrf()
    response = _page(request, "login.html", None, csrf=token, next=next, error=error)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/login")
def login(
    request: Request,
    service: ServiceDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/pulse",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf or csrf != expected:
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token; reload the page")
    limiter: SignInLimiter = request.app.state.web_limiter
    keys = [f"ip:{request.client.host if request.client else '?'}", f"user:{username}"]
    wait = limiter.retry_after(keys)
    if wait:
        raise HTTPException(
            status_code=429,
            detail="too many failed sign-ins; wait and retry",
            headers={"Retry-After": str(wait)},
        )
    users = {
        n: (u.role, u.password.get_secret_value()) for n, u in service.settings.web_users.items()
    }
    role = check_password(users, username, password)
    if role is None:
        limiter.failed(keys)
        return _page(
            request, "login.html", None, csrf=expected, next=next, error="wrong name or password"
        )
    signer: SessionSigner = request.app.state.web_signer
    target = next if next.startswith("/") and not next.startswith("//") else "/pulse"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        signer.dumps(User(username, role, new_csrf())),
        max_age=int(signer.max_age_s),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(_user: Viewer, _csrf: CsrfChecked) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/pulse", response_class=HTMLResponse)
async def pulse(
    request: Request,
    user: Viewer,
    service: ServiceDep,
    field: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> HTMLResponse:
    fields = _fields(service)
    field = field if field in fields else fields[0]
    engine = _engine(service)
    started = time.perf_counter()
    table = await asyncio.to_thread(aggregates.weekly_table, engine, field, since, until)
    found = await asyncio.to_thread(aggregates.spikes, table)
    silent = await asyncio.to_thread(aggregates.silent_accounts, engine)
    rows = [
        {
            "week": week,
            "cells": [int(n) for n in table.tickets[i]],
            "shares": [round(float(s), 1) for s in table.shares()[i]],
            "total": table.week_tickets[i],
            "accounts": table.week_accounts[i],
            "per_account": round(table.week_tickets[i] / table.week_accounts[i], 2)
            if table.week_accounts[i]
            else None,
            "review_share": round(100 * table.week_review[i] / table.week_tickets[i], 1)
            if table.week_tickets[i]
            else None,
        }
        for i, week in enumerate(table.weeks)
    ]
    return _page(
        request,
        "pulse.html",
        user,
        field=field,
        fields=fields,
        table=table,
        rows=rows,
        spikes=found,
        spike_weeks={(s.week, s.cell): s for s in found},
        chart=stacked_chart(table, found),
        drifting=aggregates.drifting_up(table),
        silent=silent,
        since=since,
        until=until,
        took_ms=round(1000 * (time.perf_counter() - started)),
    )


@router.get("/pulse/tickets", response_class=HTMLResponse)
async def pulse_tickets(
    request: Request,
    user: Viewer,
    service: ServiceDep,
    field: str,
    cell: str | None = None,
    week: str | None = None,
) -> HTMLResponse:
    if week is not None:
        try:
            date.fromisoformat(week)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail="week: YYYY-MM-DD") from exc
    rows = await asyncio.to_thread(aggregates.cell_tickets, _engine(service), field, cell, week)
    return _page(
        request,
        "tickets.html",
        user,
        field=field,
        cell=cell,
        week=week,
        rows=rows,
        ticket_url=service.settings.web_ticket_url,
    )


@router.get("/review", response_class=HTMLResponse)
async def review(
    request: Request,
    user: Agent,
    service: ServiceDep,
    field: str | None = None,
    order: str = "newest",
    skip: Annotated[str, Query()] = "",
) -> HTMLResponse:
    fields = _fields(service)
    field = field if field in fields else fields[0]
    engine = _engine(service)
    skipped = frozenset(s for s in skip.split(",") if s)
    item = await asyncio.to_thread(
        queue.next_item,
        engine,
        field,
        user.name,
        claim_minutes=service.settings.review_claim_minutes,
        order=order,
        skip=skipped,
    )
    left = await asyncio.to_thread(queue.remaining, engine, field)
    labels: list[str] = []
    current = service.holder.current
    if current is not None and field in current.bundle.manifest.fields:
        entry = current.bundle.manifest.fields[field]
        labels = entry.classes + sorted(entry.excluded_classes)
    if item is not None and item.label in labels:
        labels.remove(item.label)
        labels.insert(0, item.label)
    return _page(
        request,
        "review.html",
        user,
        field=field,
        fields=fields,
        item=item,
        labels=labels,
        left=left,
        order=order,
        skip=",".join(sorted(skipped)),
        ticket_url=service.settings.web_ticket_url,
    )


@router.post("/review")
async def review_answer(
    user: Agent,
    service: ServiceDep,
    _csrf: CsrfChecked,
    ticket_id: Annotated[str, Form()],
    field: Annotated[str, Form()],
    label: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "label",
    order: Annotated[str, Form()] = "newest",
    skip: Annotated[str, Form()] = "",
) -> Response:
    engine = _engine(service)
    skipped = [s for s in skip.split(",") if s][-50:]
    if action == "skip":
        await asyncio.to_thread(queue.release, engine, ticket_id, field, user.name)
        skipped.append(ticket_id)
    else:
        manifest_field = service.classifier().bundle.manifest.fields.get(field)
        valid = (
            (manifest_field.classes + sorted(manifest_field.excluded_classes))
            if manifest_field
            else []
        )
        if label not in valid:
            raise HTTPException(status_code=422, detail=f"unknown label '{label}' for '{field}'")
        assert service.store is not None
        await asyncio.to_thread(
            queue.correct, service.store, engine, ticket_id, field, label, user.name
        )
    query = f"field={field}&order={order}" + (f"&skip={','.join(skipped)}" if skipped else "")
    return RedirectResponse(f"/review?{query}", status_code=303)


@router.get("/models/current", response_class=HTMLResponse)
async def model_page(request: Request, user: Viewer, service: ServiceDep) -> HTMLResponse:
    current = service.classifier()
    engine = _engine(service)
    live = {
        f: await asyncio.to_thread(aggregates.label_counts, engine, f)
        for f in current.bundle.manifest.fields
    }
    return _page(
        request,
        "model.html",
        user,
        manifest=current.bundle.manifest,
        version=current.version,
        live=live,
    )


@router.get("/alerts", response_class=HTMLResponse)
async def alerts_page(request: Request, user: Viewer, service: ServiceDep) -> HTMLResponse:
    engine = _engine(service)
    rows = await asyncio.to_thread(alerts.list_alerts, engine)
    shipped = await asyncio.to_thread(alerts.releases, engine)
    return _page(request, "alerts.html", user, alerts=rows, releases=shipped)


@router.post("/alerts/{alert_id}/ack")
async def alerts_ack(
    alert_id: int, user: Agent, service: ServiceDep, _csrf: CsrfChecked
) -> Response:
    await asyncio.to_thread(alerts.acknowledge, _engine(service), alert_id, user.name)
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/releases")
async def alerts_release(
    user: Admin,
    service: ServiceDep,
    _csrf: CsrfChecked,
    version: Annotated[str, Form()],
) -> Response:
    await asyncio.to_thread(
        alerts.record_release, _engine(service), version, None, f"by {user.name}"
    )
    return RedirectResponse("/alerts", status_code=303)
