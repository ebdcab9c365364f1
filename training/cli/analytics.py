"""`ticketlens evaluate` and `drift` (registered onto the main app by `register`, with `report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from classifier.errors import ExportFormatError, TicketlensError
from training.cli.analytics_common import (
    HtmlOption,
    JsonOption,
    ModelOption,
    WideOption,
    Window,
    emit_json,
    load_current,
    show,
)
from training.cli.common import (
    CacheOption,
    ColumnsOption,
    NoCacheOption,
    PresetOption,
    console,
    errors,
    friendly_errors,
    load_bundle,
    load_classifier,
)
from training.cli.drift_tables import drift_tables
from training.cli.mapping import (
    DateFormatOption,
    EncodingOption,
    LabelColumnsOption,
    TzOption,
    bundle_record,
    export_overrides,
    given_overrides,
)
from training.cli.options import NO_COLUMN_FLAGS, ExportColumns, option_groups
from training.cli.report_cmd import report_command
from training.cli.tables import evaluation_tables, f

# training.evaluation.drift.DEFAULT_THRESHOLD_PP, kept here so `--help` does not import scipy
# (a test keeps the two equal).
DRIFT_THRESHOLD_PP = 5.0
DRIFT_MIN_WINDOW = 30  # training.evaluation.drift.DEFAULT_MIN_WINDOW
DRIFT_ALPHA = 0.05  # training.evaluation.significance.DEFAULT_ALPHA


@friendly_errors
@option_groups
def evaluate_command(
    export: Annotated[Path, typer.Argument(help="Labeled test export (CSV, JSONL, Parquet).")],
    model: ModelOption = Path("models/current"),
    json_output: JsonOption = False,
    html: HtmlOption = None,
    column_flags: ExportColumns = NO_COLUMN_FLAGS,
    label: LabelColumnsOption = None,
    date_format: DateFormatOption = None,
    encoding: EncodingOption = None,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
    wide: WideOption = False,
) -> None:
    """Score a model (a bundle or a cascade folder) on a labeled test export: per-category
    metrics, abstention, calibration."""
    from classifier.loading import model_bundles
    from training.evaluation.metrics import evaluate_predictions
    from training.io.export import read_tickets
    from training.reports.html import write_page
    from training.reports.sections import evaluation_sections

    bundle = model_bundles(model)[-1]  # a cascade answers its accurate bundle's fields
    given = given_overrides(
        column_flags.preset,
        column_flags.columns,
        text_column=column_flags.text_column,
        id_column=column_flags.id_column,
        labels=label,
        date_format=date_format,
    )
    overrides = export_overrides(export, bundle.manifest.column_mapping, given)
    tickets, mapping = read_tickets(export, None, overrides, encoding=encoding)
    fields = [name for name in bundle.manifest.fields if name in mapping.labels]
    if not fields:
        raise ExportFormatError(
            f"no label column for the model's fields ({', '.join(bundle.manifest.fields)}); "
            "name one with --label FIELD=COLUMN",
            file=export,
        )
    classifier = load_classifier(model, cache_dir, no_cache)
    with errors.status(f"labeling {len(tickets)} tickets…"):
        predictions = classifier.predict(tickets)
    manifest = bundle.manifest
    results = evaluate_predictions(
        tickets,
        predictions,
        {name: manifest.fields[name].threshold for name in fields},
        {name: manifest.fields[name].classes for name in fields},
    )
    if html is not None:
        write_page(
            html,
            f"ticketlens evaluation of {classifier.version} on {export.name}",
            evaluation_sections(results),
        )
    if json_output:
        emit_json(
            {
                "model": classifier.version,
                "export": str(export),
                "fields": {n: r.to_dict() for n, r in results.items()},
            }
        )
        return
    for result in results.values():
        for table in evaluation_tables(result, wide):
            show(table, wide)
        kept_by = (
            "at the per-category thresholds"
            if manifest.fields[result.field].class_thresholds
            else f"at threshold {result.threshold:.2f}"
        )
        console.print(
            f"{kept_by} (the model's own review flag): coverage "
            f"{100 * result.coverage_at_threshold:.1f}%, precision "
            f"{f(result.precision_at_threshold, 3)}; expected calibration error "
            f"{result.ece:.3f}"
        )
        if result.unknown_labels:
            console.print(
                f"[red]labels absent from the model[/]: {', '.join(result.unknown_labels)}"
            )
    if html is not None:
        console.print(f"HTML report → {html}")


@friendly_errors
def drift_command(
    current: Annotated[
        str, typer.Option(help="Labeled export, or a prediction-log URL (sqlite:///…).")
    ],
    reference: Annotated[
        Path | None,
        typer.Option(help="Labeled reference export.", show_default="the model's training shares"),
    ] = None,
    model: ModelOption = Path("models/current"),
    window: Annotated[Window, typer.Option(help="Period of each compared share.")] = Window.WEEK,
    field: Annotated[
        list[str] | None,
        typer.Option(metavar="FIELD", help="Label field to check; repeatable.", show_default="all"),
    ] = None,
    threshold_pp: Annotated[
        float, typer.Option(min=0.0, help="Flag a label whose share moves this many pp.")
    ] = DRIFT_THRESHOLD_PP,
    min_window: Annotated[
        int, typer.Option(min=1, help="Show windows with fewer tickets, but flag nothing in them.")
    ] = DRIFT_MIN_WINDOW,
    alpha: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="False discovery rate over labels × windows (Benjamini–Hochberg).",
        ),
    ] = DRIFT_ALPHA,
    preset: PresetOption = None,
    columns: ColumnsOption = None,
    date_format: DateFormatOption = None,
    tz: TzOption = None,
    json_output: JsonOption = False,
    html: HtmlOption = None,
    wide: WideOption = False,
) -> None:
    """Compare label shares per window with a reference; flag moves past the threshold that
    are beyond sampling noise at the window's size."""
    import pandas as pd

    from training.analytics import load_export
    from training.evaluation.drift import P_VALUE_NOTE, field_drift, reference_from_frame
    from training.reports.html import write_page
    from training.reports.sections import drift_sections

    given = given_overrides(preset, columns, date_format=date_format)
    overrides = export_overrides(current, bundle_record(model), given)
    frame = load_current(current, window, field, overrides, tz=tz)
    frame.require("created_at")
    results = []
    if reference is not None:
        ref_frame = load_export(reference, fields=frame.fields, overrides=overrides)
        for name in frame.fields:
            shares, n = reference_from_frame(ref_frame, name)
            results.append(
                field_drift(
                    frame,
                    name,
                    shares,
                    reference_name=str(reference),
                    reference_n=n,
                    threshold_pp=threshold_pp,
                    min_window=min_window,
                    alpha=alpha,
                )
            )
    else:
        manifest = load_bundle(model).manifest
        missing = [name for name in frame.fields if name not in manifest.fields]
        if missing:
            raise TicketlensError(
                f"the model {manifest.name} has no field {', '.join(missing)} "
                f"(it has {', '.join(manifest.fields)}); pass --field or --reference",
                file=current,
            )
        for name in frame.fields:
            shares = pd.Series(manifest.fields[name].training_shares, dtype=float)
            results.append(
                field_drift(
                    frame,
                    name,
                    shares,
                    reference_name=f"{manifest.name} training shares",
                    threshold_pp=threshold_pp,
                    min_window=min_window,
                    alpha=alpha,
                )
            )
    if html is not None:
        write_page(
            html, f"ticketlens share drift: {current}", drift_sections(results, threshold_pp)
        )
    if json_output:
        emit_json(
            {
                "current": current,
                "window": window,
                "threshold_pp": threshold_pp,
                "min_window": min_window,
                "alpha": alpha,
                "note": P_VALUE_NOTE,
                "fields": [r.to_dict() for r in results],
            }
        )
        return
    for result in results:
        for table in drift_tables(result, wide):
            show(table, wide)
        if result.overall.unknown_labels:
            console.print(
                "[red]labels absent from the reference[/]: "
                + ", ".join(f"{k} ({v})" for k, v in result.overall.unknown_labels.items())
            )
    console.print(f"[italic]{P_VALUE_NOTE}[/]")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ticketlens` app."""
    app.command("evaluate")(evaluate_command)
    app.command("drift")(drift_command)
    app.command("report")(report_command)
