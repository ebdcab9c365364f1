"""POST /feedback: an agent's correction, stored for retraining."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, HTTPException

from classifier.predlog import is_unavailable
from serve.auth import require_token
from serve.deps import ServiceDep
from serve.schemas import FeedbackIn, FeedbackOut

router = APIRouter(tags=["feedback"], dependencies=[Depends(require_token)])


def _refuse(where: str, message: str) -> HTTPException:
    return HTTPException(
        status_code=422, detail=[{"loc": ["body", where], "msg": message, "type": "value_error"}]
    )


@router.post("/feedback", status_code=201)
async def feedback(correction: FeedbackIn, service: ServiceDep) -> FeedbackOut:
    """Store the right label for one field of one ticket; labels outside the model are refused."""
    fields = service.classifier().bundle.manifest.fields
    if correction.field not in fields:
        raise _refuse("field", f"unknown field '{correction.field}'; valid: {sorted(fields)}")
    entry = fields[correction.field]
    # Classes left out for being rare are valid too: corrections are how they grow back.
    classes = entry.classes + sorted(entry.excluded_classes)
    if correction.label not in classes:
        raise _refuse(
            "label",
            f"unknown label '{correction.label}' for '{correction.field}'; valid: {classes}",
        )
    if service.store is None:
        raise HTTPException(status_code=503, detail="the prediction log is turned off")
    try:
        await asyncio.to_thread(
            service.store.record_feedback,
            correction.ticket_id,
            correction.field,
            correction.label,
            agent=correction.agent,
        )
    except Exception as exc:
        if is_unavailable(exc):  # corrections are not journaled: the caller retries
            raise service.unavailable("the prediction log is unavailable, retry later") from exc
        raise
    return FeedbackOut(
        stored=True, ticket_id=correction.ticket_id, field=correction.field, label=correction.label
    )
