"""`label` on outputs it cannot write and text it cannot encode: one line, then a clean resume."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.bundle.store import Bundle
from classifier.predictor import TicketClassifier
from tests.conftest import make_tickets, tickets_frame
from tests.fakes import HashingEmbedder
from training import cli
from training.cli import label as cli_label
from training.labeling.local import LabelOutputError, label_export, work_dir_for

runner = CliRunner()


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    tickets_frame(make_tickets(40, seed=5)).to_csv(path, index=False)
    return path


def _classifier(bundle: Bundle) -> TicketClassifier:
    return TicketClassifier(bundle, HashingEmbedder())


def _one_line_error(result: Any, *fragments: str) -> str:
    """The run ends with one `error:` line (after the progress bar's last frame, if any)."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert [line for line in lines if line.startswith("error:")] == lines[-1:], result.stderr
    for fragment in fragments:
        assert fragment in lines[-1]
    return str(lines[-1])


def _fill_disk_on_call(monkeypatch: pytest.MonkeyPatch, method: str, call: int) -> None:
    """From call number `call` on, `DataFrame.<method>` writes a few bytes, then hits ENOSPC."""
    original = getattr(pd.DataFrame, method)
    calls = []

    def full(frame: pd.DataFrame, target: Any = None, *args: Any, **kwargs: Any) -> Any:
        calls.append(target)
        if len(calls) < call:
            return original(frame, target, *args, **kwargs)
        if isinstance(target, str | os.PathLike):
            Path(target).write_bytes(b"PAR1")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, method, full)


def test_an_unwritable_output_folder_is_one_line_before_the_model_loads(
    tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_load(*args: object) -> None:
        raise AssertionError("the model was loaded before the output was checked")

    monkeypatch.setattr(cli_label, "load_classifier", must_not_load)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    output = blocker / "labeled.csv"
    result = runner.invoke(cli.app, ["label", str(export), "-o", str(output)])
    line = _one_line_error(result, "cannot write the output folder", "--output")
    assert str(blocker) in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused(
    tmp_path: Path, export: Path, trained_bundle: Bundle
) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)
    with pytest.raises(LabelOutputError, match="Permission denied"):
        label_export(export, folder / "out.csv", _classifier(trained_bundle))


def test_a_full_disk_while_writing_a_part_leaves_no_temporary_and_the_rerun_resumes(
    tmp_path: Path, export: Path, trained_bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = tmp_path / "clean.csv"
    label_export(export, clean, _classifier(trained_bundle), chunk_rows=8)
    output = tmp_path / "out.csv"
    with monkeypatch.context() as patch:
        _fill_disk_on_call(patch, "to_parquet", call=3)
        with pytest.raises(LabelOutputError) as caught:
            label_export(export, output, _classifier(trained_bundle), chunk_rows=8)
    message = str(caught.value)
    assert "\n" not in message
    assert "disk is full" in message and "rerun the same command" in message
    work = work_dir_for(output)
    assert not list(work.glob("*.tmp"))
    assert len(list(work.glob("part-*.parquet"))) == 2
    assert not output.exists()

    summary = label_export(export, output, _classifier(trained_bundle), chunk_rows=8)
    assert summary.chunks_resumed == 2
    pd.testing.assert_frame_equal(pd.read_csv(output), pd.read_csv(clean))


def test_a_full_disk_while_joining_the_parts_keeps_them_for_the_rerun(
    tmp_path: Path, export: Path, trained_bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "out.csv"
    output.write_text("previous results\n")
    with monkeypatch.context() as patch:
        _fill_disk_on_call(patch, "to_csv", call=2)
        with pytest.raises(LabelOutputError, match="disk is full"):
            label_export(export, output, _classifier(trained_bundle), chunk_rows=16)
    assert output.read_text() == "previous results\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    summary = label_export(export, output, _classifier(trained_bundle), chunk_rows=16)
    assert summary.chunks_resumed == 3 and summary.rows == 40


def test_the_cli_prints_a_full_disk_as_one_line(
    tmp_path: Path, export: Path, trained_bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_label, "load_classifier", lambda *a: _classifier(trained_bundle))
    _fill_disk_on_call(monkeypatch, "to_parquet", call=1)
    output = tmp_path / "out.parquet"
    result = runner.invoke(cli.app, ["label", str(export), "-o", str(output)])
    _one_line_error(result, "disk is full", "rerun the same command")


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_a_lone_surrogate_in_json_lines_is_labeled_and_written(
    tmp_path: Path, trained_bundle: Bundle, suffix: str
) -> None:
    rows = tickets_frame(make_tickets(6, seed=2)).to_dict("records")
    rows[3]["body"] = "charged twice \ud800 refund"
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps(row) + "\n" for row in rows))
    output = tmp_path / f"out{suffix}"
    summary = label_export(export, output, _classifier(trained_bundle))
    assert summary.rows == 6
    if suffix == ".parquet":
        labeled = pd.read_parquet(output)
    elif suffix == ".jsonl":
        labeled = pd.read_json(output, lines=True)
    else:
        labeled = pd.read_csv(output)
    assert labeled["body"][3] == "charged twice \ufffd refund"
