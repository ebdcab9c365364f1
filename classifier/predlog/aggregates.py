"""What the pages read, kept up to date in the transaction that writes the log's rows.

The pulse, model and review pages used to GROUP BY the whole log (JSON labels and the week of
every row) on each request: seconds at a million rows. Instead each new log row adds to weekly
counts here, in the same transaction (an answered ticket is a counted ticket; a duplicate the
log skips is not counted), and the pages read these small tables:

- `weekly_totals` (week): tickets, distinct accounts, the latest ticket time;
- `weekly_cells` (week, field, label): tickets, how many need review, distinct accounts, the
  busiest account's tickets (a one-account flood);
- `weekly_cell_accounts` (week, field, label, account) and `weekly_accounts` (week, account):
  tickets, which tell a write whether its account is new to the cell or week (the upsert's
  RETURNING), so the pages never count distinct accounts themselves;
- `account_totals` (account: tickets, last ticket), for the silent accounts;
- `review_candidates` (field, ticket): the rows the review queue offers, flagged `needs_review`
  or with a best-vs-second margin under `REVIEW_MARGIN`, with the log row's id.

Weeks start on Monday (UTC), spelled `YYYY-MM-DD`; a ticket's time is its own `created_at`, else
when it was received. Upserts use each dialect's INSERT … ON CONFLICT DO UPDATE (SQLite and
PostgreSQL); other databases keep the log without aggregates. A row without an entry for a field
is counted under that field's `(none)` by the readers (week tickets minus the field's cells).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect

from classifier.predlog.schema import (
    account_totals,
    review_candidates,
    weekly_accounts,
    weekly_cell_accounts,
    weekly_cells,
    weekly_totals,
)
from classifier.records import NO_LABEL

logger = logging.getLogger(__name__)

REVIEW_MARGIN = 0.1
"""Best-vs-second confidence gap below which an unflagged prediction is kept as a review
suggestion (the gap coldstart's label discovery calls "close")."""


def week_start(when: datetime) -> str:
    """The Monday (UTC) starting the week of `when` (naive times are UTC), as 'YYYY-MM-DD'."""
    utc = when.astimezone(UTC) if when.tzinfo is not None else when
    return (utc.date() - timedelta(days=utc.weekday())).isoformat()


def entry_margin(entry: dict[str, Any]) -> float | None:
    """Best minus second-best confidence of one logged field: its `margin`, else from a logged
    top three; None with fewer than two labels."""
    if entry.get("margin") is not None:
        return float(entry["margin"])
    top = entry.get("top") or []
    if len(top) < 2:
        return None
    return float(top[0]["confidence"]) - float(top[1]["confidence"])


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Batch:
    """One transaction's new log rows, summed per aggregate key."""

    def __init__(self) -> None:
        self.totals: dict[str, list[Any]] = {}
        self.cells: dict[tuple[str, str, str], list[int]] = {}
        self.cell_accounts: dict[tuple[str, str, str, str], int] = {}
        self.accounts: dict[tuple[str, str], int] = {}
        self.account_totals: dict[str, list[Any]] = {}
        self.candidates: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, row: dict[str, Any]) -> None:
        when = _utc(row.get("created_at") or row["received_at"])
        week, account = week_start(when), row.get("account_id")
        total = self.totals.setdefault(week, [0, when])
        total[0], total[1] = total[0] + 1, max(total[1], when)
        if account is not None:
            self.accounts[(week, account)] = self.accounts.get((week, account), 0) + 1
            seen = self.account_totals.setdefault(account, [0, when])
            seen[0], seen[1] = seen[0] + 1, max(seen[1], when)
        for field, entry in (row.get("labels") or {}).items():
            entry = entry or {}
            label = entry.get("label") or NO_LABEL
            flagged = bool(entry.get("needs_review"))
            cell = self.cells.setdefault((week, field, label), [0, 0])
            cell[0], cell[1] = cell[0] + 1, cell[1] + flagged
            if account is not None:
                key = (week, field, label, account)
                self.cell_accounts[key] = self.cell_accounts.get(key, 0) + 1
            found = candidate(field, row["ticket_id"], row["id"], entry)
            previous = self.candidates.get((field, row["ticket_id"]))
            if found is not None and (previous is None or previous["log_id"] < row["id"]):
                self.candidates[(field, row["ticket_id"])] = found  # the newest row wins


def candidate(
    field: str, ticket_id: str, log_id: int, entry: dict[str, Any]
) -> dict[str, Any] | None:
    """The `review_candidates` row for one logged field, or None when the queue would not
    offer it (not flagged, and no margin under `REVIEW_MARGIN`)."""
    flagged = bool(entry.get("needs_review"))
    margin = entry_margin(entry)
    if not flagged and (margin is None or margin >= REVIEW_MARGIN):
        return None
    return {
        "field": field,
        "ticket_id": ticket_id,
        "log_id": log_id,
        "flagged": flagged,
        "confidence": float(entry.get("confidence") or 0.0),
        "margin": margin,
    }


