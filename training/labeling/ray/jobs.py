"""The record a sharded labeling job keeps beside its output: `manifest.json`.

It names the inputs (path, size, modification time, rows), the model version, the shard plan and
the shards finished so far with their row counts. A rerun of the same job reads it and skips the
finished shards; an output folder that belongs to another job is refused rather than mixed.
Also here: a shard's error as a record an actor hands back, and the duplicate-id check over the
shards written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from classifier import errors as error_types
from classifier.errors import TicketlensError
from training.io.id_guard import DuplicateIdGuard
from training.io.shards import InputFile, Shard
from training.labeling.core import is_same_job

JOB_MANIFEST = "manifest.json"
JOB_FORMAT = 1


@dataclass
class JobManifest:
    """What `manifest.json` holds: the job's identity, its shards and the finished ones."""

    identity: dict[str, Any]
    shards: list[dict[str, Any]]
    finished: dict[str, int] = field(default_factory=dict)
    """Shard file name → rows written."""
    complete: bool = False

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": JOB_FORMAT,
                **self.identity,
                "shards": self.shards,
                "finished": self.finished,
                "rows": sum(self.finished.values()),
                "complete": self.complete,
            },
            indent=2,
        )


def read_job_manifest(
    fs: pafs.FileSystem, folder: str, identity: dict[str, Any], shards: Sequence[Shard]
) -> JobManifest:
    """The folder's job manifest if it is this job's, a new one if the folder is new or empty."""
    fresh = JobManifest(identity=identity, shards=[s.to_dict() for s in shards])
    info = fs.get_file_info(folder)
    if info.type == pafs.FileType.NotFound:
        fs.create_dir(folder)
        return fresh
    if info.type != pafs.FileType.Directory:
        raise TicketlensError(
            "the output must be a folder (shards and manifest go in it)", file=folder
        )
    if fs.get_file_info(f"{folder}/{JOB_MANIFEST}").type == pafs.FileType.NotFound:
        if fs.get_file_info(pafs.FileSelector(folder)):
            raise TicketlensError("the output folder is not empty; choose a new one", file=folder)
        return fresh
    with fs.open_input_stream(f"{folder}/{JOB_MANIFEST}") as handle:
        stored = json.loads(handle.read())
    if not is_same_job(stored, identity):
        raise TicketlensError(
            "the output folder holds another job's shards (other inputs, model or "
            "--chunk-rows); choose a new folder or delete it",
            file=folder,
        )
    fresh.finished = {str(k): int(v) for k, v in stored.get("finished", {}).items()}
    return fresh


def write_job_manifest(fs: pafs.FileSystem, folder: str, manifest: JobManifest) -> None:
    """Replace `manifest.json` (temporary file, then a move: readers never see half of it)."""
    temporary = f"{folder}/_tmp-{JOB_MANIFEST}"
    with fs.open_output_stream(temporary) as sink:
        sink.write(manifest.to_json().encode())
    fs.move(temporary, f"{folder}/{JOB_MANIFEST}")


def error_record(exc: TicketlensError) -> dict[str, Any]:
    """A shard's error as plain data, to cross from an actor to the driver."""
    return {
        "kind": type(exc).__name__,
        "message": exc.message,
        "file": exc.file,
        "row": exc.row,
        "field": exc.field,
    }


def raise_error_record(record: Mapping[str, Any]) -> None:
    """Raise, on the driver, the error an actor recorded (same type, file, row and field)."""
    kind = getattr(error_types, str(record["kind"]), TicketlensError)
    row = record.get("row")
    raise kind(
        str(record["message"]),
        file=record.get("file"),
        row=None if row is None or pd.isna(row) else int(row),
        field=record.get("field"),
    )


def check_unique_ids(
    fs: pafs.FileSystem,
    folder: str,
    shards: Sequence[Shard],
    inputs: Sequence[InputFile],
    id_columns: Sequence[str | None],
) -> None:
    """Raise `ExportFormatError` naming the rows if a ticket id occurs twice in the export."""
    with DuplicateIdGuard(inputs[0].uri if inputs else folder) as guard:
        for shard in shards:  # in plan order: the rows of each file, file after file
            column = id_columns[shard.file_index]
            if column is None:  # generated ids (`row-17`) are unique within a file
                continue
            with fs.open_input_file(f"{folder}/{shard.name}") as handle:
                ids = pq.read_table(handle, columns=[column]).column(0).to_pylist()
            guard.check_ids(
                ("" if i is None else str(i).strip() for i in ids),  # as `tickets_from_frame`
                first_row=shard.first_row,
                source=inputs[shard.file_index].uri,
            )
