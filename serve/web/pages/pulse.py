"""The pulse: `/pulse` (weekly counts, shares, spikes, drift, silent accounts) and
`/pulse/tickets` (the tickets behind one number)."""

from __future__ import annotations

import asyncio
import time
from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from serve.deps import ServiceDep
from serve.web import aggregates
from serve.web.chart import stacked_chart
from serve.web.pages.common import engine, fields, page
from serve.web.session import Viewer

router = APIRouter(include_in_schema=False)


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
    silent = await asyncio.to_thread(aggregates.silent_accounts, log)
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
