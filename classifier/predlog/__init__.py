"""The prediction log: every served prediction and every agent correction, in a SQL database.

SQLAlchemy Core, so any SQLAlchemy URL works: SQLite (the default, opened in WAL mode so readers
never block the service) or PostgreSQL (`postgresql+psycopg://…`). The serving side writes here
(`store`); the training side reads it back (`read`) for drift reports (`read_predictions`) and
retraining (`read_corrections`); both share the tables and the engine (`schema`). The pages'
weekly counts (`aggregates`) are updated with every write, and filled once from an older log
(`backfill`).
"""

from classifier.extras import importable

importable("sqlalchemy", "serve")

from classifier.predlog.aggregates import (  # noqa: E402
    REVIEW_MARGIN,
    entry_margin,
    update_aggregates,
    week_start,
)
from classifier.predlog.backfill import backfill, label_of, needs_review, ticket_time, week_of  # noqa: E402
from classifier.predlog.read import read_corrections, read_predictions  # noqa: E402
from classifier.predlog.schema import (  # noqa: E402
    AGGREGATE_TABLES,
    PredictionLogError,
    Timeouts,
    account_totals,
    feedback_table,
    is_unavailable,
    make_engine,
    metadata,
    predictions_table,
    review_candidates,
    safe_url,
    weekly_accounts,
    weekly_cell_accounts,
    weekly_cells,
    weekly_totals,
)
from classifier.predlog.store import PredictionStore, prediction_rows, text_sha256  # noqa: E402

__all__ = [
    "AGGREGATE_TABLES",
    "REVIEW_MARGIN",
    "PredictionLogError",
    "PredictionStore",
    "Timeouts",
    "account_totals",
    "backfill",
    "entry_margin",
    "feedback_table",
    "is_unavailable",
    "label_of",
    "make_engine",
    "metadata",
    "needs_review",
    "prediction_rows",
    "predictions_table",
    "read_corrections",
    "read_predictions",
    "review_candidates",
    "safe_url",
    "text_sha256",
    "ticket_time",
    "update_aggregates",
    "week_of",
    "week_start",
    "weekly_accounts",
    "weekly_cell_accounts",
    "weekly_cells",
    "weekly_totals",
]
