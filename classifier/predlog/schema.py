"""The prediction log's tables, its error type, and the engine that opens it.

SQLite files open in WAL mode (readers never block the service) with a busy timeout; PostgreSQL
connections get a connect and a statement timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from classifier.errors import TicketlensError

metadata = sa.MetaData()

predictions_table = sa.Table(
    "predictions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(255), nullable=False),
    sa.Column("model_version", sa.String(255), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("account_id", sa.String(255), nullable=True),
    sa.Column("text_sha256", sa.String(64), nullable=False),
    sa.Column("labels", sa.JSON, nullable=False),
    sa.UniqueConstraint("ticket_id", "model_version", name="uq_predictions_ticket_model"),
)

feedback_table = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(255), nullable=False, index=True),
    sa.Column("field", sa.String(255), nullable=False),
    sa.Column("label", sa.String(255), nullable=False),
    sa.Column("agent", sa.String(255), nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)


# What the pages read (`aggregates` keeps them up to date with every write).
_WEEK = sa.String(10)
_KEY = sa.String(255)

weekly_totals = sa.Table(
    "weekly_totals",
    metadata,
    sa.Column("week", _WEEK, primary_key=True),
    sa.Column("tickets", sa.Integer, nullable=False),
    sa.Column("accounts", sa.Integer, nullable=False),
    sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
)

weekly_cells = sa.Table(
    "weekly_cells",
    metadata,
    sa.Column("week", _WEEK, primary_key=True),
    sa.Column("field", _KEY, primary_key=True),
    sa.Column("label", _KEY, primary_key=True),
    sa.Column("tickets", sa.Integer, nullable=False),
    sa.Column("needs_review", sa.Integer, nullable=False),
    sa.Column("accounts", sa.Integer, nullable=False),
    sa.Column("busiest", sa.Integer, nullable=False),
    sa.Index("ix_weekly_cells_field_week", "field", "week"),
)

weekly_cell_accounts = sa.Table(
    "weekly_cell_accounts",
    metadata,
    sa.Column("field", _KEY, primary_key=True),
    sa.Column("week", _WEEK, primary_key=True),
    sa.Column("label", _KEY, primary_key=True),
    sa.Column("account_id", _KEY, primary_key=True),
    sa.Column("tickets", sa.Integer, nullable=False),
)

weekly_accounts = sa.Table(
    "weekly_accounts",
    metadata,
    sa.Column("week", _WEEK, primary_key=True),
    sa.Column("account_id", _KEY, primary_key=True),
    sa.Column("tickets", sa.Integer, nullable=False),
)

account_totals = sa.Table(
    "account_totals",
    metadata,
    sa.Column("account_id", _KEY, primary_key=True),
    sa.Column("tickets", sa.Integer, nullable=False),
    sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
)

review_candidates = sa.Table(
    "review_candidates",
    metadata,
    sa.Column("field", _KEY, primary_key=True),
    sa.Column("ticket_id", _KEY, primary_key=True),
    sa.Column("log_id", sa.Integer, nullable=False),
    sa.Column("flagged", sa.Boolean, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("margin", sa.Float, nullable=True),
    sa.Index("ix_review_candidates_newest", "field", "flagged", "log_id"),
    sa.Index("ix_review_candidates_confidence", "field", "flagged", "confidence"),
    sa.Index("ix_review_candidates_margin", "field", "margin"),
)

AGGREGATE_TABLES = (
    weekly_totals,
    weekly_cells,
    weekly_cell_accounts,
    weekly_accounts,
    account_totals,
    review_candidates,
)


class PredictionLogError(TicketlensError):
    """The prediction log database cannot be opened or does not hold the expected tables."""


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages and logs."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<invalid database URL>"


@dataclass(frozen=True)
class Timeouts:
    """How long the log may make a request wait before it fails (and the service journals).

    `statement_ms` is SQLite's busy timeout and PostgreSQL's `statement_timeout` (lock waits
    included); `connect_s` is PostgreSQL's `connect_timeout` (libpq rounds it up to 2 s).
    """

    connect_s: int = 10
    statement_ms: int = 5000


def _sqlite_pragmas(busy_ms: int) -> Callable[[Any, Any], None]:
    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets analytics read while the service writes; busy_timeout rides out short locks.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.close()

    return pragmas


def make_engine(url: str, timeouts: Timeouts | None = None) -> Engine:
    """An engine for `url`; SQLite files get WAL mode and their folder created."""
    timeouts = timeouts or Timeouts()
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise PredictionLogError(f"not a database URL ({exc})", field="db_url") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas(timeouts.statement_ms))
        return engine
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        # Options from the URL (e.g. a search_path) are kept; the timeout is added to them.
        options = parsed.query.get("options")
        extra = f"-c statement_timeout={int(timeouts.statement_ms)}"
        connect_args = {
            "connect_timeout": max(1, int(timeouts.connect_s)),
            "options": f"{options} {extra}" if isinstance(options, str) else extra,
        }
    try:
        return sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise PredictionLogError(f"no driver for this URL ({exc})", file=safe_url(url)) from exc


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database is away, locked or slow (not that a row is bad)."""
    return isinstance(
        exc,
        sa.exc.OperationalError
        | sa.exc.InterfaceError
        | sa.exc.TimeoutError
        | sa.exc.DisconnectionError
        | ConnectionError
        | TimeoutError,
    )
