"""The `ticketlens` app: global options, and each command group registered on it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer
from rich.logging import RichHandler
from typer.core import TyperCommand, TyperGroup, TyperOption

from training.cli import analytics, cascade, coldstart, info, label, service, train
from training.cli.common import errors

if TYPE_CHECKING:
    from typer._click import Context, Parameter  # typer's vendored click, what its classes take


def _readable_metavars(params: list[Parameter]) -> list[Parameter]:
    # typer's help prints Python types: `<bool>` beside every flag (a flag takes no value, so an
    # empty metavar leaves the column blank) and `<list[str]>` for a repeatable option (which
    # takes one value per use, named like the option: `--field FIELD`).
    for param in params:
        if isinstance(param, TyperOption) and param.metavar is None:
            if param.is_flag:
                param.metavar = ""
            elif param.multiple and param.name:
                param.metavar = param.name.upper()
    return params


class _Command(TyperCommand):
    def get_params(self, ctx: Context) -> list[Parameter]:
        return _readable_metavars(super().get_params(ctx))


class _Group(TyperGroup):
    def get_params(self, ctx: Context) -> list[Parameter]:
        return _readable_metavars(super().get_params(ctx))


app = typer.Typer(
    cls=_Group,
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


for _group in (train, info, label, service, analytics, coldstart, cascade):
    _group.register(app)
for _info in app.registered_commands:
    _info.cls = _Command


def main() -> None:
    app()
