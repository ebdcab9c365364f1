"""The `ticketlens` command line."""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from classifier.bundle import load_bundle
from classifier.embedder import DEFAULT_MAX_TOKENS, DEFAULT_MAX_WINDOWS, DEFAULT_MODEL
from classifier.errors import TicketlensError
from classifier.heads import HeadConfig
from classifier.manifest import Manifest
from training import cli_analytics, cli_service
from training.cli_common import (
    BackendOption,
    CacheOption,
    ColumnsOption,
    IdColumnOption,
    NoCacheOption,
    PresetOption,
    TextColumnOption,
    console,
    errors,
    friendly_errors,
    label_fields,
    load_classifier,
    make_embedder,
    make_static_embedder,
    mapping_overrides,
)
from training.cli_ray import (
    RAY_SHARD_ROWS,
    ActorsOption,
    AddressOption,
    CpusPerActorOption,
    EngineOption,
    label_on_ray,
    ray_embedder,
    use_ray,
)
from training.export import read_tickets
from training.fit import TrainConfig, train
from training.labeling import LabelSummary, label_export
from training.taxonomy import check_labels, load_taxonomy, raise_for_unknown

app = typer.Typer(
    help="Auto-categorize helpdesk tickets: train on an export, label exports, read the shares.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _setup(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show progress logs.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=errors, show_path=False, show_time=False)],
        force=True,
    )


def _cv_table(manifest: Manifest) -> list[Table]:
    tables = []
    for name, entry in manifest.fields.items():
        table = Table(
            title=f"{name}: cross-validated ({entry.rows_trained} tickets, "
            f"accuracy {entry.cv_accuracy:.3f}, macro-F1 {entry.cv_macro_f1:.3f})"
        )
        columns = ["label", "precision", "recall", "F1", "support"]
        # P@thr: precision of the predictions at or above the category's own threshold;
        # coverage: the share of its predictions that clear it (not sent to review).
        if entry.class_thresholds:
            columns += ["threshold", "P@thr", "coverage"]
        for column in columns:
            label_column = column == "label"
            table.add_column(
                column, justify="left" if label_column else "right", no_wrap=label_column
            )
        for label, metrics in entry.cv_per_category.items():
            cells = [
                label,
                f"{metrics.precision:.3f}",
                f"{metrics.recall:.3f}",
                f"{metrics.f1:.3f}",
                str(metrics.support),
            ]
            chosen = entry.class_thresholds.get(label)
            if chosen is not None:
                cells += (
                    [f"{chosen.threshold:.3f}", f"{chosen.precision:.3f}", f"{chosen.coverage:.3f}"]
                    if chosen.reached
                    else ["[red]unreachable[/]", f"{chosen.precision:.3f}", "0 (all reviewed)"]
                )
            table.add_row(*cells)
        tables.append(table)
    return tables


def _share_tables(summary: LabelSummary) -> list[Table]:
    tables = []
    for name, counts in summary.counts.items():
        total = sum(counts.values())
        table = Table(title=f"predicted {name} share ({total} tickets)")
        table.add_column(name)
        table.add_column("tickets", justify="right")
        table.add_column("share %", justify="right")
        for label, count in counts.most_common():
            table.add_row(label, str(count), f"{100 * count / total:.1f}")
        tables.append(table)
    return tables


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} tickets/s" if speed else "– tickets/s", style="cyan")


def _feature_choice(features: str) -> bool:
    if features not in ("hybrid", "embedding"):
        raise TicketlensError(f"--features must be hybrid or embedding, not '{features}'")
    return features == "hybrid"


def _mode_choice(mode: str) -> Literal["accurate", "fast"]:
    if mode == "accurate":
        return "accurate"
    if mode == "fast":
        return "fast"
    raise TicketlensError(f"--mode must be accurate or fast, not '{mode}'")


