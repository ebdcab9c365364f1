"""Option groups: flags several commands take together, declared once.

Typer reads a command's options from its parameters, one each, so flags that five commands share
would be five copies of the same parameters. Under `@option_groups` a command takes the group as
one parameter (`column_flags: ExportColumns = NO_COLUMN_FLAGS`): parsing and `--help` see the
group's fields in that place, with their own names, defaults and help, and the command receives
them as one frozen dataclass.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, get_type_hints

import typer

from training.cli.common import (
    ColumnsOption,
    IdColumnOption,
    PresetOption,
    TextColumnOption,
    mapping_overrides,
)

R = TypeVar("R")


@dataclass(frozen=True)
class ExportColumns:
    """`--preset`, `--columns`, `--text-column`, `--id-column`: how an export's columns map to
    ticket fields."""

    preset: PresetOption = None
    columns: ColumnsOption = None
    text_column: TextColumnOption = None
    id_column: IdColumnOption = None

    def overrides(self) -> dict[str, Any]:
        """The column overrides these flags give (`common.mapping_overrides`)."""
        return mapping_overrides(self.preset, self.columns, self.text_column, self.id_column)


NO_COLUMN_FLAGS = ExportColumns()
"""The group's default: no flag given."""

FeatureColumnOption = Annotated[
    list[str] | None,
    typer.Option(
        "--feature-column",
        metavar="COLUMN",
        help="Export column whose values the heads see beside the text (channel, tier, repo); "
        "repeatable. Recorded in the bundle: the next export needs the same column.",
    ),
]
SegmentOption = Annotated[
    str | None,
    typer.Option(
        metavar="COLUMN",
        help="Export column whose values (30+ tickets each) may get heads of their own: kept "
        "where they gain 0.5+ point of cross-validated macro-F1 over one shared head.",
    ),
]


SubjectBlockOption = Annotated[
    bool,
    typer.Option(
        "--subject-block",
        help="Try the subject line's own embedding beside the text's: kept where it gains "
        "0.5+ point of cross-validated macro-F1 (prediction then embeds subjects too).",
    ),
]


@dataclass(frozen=True)
class ExtraFeatures:
    """`--feature-column`, `--segment`, `--subject-block`: what the heads see beside the text's
    columns."""

    feature_column: FeatureColumnOption = None
    segment: SegmentOption = None
    subject_block: SubjectBlockOption = False

    def keys(self) -> tuple[tuple[str, ...], str | None]:
        """The `Ticket.metadata` keys these columns are read into (snake_case names)."""
        from training.io.columns import snake_case

        segment = None if self.segment is None else snake_case(self.segment)
        return tuple(snake_case(c) for c in self.feature_column or ()), segment

    def overrides(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """`overrides` with these columns read into the tickets' metadata."""
        from training.io.columns import named_metadata

        wanted = [*(self.feature_column or ()), *([self.segment] if self.segment else [])]
        if not wanted:
            return overrides
        named = named_metadata(overrides.get("metadata"))
        return {**overrides, "metadata": {**named_metadata(wanted), **named}}


NO_EXTRA_FEATURES = ExtraFeatures()

_GROUPS: tuple[type, ...] = (ExportColumns, ExtraFeatures)


def _expand(group: type, kind: Any) -> list[inspect.Parameter]:
    hints = get_type_hints(group, include_extras=True)
    return [
        inspect.Parameter(f.name, kind, default=f.default, annotation=hints[f.name])
        for f in dataclasses.fields(group)
    ]


def option_groups(command: Callable[..., R]) -> Callable[..., R]:
    """`command` with each parameter annotated with a group class replaced, for typer, by the
    group's fields; called with them, it gets the group instance instead."""
    signature = inspect.signature(command, eval_str=True)
    groups: dict[str, type] = {}
    parameters: list[inspect.Parameter] = []
    for param in signature.parameters.values():
        if param.annotation in _GROUPS:
            groups[param.name] = param.annotation
            parameters += _expand(param.annotation, param.kind)
        else:
            parameters.append(param)
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise TypeError(f"{command.__qualname__}: a group's field repeats a parameter's name")

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> R:
        for name, group in groups.items():
            kwargs[name] = group(**{f.name: kwargs.pop(f.name) for f in dataclasses.fields(group)})
        return command(**kwargs)

    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return wrapper
