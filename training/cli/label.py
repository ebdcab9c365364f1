"""`ticketlens label`: label every ticket of an export, resumably, locally or on Ray."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
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

from training.cli.common import (
    BackendName,
    BackendOption,
    CacheOption,
    NoCacheOption,
    console,
    errors,
    friendly_errors,
    load_classifier,
)
from training.cli.mapping import (
    DateFormatOption,
    export_overrides,
    given_overrides,
    model_manifest,
    require_head_columns,
)
from training.cli.options import NO_COLUMN_FLAGS, ExportColumns, option_groups
from training.cli.scale_out import (
    RAY_SHARD_ROWS,
    ActorsOption,
    AddressOption,
    CpusPerActorOption,
    Engine,
    EngineOption,
    label_on_ray,
    use_ray,
)

if TYPE_CHECKING:
    from training.labeling.local import LabelSummary


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


@friendly_errors
@option_groups
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
            help="Tickets per chunk, the unit of resuming (--engine ray: one Parquet shard).",
            show_default=f"512; --engine ray: {RAY_SHARD_ROWS}",
        ),
    ] = None,
    column_flags: ExportColumns = NO_COLUMN_FLAGS,
    date_format: DateFormatOption = None,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
    backend: BackendOption = BackendName.TORCH,
    engine: EngineOption = Engine.LOCAL,
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
    from training.labeling.local import check_output_writable, label_export

    given = given_overrides(
        column_flags.preset,
        column_flags.columns,
        text_column=column_flags.text_column,
        id_column=column_flags.id_column,
        date_format=date_format,
    )
    manifest = model_manifest(model)
    record = None if manifest is None else manifest.column_mapping
    overrides = export_overrides(export, record, given)  # train's mapping first
    require_head_columns(export, manifest, overrides)
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
    check_output_writable(Path(output))  # before a model load that may take seconds
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


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ticketlens` app."""
    app.command("label")(label_command)