@app.command("train")
@friendly_errors
def train_command(
    export: Annotated[Path, typer.Argument(help="Labeled helpdesk export (CSV, JSONL, Parquet).")],
    label: Annotated[
        list[str] | None,
        typer.Option(
            help="Label field to learn, or FIELD=COLUMN; repeatable. "
            "[default: category and feature]"
        ),
    ] = None,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy YAML; labels outside it are an error.")
    ] = None,
    allow_unknown_labels: Annotated[
        bool, typer.Option(help="Accept labels missing from the taxonomy.")
    ] = False,
    models_dir: Annotated[Path, typer.Option(help="Where bundles are saved.")] = Path("models"),
    name: Annotated[str | None, typer.Option(help="Bundle name [default: timestamp].")] = None,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Confidence under which needs_review is set.")
    ] = 0.5,
    max_tokens: Annotated[
        int, typer.Option(min=16, max=512, help="Embedding model window in tokens.")
    ] = DEFAULT_MAX_TOKENS,
    max_windows: Annotated[
        int,
        typer.Option(
            min=1, max=8, help="Long tickets: windows of --max-tokens embedded and averaged."
        ),
    ] = DEFAULT_MAX_WINDOWS,
    cv_folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds.")] = 3,
    features: Annotated[
        str,
        typer.Option(help="hybrid: TF-IDF n-grams beside the embeddings; embedding: alone."),
    ] = "hybrid",
    mode: Annotated[
        str,
        typer.Option(
            help="accurate: transformer embeddings + word/char TF-IDF; fast: static embeddings "
            "distilled from the same model + word TF-IDF, for bulk backfills."
        ),
    ] = "accurate",
    target_precision: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Per-category thresholds reaching this precision on cross-validated "
            "predictions (replaces --threshold).",
        ),
    ] = None,
    no_current: Annotated[
        bool, typer.Option("--no-current", help="Do not move models/current to this bundle.")
    ] = False,
    preset: PresetOption = None,
    columns: ColumnsOption = None,
    text_column: TextColumnOption = None,
    id_column: IdColumnOption = None,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
    engine: EngineOption = "local",
    address: AddressOption = None,
) -> None:
    """Train category and feature classifiers on a labeled export and save a bundle."""
    fields, label_columns = label_fields(label or [])
    overrides = mapping_overrides(preset, columns, text_column, id_column)
    if label_columns:
        overrides["labels"] = {**overrides.get("labels", {}), **label_columns}
    tickets, mapping = read_tickets(export, fields or None, overrides)
    fields = fields or list(mapping.labels)
    if not fields:
        raise TicketlensError(
            "no label column found: name one with --label FIELD (e.g. --label intent)",
            file=export,
        )
    if taxonomy is not None:
        unknown = check_labels(tickets, load_taxonomy(taxonomy), fields, source=str(export))
        if not allow_unknown_labels:
            raise_for_unknown(unknown, source=str(export))
    chosen_mode = _mode_choice(mode)
    if use_ray(engine):
        if chosen_mode == "fast":
            raise TicketlensError("--engine ray embeds with the transformer: use --mode accurate")
        embedder = ray_embedder(
            DEFAULT_MODEL,
            max_tokens,
            max_windows,
            address=address,
            cpus_per_actor=1.0,
            cache_dir=cache_dir,
            no_cache=no_cache,
        )
    elif chosen_mode == "fast":
        embedder = make_static_embedder(DEFAULT_MODEL, cache_dir)
    else:
        embedder = make_embedder(DEFAULT_MODEL, max_tokens, max_windows, cache_dir, no_cache)
    config = TrainConfig(
        fields=tuple(fields),
        head=HeadConfig(cv_folds=cv_folds),
        threshold=threshold,
        text_features=_feature_choice(features),
        mode=chosen_mode,
        target_precision=target_precision,
        name=name,
        make_current=not no_current,
    )
    started = time.perf_counter()
    with console.status(f"embedding {len(tickets)} tickets and fitting {', '.join(fields)}…"):
        result = train(tickets, embedder, config, models_dir=models_dir, source=str(export))
    for table in _cv_table(result.manifest):
        console.print(table)
    console.print(
        f"bundle [bold]{result.manifest.name}[/] saved to {result.bundle_path} "
        f"in {time.perf_counter() - started:.1f}s"
        + ("" if no_current else f" ({models_dir / 'current'} points to it)")
    )


