"""The prediction log: every served prediction and every agent correction, in a SQL database.

SQLAlchemy Core, so any SQLAlchemy URL works: SQLite (the default, opened in WAL mode so readers
never block the service) or PostgreSQL (`postgresql+psycopg://…`). The serving side writes here
(`store`); the training side reads it back (`read`) for drift reports (`read_predictions`) and
retraining (`read_corrections`); both share the tables and the engine (`schema`).
"""

from classifier.extras import importable

importable("sqlalchemy", "serve")

from classifier.predlog.read import read_corrections, read_predictions  # noqa: E402
from classifier.predlog.schema import (  # noqa: E402
    PredictionLogError,
    Timeouts,
    feedback_table,
    is_unavailable,
    make_engine,
    metadata,
    predictions_table,
    safe_url,
)
from classifier.predlog.store import PredictionStore, prediction_rows, text_sha256  # noqa: E402

__all__ = [
    "PredictionLogError",
    "PredictionStore",
    "Timeouts",
    "feedback_table",
    "is_unavailable",
    "make_engine",
    "metadata",
    "prediction_rows",
    "predictions_table",
    "read_corrections",
    "read_predictions",
    "safe_url",
    "text_sha256",
]
