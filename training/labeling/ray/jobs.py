"""The record a sharded labeling job keeps beside its output: `manifest.json`.

It names the inputs (path, size, modification time, rows), the model version, the shard plan and
the shards finished so far with their row counts. A rerun of the same job reads it and skips the
finished shards; an output folder that belongs to another job is refused rather than mixed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from classifier.errors import ExportFormatError, TicketlensError
from training.io.shards import InputFile, Shard

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


def job_identity(
    inputs: Sequence[InputFile],
    model_version: str,
    shard_rows: int,
    mapping: Mapping[str, Any],
) -> dict[str, Any]:
    """What must match for a rerun to continue a job rather than start another."""
    return {
        "inputs": [{"uri": f.uri, "size": f.size, "mtime_ns": f.mtime_ns} for f in inputs],
        "model_version": model_version,
        "shard_rows": shard_rows,
        "mapping": dict(mapping),
    }


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
    if {key: stored.get(key) for key in identity} != json.loads(json.dumps(identity)):
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


def check_unique_ids(
    fs: pafs.FileSystem,
    folder: str,
    shards: Sequence[Shard],
    inputs: Sequence[InputFile],
    id_columns: Sequence[str | None],
) -> None:
    """Raise `ExportFormatError` naming the rows if a ticket id occurs twice in the export."""
    frames = []
    for shard in shards:
        column = id_columns[shard.file_index]
        if column is None:
            continue
        with fs.open_input_file(f"{folder}/{shard.name}") as handle:
            ids = pq.read_table(handle, columns=[column]).column(0).to_pylist()
        frames.append(
            pd.DataFrame(
                {
                    "id": ids,
                    "file": shard.file_index,
                    "row": range(shard.first_row, shard.first_row + len(ids)),
                }
            )
        )
    if not frames:
        return
    seen = pd.concat(frames, ignore_index=True)
    repeated = seen[seen["id"].duplicated(keep=False)]
    if repeated.empty:
        return
    first, second = repeated.iloc[0], repeated[repeated["id"] == repeated.iloc[0]["id"]].iloc[1]
    where = f"row {second['row']} of {inputs[second['file']].uri}"
    raise ExportFormatError(
        f"duplicate ticket id '{first['id']}' in rows {first['row']} and {where}",
        file=inputs[first["file"]].uri,
        row=int(second["row"]),
        field="id",
    )
