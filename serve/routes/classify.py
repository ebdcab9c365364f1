"""POST /classify and /classify/batch."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from serve.auth import require_token
from serve.deps import ServiceDep
from serve.schemas import BatchIn, BatchOut, ClassifyOut, TicketIn

router = APIRouter(tags=["classify"], dependencies=[Depends(require_token)])


@router.post("/classify")
async def classify(ticket: TicketIn, service: ServiceDep) -> ClassifyOut:
    """Classify one ticket: per label field, the label, confidence, top 3 and needs_review."""
    (prediction,) = await service.classify([ticket.to_ticket()])
    return ClassifyOut.from_prediction(prediction, ticket.warnings)


@router.post("/classify/batch")
async def classify_batch(batch: BatchIn, service: ServiceDep) -> BatchOut:
    """Classify up to `batch_limit` tickets (default 100) in one call, answers in order."""
    limit = service.settings.batch_limit
    if len(batch.tickets) > limit:
        raise HTTPException(
            status_code=422,
            detail=[
                {
                    "loc": ["body", "tickets"],
                    "msg": f"at most {limit} tickets per call, got {len(batch.tickets)}",
                    "type": "too_long",
                }
            ],
        )
    seen: set[str] = set()
    for index, ticket in enumerate(batch.tickets):
        if ticket.id in seen:
            # Two answers and one log row would disagree: refuse, the caller sends each once.
            raise HTTPException(
                status_code=422,
                detail=[
                    {
                        "loc": ["body", "tickets", index, "id"],
                        "msg": f"ticket id '{ticket.id}' appears more than once in this batch",
                        "type": "value_error",
                    }
                ],
            )
        seen.add(ticket.id)
    predictions = await service.classify([t.to_ticket() for t in batch.tickets])
    return BatchOut(
        predictions=[
            ClassifyOut.from_prediction(p, t.warnings)
            for p, t in zip(predictions, batch.tickets, strict=True)
        ]
    )
