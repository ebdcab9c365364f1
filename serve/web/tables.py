"""The pages' own tables, beside the prediction log: review claims, releases and alerts."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

metadata = sa.MetaData()

claims_table = sa.Table(
    "review_claims",
    metadata,
    sa.Column("ticket_id", sa.String(255), primary_key=True),
    sa.Column("field", sa.String(255), primary_key=True),
    sa.Column("agent", sa.String(255), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

releases_table = sa.Table(
    "releases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("version", sa.String(255), nullable=False),
    sa.Column("released_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("note", sa.Text, nullable=True),
)

alerts_table = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dimension", sa.String(255), nullable=False),
    sa.Column("cell", sa.String(255), nullable=False),
    sa.Column("week", sa.String(10), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("pending", sa.JSON, nullable=False),  # receivers not yet delivered to
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("acknowledged_by", sa.String(255), nullable=True),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("dimension", "cell", "week", name="uq_alerts_cell_week"),
)

# The pulse filters by time: indexes on the log's time columns keep week ranges cheap. Plain DDL
# (SQLite and PostgreSQL both take IF NOT EXISTS) so the log's own table object is left as it is.
_LOG_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_predictions_created_at ON predictions (created_at)",
    "CREATE INDEX IF NOT EXISTS ix_predictions_received_at ON predictions (received_at)",
)


def create_web_tables(engine: Engine) -> None:
    """Create the pages' tables, and the log's time indexes, where missing."""
    metadata.create_all(engine)
    with engine.begin() as connection:
        for statement in _LOG_INDEXES:
            connection.execute(sa.text(statement))
