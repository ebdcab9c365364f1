"""The serving side of the prediction log: predictions and agents' corrections written.

Inserts of predictions are idempotent on (ticket_id, model_version): a helpdesk retrying a webhook
is stored, and counted, once; the pages' aggregates (`aggregates`) take the new rows in the same
transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from classifier.predlog.aggregates import update_aggregates
from classifier.predlog.backfill import backfill
from classifier.predlog.schema import (
    AGGREGATE_TABLES,
    PredictionLogError,
    Timeouts,
    feedback_table,
    make_engine,
    metadata,
    predictions_table,
    safe_url,
)
from classifier.records import Prediction, Ticket


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
) -> list[dict[str, Any]]:
    """Insert `rows`, skipping those whose `keys` are stored; returns the new ones with their id."""
    dialect = connection.dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(table)
            .values(rows)
            .on_conflict_do_nothing(index_elements=keys)
            .returning(table.c.id, *(table.c[k] for k in keys))  # rowcount is not reliable
        )
        by_key = {tuple(row[k] for k in keys): row for row in rows}
        return [{**by_key[tuple(new)], "id": key} for key, *new in connection.execute(statement)]
    inserted = []  # other dialects: one row at a time, a duplicate is an IntegrityError
    for row in rows:
        try:
            with connection.begin_nested():
                result = connection.execute(table.insert().values(row))
            key = result.inserted_primary_key
            inserted.append({**row, "id": key[0] if key else None})
        except sa.exc.IntegrityError:
            continue
    return inserted


class PredictionStore:
    """Writes predictions and feedback; one instance per service, safe across threads."""

    def __init__(
        self, url: str, timeouts: Timeouts | None = None, *, aggregates: bool = True
    ) -> None:
        self.url = url
        self.engine = make_engine(url, timeouts)
        self.aggregates = aggregates
        """Keep the pages' weekly aggregates with every write; off, they are emptied at start-up
        (so turning them back on refills them from the whole log) and left alone."""

    def create_tables(self) -> None:
        """Create the tables that do not exist yet (never alters existing ones), and fill the
        pages' aggregates from a log that predates them (or empty them, with aggregates off)."""
        try:
            metadata.create_all(self.engine)
            with self.engine.begin() as connection:
                if self.aggregates:
                    backfill(connection)
                else:
                    for table in AGGREGATE_TABLES:
                        connection.execute(table.delete())
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
        first = {(r["ticket_id"], r["model_version"]): r for r in reversed(rows)}
        unique = list(reversed(first.values()))  # in request order: the log's ids follow it
        with self.engine.begin() as connection:
            stored = _insert_ignoring_duplicates(
                connection, predictions_table, unique, ["ticket_id", "model_version"]
            )
            if self.aggregates:
                update_aggregates(connection, stored)  # same transaction: counted iff stored
            return len(stored)

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
