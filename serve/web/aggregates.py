"""What the pages show, computed in the database: weekly counts GROUP BY week and label.

Only aggregates leave the database (weeks × labels, never one row per ticket), so the pages cost
the same with a thousand logged predictions as with a million. Weeks start on Monday (UTC) and
are spelled `YYYY-MM-DD`; a ticket's time is its own `created_at`, else when it was received.
Works on SQLite and PostgreSQL (the two dialects the prediction log supports).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from classifier.predlog import feedback_table, predictions_table

_log = predictions_table
NO_LABEL = "(none)"


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


def _in_range(since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    """Week-range conditions, written so the time indexes can serve them."""
    conditions: list[ColumnElement[bool]] = []
    start = datetime.combine(since, datetime.min.time(), UTC) if since else None
    end = datetime.combine(until + timedelta(days=7), datetime.min.time(), UTC) if until else None
    for column, other in ((_log.c.created_at, None), (_log.c.received_at, _log.c.created_at)):
        parts: list[ColumnElement[bool]] = [column.is_not(None)] if other is None else []
        if other is not None:
            parts.append(other.is_(None))
        if start is not None:
            parts.append(column >= start)
        if end is not None:
            parts.append(column < end)
        conditions.append(sa.and_(*parts))
    return [sa.or_(*conditions)] if start is not None or end is not None else []


@dataclass
class WeeklyTable:
    """Counts per week (rows) and label (columns) for one field, plus the week totals."""

    field: str
    weeks: list[str]
    labels: list[str]
    tickets: np.ndarray
    accounts: np.ndarray
    """Distinct accounts per week and label."""
    top: np.ndarray
    """The busiest account's tickets per week and label."""
    week_tickets: list[int] = _field(default_factory=list)
    week_accounts: list[int] = _field(default_factory=list)
    week_review: list[int] = _field(default_factory=list)

    def shares(self) -> np.ndarray:
        totals = self.tickets.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals > 0, 100.0 * self.tickets / totals, 0.0)


