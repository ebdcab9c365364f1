"""Fill the aggregates once from a log written before they existed (one GROUP BY per table).

`create_tables` runs it when the aggregate tables are empty but the log is not, so a log from an
older version loses nothing. The SQL here (week, label, flag and margin of a log row) is the
definition the per-row updates in `aggregates` follow; tests hold the two to the same answers.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from classifier.predlog.aggregates import REVIEW_MARGIN, candidate, upsert_candidates
from classifier.predlog.schema import (
    AGGREGATE_TABLES,
    account_totals,
    predictions_table,
    weekly_accounts,
    weekly_cell_accounts,
    weekly_cells,
    weekly_totals,
)
from classifier.records import NO_LABEL

logger = logging.getLogger(__name__)

_log = predictions_table
_SAMPLE = 1000  # rows read at each end of the log to find its fields


def ticket_time() -> ColumnElement[Any]:
    return sa.func.coalesce(_log.c.created_at, _log.c.received_at)


def week_of(dialect: str) -> ColumnElement[Any]:
    """SQL for the Monday (UTC) starting a ticket's week, as 'YYYY-MM-DD'."""
    when = ticket_time()
    if dialect == "postgresql":
        utc = sa.func.timezone("UTC", when)
        return sa.func.to_char(sa.func.date_trunc("week", utc), "YYYY-MM-DD")
    # SQLite: the Sunday ending the week (today if Sunday), then back to its Monday.
    return sa.func.date(when, "weekday 0", "-6 days")


def label_of(field_name: str) -> ColumnElement[Any]:
    return sa.func.coalesce(_log.c.labels[(field_name, "label")].as_string(), NO_LABEL)


def needs_review(field_name: str) -> ColumnElement[Any]:
    flag: ColumnElement[Any] = _log.c.labels[(field_name, "needs_review")].as_boolean()
    return flag


def _fields(connection: Connection) -> list[str]:
    """The label fields of the log's oldest and newest rows."""
    found: set[str] = set()
    for order in (_log.c.id.asc(), _log.c.id.desc()):
        query = sa.select(_log.c.labels).order_by(order).limit(_SAMPLE)
        for (labels,) in connection.execute(query):
            found.update(labels or {})
    return sorted(found)


def _fill_counts(connection: Connection, fields: list[str]) -> None:
    week = week_of(connection.dialect.name).label("week")
    when = ticket_time()
    account = _log.c.account_id
    count = sa.func.count()
    # Per account first, then per week (or cell): distinct accounts are the non-null rows.
    per_account = (
        sa.select(week, account, count.label("n"), sa.func.max(when).label("last_at"))
        .group_by(week, account)
        .subquery()
    )
    statements: list[sa.Insert] = [
        weekly_totals.insert().from_select(
            ["week", "tickets", "accounts", "last_at"],
            sa.select(
                per_account.c.week,
                sa.func.sum(per_account.c.n),
                sa.func.count(per_account.c.account_id),
                sa.func.max(per_account.c.last_at),
            ).group_by(per_account.c.week),
        ),
        weekly_accounts.insert().from_select(
            ["week", "account_id", "tickets"],
            sa.select(week, account, count).where(account.is_not(None)).group_by(week, account),
        ),
        account_totals.insert().from_select(
            ["account_id", "tickets", "last_at"],
            sa.select(account, count, sa.func.max(when))
            .where(account.is_not(None))
            .group_by(account),
        ),
    ]
    for field in fields:
        label, name = label_of(field).label("label"), sa.literal(field, sa.String).label("field")
        flagged = sa.func.sum(sa.case((needs_review(field), 1), else_=0))
        cell_accounts = (
            sa.select(week, label, account, count.label("n"), flagged.label("flagged"))
            .group_by(week, label, account)
            .subquery()
        )
        c = cell_accounts.c
        statements += [
            weekly_cells.insert().from_select(
                ["week", "field", "label", "tickets", "needs_review", "accounts", "busiest"],
                sa.select(
                    c.week,
                    name,
                    c.label,
                    sa.func.sum(c.n),
                    sa.func.sum(c.flagged),
                    sa.func.count(c.account_id),
                    sa.func.max(sa.case((c.account_id.is_not(None), c.n), else_=0)),
                ).group_by(c.week, c.label),
            ),
            weekly_cell_accounts.insert().from_select(
                ["week", "field", "label", "account_id", "tickets"],
                sa.select(week, name, label, account, count)
                .where(account.is_not(None))
                .group_by(week, label, account),
            ),
        ]
    for statement in statements:
        connection.execute(statement)


def _fill_candidates(connection: Connection, fields: list[str]) -> None:
    """The review queue's rows, through the per-row code (only flagged or close rows are read)."""
    for field in fields:
        entry = _log.c.labels[field]
        best = _log.c.labels[(field, "top", 0, "confidence")].as_float()
        second = _log.c.labels[(field, "top", 1, "confidence")].as_float()
        margin = sa.func.coalesce(_log.c.labels[(field, "margin")].as_float(), best - second)
        query = (
            sa.select(_log.c.id, _log.c.ticket_id, entry.label("entry"))
            .where(sa.or_(needs_review(field), margin < REVIEW_MARGIN))
            .order_by(_log.c.id)
        )
        latest: dict[str, dict[str, Any]] = {}
        for log_id, ticket_id, found in connection.execute(query):
            row = candidate(field, ticket_id, log_id, found or {})
            if row is not None:
                latest[ticket_id] = row  # ordered by id: the newest row wins
        upsert_candidates(connection, list(latest.values()))


def backfill(connection: Connection) -> bool:
    """Fill empty aggregates from a non-empty log in `connection`'s transaction; True if it did."""
    if connection.dialect.name not in ("sqlite", "postgresql"):
        return False
    if connection.execute(sa.select(weekly_totals.c.week).limit(1)).first() is not None:
        return False
    if connection.execute(sa.select(_log.c.id).limit(1)).first() is None:
        return False
    started = time.perf_counter()
    if connection.dialect.name == "postgresql":  # a big log takes seconds: not the request limit
        connection.execute(sa.text("SET LOCAL statement_timeout = 0"))
    fields = _fields(connection)
    _fill_counts(connection, fields)
    _fill_candidates(connection, fields)
    for table in AGGREGATE_TABLES:  # the planner's row estimates, before the first page
        connection.execute(sa.text(f"ANALYZE {table.name}"))
    logger.info(
        "prediction log: aggregates filled from the existing log (%s) in %.1f s",
        ", ".join(fields),
        time.perf_counter() - started,
    )
    return True
