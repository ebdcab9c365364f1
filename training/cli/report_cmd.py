"""`ticketlens report`: the weekly readings of a labeled export or the prediction log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from classifier.errors import ExportFormatError
from training.cli.analytics_common import (
    AccountOption,
    CreatedOption,
    HtmlOption,
    JsonOption,
    WideOption,
    emit_json,
    load_current,
    show,
)
from training.cli.common import (
    ColumnsOption,
    PresetOption,
    console,
    friendly_errors,
)
from training.cli.mapping import (
    DateFormatOption,
    TzOption,
    bundle_record,
    export_overrides,
    given_overrides,
)
from training.cli.tables import report_tables


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

    frame = load_current(
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
        emit_json(payload)
        return
    for table in report_tables(report, wide) + readings_tables(report.readings, wide):
        show(table, wide)
    if found_candidates is not None:
        from training.cli.coldstart_discover import candidates_table

        show(candidates_table(found_candidates), wide)
    if report.readings.usage is not None and report.readings.usage.unknown_rows:
        found = report.readings.usage
        console.print(
            f"{found.unknown_rows} usage rows for {found.unknown_accounts} "
            f"account{'s' if found.unknown_accounts != 1 else ''} in neither "
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
