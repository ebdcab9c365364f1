"""The prediction log: every served prediction and every agent correction, in a SQL database.

SQLAlchemy Core, so any SQLAlchemy URL works: SQLite (the default, opened in WAL mode so readers
never block the service) or PostgreSQL (`postgresql+psycopg://…`). The serving side writes here;
the training side reads it back for drift reports (`read_predictions`) and retraining
(`read_corrections`).

Inserts of predictions are idempotent on (ticket_id, model_version): a helpdesk retrying a webhook
is stored, and counted, once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from classifier.extras import importable

importable("sqlalchemy", "serve")

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.dialects import postgresql, sqlite  # noqa: E402
from sqlalchemy.engine import Connection, Engine  # noqa: E402

from classifier.errors import TicketlensError  # noqa: E402
from classifier.records import Prediction, Ticket  # noqa: E402

logger = logging.getLogger(__name__)

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


def text_sha256(ticket: Ticket) -> str:
    """Fingerprint of the raw ticket text, so a log row can be matched without storing text."""
    return hashlib.sha256(f"{ticket.subject}\n{ticket.body}".encode()).hexdigest()


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def prediction_rows(
    tickets: Sequence[Ticket], predictions: Sequence[Prediction], received_at: datetime | None
) -> list[dict[str, Any]]:
    """One request's log rows (plain values and datetimes), as `insert_rows` stores them."""
    received = _as_utc(received_at) or datetime.now(UTC)  # one time per request
    return [
        _prediction_row(ticket, prediction, received)
        for ticket, prediction in zip(tickets, predictions, strict=True)
    ]


def _prediction_row(ticket: Ticket, prediction: Prediction, received: datetime) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        "model_version": prediction.model_version,
        "received_at": received,
        "created_at": _as_utc(ticket.created_at),
        "account_id": ticket.account_id,
        "text_sha256": text_sha256(ticket),
        "labels": prediction.to_log_labels(),
    }


def _insert_ignoring_duplicates(
    connection: Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]
) -> int:
    dialect = connection.dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(table)
            .values(rows)
            .on_conflict_do_nothing(index_elements=keys)
            .returning(table.c.id)  # rowcount is not reliable across drivers; RETURNING is
        )
        return len(connection.execute(statement).all())
    inserted = 0  # other dialects: one row at a time, a duplicate is an IntegrityError
    for row in rows:
        try:
            with connection.begin_nested():
                connection.execute(table.insert().values(row))
            inserted += 1
        except sa.exc.IntegrityError:
            continue
    return inserted


class PredictionStore:
    """Writes predictions and feedback; one instance per service, safe across threads."""

    def __init__(self, url: str, timeouts: Timeouts | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, timeouts)

    def create_tables(self) -> None:
        """Create the tables that do not exist yet (never alters existing ones)."""
        try:
            metadata.create_all(self.engine)
        except sa.exc.OperationalError as exc:
            raise PredictionLogError(
                f"cannot open the database ({exc.orig})", file=safe_url(self.url)
            ) from exc

    def record_predictions(
        self,
        tickets: Sequence[Ticket],
        predictions: Sequence[Prediction],
        *,
        received_at: datetime | None = None,
    ) -> int:
        """Store one row per prediction; returns how many were new (retries are not stored)."""
        return self.record_prediction_groups([(tickets, predictions, received_at)])

    def record_prediction_groups(
        self,
        groups: Sequence[tuple[Sequence[Ticket], Sequence[Prediction], datetime | None]],
    ) -> int:
        """Store several requests' predictions in one transaction; returns how many were new."""
        return self.insert_rows([row for group in groups for row in prediction_rows(*group)])

    def insert_rows(self, rows: Sequence[dict[str, Any]]) -> int:
        """Store `prediction_rows` output in one transaction, skipping (ticket, model) pairs
        already stored (a retry, a journal replay, another replica); returns how many were new."""
        if not rows:
            return 0
        # Two tickets with one id: keep the first, as a retry would.
        unique = list({(r["ticket_id"], r["model_version"]): r for r in reversed(rows)}.values())
        with self.engine.begin() as connection:
            return _insert_ignoring_duplicates(
                connection, predictions_table, unique, ["ticket_id", "model_version"]
            )

    def record_feedback(
        self,
        ticket_id: str,
        field: str,
        label: str,
        *,
        agent: str | None = None,
        received_at: datetime | None = None,
    ) -> None:
        """Store an agent's correction of one field of one ticket."""
        with self.engine.begin() as connection:
            connection.execute(
                feedback_table.insert().values(
                    ticket_id=ticket_id,
                    field=field,
                    label=label,
                    agent=agent,
                    received_at=_as_utc(received_at) or datetime.now(UTC),
                )
            )

    def count_predictions(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(predictions_table)
                ).scalar_one()
            )

    def dispose(self) -> None:
        self.engine.dispose()