@dataclass(frozen=True)
class _Upsert:
    """One table's INSERT … ON CONFLICT DO UPDATE, compiled once for a dialect: the SQL, its
    parameters in order, and each one's SQLAlchemy bind processor (datetimes as SQLAlchemy
    stores them). Run on the transaction's own DBAPI cursor: SQLAlchemy's per-statement work
    cost several times the statement itself, and a write runs six of them."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    returning: tuple[str, ...]


_UPSERTS: dict[tuple[str, str, bool], _Upsert] = {}


def _upsert_statement(
    dialect: Dialect,
    table: sa.Table,
    add: Sequence[str],
    latest: Sequence[str],
    replace: Sequence[str],
    returning: bool,
) -> _Upsert:
    key = (dialect.name, table.name, returning)
    if key not in _UPSERTS:
        insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
        statement = insert(table)
        new, stored = statement.excluded, table.c
        changes: dict[str, Any] = {c: stored[c] + new[c] for c in add}
        changes |= {c: sa.case((new[c] > stored[c], new[c]), else_=stored[c]) for c in latest}
        changes |= {c: new[c] for c in replace}
        keys = [column.name for column in table.primary_key.columns]
        upsert: Any = statement.on_conflict_do_update(index_elements=keys, set_=changes)
        shown = (*keys, "tickets") if returning else ()
        if returning:
            upsert = upsert.returning(*(table.c[k] for k in shown))
        compiled = upsert.compile(dialect=dialect, column_keys=[c.name for c in table.columns])
        names = tuple(compiled.positiontup or compiled.params)
        processors = tuple(table.c[n].type.bind_processor(dialect) for n in names)
        _UPSERTS[key] = _Upsert(compiled.string, names, processors, shown)
    return _UPSERTS[key]


def _upsert(
    connection: Connection,
    table: sa.Table,
    rows: list[dict[str, Any]],
    *,
    add: Sequence[str] = (),
    latest: Sequence[str] = (),
    replace: Sequence[str] = (),
    returning: bool = False,
) -> list[tuple[Any, ...]]:
    """Insert `rows`, or on their key add to (`add`), raise to (`latest`) or overwrite
    (`replace`) the stored columns. Keys are sorted, so concurrent writers lock in one order.
    With `returning`, the stored rows after the change (key columns, then `tickets`)."""
    if not rows:
        return []
    keys = [column.name for column in table.primary_key.columns]
    rows = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    upsert = _upsert_statement(connection.dialect, table, add, latest, replace, returning)
    positional = connection.dialect.positional
    params: list[Any] = []
    for row in rows:
        pairs = zip(upsert.names, upsert.processors, strict=True)
        values = [f(row[n]) if f else row[n] for n, f in pairs]
        params.append(tuple(values) if positional else dict(zip(upsert.names, values, strict=True)))
    cursor = connection.connection.cursor()  # the DBAPI connection of this transaction
    try:
        if not returning:
            cursor.executemany(upsert.sql, params)
            return []
        stored: list[tuple[Any, ...]] = []
        for one in params:  # a cell's or week's accounts: a few per write
            cursor.execute(upsert.sql, one)
            stored.append(tuple(cursor.fetchone() or ()))
        return stored
    finally:
        cursor.close()


_warned: set[str] = set()


def update_aggregates(connection: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Add new log rows (each with its log `id`) to the aggregates, in `connection`'s
    transaction; only rows the log really stored may be passed (a skipped duplicate is not)."""
    dialect = connection.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        if dialect not in _warned:
            _warned.add(dialect)
            logger.warning("no page aggregates on %s: the pages need SQLite or PostgreSQL", dialect)
        return
    batch = _Batch()
    for row in rows:
        batch.add(row)
    # Account-level counts first: a stored count equal to what this batch added is an account
    # new to its cell (or week); the largest stored count may be the cell's new busiest.
    new_in_cell: dict[tuple[str, str, str], int] = {}
    busiest: dict[tuple[str, str, str], int] = {}
    for field, week, label, account, stored in _upsert(
        connection,
        weekly_cell_accounts,
        [
            {"week": w, "field": f, "label": v, "account_id": a, "tickets": n}
            for (w, f, v, a), n in batch.cell_accounts.items()
        ],
        add=["tickets"],
        returning=True,
    ):
        cell = (week, field, label)
        new = int(stored) == batch.cell_accounts[(week, field, label, account)]
        new_in_cell[cell] = new_in_cell.get(cell, 0) + new
        busiest[cell] = max(busiest.get(cell, 0), int(stored))
    new_in_week: dict[str, int] = {}
    for week, account, stored in _upsert(
        connection,
        weekly_accounts,
        [{"week": w, "account_id": a, "tickets": n} for (w, a), n in batch.accounts.items()],
        add=["tickets"],
        returning=True,
    ):
        new = int(stored) == batch.accounts[(week, account)]
        new_in_week[week] = new_in_week.get(week, 0) + new
    _upsert(
        connection,
        weekly_totals,
        [
            {"week": w, "tickets": n, "accounts": new_in_week.get(w, 0), "last_at": t}
            for w, (n, t) in batch.totals.items()
        ],
        add=["tickets", "accounts"],
        latest=["last_at"],
    )
    _upsert(
        connection,
        weekly_cells,
        [
            {
                "week": w,
                "field": f,
                "label": v,
                "tickets": n,
                "needs_review": r,
                "accounts": new_in_cell.get((w, f, v), 0),
                "busiest": busiest.get((w, f, v), 0),
            }
            for (w, f, v), (n, r) in batch.cells.items()
        ],
        add=["tickets", "needs_review", "accounts"],
        latest=["busiest"],
    )
    _upsert(
        connection,
        account_totals,
        [
            {"account_id": a, "tickets": n, "last_at": t}
            for a, (n, t) in batch.account_totals.items()
        ],
        add=["tickets"],
        latest=["last_at"],
    )
    upsert_candidates(connection, list(batch.candidates.values()))


def upsert_candidates(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Store `candidate` rows; a ticket's newer log row replaces its older one."""
    _upsert(
        connection, review_candidates, rows, replace=["log_id", "flagged", "confidence", "margin"]
    )
