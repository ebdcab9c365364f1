"""The `ticketlens` app: global options, and each command group registered on it."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.logging import RichHandler

from training.cli import analytics, label, service, train
from training.cli.common import errors

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


for _group in (train, label, service, analytics):
    _group.register(app)


def main() -> None:
    app()
