"""`--help` answers without the model stack, and reads right: choices listed, defaults kept."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

import classifier
import training
from classifier.embedders.backends import BACKENDS
from training import cli
from training.cli import analytics as cli_analytics
from training.cli import common as cli_common
from training.evaluation.drift import DEFAULT_THRESHOLD_PP
from training.io.presets import PRESETS

COMMANDS = sorted(typer.main.get_command(cli.app).commands)  # every registered command
HEAVY = ["torch", "sentence_transformers", "transformers", "sklearn", "pandas", "scipy", "ray"]


def test_importing_the_cli_loads_no_model_stack() -> None:
    code = f"import sys, training.cli; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.strip() == "[]"


def help_text(*command: str) -> str:
    # Wide enough that no help line wraps, so fragments can be looked up whole.
    result = CliRunner().invoke(cli.app, [*command, "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_help_shows_no_python_type_names(command: list[str]) -> None:
    text = help_text(*command)
    assert "<bool>" not in text and "list[" not in text, text


def test_help_lists_choices_and_keeps_bracketed_defaults() -> None:
    train = help_text("train")
    for choices in ("<accurate|fast|cascade>", "<hybrid|embedding>", "<local|ray>"):
        assert choices in train
    assert "<zendesk|freshdesk|jira>" in train
    assert "[default: (a timestamp)]" in train  # once eaten as rich markup
    assert "FIELD[=COLUMN]" in train
    assert "<torch|onnx>" in help_text("label")
    assert "<week|month>" in help_text("drift")


def test_a_value_outside_the_choices_is_refused_with_them() -> None:
    result = CliRunner().invoke(cli.app, ["train", "x.csv", "--mode", "quick"])
    assert result.exit_code == 2
    assert "accurate" in result.output and "fast" in result.output


def test_cli_choices_equal_the_library_lists() -> None:
    assert sorted(cli_common.PresetName) == sorted(PRESETS)
    assert sorted(cli_common.BackendName) == sorted(BACKENDS)
    assert cli_analytics.DRIFT_THRESHOLD_PP == DEFAULT_THRESHOLD_PP


@pytest.mark.parametrize("package", [classifier, training])
def test_every_lazily_exported_name_resolves(package: object) -> None:
    names = package.__all__  # type: ignore[attr-defined]
    assert names
    for name in names:
        assert getattr(package, name) is not None, name
