"""`ticketlens` commands for the analytics side (registered onto the main app by `register`)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

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
    mapping_overrides,
)

if TYPE_CHECKING:
    from training.analytics import AnalyticsReport, TicketFrame
    from training.evaluation.drift import FieldDrift
    from training.evaluation.metrics import FieldEvaluation

# training.evaluation.drift.DEFAULT_THRESHOLD_PP, kept here so `--help` does not import scipy
# (a test keeps the two equal).
DRIFT_THRESHOLD_PP = 5.0


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


def _emit_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str, allow_nan=False))


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None or value != value else f"{value:.{digits}f}"


def _evaluation_tables(result: FieldEvaluation) -> list[Table]:
    metrics = Table(
        title=f"{result.field}: {result.n} tickets, accuracy {result.accuracy:.3f}, "
        f"macro-F1 {result.macro.f1:.3f}, weighted-F1 {result.weighted.f1:.3f}"
    )
    for column in ("label", "precision", "recall", "F1", "support"):
        metrics.add_column(column, justify="left" if column == "label" else "right")
    for c in [*result.per_class, result.macro, result.weighted]:
        label = c.label if c in result.per_class else f"[bold]{c.label} avg[/]"
        metrics.add_row(label, _f(c.precision, 3), _f(c.recall, 3), _f(c.f1, 3), str(c.support))
    confused = Table(title=f"{result.field}: most confused (true → predicted)")
    for column in ("true", "predicted", "tickets", "examples"):
        confused.add_column(column)
    for pair in result.confusions:
        confused.add_row(pair.true, pair.predicted, str(pair.count), ", ".join(pair.examples))
    return [metrics, confused]


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
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Score a model on a labeled test export: per-category metrics, abstention, calibration."""
    from classifier.predictor import TicketClassifier
    from training.evaluation.metrics import evaluate_predictions
    from training.io.export import read_tickets
    from training.reports.html import write_page
    from training.reports.sections import evaluation_sections

    bundle = load_bundle(model)
    tickets, mapping = read_tickets(
        export, None, mapping_overrides(preset, columns, text_column, id_column)
    )
    fields = [name for name in bundle.manifest.fields if name in mapping.labels]
    if not fields:
        raise ExportFormatError(
            f"no label column for the model's fields ({', '.join(bundle.manifest.fields)})",
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
        for table in _evaluation_tables(result):
            console.print(table)
        kept_by = (
            "at the per-category thresholds"
            if manifest.fields[result.field].class_thresholds
            else f"at threshold {result.threshold:.2f}"
        )
        console.print(
            f"{kept_by} (the model's own review flag): coverage "
            f"{100 * result.coverage_at_threshold:.1f}%, precision "
            f"{_f(result.precision_at_threshold, 3)}; expected calibration error "
            f"{result.ece:.3f}"
        )
        if result.unknown_labels:
            console.print(
                f"[red]labels absent from the model[/]: {', '.join(result.unknown_labels)}"
            )
    if html is not None:
        console.print(f"HTML report → {html}")


def _load_current(
    current: str, window: str, fields: list[str] | None, overrides: dict[str, Any]
) -> TicketFrame:
    from training.analytics import frame_from_table, load_export

    if "://" in current:
        from classifier.predlog import read_predictions  # written alongside; imported on use

        return frame_from_table(
            read_predictions(current),
            source=current,
            fields=fields,
            window=window,
            overrides=overrides,
        )
    return load_export(Path(current), fields=fields, window=window, overrides=overrides)


def _drift_table(result: FieldDrift) -> Table:
    o = result.overall
    table = Table(
        title=f"{result.field} ({result.source_column}) vs {result.reference}: {o.n} tickets, "
        f"L∞ {o.linf_pp:.1f} pp, JS {o.js_distance:.3f}, chi-square p {o.p_value:.3g}"
    )
    for column in ("label", "reference %", "current %", "change pp"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for s in o.shifts:
        style = "bold red" if s.flagged else None
        table.add_row(
            s.label, _f(s.reference_pct), _f(s.current_pct), f"{s.change_pp:+.1f}", style=style
        )
    return table


def _windows_table(result: FieldDrift) -> Table:
    table = Table(title=f"{result.field} per window")
    for column in ("window", "tickets", "L∞ pp", "JS", "flagged", "vs prev L∞", "review %"):
        table.add_column(column, justify="left" if column in ("window", "flagged") else "right")
    for w in result.windows:
        ref = w.vs_reference
        table.add_row(
            w.window,
            str(ref.n),
            _f(ref.linf_pp),
            _f(ref.js_distance, 3),
            ", ".join(f"{s.label} {s.change_pp:+.1f}" for s in ref.flagged),
            "–" if w.vs_previous is None else _f(w.vs_previous.linf_pp),
            _f(w.needs_review_pct),
        )
    return table


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
    preset: PresetOption = None,
    columns: ColumnsOption = None,
    json_output: JsonOption = False,
    html: HtmlOption = None,
) -> None:
    """Compare label shares per window with a reference; flag moves past the threshold."""
    import pandas as pd

    from training.analytics import load_export
    from training.evaluation.drift import P_VALUE_NOTE, field_drift, reference_from_frame
    from training.reports.html import write_page
    from training.reports.sections import drift_sections

    overrides = mapping_overrides(preset, columns, None, None)
    frame = _load_current(current, window, field, overrides)
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
                "note": P_VALUE_NOTE,
                "fields": [r.to_dict() for r in results],
            }
        )
        return
    for result in results:
        console.print(_drift_table(result))
        console.print(_windows_table(result))
        if result.overall.unknown_labels:
            console.print(
                "[red]labels absent from the reference[/]: "
                + ", ".join(f"{k} ({v})" for k, v in result.overall.unknown_labels.items())
            )
    console.print(f"[italic]{P_VALUE_NOTE}[/]")


