"""Operations routes: /health, /ready, /model, /metrics and POST /admin/reload."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from serve.auth import require_token
from serve.deps import ServiceDep
from serve.schemas import ReloadOut

public = APIRouter(tags=["operations"])
router = APIRouter(tags=["operations"], dependencies=[Depends(require_token)])


@public.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers (no token needed, no model needed)."""
    return {"status": "ok"}


@router.get("/ready", response_model=None)
async def ready(service: ServiceDep) -> dict[str, Any] | JSONResponse:
    """Readiness: 200 once a model is loaded, 503 before (or after a failed first load).

    `journal` shows log rows waiting for the database: rows, age of the oldest (s), set aside.
    """
    current = service.holder.current
    depth, age, rejected = service.journal_stats()
    journal = {"depth": depth, "oldest_age_s": round(age, 3), "rejected": rejected}
    if current is None:
        body: dict[str, Any] = {"status": "failed" if service.holder.error else "loading"}
        if service.holder.error:
            body["error"] = service.holder.error
        return JSONResponse(status_code=503, content={**body, "journal": journal})
    return {"status": "ready", "model_version": current.version, "journal": journal}


@router.get("/model")
async def model(service: ServiceDep) -> dict[str, Any]:
    """The live bundle's manifest: label fields and classes, embedding model, CV metrics.

    A cascade answers its accurate bundle's manifest (the fields and classes it answers) and a
    `cascade` block: threshold, loss budget, the expected and the live share of tickets sent to
    the accurate bundle, and both bundles' versions and embedding models.
    """
    current = service.classifier()
    body = current.bundle.manifest.model_dump(mode="json")
    cascade = service.cascade_out(current)
    if cascade is not None:
        body["cascade"] = cascade.model_dump(mode="json")
    return body


@router.get("/metrics")
async def metrics(service: ServiceDep) -> Response:
    """Prometheus metrics in the text exposition format."""
    return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.post("/admin/reload")
async def reload(service: ServiceDep) -> ReloadOut:
    """Load the bundle the model path points at now and swap it in; requests never fail."""
    previous = service.holder.current
    try:
        fresh = await service.holder.reload()
    except Exception as exc:
        still = f"; still serving {previous.version}" if previous else ""
        raise HTTPException(status_code=409, detail=f"reload failed: {exc}{still}") from exc
    return ReloadOut(
        model_version=fresh.version, previous_version=previous.version if previous else None
    )
