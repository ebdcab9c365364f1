"""Label a large export on a Ray cluster: Ray Data runs a pool of actors, one model each.

The export is cut into deterministic shards (`training.io.shards`); each pending shard is one row
of a Ray dataset, and `map_batches` hands it to an actor that reads the shard's rows, predicts
them with the same model the local engine uses (a bundle, or a cascade: `load_model`), and
writes one Parquet file per shard
(temporary name, then a move). The driver records every finished shard in `manifest.json`, so a
rerun after a failure skips them; an actor that dies is restarted by Ray and its shard retried,
and since a shard's file has a fixed name a retry replaces it: no row is lost or written twice.

This module imports Ray; only the `--engine ray` code path imports it.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.fs as pafs
import ray
import ray.data

from classifier.bundle.store import Bundle
from classifier.embedders.base import Embedder
from classifier.errors import ExportFormatError, TicketlensError
from classifier.loading import load_model
from classifier.loading import model_version as model_version_of
from classifier.predictor import bundle_embedder
from training.io.columns import detect_mapping
from training.io.readers import count_rows, read_chunk, read_columns
from training.io.shards import (
    InputFile,
    Shard,
    filesystem_for,
    local_copy,
    plan_shards,
    resolve_inputs,
)
from training.labeling.core import job_identity, label_chunk, limit_prediction_threads
from training.labeling.ray.cluster import RayOptions, connect, pool_size
from training.labeling.ray.jobs import (
    JobManifest,
    check_unique_ids,
    error_record,
    raise_error_record,
    read_job_manifest,
    write_job_manifest,
)

logger = logging.getLogger(__name__)

# The manifest is rewritten at most this often; a crash redoes at most these seconds' shards.
_SAVE_EVERY_S = 2.0

EmbedderFactory = Callable[[Bundle], Embedder]
"""Builds, inside a worker, the embedder for a loaded bundle (default: the packaged model)."""


@dataclass
class RaySummary:
    """What a Ray labeling run did."""

    rows: int = 0
    shards: int = 0
    shards_resumed: int = 0
    files: list[str] = field(default_factory=list)


class _ShardLabeler:
    """A Ray actor: loads the bundle once, then labels one shard per call."""

    def __init__(
        self,
        bundle_files: dict[str, bytes],
        factory: EmbedderFactory,
        job: dict[str, Any],
        cpus: float,
    ) -> None:
        self._scratch = Path(tempfile.mkdtemp(prefix="ticketlens-ray-"))
        bundle_dir = self._scratch / "bundle"
        bundle_dir.mkdir()
        for name, data in bundle_files.items():
            (bundle_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (bundle_dir / name).write_bytes(data)
        self._classifier = load_model(bundle_dir, embedder_factory=factory)
        if "torch" in sys.modules:  # one actor per `cpus`: torch must not use every core
            sys.modules["torch"].set_num_threads(max(1, int(cpus)))
        limit_prediction_threads(self._classifier)
        self._job = job
        self._output_fs, self._output = filesystem_for(job["output"])

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        done: dict[str, list[Any]] = {"name": [], "rows": [], "error": []}
        for index in range(len(batch["name"])):
            shard = Shard(
                int(batch["file_index"][index]),
                int(batch["block"][index]),
                int(batch["first_row"][index]),
                int(batch["rows"][index]),
            )
            try:
                rows = self._label(shard)
                error = None
            except TicketlensError as exc:
                rows, error = 0, error_record(exc)
            done["name"].append(shard.name)
            done["rows"].append(rows)
            done["error"].append(error)
        return done

    def _label(self, shard: Shard) -> int:
        source = self._job["inputs"][shard.file_index]["uri"]
        path = local_copy(source, self._scratch)
        frame = read_chunk(path, shard.block, self._job["shard_rows"])
        if len(frame) != shard.rows:
            raise ExportFormatError(
                f"has {len(frame)} rows from row {shard.first_row} on, the job planned "
                f"{shard.rows}: was the file changed while the job ran?",
                file=source,
            )
        mapping = detect_mapping(list(frame.columns), [], self._job["mapping"], source=source)
        labeled = label_chunk(
            self._classifier, frame, mapping, source=source, first_row=shard.first_row
        )
        target = f"{self._output}/{shard.name}"
        temporary = f"{self._output}/_tmp-{shard.name}"
        with self._output_fs.open_output_stream(temporary) as sink:
            labeled.to_parquet(sink, index=False)
        self._output_fs.move(temporary, target)
        return len(labeled)


@ray.remote(num_cpus=0.25)
def _describe(uri: str) -> tuple[list[str], int]:
    """An input file's columns and row count, read where the workers read it."""
    with tempfile.TemporaryDirectory(prefix="ticketlens-ray-") as scratch:
        path = local_copy(uri, Path(scratch))
        return read_columns(path), count_rows(path)


