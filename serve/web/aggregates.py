"""What the pages show, read from the prediction log's weekly aggregates.

The counts are kept up to date as rows are written (`classifier.predlog.aggregates`), so a page
reads weeks × labels (× accounts for the spike detector), never one row per ticket, and costs
about the same with a thousand logged predictions as with a million. Weeks start on Monday (UTC)
and are spelled `YYYY-MM-DD`; a ticket's time is its own `created_at`, else when it was
received. A week range selects whole weeks: those starting from the Monday of `since` up to the
Monday of `until`. Only the links behind the numbers (`cell_tickets`) read the log itself, newest
first by its primary key and bounded. Works on SQLite and PostgreSQL.
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

from classifier.predlog import (
    account_totals,
    feedback_table,
    label_of,
    predictions_table,
    ticket_time,
    weekly_cells,
    weekly_totals,
)
from classifier.records import NO_LABEL

_log = predictions_table


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


def _weeks(column: ColumnElement[Any], since: date | None, until: date | None) -> list[Any]:
    """Whole-week range conditions on a `week` column."""
    conditions = []
    if since is not None:
        conditions.append(column >= (since - timedelta(days=since.weekday())).isoformat())
    if until is not None:
        conditions.append(column <= (until - timedelta(days=until.weekday())).isoformat())
    return conditions


def weekly_table(
    engine: Engine, field_name: str, since: date | None = None, until: date | None = None
) -> WeeklyTable:
    """Weekly tickets, distinct accounts and busiest-account tickets per label of `field_name`."""
    cells, totals = weekly_cells.c, weekly_totals.c
    cell_rows = sa.select(
        cells.week, cells.label, cells.tickets, cells.needs_review, cells.accounts, cells.busiest
    ).where(cells.field == field_name, *_weeks(cells.week, since, until))
    total_rows = sa.select(totals.week, totals.tickets, totals.accounts).where(
        *_weeks(totals.week, since, until)
    )
    with engine.connect() as connection:
        week_totals = {str(w): (int(n), int(a)) for w, n, a in connection.execute(total_rows)}
        found = connection.execute(cell_rows).all()
    if not week_totals:
        empty = np.zeros((0, 0), dtype=np.int64)
        return WeeklyTable(field_name, [], [], empty, empty, empty)
    weeks = _all_weeks(min(week_totals), max(week_totals))
    # Rows logged without this field count under its "(none)": the week's tickets not in a cell.
    counted: dict[str, int] = {}
    for row in found:
        counted[str(row[0])] = counted.get(str(row[0]), 0) + int(row[2])
    unlabeled = {w: n - counted.get(w, 0) for w, (n, _a) in week_totals.items()}
    labels = {str(r[1]) for r in found} | ({NO_LABEL} if any(unlabeled.values()) else set())
    ordered = sorted(labels, key=lambda v: (v == NO_LABEL, v))
    w_at, l_at = {w: i for i, w in enumerate(weeks)}, {v: i for i, v in enumerate(ordered)}
    shape = (len(weeks), len(ordered))
    tickets, accounts, top = (np.zeros(shape, dtype=np.int64) for _ in range(3))
    review = np.zeros(len(weeks), dtype=np.int64)
    for w, v, n, r, a, b in found:
        i, j = w_at[str(w)], l_at[str(v)]
        tickets[i, j], accounts[i, j], top[i, j] = int(n), int(a), int(b)
        review[i] += int(r)
    for w, n in unlabeled.items():
        if n > 0:
            tickets[w_at[w], l_at[NO_LABEL]] += n
    blank = (0, 0)
    return WeeklyTable(
        field_name,
        weeks,
        ordered,
        tickets,
        accounts,
        top,
        week_tickets=[week_totals.get(w, blank)[0] for w in weeks],
        week_accounts=[week_totals.get(w, blank)[1] for w in weeks],
        week_review=[int(n) for n in review],
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
    seen = account_totals.c
    with engine.connect() as connection:
        latest = connection.execute(sa.select(sa.func.max(weekly_totals.c.last_at))).scalar_one()
        if latest is None:
            return []
        latest = latest if isinstance(latest, datetime) else datetime.fromisoformat(str(latest))
        cutoff = latest - timedelta(weeks=quiet_weeks)
        query = (
            sa.select(seen.account_id, seen.tickets, seen.last_at)
            .where(seen.tickets >= min_tickets, seen.last_at < cutoff)
            .order_by(seen.last_at, seen.account_id)
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
    cells = weekly_cells.c
    query = (
        sa.select(cells.label, sa.func.sum(cells.tickets), sa.func.sum(cells.needs_review))
        .where(cells.field == field_name)
        .group_by(cells.label)
    )
    with engine.connect() as connection:
        found = connection.execute(query).all()
        total = connection.execute(sa.select(sa.func.sum(weekly_totals.c.tickets))).scalar_one()
        fixed = connection.execute(
            sa.select(sa.func.count()).where(feedback_table.c.field == field_name)
        ).scalar_one()
    counts = {str(v): int(n) for v, n, _r in found}
    unlabeled = int(total or 0) - sum(counts.values())  # rows logged without this field
    if unlabeled > 0:
        counts[NO_LABEL] = counts.get(NO_LABEL, 0) + unlabeled
    return counts, sum(int(r or 0) for _v, _n, r in found), int(fixed)
