"""POST /similar: the training tickets nearest a text or an indexed ticket (opt-in index)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from classifier.loading import Model
from classifier.records import Ticket
from classifier.similar import SimilarIndex, read_index
from classifier.text import prepare_text
from serve.auth import require_token
from serve.deps import ServiceDep

router = APIRouter(tags=["similar"], dependencies=[Depends(require_token)])


class SimilarIn(BaseModel):
    """A ticket's text (`subject`/`body`), or the `id` of a ticket in the bundle's index."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(default="", max_length=100_000)
    body: str = Field(default="", max_length=100_000)
    id: str | None = Field(default=None, min_length=1, max_length=255)
    k: int = Field(default=5, ge=1, le=100)

    @model_validator(mode="after")
    def _one_query(self) -> SimilarIn:
        if (self.id is None) == (not (self.subject or self.body)):
            raise ValueError("give either subject/body or id")
        return self


class NeighbourOut(BaseModel):
    id: str
    score: float
    labels: dict[str, str]


class SimilarOut(BaseModel):
    model_version: str
    tickets: list[NeighbourOut]


def _index(request: Request, classifier: Model) -> SimilarIndex | None:
    # Read once per bundle version: a reload brings its own index (or none).
    cache: dict[str, SimilarIndex | None] = request.app.state.__dict__.setdefault(
        "similar_indexes", {}
    )
    if classifier.version not in cache:
        cache.clear()
        cache[classifier.version] = read_index(classifier.bundle)
    return cache[classifier.version]


@router.post("/similar")
async def similar(query: SimilarIn, request: Request, service: ServiceDep) -> SimilarOut:
    """The `k` nearest training tickets, with their labels and cosine similarity."""
    classifier = service.classifier()
    index = await asyncio.to_thread(_index, request, classifier)
    if index is None:
        raise HTTPException(
            status_code=409,
            detail="this bundle keeps no similar-ticket index "
            "(train it with `ticketlens train --similar-index`)",
        )
    if query.id is not None:
        vector = index.vector_of(query.id)
        if vector is None:
            raise HTTPException(status_code=404, detail=f"ticket '{query.id}' is not indexed")
    else:
        text = prepare_text(
            Ticket(id="query", subject=query.subject, body=query.body),
            classifier.manifest.max_chars,
        ).text
        vector = (await asyncio.to_thread(classifier.embedder.encode, [text]))[0]
    found = index.query(vector, query.k, skip_id=query.id)[0]
    return SimilarOut(
        model_version=classifier.version,
        tickets=[NeighbourOut(id=n.id, score=n.score, labels=n.labels) for n in found],
    )
