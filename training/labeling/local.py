"""Label a whole export in chunks: memory stays flat, and a killed job resumes where it stopped.

Each finished chunk is written as its own Parquet part (temp file + rename) in a work folder next to
the output. A rerun of the same job skips parts already on disk; when every part is there they are
joined into the output (again temp file + rename), so the output is either the previous file or
the complete new one, never half of it. With `workers` > 1 the chunks are predicted in that many
processes (each loads the model once), parts written in order as they finish.

An output folder that cannot be written and a disk that fills up are one-line `LabelOutputError`s;
a part cut short by a full disk is removed, so rerunning the same command resumes cleanly.
"""

from __future__ import annotations

import errno
import json
import logging
import multiprocessing
import os
import shutil
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from classifier.errors import ExportFormatError, TicketlensError
from classifier.loading import Model
from classifier.records import NO_LABEL, Ticket
from training.io.columns import detect_mapping
from training.io.id_guard import DuplicateIdGuard
from training.io.readers import count_rows, iter_export, read_columns
from training.io.tickets import tickets_from_frame
from training.labeling.core import (
    is_same_job,
    job_identity,
    limit_prediction_threads,
    local_input,
    prediction_frame,
    prediction_threads,
    with_predictions,
)

logger = logging.getLogger(__name__)

OUTPUT_FORMATS = (".csv", ".jsonl", ".parquet")
_JOB_FILE = "job.json"
_IDS_FILE = "ids.sqlite"
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class LabelOutputError(TicketlensError):
    """The output cannot be written: a folder without write access, a full disk."""


@dataclass
class LabelSummary:
    """What a labeling run did, and the predicted label counts per field."""

    rows: int = 0
    chunks_resumed: int = 0
    needs_review: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=dict)


def work_dir_for(output: Path) -> Path:
    return output.parent / f".{output.name}.ticketlens-partial"


def check_output_writable(output: Path) -> None:
    """Raise `LabelOutputError` unless a file can be created in `output`'s folder (made if new).

    A real file is created and removed: permission bits do not tell (root, ACLs, read-only mounts).
    """
    folder = output.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise LabelOutputError(
            f"cannot write the output folder {folder} ({reason}); choose another --output",
            file=output,
        ) from None


