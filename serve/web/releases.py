"""POST /releases and GET /releases: releases the alerts name (bearer token, like the API)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from serve.auth import require_token
from serve.deps import ServiceDep
from serve.web.alerts import record_release, releases

router = APIRouter(tags=["releases"], dependencies=[Depends(require_token)])


class ReleaseIn(BaseModel):
    version: str = Field(min_length=1, max_length=255)
    at: datetime | None = None
    """When it shipped (ISO 8601; a time without zone is UTC); default: now."""
    note: str | None = None


@router.post("/releases", status_code=201)
async def add_release(release: ReleaseIn, service: ServiceDep) -> dict[str, str]:
    """Record a release; the next alert after it names it."""
    if service.store is None:
        raise HTTPException(status_code=503, detail="the prediction log is turned off")
    at = release.at
    if at is not None and at.tzinfo is None:
        from datetime import UTC

        at = at.replace(tzinfo=UTC)
    when = await asyncio.to_thread(
        record_release, service.store.engine, release.version, at, release.note
    )
    return {"version": release.version, "released_at": when.isoformat()}


@router.get("/releases")
async def list_releases(service: ServiceDep) -> list[dict[str, str | None]]:
    if service.store is None:
        raise HTTPException(status_code=503, detail="the prediction log is turned off")
    rows = await asyncio.to_thread(releases, service.store.engine)
    return [
        {"version": r["version"], "released_at": str(r["released_at"]), "note": r["note"]}
        for r in rows
    ]
