"""`ticketlens` commands for the analytics side (registered onto the main app by `register`)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from classifier.errors import ExportFormatError, TicketlensError
from training.cli.common import (
    CacheOption,
    ColumnsOption,
    IdColumnOption,
    NoCacheOption,
    PresetOption,
    TextColumnOption,
    bundle_embedder,
    console,
    errors,
    friendly_errors,
    load_bundle,
)
from training.cli.mapping import (
    DateFormatOption,
    EncodingOption,
    LabelColumnsOption,
    TzOption,
    bundle_record,
    export_overrides,
    given_overrides,
)
from training.cli.tables import drift_tables, evaluation_tables, f, report_tables

if TYPE_CHECKING:
    from training.analytics import TicketFrame

# training.evaluation.drift.DEFAULT_THRESHOLD_PP, kept here so `--help` does not import scipy
# (a test keeps the two equal).
DRIFT_THRESHOLD_PP = 5.0
DRIFT_MIN_WINDOW = 30  # training.evaluation.drift.DEFAULT_MIN_WINDOW
DRIFT_ALPHA = 0.05  # training.evaluation.significance.DEFAULT_ALPHA


class Window(StrEnum):
    """The period label shares are compared over."""

    WEEK = "week"
    MONTH = "month"


ModelOption = Annotated[Path, typer.Option(help="Bundle folder.")]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON to stdout instead of tables.")
]
HtmlOption = Annotated[
    Path | None, typer.Option("--html", help="Also write a self-contained HTML page here.")
]
CreatedOption = Annotated[
    str | None, typer.Option("--created-column", help="Column with the ticket creation time.")
]
AccountOption = Annotated[
    str | None, typer.Option("--account-column", help="Column with the customer account.")
]
WideOption = Annotated[
    bool,
    typer.Option("--wide", help="Full headers and dates in tables (for wide terminals, files)."),
]


def _emit_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str, allow_nan=False))


@friendly_errors
def evaluate_command(
    export: Annotated[Path, typer.Argument(help="Labeled test export (CSV, JSONL, Parquet).")],
    model: ModelOption = Path("models/current"),
    json_output: JsonOption = False,
    html: HtmlOption = None,
    preset: PresetOption = None,
    columns: ColumnsOption = None,
    text_column: TextColumnOption = None,
    id_column: IdColumnOption = None,
    label: LabelColumnsOption = None,
    date_format: DateFormatOption = None,
    encoding: EncodingOption = None,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
    wide: WideOption = False,
) -> None:
    """Score a model on a labeled test export: per-category metrics, abstention, calibration."""
    from classifier.predictor import TicketClassifier
    from training.evaluation.metrics import evaluate_predictions
    from training.io.export import read_tickets
    from training.reports.html import write_page
    from training.reports.sections import evaluation_sections

    bundle = load_bundle(model)
    given = given_overrides(
        preset,
        columns,
        text_column=text_column,
        id_column=id_column,
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
    embedder = bundle_embedder(bundle, cache_dir, no_cache)
    classifier = TicketClassifier(bundle, embedder)
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
            f"ticketlens evaluation of {manifest.name} on {export.name}",
            evaluation_sections(results),
        )
    if json_output:
        _emit_json(
            {
                "model": manifest.name,
                "export": str(export),
                "fields": {n: r.to_dict() for n, r in results.items()},
            }
        )
        return
    for result in results.values():
        for table in evaluation_tables(result, wide):
            _show(table, wide)
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


def _show(table: object, wide: bool) -> None:
    console.print(table, width=max(console.width, 200) if wide else None)


def _load_current(
    current: str,
    window: str,
    fields: list[str] | None,
    overrides: dict[str, Any],
    **columns: str | None,
) -> TicketFrame:
    """An export path, or a prediction-log database URL (`sqlite:///…`, `postgresql+psycopg://…`)."""
    from training.analytics import frame_from_table, load_export

    if "://" in current:
        from classifier.predlog import read_predictions

        return frame_from_table(
            read_predictions(current),
            source=current,
            fields=fields,
            window=window,
            overrides=overrides,
            **columns,
        )
    return load_export(Path(current), fields=fields, window=window, overrides=overrides, **columns)


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
    frame = _load_current(current, window, field, overrides, tz=tz)
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
        _emit_json(
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
            _show(table, wide)
        if result.overall.unknown_labels:
            console.print(
                "[red]labels absent from the reference[/]: "
                + ", ".join(f"{k} ({v})" for k, v in result.overall.unknown_labels.items())
            )
    console.print(f"[italic]{P_VALUE_NOTE}[/]")


@friendly_errors
def report_command(
    export: Annotated[
        str,
        typer.Argument(
            help="Labeled export (from `ticketlens label`), or a prediction-log URL (sqlite:///…)."
        ),
    ],
    accounts: Annotated[
        Path | None,
        typer.Option(
            help="Accounts file: account_id, optional active_from/active_to or week columns, "
            "and segment columns for --by."
        ),
    ] = None,
    usage: Annotated[
        Path | None,
        typer.Option(help="Usage file: account, week, optional feature, a measure (users…)."),
    ] = None,
    usage_column: Annotated[
        list[str] | None,
        typer.Option(
            metavar="KEY=COLUMN",
            help="Name a usage column (account_id, week, "
            "feature, measure, satisfaction); repeatable.",
        ),
    ] = None,
    by: Annotated[
        str | None, typer.Option(help="Break readings down by this accounts-file column.")
    ] = None,
    target_hours: Annotated[
        float, typer.Option(min=0.0, help="Resolution target for 'resolved within target'.")
    ] = 24.0,
    repeat_days: Annotated[
        int, typer.Option(min=1, help="A ticket within this many days is a repeat.")
    ] = 14,
    sla_targets: Annotated[
        Path | None, typer.Option(help="CSV of tier,target_hours for SLA adherence.")
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(metavar="FIELD", help="Label field; repeatable.", show_default="detected"),
    ] = None,
    baseline_weeks: Annotated[int, typer.Option(min=2, help="Spike baseline weeks.")] = 8,
    min_rise: Annotated[int, typer.Option(min=1, help="Smallest rise that is a spike.")] = 5,
    quiet_weeks: Annotated[int, typer.Option(min=1, help="Weeks of silence to list.")] = 6,
    created_column: CreatedOption = None,
    account_column: AccountOption = None,
    escalation_column: Annotated[
        str | None,
        typer.Option(
            help="Column saying a ticket was escalated (yes/no or a level; 1/L1 is not).",
            show_default="detected: escalated, escalation, level, tier level…",
        ),
    ] = None,
    preset: PresetOption = None,
    columns: ColumnsOption = None,
    date_format: DateFormatOption = None,
    tz: TzOption = None,
    model: Annotated[
        Path, typer.Option(help="Bundle whose recorded column mapping is read first.")
    ] = Path("models/current"),
    json_output: JsonOption = False,
    html: HtmlOption = None,
    wide: WideOption = False,
    candidates: Annotated[
        Path | None,
        typer.Option(help="`discover --model --json` file: list its candidate new categories."),
    ] = None,
) -> None:
    """Weekly shares, spikes vs floods, slow drift, silence, service levels and the roadmap."""
    from training.analytics import ReportConfig, SpikeConfig
    from training.analytics.report import build_report
    from training.coldstart.candidates import read_candidates
    from training.reports.html import write_page
    from training.reports.sections import report_sections

    found_candidates = read_candidates(candidates) if candidates is not None else None

    frame = _load_current(
        export,
        "week",
        field,
        export_overrides(
            export, bundle_record(model), given_overrides(preset, columns, date_format=date_format)
        ),
        created_column=created_column,
        account_column=account_column,
        escalation_column=escalation_column,
        tz=tz,
    )
    from training.analytics.joined import JoinConfig
    from training.cli.readings_tables import readings_tables

    pairs = [item.partition("=") for item in usage_column or []]
    if any(not key or not value for key, _, value in pairs):
        raise ExportFormatError("--usage-column takes KEY=COLUMN, e.g. measure=active_users")
    config = ReportConfig(
        spikes=SpikeConfig(baseline_weeks=baseline_weeks, min_rise=min_rise),
        quiet_weeks=quiet_weeks,
        accounts_file=accounts,
        join=JoinConfig(
            usage_file=usage,
            usage_columns={key: value for key, _, value in pairs},
            by=by,
            target_hours=target_hours,
            repeat_days=repeat_days,
            sla_targets=sla_targets,
        ),
    )
    report = build_report(frame, config)
    if html is not None:
        from training.reports.candidate_sections import candidates_section

        name = export if "://" in export else Path(export).name
        sections = report_sections(report)
        if found_candidates is not None:
            sections.append(candidates_section(found_candidates, str(candidates)))
        write_page(html, f"ticketlens report: {name}", sections)
    if json_output:
        payload = report.to_dict()
        if found_candidates is not None:
            payload["candidate_new_categories"] = [c.__dict__ for c in found_candidates.candidates]
        _emit_json(payload)
        return
    for table in report_tables(report, wide) + readings_tables(report.readings):
        _show(table, wide)
    if found_candidates is not None:
        from training.cli.coldstart_discover import candidates_table

        _show(candidates_table(found_candidates), wide)
    if report.readings.usage is not None and report.readings.usage.unknown_rows:
        found = report.readings.usage
        console.print(
            f"{found.unknown_rows} usage rows for {found.unknown_accounts} accounts in neither "
            "the tickets nor the accounts file were left out"
        )
    for what, column in report.inputs.items():
        console.print(f"read {what} from {escape(column)}", highlight=False)
    for what, why in report.skipped.items():
        console.print(f"skipped {what}: {escape(why)}", highlight=False)
    console.print(
        f"{report.tickets} tickets over {len(report.windows)} weeks; mean tickets per active "
        f"customer {report.tickets_per_active.mean():.2f} (active: {report.active_definition})"
    )
    if html is not None:
        console.print(f"HTML report → {html}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ticketlens` app."""
    app.command("evaluate")(evaluate_command)
    app.command("drift")(drift_command)
    app.command("report")(report_command)
