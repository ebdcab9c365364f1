"""The review queue: `GET /review` claims and shows the next ticket, `POST /review` stores the
agent's label (or skips)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from serve.deps import ServiceDep
from serve.web import queue
from serve.web.pages.common import engine, fields, page
from serve.web.session import Agent, CsrfChecked

router = APIRouter(include_in_schema=False)


@router.get("/review", response_class=HTMLResponse)
async def review(
    request: Request,
    user: Agent,
    service: ServiceDep,
    field: str | None = None,
    order: str = "newest",
    skip: Annotated[str, Query()] = "",
) -> HTMLResponse:
    names = fields(service)
    field = field if field in names else names[0]
    log = engine(service)
    skipped = frozenset(s for s in skip.split(",") if s)
    item = await asyncio.to_thread(
        queue.next_item,
        log,
        field,
        user.name,
        claim_minutes=service.settings.review_claim_minutes,
        order=order,
        skip=skipped,
    )
    left = await asyncio.to_thread(queue.remaining, log, field)
    # Counting the suggestions scans the log by margin: only once they are what is shown.
    suggested = await asyncio.to_thread(queue.suggested_remaining, log, field) if not left else 0
    labels: list[str] = []
    current = service.holder.current
    if current is not None and field in current.bundle.manifest.fields:
        entry = current.bundle.manifest.fields[field]
        labels = entry.classes + sorted(entry.excluded_classes)
    if item is not None and item.label in labels:
        labels.remove(item.label)
        labels.insert(0, item.label)
    return page(
        request,
        "review.html",
        user,
        field=field,
        fields=names,
        item=item,
        labels=labels,
        left=left,
        suggested=suggested,
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
    log = engine(service)
    skipped = [s for s in skip.split(",") if s][-50:]
    if action == "skip":
        await asyncio.to_thread(queue.release, log, ticket_id, field, user.name)
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
            queue.correct, service.store, log, ticket_id, field, label, user.name
        )
    query = f"field={field}&order={order}" + (f"&skip={','.join(skipped)}" if skipped else "")
    return RedirectResponse(f"/review?{query}", status_code=303)