@app.command("label")
@friendly_errors
def label_command(
    export: Annotated[
        str,
        typer.Argument(
            help="Export to label (CSV, JSONL, Parquet); --engine ray: also a folder, a glob "
            "or a URI (s3://…) of such files."
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="Output file; .csv, .jsonl or .parquet (--engine ray: a folder for Parquet "
            "shards and manifest.json).",
        ),
    ],
    model: Annotated[Path, typer.Option(help="Bundle folder.")] = Path("models/current"),
    chunk_rows: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Tickets per chunk, the unit of resuming [default: 512; --engine ray: "
            f"{RAY_SHARD_ROWS}, one Parquet shard each].",
        ),
    ] = None,
    preset: PresetOption = None,
    columns: ColumnsOption = None,
    text_column: TextColumnOption = None,
    id_column: IdColumnOption = None,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
    backend: BackendOption = "torch",
    engine: EngineOption = "local",
    address: AddressOption = None,
    actors: ActorsOption = None,
    cpus_per_actor: CpusPerActorOption = 1.0,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Local engine: processes predicting chunks at once, each loading the model. "
            "Pays off for fast bundles (Python-bound); a transformer already uses every core.",
        ),
    ] = 1,
) -> None:
    """Label every ticket of an export; rerun the same command to resume a killed job."""
    overrides = mapping_overrides(preset, columns, text_column, id_column)
    if use_ray(engine):
        label_on_ray(
            export,
            output,
            model,
            overrides,
            address=address,
            actors=actors,
            cpus_per_actor=cpus_per_actor,
            shard_rows=chunk_rows or RAY_SHARD_ROWS,
        )
        return
    classifier = load_classifier(model, cache_dir, no_cache, backend)
    columns_progress = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns_progress, console=errors) as progress:
        task = progress.add_task("labeling", total=None)
        summary = label_export(
            Path(export),
            Path(output),
            classifier,
            mapping_overrides=overrides,
            chunk_rows=chunk_rows or 512,
            on_start=lambda total: progress.update(task, total=total),
            on_progress=lambda rows: progress.advance(task, rows),
            workers=workers,
            load=functools.partial(load_classifier, model, cache_dir, no_cache, backend),
        )
    for table in _share_tables(summary):
        console.print(table)
    resumed = f", {summary.chunks_resumed} chunk(s) resumed" if summary.chunks_resumed else ""
    console.print(
        f"labeled {summary.rows} tickets with {classifier.version} → {output} "
        f"({summary.needs_review} need review{resumed})"
    )


@app.command("info")
@friendly_errors
def info_command(
    model: Annotated[Path, typer.Argument(help="Bundle folder.")] = Path("models/current"),
) -> None:
    """Show a bundle's manifest: fields, classes, embedding model and CV metrics."""
    manifest = load_bundle(model).manifest
    record = manifest.embedding_model
    console.print(
        f"[bold]{manifest.name}[/] (format {manifest.format_version}), "
        f"created {manifest.created_at:%Y-%m-%d %H:%M} UTC"
    )
    console.print(
        f"embedding model: {record.name} from {record.package} {record.package_version}"
        f", {record.dimension}-d, window {record.max_tokens} tokens"
    )
    console.print(
        f"trained on {manifest.training_data.rows} rows of {manifest.training_data.source}"
    )
    for table in _cv_table(manifest):
        console.print(table)


cli_service.register(app)
cli_analytics.register(app)


def main() -> None:
    app()
