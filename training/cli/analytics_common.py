"""Options and helpers the analytics commands (`evaluate`, `drift`, `report`) share."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from training.cli.common import console

if TYPE_CHECKING:
    from training.analytics import TicketFrame


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


def emit_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str, allow_nan=False))


def show(table: object, wide: bool) -> None:
    console.print(table, width=max(console.width, 200) if wide else None)


def load_current(
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