def _require_table(engine: Engine, table: sa.Table, url: str) -> None:
    try:
        present = sa.inspect(engine).has_table(table.name)
    except sa.exc.OperationalError as exc:
        raise PredictionLogError(
            f"cannot open the database ({exc.orig})", file=safe_url(url)
        ) from exc
    if not present:
        raise PredictionLogError(
            f"no '{table.name}' table: is this the service's prediction log?", file=safe_url(url)
        )


def _utc_series(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


def read_predictions(url: str) -> pd.DataFrame:
    """Every logged prediction as a frame, one row per (ticket, model version).

    Columns: `ticket_id`, `created_at` (UTC; the ticket's own time, or when the service received
    it where the helpdesk sent none), `account_id`, `model_version`, then for every label field
    `f` found in the log: `predicted_<f>`, `predicted_<f>_confidence`, `predicted_<f>_needs_review`.
    Rows are ordered by `created_at`.
    """
    engine = make_engine(url)
    try:
        _require_table(engine, predictions_table, url)
        table = predictions_table
        query = sa.select(
            table.c.ticket_id,
            table.c.created_at,
            table.c.received_at,
            table.c.account_id,
            table.c.model_version,
            table.c.labels,
        ).order_by(table.c.id)
        with engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
    finally:
        engine.dispose()
    fields = sorted({name for row in rows for name in (row["labels"] or {})})
    base = ["ticket_id", "created_at", "account_id", "model_version"]
    columns = base + [
        column
        for f in fields
        for column in (f"predicted_{f}", f"predicted_{f}_confidence", f"predicted_{f}_needs_review")
    ]
    records = []
    for row in rows:
        labels = row["labels"] or {}
        record: dict[str, Any] = {
            "ticket_id": row["ticket_id"],
            "created_at": row["created_at"] or row["received_at"],
            "account_id": row["account_id"],
            "model_version": row["model_version"],
        }
        for f in fields:
            entry = labels.get(f) or {}
            record[f"predicted_{f}"] = entry.get("label")
            record[f"predicted_{f}_confidence"] = entry.get("confidence")
            record[f"predicted_{f}_needs_review"] = entry.get("needs_review")
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["created_at"] = _utc_series(frame["created_at"])
    for f in fields:
        frame[f"predicted_{f}_confidence"] = frame[f"predicted_{f}_confidence"].astype("float64")
        frame[f"predicted_{f}_needs_review"] = frame[f"predicted_{f}_needs_review"].astype("bool")
    return frame.sort_values("created_at", kind="stable").reset_index(drop=True)


def read_corrections(url: str) -> dict[str, dict[str, str]]:
    """Agents' corrections per ticket id and field; the latest one wins."""
    engine = make_engine(url)
    try:
        _require_table(engine, feedback_table, url)
        table = feedback_table
        query = sa.select(table.c.ticket_id, table.c.field, table.c.label).order_by(
            table.c.received_at, table.c.id
        )
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    finally:
        engine.dispose()
    corrections: dict[str, dict[str, str]] = {}
    for ticket_id, field, label in rows:
        corrections.setdefault(ticket_id, {})[field] = label
    return corrections
