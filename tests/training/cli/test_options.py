"""Option groups: the group's flags parse into one dataclass, in the command's own place."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from training.cli.options import NO_COLUMN_FLAGS, ExportColumns, option_groups


def _app(seen: list[tuple[ExportColumns, int]]) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @option_groups
    def run(
        export: Annotated[Path, typer.Argument()],
        column_flags: ExportColumns = NO_COLUMN_FLAGS,
        n: Annotated[int, typer.Option()] = 3,
    ) -> None:
        seen.append((column_flags, n))

    return app


def test_the_flags_reach_the_command_as_the_group(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("columns:\n  subject: Title\n")
    seen: list[tuple[ExportColumns, int]] = []
    args = ["x.csv", "--preset", "jira", "--columns", str(mapping), "--text-column", "Body"]
    result = CliRunner().invoke(_app(seen), [*args, "--n", "5"])
    assert result.exit_code == 0, result.output
    [(flags, n)] = seen
    assert (flags.preset, flags.columns, flags.text_column, flags.id_column, n) == (
        "jira",
        mapping,
        "Body",
        None,
        5,
    )
    assert flags.overrides() == {
        "columns": {"subject": "Title", "text": "Body"},
        "preset": "jira",
    }


def test_no_flags_give_the_default_group() -> None:
    seen: list[tuple[ExportColumns, int]] = []
    assert CliRunner().invoke(_app(seen), ["x.csv"]).exit_code == 0
    assert seen == [(NO_COLUMN_FLAGS, 3)]
    assert NO_COLUMN_FLAGS.overrides() == {}


def test_help_lists_the_group_where_the_command_names_it() -> None:
    result = CliRunner().invoke(_app([]), ["--help"], env={"COLUMNS": "250"})
    text = result.output
    flags = ("--preset", "--columns", "--text-column", "--id-column")
    places = [text.index(flag) for flag in flags]
    assert places == sorted(places) and places[-1] < text.index("--n ")
    assert "Column holding the ticket id." in text


def test_a_field_named_like_a_parameter_is_refused() -> None:
    def run(column_flags: ExportColumns = NO_COLUMN_FLAGS, preset: str = "") -> None:
        del column_flags, preset

    with pytest.raises(TypeError, match="repeats a parameter's name"):
        option_groups(run)
