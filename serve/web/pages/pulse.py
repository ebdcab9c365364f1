"""The pulse: `/pulse` (weekly counts, shares, spikes, drift, silent accounts; with a usage
file, the urgent-fix list and silence decoded) and `/pulse/tickets` (the tickets behind one
number)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import date
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from serve.deps import ServiceDep
from serve.web import aggregates
from serve.web.chart import stacked_chart
from serve.web.pages.common import engine, fields, page
from serve.web.session import Viewer

if TYPE_CHECKING:
    from serve.web.usage_readings import UsagePulse

QUIET_WEEKS = 4
"""Weeks without a ticket that make an account silent (and its usage's recent stretch)."""


@contextlib.asynccontextmanager
async def _read_usage(app: FastAPI) -> AsyncIterator[None]:
    """Read the usage file at start-up: a bad one stops the service here, in one line."""
    service = app.state.service
    path = service.settings.usage_file
    app.state.usage_readings = None
    if path is not None and service.store is not None:
        # Imported only when a usage file is set: the analytics bring scipy.
        from serve.web.usage_readings import UsageReadings

        readings = UsageReadings(path, service.settings.usage_columns, service.store.engine)
        await asyncio.to_thread(readings.start)
        app.state.usage_readings = readings
    yield


router = APIRouter(include_in_schema=False, lifespan=_read_usage)


def _usage_pulse(
    request: Request, names: list[str], silent: list[tuple[str, int, str]]
) -> UsagePulse | None:
    readings = getattr(request.app.state, "usage_readings", None)
    return None if readings is None else readings.pulse(names, silent, QUIET_WEEKS)


@router.get("/pulse", response_class=HTMLResponse)
async def pulse(
    request: Request,
    user: Viewer,
    service: ServiceDep,
    field: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> HTMLResponse:
    names = fields(service)
    field = field if field in names else names[0]
    log = engine(service)
    started = time.perf_counter()
    table = await asyncio.to_thread(aggregates.weekly_table, log, field, since, until)
    found = await asyncio.to_thread(aggregates.spikes, table)
    silent = await asyncio.to_thread(aggregates.silent_accounts, log, QUIET_WEEKS)
    usage = await asyncio.to_thread(_usage_pulse, request, names, silent)
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
    return page(
        request,
        "pulse.html",
        user,
        field=field,
        fields=names,
        table=table,
        rows=rows,
        spikes=found,
        spike_weeks={(s.week, s.cell): s for s in found},
        chart=stacked_chart(table, found),
        drifting=aggregates.drifting_up(table),
        silent=silent,
        usage=usage,
        quiet_weeks=QUIET_WEEKS,
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
    rows = await asyncio.to_thread(aggregates.cell_tickets, engine(service), field, cell, week)
    return page(
        request,
        "tickets.html",
        user,
        field=field,
        cell=cell,
        week=week,
        rows=rows,
        ticket_url=service.settings.web_ticket_url,
    )
