"""`ticketlens train`: fit a bundle (or a cascade) on a labeled export."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from classifier.embedders.base import DEFAULT_MAX_TOKENS, DEFAULT_MAX_WINDOWS, DEFAULT_MODEL
from classifier.errors import TicketlensError
from training.cli.coldstart import LabeledOption, add_similar_index, cold_start_train
from training.cli.common import (
    CacheOption,
    NoCacheOption,
    console,
    friendly_errors,
    label_fields,
    make_embedder,
    make_static_embedder,
)
from training.cli.cv_tables import cv_tables
from training.cli.mapping import DateFormatOption, EncodingOption
from training.cli.options import (
    NO_COLUMN_FLAGS,
    NO_EXTRA_FEATURES,
    ExportColumns,
    ExtraFeatures,
    option_groups,
)
from training.cli.scale_out import (
    AddressOption,
    Engine,
    EngineOption,
    ray_embedder,
    use_ray,
)

if TYPE_CHECKING:
    pass


class Mode(StrEnum):
    """What embeds the text: the transformer, static vectors distilled from it, or both (a
    cascade: the static model answers where it is sure)."""

    ACCURATE = "accurate"
    FAST = "fast"
    CASCADE = "cascade"


class Features(StrEnum):
    """What the heads see beside the embeddings."""

    HYBRID = "hybrid"
    EMBEDDING = "embedding"


@friendly_errors
@option_groups
def train_command(
    export: Annotated[Path, typer.Argument(help="Labeled helpdesk export (CSV, JSONL, Parquet).")],
    label: Annotated[
        list[str] | None,
        typer.Option(
            metavar="FIELD[=COLUMN]",
            help="Label field to learn, or FIELD=COLUMN; repeatable.",
            show_default="category and feature, where such columns exist",
        ),
    ] = None,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy YAML; labels outside it are an error.")
    ] = None,
    allow_unknown_labels: Annotated[
        bool,
        typer.Option("--allow-unknown-labels", help="Accept labels missing from the taxonomy."),
    ] = False,
    models_dir: Annotated[Path, typer.Option(help="Where bundles are saved.")] = Path("models"),
    name: Annotated[
        str | None, typer.Option(help="Bundle name.", show_default="a timestamp")
    ] = None,
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
    cv_folds: Annotated[
        int | None,
        typer.Option(
            min=2,
            help="Cross-validation folds (default 3; 2 from 10,000 tickets per field, each "
            "candidate screened on one fold). Given, it holds at every size.",
        ),
    ] = None,
    features: Annotated[
        Features,
        typer.Option(help="hybrid: TF-IDF n-grams beside the embeddings; embedding: alone."),
    ] = Features.HYBRID,
    mode: Annotated[
        Mode,
        typer.Option(
            help="accurate: transformer embeddings + word/char TF-IDF; fast: static embeddings "
            "distilled from the same model + word TF-IDF, for bulk backfills; cascade: both, "
            "the fast one answering where it is sure (threshold chosen on out-of-fold "
            "predictions for --loss-budget)."
        ),
    ] = Mode.ACCURATE,
    loss_budget: Annotated[
        float,
        typer.Option(
            "--loss-budget",
            min=0.0,
            help="--mode cascade: macro-F1 (0-1) per field the cascade may lose to accurate.",
        ),
    ] = 0.005,
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
    zero_shot: Annotated[
        bool,
        typer.Option(
            "--zero-shot",
            help="No label columns needed: heads from the --taxonomy descriptions, refined on "
            "the export's tickets.",
        ),
    ] = False,
    labeled: LabeledOption = None,
    similar_index: Annotated[
        bool,
        typer.Option(
            "--similar-index",
            help="Keep the training tickets' vectors, ids and labels (no text) for "
            "`ticketlens similar` and POST /similar.",
        ),
    ] = False,
    column_flags: ExportColumns = NO_COLUMN_FLAGS,
    extra_features: ExtraFeatures = NO_EXTRA_FEATURES,
    date_format: DateFormatOption = None,
    encoding: EncodingOption = None,
    allow_small: Annotated[
        bool,
        typer.Option(
            "--allow-small",
            help="Train even on fewer labeled tickets than a model worth serving needs.",
        ),
    ] = False,
    text_structure: Annotated[
        bool,
        typer.Option(
            "--text-structure",
            help="Strip code blocks, stack traces, log dumps and issue templates from bodies "
            "(recorded in the bundle; its predictions strip them too).",
        ),
    ] = False,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
    engine: EngineOption = Engine.LOCAL,
    address: AddressOption = None,
) -> None:
    """Train category and feature classifiers on a labeled export and save a bundle."""
    from training.cli.train_summary import (
        check_enough,
        field_counts,
        metadata_summary,
        summary_table,
    )
    from training.fit.heads import HeadConfig
    from training.fit.train import TrainConfig, train
    from training.io.export import read_tickets
    from training.io.recorded import record_mapping
    from training.io.taxonomy import check_labels, load_taxonomy, raise_for_unknown

    fields, label_columns = label_fields(label or [])
    overrides = extra_features.overrides(column_flags.overrides())
    feature_columns, segment = extra_features.keys()
    if date_format is not None:
        overrides["date_format"] = date_format
    if label_columns:
        overrides["labels"] = {**overrides.get("labels", {}), **label_columns}
    if zero_shot or labeled:
        if extra_features != NO_EXTRA_FEATURES:
            raise TicketlensError(
                "--feature-column, --segment and --subject-block need labeled training; "
                "drop them with --zero-shot or --labeled"
            )
        return cold_start_train(
            export,
            taxonomy_path=taxonomy,
            fields=fields,
            labeled=labeled or [],
            overrides=overrides,
            threshold=threshold,
            models_dir=models_dir,
            name=name,
            make_current=not no_current,
            similar_index=similar_index,
            cache_dir=cache_dir,
            no_cache=no_cache,
        )
    tickets, mapping = read_tickets(export, fields or None, overrides, encoding=encoding)
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
    head = HeadConfig() if cv_folds is None else HeadConfig(cv_folds=cv_folds, large_rows=None)
    counts = field_counts(tickets, fields, max(head.min_class_count, head.cv_folds))
    console.print(summary_table(counts))
    check_enough(counts, str(export), allow_small=allow_small)
    if use_ray(engine):
        if mode != Mode.ACCURATE:
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
    elif mode == Mode.FAST:
        embedder = make_static_embedder(DEFAULT_MODEL, cache_dir)
    else:
        embedder = make_embedder(DEFAULT_MODEL, max_tokens, max_windows, cache_dir, no_cache)
    config = TrainConfig(
        fields=tuple(fields),
        head=head,
        threshold=threshold,
        text_features=features == Features.HYBRID,
        mode="fast" if mode == Mode.FAST else "accurate",  # a cascade sets each model's
        target_precision=target_precision,
        name=name,
        make_current=not no_current,
        column_mapping=record_mapping(mapping),
        text_structure=text_structure,
        feature_columns=feature_columns,
        segment=segment,
        subject_block=extra_features.subject_block,
    )
    started = time.perf_counter()
    from training.cli.train_progress import fit_progress  # rich.progress: not for --help

    if mode == Mode.CASCADE:  # `embedder` is the accurate model's
        from training.cli.cascade import train_cascade_folder

        cascade = train_cascade_folder(
            tickets, embedder, config, models_dir, str(export), loss_budget, cache_dir
        )
        if similar_index:  # `/similar` on a cascade reads its accurate bundle's index
            from classifier.cascade import ACCURATE_DIR

            add_similar_index(cascade / ACCURATE_DIR, tickets, embedder, fields)
        return

    with fit_progress(console, len(tickets), fields) as progress:
        result = train(
            tickets, embedder, config, models_dir=models_dir, source=str(export), progress=progress
        )
    for table in cv_tables(result.manifest, result.confusions):
        console.print(table)
    if (line := metadata_summary(result.manifest)) is not None:
        console.print(escape(line))
    console.print(
        f"bundle [bold]{escape(result.manifest.name)}[/] saved to "
        f"{escape(str(result.bundle_path))} "
        f"in {time.perf_counter() - started:.1f}s"
        + ("" if no_current else f" ({models_dir / 'current'} points to it)")
    )
    if similar_index:
        add_similar_index(result.bundle_path, tickets, embedder, fields)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ticketlens` app."""
    app.command("train")(train_command)