@contextmanager
def _disk_full_as_one_line(output: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno not in _DISK_FULL and "No space left on device" not in str(exc):
            raise
        where = f" writing {exc.filename}" if exc.filename else ""
        raise LabelOutputError(
            f"the disk is full{where}; free some space, then rerun the same command: it resumes "
            "from the chunks already written",
            file=output,
        ) from None


def _prepare_work_dir(work: Path, identity: dict[str, Any]) -> None:
    job_file = work / _JOB_FILE
    if work.exists():
        try:
            same = is_same_job(json.loads(job_file.read_text()), identity)
        except (OSError, json.JSONDecodeError):
            same = False
        if same:
            return
        logger.warning("unfinished work in %s belongs to another job; starting over", work)
        shutil.rmtree(work)
    work.mkdir(parents=True)
    job_file.write_text(json.dumps(identity, indent=2))


def _write_part(frame: pd.DataFrame, part: Path) -> None:
    temporary = part.with_suffix(".tmp")
    try:
        frame.to_parquet(temporary, index=False)
        os.replace(temporary, part)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _parts(work: Path) -> list[Path]:
    return sorted(work.glob("part-*.parquet"))


def _assemble(parts: list[Path], output: Path, summary: LabelSummary, fields: list[str]) -> None:
    temporary = output.with_name(f".{output.name}.tmp")
    suffix = output.suffix.lower()
    writer: pq.ParquetWriter | None = None
    try:
        with temporary.open("wb") as handle:
            for index, part in enumerate(parts):
                frame = pd.read_parquet(part)
                for name in fields:
                    labels = frame[f"predicted_{name}"].fillna(NO_LABEL)
                    summary.counts.setdefault(name, Counter()).update(labels.tolist())
                review = frame[[f"predicted_{n}_needs_review" for n in fields]].any(axis=1)
                summary.needs_review += int(review.sum())
                summary.rows += len(frame)
                if suffix == ".csv":
                    frame.to_csv(handle, index=False, header=index == 0)
                elif suffix == ".jsonl":
                    frame.to_json(handle, orient="records", lines=True, force_ascii=False)
                else:
                    table = pa.Table.from_pandas(frame, preserve_index=False)
                    if writer is None:
                        writer = pq.ParquetWriter(handle, table.schema)
                    writer.write_table(table.cast(writer.schema))
            if writer is not None:
                writer.close()
        os.replace(temporary, output)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def label_export(
    source: Path,
    output: Path,
    classifier: Model,
    *,
    mapping_overrides: Mapping[str, Any] | None = None,
    chunk_rows: int = 512,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    workers: int = 1,
    load: Callable[[], Model] | None = None,
) -> LabelSummary:
    """Write `output` (CSV, JSONL or Parquet by suffix): the export's columns plus predictions.

    `workers` > 1 predicts in that many processes, each building its classifier with `load` (a
    picklable callable, e.g. a `functools.partial`); `classifier` still names the job.
    """
    if workers > 1 and load is None:
        raise ValueError("workers > 1 needs `load` to build the classifier in each process")
    if output.suffix.lower() not in OUTPUT_FORMATS:
        raise ExportFormatError(
            f"unsupported output format '{output.suffix}'; use one of {', '.join(OUTPUT_FORMATS)}",
            file=output,
        )
    check_output_writable(output)
    overrides = dict(mapping_overrides or {})
    mapping = detect_mapping(read_columns(source), [], overrides, source=str(source))
    total = count_rows(source)
    if on_start is not None:
        on_start(total)
    work = work_dir_for(output)
    identity = job_identity([local_input(source)], classifier.version, chunk_rows, overrides)
    summary = LabelSummary()
    pending: deque[tuple[Future[pd.DataFrame], pd.DataFrame, Path]] = deque()

    def finish_oldest() -> None:
        future, frame, part = pending.popleft()
        _write_part(with_predictions(frame, future.result()), part)
        if on_progress is not None:
            on_progress(len(frame))

    with _disk_full_as_one_line(output):
        _prepare_work_dir(work, identity)
        with (
            DuplicateIdGuard(source, database=work / _IDS_FILE) as guard,
            _chunk_predictor(classifier, workers, load) as predict,
        ):
            for index, (first_row, frame) in enumerate(
                _numbered(iter_export(source, chunk_rows=chunk_rows))
            ):
                tickets = tickets_from_frame(
                    frame, mapping, source=str(source), first_row=first_row
                )
                guard.check(tickets, first_row=first_row)
                part = work / f"part-{index:06d}.parquet"
                if part.exists():
                    summary.chunks_resumed += 1
                    if on_progress is not None:
                        on_progress(len(frame))
                    continue
                pending.append((predict(tickets, frame.index), frame, part))
                # Two chunks per worker process in flight, one in-process: memory stays flat and
                # a killed job loses at most those.
                while len(pending) > (2 * workers if workers > 1 else 1):
                    finish_oldest()
            while pending:
                finish_oldest()
        _assemble(_parts(work), output, summary, classifier.fields)
    shutil.rmtree(work)
    return summary


def _numbered(chunks: Iterator[pd.DataFrame]) -> Iterator[tuple[int, pd.DataFrame]]:
    first_row = 1
    for frame in chunks:
        yield first_row, frame
        first_row += len(frame)


_worker_classifier: Model | None = None


def _start_worker(load: Callable[[], Model]) -> None:
    global _worker_classifier
    _worker_classifier = load()
    limit_prediction_threads(_worker_classifier)


def _predict_in_worker(tickets: Sequence[Ticket], index: pd.Index) -> pd.DataFrame:
    assert _worker_classifier is not None, "worker started without a classifier"
    return prediction_frame(_worker_classifier, tickets, index)


Predict = Callable[[Sequence[Ticket], pd.Index], "Future[pd.DataFrame]"]


@contextmanager
def _chunk_predictor(
    classifier: Model, workers: int, load: Callable[[], Model] | None
) -> Iterator[Predict]:
    """Submit a chunk, get a future of its prediction columns: on a thread or in processes."""
    if workers <= 1 or load is None:
        with (
            prediction_threads(classifier),
            ThreadPoolExecutor(1, thread_name_prefix="ticketlens-label") as thread,
        ):
            yield lambda tickets, index: thread.submit(prediction_frame, classifier, tickets, index)
        return
    # spawn, not fork: the parent may hold ONNX Runtime / torch thread pools and tokenizers.
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(load,),
    )
    try:
        yield lambda tickets, index: pool.submit(_predict_in_worker, tickets, index)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