def _all_weeks(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=7 * i)).isoformat() for i in range((end - start).days // 7 + 1)]


def weekly_table(
    engine: Engine, field_name: str, since: date | None = None, until: date | None = None
) -> WeeklyTable:
    """Weekly tickets, distinct accounts and busiest-account tickets per label of `field_name`."""
    week = week_of(engine.dialect.name).label("week")
    label = label_of(field_name).label("label")
    where = _in_range(since, until)
    per_account = (
        sa.select(week, label, _log.c.account_id, sa.func.count().label("n"))
        .where(*where)
        .group_by(week, label, _log.c.account_id)
        .subquery()
    )
    cells = sa.select(
        per_account.c.week,
        per_account.c.label,
        sa.func.sum(per_account.c.n),
        sa.func.count(per_account.c.account_id),
        sa.func.max(sa.case((per_account.c.account_id.is_not(None), per_account.c.n), else_=0)),
    ).group_by(per_account.c.week, per_account.c.label)
    totals = (
        sa.select(
            week,
            sa.func.count(),
            sa.func.count(sa.distinct(_log.c.account_id)),
            sa.func.sum(sa.case((needs_review(field_name), 1), else_=0)),
        )
        .where(*where)
        .group_by(week)
    )
    with engine.connect() as connection:
        rows = connection.execute(cells).all()
        total_rows = connection.execute(totals).all()
    if not rows:
        empty = np.zeros((0, 0), dtype=np.int64)
        return WeeklyTable(field_name, [], [], empty, empty, empty)
    weeks = _all_weeks(min(str(r[0]) for r in rows), max(str(r[0]) for r in rows))
    labels = sorted({str(r[1]) for r in rows}, key=lambda v: (v == NO_LABEL, v))
    w_at, l_at = {w: i for i, w in enumerate(weeks)}, {v: i for i, v in enumerate(labels)}
    shape = (len(weeks), len(labels))
    tickets, accounts, top = (np.zeros(shape, dtype=np.int64) for _ in range(3))
    for w, v, n, a, t in rows:
        i, j = w_at[str(w)], l_at[str(v)]
        tickets[i, j], accounts[i, j], top[i, j] = int(n), int(a), int(t or 0)
    by_week = {str(r[0]): r for r in total_rows}
    blank = (None, 0, 0, 0)
    return WeeklyTable(
        field_name,
        weeks,
        labels,
        tickets,
        accounts,
        top,
        week_tickets=[int(by_week.get(w, blank)[1]) for w in weeks],
        week_accounts=[int(by_week.get(w, blank)[2]) for w in weeks],
        week_review=[int(by_week.get(w, blank)[3] or 0) for w in weeks],
    )


@dataclass(frozen=True)
class CellSpike:
    field: str
    cell: str
    week: str
    kind: str
    tickets: int
    accounts: int
    baseline_tickets: float
    baseline_accounts: float


def spikes(table: WeeklyTable) -> list[CellSpike]:
    """Cross-account spikes and single-account floods, by the analytics' own detector
    (`training.analytics.spikes.rises`) run on the database's weekly counts."""
    from training.analytics.spikes import CROSS_ACCOUNT, FLOOD, SpikeConfig, rises

    judged = [j for j, v in enumerate(table.labels) if v != NO_LABEL]
    if len(judged) < 2 or len(table.weeks) <= SpikeConfig().min_history:
        return []
    config = SpikeConfig()
    tickets, accounts, top = (m[:, judged] for m in (table.tickets, table.accounts, table.top))
    account_rise, account_expected = rises(accounts, config)
    ticket_rise, ticket_expected = rises(tickets, config)
    with np.errstate(invalid="ignore", divide="ignore"):
        top_share = np.where(tickets > 0, top / np.maximum(tickets, 1), 0.0)
    flood = ticket_rise & (top_share >= config.flood_share)
    found = []
    for w, c in zip(*np.nonzero(account_rise | flood), strict=True):
        found.append(
            CellSpike(
                field=table.field,
                cell=table.labels[judged[c]],
                week=table.weeks[w],
                kind=FLOOD if flood[w, c] else CROSS_ACCOUNT,
                tickets=int(tickets[w, c]),
                accounts=int(accounts[w, c]),
                baseline_tickets=round(float(ticket_expected[w, c]), 1),
                baseline_accounts=round(float(account_expected[w, c]), 1),
            )
        )
    return found


def drifting_up(table: WeeklyTable, recent: int = 4, before: int = 8) -> list[tuple[str, float]]:
    """Labels whose share of the latest `recent` weeks rose over the `before` weeks prior
    (label, points of share gained), biggest rise first; rises under one point are left out."""
    if len(table.weeks) < recent + 2:
        return []
    now = table.tickets[-recent:].sum(axis=0)
    then = table.tickets[-recent - before : -recent].sum(axis=0)
    if now.sum() == 0 or then.sum() == 0:
        return []
    gain = 100.0 * now / now.sum() - 100.0 * then / then.sum()
    rising = [(table.labels[j], round(float(g), 1)) for j, g in enumerate(gain) if g >= 1.0]
    return sorted(rising, key=lambda item: -item[1])


def silent_accounts(
    engine: Engine, quiet_weeks: int = 4, min_tickets: int = 3
) -> list[tuple[str, int, str]]:
    """Accounts with at least `min_tickets` logged tickets and none in the latest `quiet_weeks`
    weeks of the log: (account, tickets, last ticket's date), the longest-quiet first."""
    when = ticket_time()
    with engine.connect() as connection:
        latest = connection.execute(sa.select(sa.func.max(when))).scalar_one()
        if latest is None:
            return []
        latest = latest if isinstance(latest, datetime) else datetime.fromisoformat(str(latest))
        cutoff = latest - timedelta(weeks=quiet_weeks)
        last = sa.func.max(when)
        query = (
            sa.select(_log.c.account_id, sa.func.count(), last)
            .where(_log.c.account_id.is_not(None))
            .group_by(_log.c.account_id)
            .having(sa.and_(sa.func.count() >= min_tickets, last < cutoff))
            .order_by(last)
            .limit(50)
        )
        rows = connection.execute(query).all()
    return [(str(a), int(n), str(t)[:10]) for a, n, t in rows]


def cell_tickets(
    engine: Engine, field_name: str, cell: str | None, week: str | None, limit: int = 50
) -> list[dict[str, Any]]:
    """The newest logged tickets of one label (and week), for the links behind each number."""
    query = sa.select(_log.c.ticket_id, _log.c.account_id, ticket_time(), _log.c.labels)
    if cell is not None:
        query = query.where(label_of(field_name) == cell)
    if week is not None:
        start = date.fromisoformat(week)
        query = query.where(*_in_range(start, start))
    query = query.order_by(_log.c.id.desc()).limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        {"ticket_id": t, "account_id": a, "time": str(w)[:16], "labels": labels or {}}
        for t, a, w, labels in rows
    ]


def label_counts(engine: Engine, field_name: str) -> tuple[dict[str, int], int, int]:
    """Live predictions per label, how many need review, and how many corrections are stored."""
    label = label_of(field_name)
    with engine.connect() as connection:
        counts: dict[Any, Any] = dict(
            connection.execute(sa.select(label, sa.func.count()).group_by(label)).all()
        )
        review = connection.execute(
            sa.select(sa.func.count()).where(needs_review(field_name))
        ).scalar_one()
        fixed = connection.execute(
            sa.select(sa.func.count()).where(feedback_table.c.field == field_name)
        ).scalar_one()
    return {str(k): int(v) for k, v in counts.items()}, int(review), int(fixed)
