"""The review queue: tickets the model was unsure of, handed to one agent at a time.

First the tickets the model flagged `needs_review`; after them the active-learning picks
("suggested"): predictions it did not flag but whose two best labels are less than
`SUGGEST_MARGIN` apart (the field's logged `margin`, or its logged top three), smallest margin
first. A row whose log entry holds neither (fewer than two labels) is never suggested.

The queue reads `review_candidates`, which the log keeps in step with its rows (one row per
field and ticket, the newest logged prediction's, only flagged or close ones), by its indexes;
the log itself is read only for the few rows shown, by primary key.

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

from classifier.predlog import (
    REVIEW_MARGIN,
    PredictionStore,
    feedback_table,
    predictions_table,
    review_candidates,
)
from serve.web.tables import claims_table

_log = predictions_table
_queue = review_candidates

SUGGEST_MARGIN = REVIEW_MARGIN
"""Best-vs-second confidence gap below which an unflagged prediction is suggested for review (the
gap coldstart's label discovery calls "close"); the log keeps candidates up to this gap only."""


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


def _check(below: float) -> None:
    if below > REVIEW_MARGIN:
        raise ValueError(
            f"suggest_margin {below:g}: the log keeps review candidates up to {REVIEW_MARGIN:g}"
        )


def _corrected(field: str) -> ColumnElement[bool]:
    return sa.exists().where(
        (feedback_table.c.ticket_id == _queue.c.ticket_id) & (feedback_table.c.field == field)
    )


def _suggested(field: str, below: float) -> list[ColumnElement[bool]]:
    return [_queue.c.field == field, ~_queue.c.flagged, _queue.c.margin < below]


def _open(field: str, agent: str, now: datetime) -> list[ColumnElement[bool]]:
    """Not corrected yet, and not under another agent's live claim."""
    claimed = sa.exists().where(
        (claims_table.c.ticket_id == _queue.c.ticket_id)
        & (claims_table.c.field == field)
        & (claims_table.c.expires_at > now)
        & (claims_table.c.agent != agent)
    )
    return [~_corrected(field), ~claimed]


def _columns(suggested: bool) -> list[Any]:
    return [
        _queue.c.ticket_id,
        _log.c.labels,
        _log.c.account_id,
        _log.c.received_at,
        sa.literal(suggested).label("suggested"),
        _queue.c.margin,
    ]


def _flagged(field: str, agent: str, now: datetime, order: str, limit: int) -> sa.Select[Any]:
    # Both orders walk an index of the candidates and stop at `limit`: no sort of the log.
    first = _queue.c.confidence.asc() if order == "uncertain" else _queue.c.log_id.desc()
    return (
        sa.select(*_columns(False))
        .join_from(_queue, _log, _log.c.id == _queue.c.log_id)
        .where(_queue.c.field == field, _queue.c.flagged, *_open(field, agent, now))
        .order_by(first, _queue.c.log_id.desc())
        .limit(limit)
    )


def _suggestions(field: str, agent: str, now: datetime, limit: int, below: float) -> sa.Select[Any]:
    return (
        sa.select(*_columns(True))
        .join_from(_queue, _log, _log.c.id == _queue.c.log_id)
        .where(*_suggested(field, below), *_open(field, agent, now))
        .order_by(_queue.c.margin.asc(), _queue.c.log_id.desc())
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
    _check(suggest_margin)
    now = now or datetime.now(UTC)
    until = now + timedelta(minutes=claim_minutes)
    limit = 50 + len(skip)
    # The suggestions are read only once no flagged ticket is left.
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
    query = sa.select(sa.func.count()).where(
        _queue.c.field == field, _queue.c.flagged, ~_corrected(field)
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def suggested_remaining(engine: Engine, field: str, suggest_margin: float = SUGGEST_MARGIN) -> int:
    """Suggested (active-learning) tickets not corrected yet on `field`."""
    _check(suggest_margin)
    query = sa.select(sa.func.count()).where(*_suggested(field, suggest_margin), ~_corrected(field))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())
