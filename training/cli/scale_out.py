"""`--engine ray` for `ticketlens label` and `ticketlens train`: options and the Ray code paths.

Ray is imported only inside these functions, so the CLI, the core and the server start without it.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from classifier.errors import TicketlensError
from training.cli.common import cache_dir_for, console, errors

if TYPE_CHECKING:
    from classifier.embedders.base import Embedder

RAY_SHARD_ROWS = 10_000


class Engine(StrEnum):
    """Where labeling (and training's embedding) runs."""

    LOCAL = "local"
    RAY = "ray"


EngineOption = Annotated[
    Engine,
    typer.Option(help="local: this machine; ray: a Ray cluster (needs the 'ray' extra)."),
]
AddressOption = Annotated[
    str | None,
    typer.Option(
        help="--engine ray: cluster to join (head:6379, auto, ray://head:10001).",
        show_default="$RAY_ADDRESS, else a local Ray instance",
    ),
]
ActorsOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="--engine ray: actors in the pool.",
        show_default="cluster CPUs / --cpus-per-actor",
    ),
]
CpusPerActorOption = Annotated[
    float, typer.Option(min=0.1, help="--engine ray: CPUs each actor reserves (torch threads).")
]


def use_ray(engine: Engine) -> bool:
    """Whether `--engine` names Ray; without Ray installed that is an error naming the extra."""
    if engine == Engine.RAY:
        try:
            import ray  # noqa: F401
        except ImportError:
            raise TicketlensError("--engine ray needs Ray: pip install 'ticketlens[ray]'") from None
    return engine == Engine.RAY


def _quiet_ray() -> None:
    """Ray and Ray Data log every run on stderr; the CLI shows its own progress (-v keeps them)."""
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.ERROR)


def _options(address: str | None, actors: int | None, cpus: float, shard_rows: int) -> Any:
    from training.labeling.ray.engine import RayOptions

    _quiet_ray()
    return RayOptions(address=address, actors=actors, cpus_per_actor=cpus, shard_rows=shard_rows)


def label_on_ray(
    export: str,
    output: str,
    model: Path,
    overrides: dict[str, Any],
    *,
    address: str | None,
    actors: int | None,
    cpus_per_actor: float,
    shard_rows: int,
) -> None:
    """Run `ticketlens label --engine ray` and print what it did."""
    from training.labeling.ray.engine import label_export_ray

    options = _options(address, actors, cpus_per_actor, shard_rows)
    progress = Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=errors)
    task = progress.add_task("labeling on Ray", total=None)

    def start(total: int) -> None:
        # Shown once the shards are planned: a bad input or address stays a one-line error.
        progress.update(task, total=total)
        progress.start()

    try:
        summary = label_export_ray(
            export,
            output,
            model,
            options=options,
            mapping_overrides=overrides,
            on_start=start,
            on_progress=lambda rows: progress.advance(task, rows),
        )
    finally:
        progress.stop()
    resumed = f", {summary.shards_resumed} resumed" if summary.shards_resumed else ""
    console.print(
        f"labeled {summary.rows} tickets into {summary.shards} Parquet shard(s) under {output} "
        f"(manifest.json lists them{resumed})"
    )


def ray_embedder(
    name: str,
    max_tokens: int,
    max_windows: int,
    *,
    address: str | None,
    cpus_per_actor: float,
    cache_dir: Path | None,
    no_cache: bool,
) -> Embedder:
    """`train --engine ray`: texts embedded by an actor pool on the cluster, vectors returned
    to the driver (behind the driver's embedding cache unless `no_cache`)."""
    from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
    from training.labeling.ray.embed import EmbeddingSpec, RayEmbedder

    options = _options(address, None, cpus_per_actor, RAY_SHARD_ROWS)
    embedder: Embedder = RayEmbedder(EmbeddingSpec(name, max_tokens, max_windows), options)
    if no_cache:
        return embedder
    return CachedEmbedder(embedder, EmbeddingCache(cache_dir_for(cache_dir) / "embeddings.sqlite"))