def _describe_inputs(inputs: list[InputFile]) -> list[tuple[list[str], int]]:
    try:
        return list(ray.get([_describe.remote(f.uri) for f in inputs]))
    except ray.exceptions.RayTaskError as exc:
        cause = exc.as_instanceof_cause()
        if isinstance(cause, TicketlensError):
            raise TicketlensError(cause.message) from None
        raise


def _bundle_files(bundle_path: Path) -> dict[str, bytes]:
    """A bundle's (or a cascade's) files, shipped to every actor (no shared storage needed for
    the model)."""
    folder = bundle_path.resolve()
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def label_export_ray(
    source: str,
    output: str,
    bundle_path: Path,
    *,
    options: RayOptions,
    mapping_overrides: Mapping[str, Any] | None = None,
    embedder_factory: EmbedderFactory = bundle_embedder,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> RaySummary:
    """Label every row of `source` into Parquet shards under `output`, plus `manifest.json`.

    Rerunning the same job resumes it; an `output` holding another job's shards is refused.
    """
    inputs = resolve_inputs(source)
    model_version = model_version_of(bundle_path)  # verified here, and again in every actor
    bundle_files = _bundle_files(bundle_path)
    overrides = dict(mapping_overrides or {})
    connect(options.address)
    described = _describe_inputs(inputs)
    id_columns = [
        detect_mapping(columns, [], overrides, source=file.uri).id
        for file, (columns, _) in zip(inputs, described, strict=True)
    ]
    shards = plan_shards([rows for _, rows in described], options.shard_rows)
    identity = job_identity(inputs, model_version, options.shard_rows, overrides)
    output_fs, output_path = filesystem_for(output)
    manifest = read_job_manifest(output_fs, output_path, identity, shards)
    pending = [s for s in shards if s.name not in manifest.finished]
    summary = RaySummary(shards=len(shards), shards_resumed=len(shards) - len(pending))
    if on_start is not None:
        on_start(sum(s.rows for s in shards))
    if on_progress is not None:
        on_progress(sum(s.rows for s in shards if s.name in manifest.finished))
    if pending:
        _run(
            pending,
            bundle_files,
            embedder_factory,
            identity,
            output,
            options,
            manifest,
            output_fs,
            output_path,
            on_progress,
        )
    check_unique_ids(output_fs, output_path, shards, inputs, id_columns)
    manifest.complete = True
    write_job_manifest(output_fs, output_path, manifest)
    summary.rows = sum(manifest.finished.values())
    summary.files = [s.name for s in shards]
    return summary


def _run(
    pending: list[Shard],
    bundle_files: dict[str, bytes],
    factory: EmbedderFactory,
    identity: dict[str, Any],
    output: str,
    options: RayOptions,
    manifest: JobManifest,
    output_fs: pafs.FileSystem,
    output_path: str,
    on_progress: Callable[[int], None] | None,
) -> None:
    job = {**identity, "output": output}
    dataset = ray.data.from_items([s.to_dict() for s in pending], override_num_blocks=len(pending))
    labeled = dataset.map_batches(
        _ShardLabeler,
        fn_constructor_args=(bundle_files, factory, job, options.cpus_per_actor),
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=min(pool_size(options), len(pending))),
        num_cpus=options.cpus_per_actor,
        # Ray Data's actor pools restart a dead actor and retry its task (max_restarts and
        # max_task_retries default to -1 there); a shard's file has a fixed name, so a retried
        # shard replaces it rather than adding rows.
    )
    saved = time.monotonic()
    try:
        for row in labeled.iter_rows():
            if row["error"] is not None:
                raise_error_record(row["error"])
            manifest.finished[row["name"]] = int(row["rows"])
            if time.monotonic() - saved > _SAVE_EVERY_S:
                write_job_manifest(output_fs, output_path, manifest)
                saved = time.monotonic()
            if on_progress is not None:
                on_progress(int(row["rows"]))
    finally:
        write_job_manifest(output_fs, output_path, manifest)


__all__ = ["RayOptions", "RaySummary", "connect", "label_export_ray"]
