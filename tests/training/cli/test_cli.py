"""The CLI end to end with the fake embedder: outputs, and one-line errors for bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.bundle.store import Bundle
from tests import ROOT
from tests.conftest import make_tickets, tickets_frame
from tests.fakes import HashingEmbedder
from training import cli
from training.cli import common as cli_common
from training.cli import train as cli_train

runner = CliRunner()


@pytest.fixture(autouse=True)
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(*args: object, **kwargs: object) -> HashingEmbedder:
        return HashingEmbedder()

    monkeypatch.setattr(cli_train, "make_embedder", fake)
    monkeypatch.setattr(cli_common, "make_embedder", fake)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.csv"
    tickets_frame(make_tickets(120)).to_csv(path, index=False)
    return path


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(code: int, stderr: str, *fragments: str) -> None:
    assert code == 2, stderr
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error:")
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def train(export: Path, models: Path, *extra: str | Path) -> tuple[int, str, str]:
    return run("train", export, "--models-dir", models, "--name", "m1", *extra)


def test_train_then_label(tmp_path: Path, export: Path) -> None:
    models = tmp_path / "models"
    code, out, err = train(export, models)
    assert code == 0, err
    assert "category: cross-validated" in out and "precision" in out
    assert "saved to" in out
    assert (models / "current" / "manifest.json").is_file()

    output = tmp_path / "labeled.parquet"
    code, out, err = run("label", export, "--model", models / "current", "-o", output)
    assert code == 0, err
    assert "predicted category share (120 tickets)" in out
    assert len(pd.read_parquet(output)) == 120

    code, out, _ = run("info", models / "current")
    assert code == 0 and "m1" in out and "test/hashing" in out


def test_rows_with_an_empty_label_are_skipped_and_counted(tmp_path: Path) -> None:
    frame = tickets_frame(make_tickets(120))
    frame.loc[[3, 7, 9], "category"] = ""
    path = tmp_path / "partly.csv"
    frame.to_csv(path, index=False)
    code, out, err = train(path, tmp_path / "models")
    assert code == 0, err
    assert re.search(r"category\s*│\s*\(no label\)\s*│\s*3\s*│\s*skipped", out), out
    manifest = json.loads((tmp_path / "models" / "m1" / "manifest.json").read_text())
    assert manifest["fields"]["category"]["rows_trained"] == 117
    assert manifest["fields"]["category"]["rows_unlabeled"] == 3
    assert manifest["fields"]["feature"]["rows_trained"] == 120


def test_unknown_labels_are_named_with_rows(tmp_path: Path) -> None:
    frame = tickets_frame(make_tickets(120))
    frame.loc[[4, 10], "category"] = "refunds"
    path = tmp_path / "odd.csv"
    frame.to_csv(path, index=False)
    taxonomy = ROOT / "data" / "taxonomy.yaml"
    code, _, err = train(path, tmp_path / "models", "--taxonomy", taxonomy)
    assert_one_line_error(code, err, "odd.csv", "'refunds' (rows 5, 11)", "category")
    code, _, err = train(
        path, tmp_path / "models", "--taxonomy", taxonomy, "--allow-unknown-labels"
    )
    assert code == 0, err


def test_rare_classes_are_excluded_in_one_summary_table(tmp_path: Path) -> None:
    frame = tickets_frame(make_tickets(120))
    frame.loc[[1, 2], "category"] = "data_privacy"
    path = tmp_path / "rare.csv"
    frame.to_csv(path, index=False)
    code, out, err = train(path, tmp_path / "models")
    assert code == 0, err
    assert out.count("data_privacy") == 1 and "data_privacy" not in err
    assert re.search(r"data_privacy\s*│\s*2\s*│\s*excluded", out), out
    manifest = json.loads((tmp_path / "models" / "m1" / "manifest.json").read_text())
    assert manifest["fields"]["category"]["excluded_classes"] == {"data_privacy": 2}


def test_missing_export(tmp_path: Path) -> None:
    code, _, err = train(tmp_path / "nope.csv", tmp_path / "models")
    assert_one_line_error(code, err, "nope.csv")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    code, _, err = train(path, tmp_path / "models")
    assert_one_line_error(code, err, "empty.csv")


def test_missing_text_column(tmp_path: Path) -> None:
    path = tmp_path / "notext.csv"
    pd.DataFrame({"ticket_id": ["1", "2"], "category": ["billing", "billing"]}).to_csv(
        path, index=False
    )
    code, _, err = train(path, tmp_path / "models")
    assert_one_line_error(code, err, "notext.csv", "no text column", "ticket_id")


def test_non_utf8_bytes_name_the_row(tmp_path: Path, export: Path) -> None:
    data = export.read_bytes().split(b"\n")
    data[6] = data[6].replace(b"hello", b"h\xe9llo\xff")
    path = tmp_path / "latin.csv"
    path.write_bytes(b"\n".join(data))
    code, _, err = train(path, tmp_path / "models", "--encoding", "utf-8")
    assert_one_line_error(code, err, "latin.csv", "utf-8", "row 6", "--encoding")
    code, _, err = train(path, tmp_path / "models")  # not UTF-8: read as cp1252, and said
    assert code == 0 and "read as cp1252" in err, err


def test_semicolon_delimited_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    tickets_frame(make_tickets(120)).to_csv(path, index=False, sep=";")
    code, _, err = train(path, tmp_path / "models")
    assert code == 0, err


def test_duplicate_ticket_ids(tmp_path: Path) -> None:
    frame = tickets_frame(make_tickets(120))
    frame.loc[50, "ticket_id"] = frame.loc[10, "ticket_id"]
    path = tmp_path / "dupes.csv"
    frame.to_csv(path, index=False)
    code, _, err = train(path, tmp_path / "models")
    assert_one_line_error(code, err, "dupes.csv", "rows 11 and 51", "T-0010")


def test_unknown_model_path(tmp_path: Path, export: Path) -> None:
    code, _, err = run("label", export, "--model", tmp_path / "missing", "-o", tmp_path / "o.csv")
    assert_one_line_error(code, err, "missing", "does not exist")
    assert not (tmp_path / "o.csv").exists()


def test_tampered_bundle_is_refused(tmp_path: Path, export: Path) -> None:
    models = tmp_path / "models"
    assert train(export, models)[0] == 0
    head = models / "m1" / "head_feature.skops"
    head.write_bytes(head.read_bytes()[:-10])
    code, _, err = run("label", export, "--model", models / "current", "-o", tmp_path / "o.csv")
    assert_one_line_error(code, err, "head_feature.skops", "checksum", "feature")


def test_ray_engine_missing_export_is_one_line(tmp_path: Path, trained_bundle: Bundle) -> None:
    # The bundle is read first (its recorded column mapping), so give a real one.
    model = trained_bundle.path
    assert model is not None
    code, _, err = run(
        "label", tmp_path / "nope", "--engine", "ray", "-o", tmp_path / "out", "--model", model
    )
    assert_one_line_error(code, err, "nope", "file or folder not found")


def test_ray_engine_unreachable_address_is_one_line(tmp_path: Path, export: Path) -> None:
    pytest.importorskip("ray")
    code, _, err = train(export, tmp_path / "models", "--engine", "ray", "--address", "127.0.0.1:1")
    assert_one_line_error(code, err, "cannot reach the Ray cluster at '127.0.0.1:1'")


def test_unknown_engine_is_refused_with_the_choices(tmp_path: Path, export: Path) -> None:
    result = runner.invoke(
        cli.app,
        ["label", str(export), "--engine", "spark", "-o", str(tmp_path / "out.csv")],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 2
    assert "Invalid value for '--engine'" in result.stderr
    assert "'spark' is not one of 'local', 'ray'" in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_train_with_a_precision_target_shows_and_stores_per_category_thresholds(
    tmp_path: Path, export: Path
) -> None:
    models = tmp_path / "models"
    code, out, err = train(export, models, "--target-precision", "0.9")
    assert code == 0, err
    assert "P@thr" in out
    manifest = json.loads((models / "m1" / "manifest.json").read_text())
    category = manifest["fields"]["category"]
    assert category["target_precision"] == 0.9
    assert set(category["class_thresholds"]) == set(category["classes"])
    for threshold in category["class_thresholds"].values():  # the table shows the stored ones
        assert f"{threshold['threshold']:.3f}" in out
