"""What the local and the Ray labeling engines share: a job's identity and the per-chunk body.

A chunk of an export becomes tickets (`tickets_from_frame`), the tickets prediction columns,
joined onto the chunk's own columns. A `TicketClassifier` and a cascade give the columns in bulk
(`predict_columns`), the same values `Prediction.to_columns` gives each ticket. Both engines
check ticket ids with `training.io.id_guard.DuplicateIdGuard`, the check reading an export uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

from classifier.embedders.static import is_static
from classifier.loading import Model
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from training.io.columns import ColumnMapping
from training.io.shards import InputFile
from training.io.tickets import tickets_from_frame


def local_input(path: Path) -> InputFile:
    """A local export file, identified as the Ray engine identifies its inputs."""
    stat = path.stat()
    return InputFile(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def job_identity(
    inputs: Sequence[InputFile],
    model_version: str,
    chunk_rows: int,
    mapping: Mapping[str, Any],
) -> dict[str, Any]:
    """What must match for a rerun to continue a job rather than start another.

    `shard_rows` keeps the name Ray job manifests have always used, so their jobs still resume.
    """
    return {
        "inputs": [{"uri": f.uri, "size": f.size, "mtime_ns": f.mtime_ns} for f in inputs],
        "model_version": model_version,
        "shard_rows": chunk_rows,
        "mapping": dict(mapping),
    }


def is_same_job(stored: Mapping[str, Any], identity: Mapping[str, Any]) -> bool:
    """Whether a job record read back from disk (maybe with more keys) is this job's."""
    expected = json.loads(json.dumps(identity))  # tuples and the like, as JSON gives them back
    return {key: stored.get(key) for key in expected} == expected


def embeds_statically(classifier: Model) -> bool:
    """Whether the model is a fast bundle (static embeddings; a cascade is not)."""
    return isinstance(classifier, TicketClassifier) and is_static(
        classifier.manifest.embedding_model.name
    )


@contextmanager
def prediction_threads(classifier: Model) -> Iterator[None]:
    """One BLAS thread while a fast bundle predicts here; other models keep theirs.

    A fast bundle's matrix products are small (a chunk's embeddings against a few class
    centroids). With more BLAS threads, OpenBLAS's idle workers spin between those products and
    take the cores from the Python threads doing the rest of the work (docs/benchmarks.md,
    "Fast-mode label path in bulk"). The setting is the process's; it is restored on exit.
    """
    if not embeds_statically(classifier):
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def limit_prediction_threads(classifier: Model) -> None:
    """`prediction_threads` for the rest of the process (a worker's or a Ray actor's life)."""
    if embeds_statically(classifier):
        threadpool_limits(limits=1, user_api="blas")


def prediction_frame(classifier: Model, tickets: Sequence[Ticket], index: pd.Index) -> pd.DataFrame:
    """The prediction columns of a chunk's tickets, indexed like the chunk."""
    return pd.DataFrame(classifier.predict_columns(tickets), index=index)


def with_predictions(frame: pd.DataFrame, added: pd.DataFrame) -> pd.DataFrame:
    """The chunk's own columns, then its prediction columns (replacing any of the same name)."""
    return pd.concat([frame.drop(columns=added.columns, errors="ignore"), added], axis=1)


def label_chunk(
    classifier: Model,
    frame: pd.DataFrame,
    mapping: ColumnMapping,
    *,
    source: str,
    first_row: int,
) -> pd.DataFrame:
    """One chunk of an export, labeled: chunk → tickets → predictions → columns.

    The local engine runs these steps apart (tickets on the driver, which checks their ids in
    order; predictions in a worker), the Ray engine all at once in an actor.
    """
    tickets = tickets_from_frame(frame, mapping, source=source, first_row=first_row)
    return with_predictions(frame, prediction_frame(classifier, tickets, frame.index))
