"""The training side of the prediction log: predictions and corrections read back as tables."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from classifier.predlog.schema import (
    PredictionLogError,
    feedback_table,
    make_engine,
    predictions_table,
    safe_url,
)


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
