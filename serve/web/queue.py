"""The review queue: tickets the model was unsure of, handed to one agent at a time.

First the tickets the model flagged `needs_review`; after them the active-learning picks
("suggested"): predictions it did not flag but whose two best labels, as logged in the field's
top three, are less than `SUGGEST_MARGIN` apart, smallest margin first. A row whose log entry
holds no top three (fewer than two labels) has no margin and is never suggested.

A ticket shown to an agent is claimed for `claim_minutes` (a row in `review_claims`, taken with
one INSERT … ON CONFLICT DO UPDATE … WHERE the old claim expired), so two agents working the same
queue are never shown the same ticket. A correction goes to the `feedback` table, as `POST
/feedback` stores it, with the agent's name and the time, and ends the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from classifier.predlog import PredictionStore, feedback_table, predictions_table
from serve.web.aggregates import needs_review
from serve.web.tables import claims_table

_log = predictions_table

SUGGEST_MARGIN = 0.1
"""Best-vs-second confidence gap below which an unflagged prediction is suggested for review (the
gap coldstart's label discovery calls "close")."""


@dataclass(frozen=True)
class ReviewItem:
    ticket_id: str
    field: str
    label: str | None
    confidence: float
    reason: str | None
    account_id: str | None
    received_at: str
    suggested: bool = False
    """An active-learning pick (not flagged `needs_review`, but its two best labels are close)."""
    margin: float | None = None
    """Best minus second-best logged confidence (None when the log holds no top three)."""


def _margin(field: str) -> ColumnElement[Any]:
    """Best minus second-best confidence from the logged top three (NULL without two entries)."""
    best = _log.c.labels[(field, "top", 0, "confidence")].as_float()
    second = _log.c.labels[(field, "top", 1, "confidence")].as_float()
    margin: ColumnElement[Any] = best - second
    return margin


def _corrected(field: str) -> ColumnElement[bool]:
    return sa.exists().where(
        (feedback_table.c.ticket_id == _log.c.ticket_id) & (feedback_table.c.field == field)
    )


def _suggested(field: str, below: float) -> ColumnElement[bool]:
    return sa.and_(sa.not_(sa.func.coalesce(needs_review(field), False)), _margin(field) < below)


def _open(field: str, agent: str, now: datetime) -> list[ColumnElement[bool]]:
    """Not corrected yet, and not under another agent's live claim."""
    claimed = sa.exists().where(
        (claims_table.c.ticket_id == _log.c.ticket_id)
        & (claims_table.c.field == field)
        & (claims_table.c.expires_at > now)
        & (claims_table.c.agent != agent)
    )
    return [~_corrected(field), ~claimed]


def _columns(suggested: bool) -> list[Any]:
    return [
        _log.c.ticket_id,
        _log.c.labels,
        _log.c.account_id,
        _log.c.received_at,
        sa.literal(suggested).label("suggested"),
    ]


def _flagged(field: str, agent: str, now: datetime, order: str, limit: int) -> sa.Select[Any]:
    confidence = _log.c.labels[(field, "confidence")].as_float()
    # "newest" walks the primary key backwards and stops at `limit`: no sort of the whole log.
    ordering = confidence.asc() if order == "uncertain" else _log.c.id.desc()
    return (
        sa.select(*_columns(False), _margin(field).label("margin"))
        .where(needs_review(field), *_open(field, agent, now))
        .order_by(ordering, _log.c.id.desc())
        .limit(limit)
    )


def _suggestions(field: str, agent: str, now: datetime, limit: int, below: float) -> sa.Select[Any]:
    margin = _margin(field)
    return (
        sa.select(*_columns(True), margin.label("margin"))
        .where(_suggested(field, below), *_open(field, agent, now))
        .order_by(margin.asc(), _log.c.id.desc())
        .limit(limit)
    )


def _claim(
    engine: Engine, ticket_id: str, field: str, agent: str, now: datetime, until: datetime
) -> bool:
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(claims_table)
        .values(ticket_id=ticket_id, field=field, agent=agent, expires_at=until)
        .on_conflict_do_update(
            index_elements=["ticket_id", "field"],
            set_={"agent": agent, "expires_at": until},
            where=(claims_table.c.expires_at <= now) | (claims_table.c.agent == agent),
        )
        .returning(claims_table.c.ticket_id)
    )
    with engine.begin() as connection:
        return connection.execute(statement).first() is not None


def next_item(
    engine: Engine,
    field: str,
    agent: str,
    *,
    claim_minutes: float,
    order: str = "newest",
    skip: frozenset[str] = frozenset(),
    now: datetime | None = None,
    suggest_margin: float = SUGGEST_MARGIN,
) -> ReviewItem | None:
    """Claim and return the next ticket for `agent`, or None: flagged tickets first (a live
    claim of theirs is offered again), then the suggested ones."""
    now = now or datetime.now(UTC)
    until = now + timedelta(minutes=claim_minutes)
    limit = 50 + len(skip)
    # The suggestions (a scan of the log by margin) are read only once no flagged ticket is left.
    for query in (
        _flagged(field, agent, now, order, limit),
        _suggestions(field, agent, now, limit, suggest_margin),
    ):
        with engine.connect() as connection:
            rows = connection.execute(query).all()
        item = _claim_first(engine, rows, field, agent, skip, now, until)
        if item is not None:
            return item
    return None


def _claim_first(
    engine: Engine,
    rows: Sequence[Any],
    field: str,
    agent: str,
    skip: frozenset[str],
    now: datetime,
    until: datetime,
) -> ReviewItem | None:
    """The first of `rows` (not skipped) that `agent` can claim, claimed; or None."""
    seen: set[str] = set()
    for ticket_id, labels, account_id, received_at, suggested, margin in rows:
        if ticket_id in skip or ticket_id in seen:
            continue
        seen.add(ticket_id)
        if _claim(engine, ticket_id, field, agent, now, until):
            entry = (labels or {}).get(field) or {}
            return ReviewItem(
                ticket_id=ticket_id,
                field=field,
                label=entry.get("label"),
                confidence=float(entry.get("confidence") or 0.0),
                reason=entry.get("review_reason"),
                account_id=account_id,
                received_at=str(received_at)[:16],
                suggested=bool(suggested),
                margin=None if margin is None else float(margin),
            )
    return None


def correct(
    store: PredictionStore, engine: Engine, ticket_id: str, field: str, label: str, agent: str
) -> None:
    """Store the agent's label where `/feedback` stores corrections, and release the claim."""
    store.record_feedback(ticket_id, field, label, agent=agent)
    release(engine, ticket_id, field, agent)


def release(engine: Engine, ticket_id: str, field: str, agent: str) -> None:
    """End `agent`'s claim on a ticket (after a correction, or a skip)."""
    with engine.begin() as connection:
        connection.execute(
            claims_table.delete().where(
                (claims_table.c.ticket_id == ticket_id)
                & (claims_table.c.field == field)
                & (claims_table.c.agent == agent)
            )
        )


def remaining(engine: Engine, field: str) -> int:
    """Flagged tickets still waiting for a person on `field`."""
    query = sa.select(sa.func.count(sa.distinct(_log.c.ticket_id))).where(
        needs_review(field), ~_corrected(field)
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def suggested_remaining(engine: Engine, field: str, suggest_margin: float = SUGGEST_MARGIN) -> int:
    """Suggested (active-learning) tickets not corrected yet on `field`."""
    query = sa.select(sa.func.count(sa.distinct(_log.c.ticket_id))).where(
        _suggested(field, suggest_margin), ~_corrected(field)
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())
