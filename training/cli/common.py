"""Pieces shared by the `ticketlens` command modules: consoles, options and error handling.

The model stack (torch, scikit-learn, pandas) is imported inside the functions that need it, so
`ticketlens --help` and every `COMMAND --help` answer at once.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from classifier.errors import TicketlensError

if TYPE_CHECKING:
    from classifier.bundle.store import Bundle
    from classifier.embedders.base import Embedder
    from classifier.loading import Model

console = Console()
errors = Console(stderr=True)
logger = logging.getLogger("ticketlens")

P = ParamSpec("P")
R = TypeVar("R")


class PresetName(StrEnum):
    """The column presets of `training.io.presets.PRESETS` (a test keeps the two equal)."""

    ZENDESK = "zendesk"
    FRESHDESK = "freshdesk"
    JIRA = "jira"


class BackendName(StrEnum):
    """The transformer's runtimes (`classifier.embedders.backends.BACKENDS`)."""

    TORCH = "torch"
    ONNX = "onnx"


PresetOption = Annotated[
    PresetName | None, typer.Option(help="Column names of this helpdesk's exports.")
]
ColumnsOption = Annotated[
    Path | None,
    typer.Option("--columns", help="YAML file mapping export columns to ticket fields."),
]
TextColumnOption = Annotated[
    str | None, typer.Option(help="Column holding the whole ticket text (no subject/body).")
]
IdColumnOption = Annotated[str | None, typer.Option(help="Column holding the ticket id.")]
CacheOption = Annotated[
    Path | None,
    typer.Option(
        help="Embedding cache folder.", show_default="$TICKETLENS_CACHE_DIR or ~/.cache/ticketlens"
    ),
]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Do not cache embeddings.")]
BackendOption = Annotated[
    BackendName,
    typer.Option(
        envvar="TICKETLENS_BACKEND",
        help="Runtime of the transformer: torch, or onnx (same vectors, lighter; exported once).",
    ),
]


def friendly_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Print a TicketlensError as one line and exit 2, instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except TicketlensError as exc:
            # User-provided names (a column `Category [list]`) are text, never markup.
            errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def cache_dir_for(option: Path | None) -> Path:
    from classifier.embedders.base import default_cache_dir

    return option if option is not None else default_cache_dir()


def load_bundle(path: Path) -> Bundle:
    """`classifier.bundle.store.load_bundle`, imported when a command first needs a bundle."""
    from classifier.bundle.store import load_bundle as load

    return load(path)


def mapping_overrides(
    preset: str | None, columns: Path | None, text_column: str | None, id_column: str | None
) -> dict[str, Any]:
    from training.io.columns import load_mapping_file

    overrides: dict[str, Any] = load_mapping_file(columns) if columns else {}
    if preset:
        overrides["preset"] = str(preset)
    flags = {"text": text_column, "id": id_column}
    chosen = {k: v for k, v in flags.items() if v}
    if chosen:
        overrides["columns"] = {**overrides.get("columns", {}), **chosen}
    return overrides


def label_fields(specs: list[str]) -> tuple[list[str], dict[str, str]]:
    """`--label intent` or `--label category="Ticket type"` → fields and their columns."""
    fields, columns = [], {}
    for spec in specs:
        name, _, column = spec.partition("=")
        fields.append(name.strip())
        if column:
            columns[name.strip()] = column.strip()
    return fields, columns


def make_embedder(
    name: str,
    max_tokens: int,
    max_windows: int,
    cache_dir: Path | None,
    no_cache: bool,
    backend: str = "torch",
) -> Embedder:
    """The packaged embedding model, behind the on-disk cache unless `no_cache`."""
    from classifier.embedders.backends import transformer_embedder
    from classifier.embedders.cache import CachedEmbedder, EmbeddingCache

    folder = cache_dir_for(cache_dir)
    with console.status(f"loading the embedding model ({backend}; ONNX is exported once)…"):
        embedder = transformer_embedder(
            name, max_tokens=max_tokens, max_windows=max_windows, backend=backend, cache_dir=folder
        )
    if no_cache:
        return embedder
    return CachedEmbedder(embedder, EmbeddingCache(folder / "embeddings.sqlite"))


def make_static_embedder(base: str, cache_dir: Path | None) -> Embedder:
    """The fast mode's static model, distilled from `base` once and kept in the cache folder."""
    from training.fit.distill import distilled_embedder

    with console.status("loading the static model (distilled on first use: a few minutes)…"):
        return distilled_embedder(base, cache_dir_for(cache_dir))


def bundle_embedder(
    bundle: Bundle, cache_dir: Path | None, no_cache: bool, backend: str = "torch"
) -> Embedder:
    """The embedding model a bundle was trained with, set up exactly as its manifest records."""
    from classifier import predictor

    record = bundle.manifest.embedding_model
    if record.files is not None:
        return predictor.bundle_embedder(bundle)
    return make_embedder(
        record.name, record.max_tokens, record.max_windows, cache_dir, no_cache, backend
    )


def load_classifier(
    model: Path, cache_dir: Path | None, no_cache: bool, backend: str = "torch"
) -> Model:
    """A bundle (or a cascade of two) and its embedding models, as `label` builds them (also in
    worker processes)."""
    from classifier.loading import load_model

    return load_model(
        model, embedder_factory=lambda bundle: bundle_embedder(bundle, cache_dir, no_cache, backend)
    )