def _report_tables(report: AnalyticsReport) -> list[Table]:
    spikes = Table(title="spikes and floods (cross-account spike = likely release regression)")
    for column in ("week", "index", "cell", "kind", "tickets", "accounts", "baseline", "top %"):
        spikes.add_column(column)
    for s in report.all_spikes:
        spikes.add_row(
            s.window,
            str(s.week_index),
            f"{s.dimension}: {s.cell}",
            s.kind,
            str(s.tickets),
            str(s.accounts),
            _f(s.baseline_accounts),
            _f(100 * s.top_share, 0),
            style="bold red" if s.likely_regression else None,
        )
    tables = [spikes]
    for name, r in report.fields.items():
        trend = Table(title=f"{name}: slow drift (Theil–Sen, Mann–Kendall), flagged in red")
        for column in ("label", "pp/week", "change pp", "p"):
            trend.add_column(column, justify="left" if column == "label" else "right")
        for t in r.trends:
            trend.add_row(
                t.label,
                f"{t.slope_pp_per_week:+.2f}",
                f"{t.change_pp:+.1f}",
                f"{t.p_value:.2g}",
                style="bold red" if t.flagged else None,
            )
        roadmap = Table(title=f"{name}: roadmap (in the weekly top 3)")
        for column in ("label", "weeks in top 3", "tickets", "longest streak"):
            roadmap.add_column(column)
        for x in r.roadmap:
            roadmap.add_row(
                x.label, f"{x.weeks_in_top}/{x.weeks}", str(x.tickets), str(x.longest_streak)
            )
        service = Table(title=f"{name}: resolution hours and CSAT")
        frame = r.service.reset_index()
        for column in frame.columns:
            service.add_column(str(column))
        for row in frame.itertuples(index=False):
            service.add_row(*[_f(v) if isinstance(v, float) else str(v) for v in row])
        tables += [trend, roadmap, service]
    silent = Table(title=f"silent accounts ({len(report.silent)})")
    for column in ("account", "active weeks before", "tickets", "last ticket"):
        silent.add_column(column)
    for account in report.silent:
        silent.add_row(
            account.account_id,
            str(account.active_weeks),
            str(account.tickets_before),
            account.last_ticket,
        )
    return [*tables, silent]


@friendly_errors
def report_command(
    export: Annotated[Path, typer.Argument(help="Labeled export (from `ticketlens label`).")],
    accounts: Annotated[
        Path | None,
        typer.Option(help="CSV of account_id with active_from/active_to or week columns."),
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
    preset: PresetOption = None,
    columns: ColumnsOption = None,
    json_output: JsonOption = False,
    html: HtmlOption = None,
) -> None:
    """Weekly shares, spikes vs floods, slow drift, silence, service levels and the roadmap."""
    from training.analytics import ReportConfig, SpikeConfig, load_export
    from training.analytics.report import build_report
    from training.reports.html import write_page
    from training.reports.sections import report_sections

    frame = load_export(
        export,
        fields=field,
        created_column=created_column,
        account_column=account_column,
        overrides=mapping_overrides(preset, columns, None, None),
    )
    config = ReportConfig(
        spikes=SpikeConfig(baseline_weeks=baseline_weeks, min_rise=min_rise),
        quiet_weeks=quiet_weeks,
        accounts_file=accounts,
    )
    report = build_report(frame, config)
    if html is not None:
        write_page(html, f"ticketlens report: {export.name}", report_sections(report))
    if json_output:
        _emit_json(report.to_dict())
        return
    for table in _report_tables(report):
        console.print(table)
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
