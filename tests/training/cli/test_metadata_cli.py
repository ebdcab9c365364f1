"""`train --segment / --feature-column`: the columns read, recorded, and read again by `label`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests import ROOT
from tests.fakes import HashingEmbedder
from tests.training.cli.test_cli import assert_one_line_error, run
from tests.training.fit.test_metadata import _repo_tickets
from training.cli import common as cli_common
from training.cli import train as cli_train


@pytest.fixture(autouse=True)
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_train, "make_embedder", lambda *a, **k: HashingEmbedder())
    monkeypatch.setattr(cli_common, "make_embedder", lambda *a, **k: HashingEmbedder())


def _export(path: Path, count: int, seed: int) -> Path:
    tickets = _repo_tickets(count, seed)
    pd.DataFrame(
        {
            "id": [t.id for t in tickets],
            "subject": [t.subject for t in tickets],
            "body": [t.body for t in tickets],
            "Repository": [t.metadata["repo"] for t in tickets],
            "type": [t.labels["type"] for t in tickets],
        }
    ).to_csv(path, index=False)
    return path


def test_segment_heads_through_train_and_label(tmp_path: Path) -> None:
    export = _export(tmp_path / "train.csv", 240, 0)
    models = tmp_path / "models"
    code, out, err = run(
        "train", export, "--label", "type", "--segment", "Repository", "--models-dir", models,
        "--name", "seg", "--features", "embedding",
    )  # fmt: skip
    assert code == 0, err
    assert "segment 'repository': one head per segment kept" in " ".join(out.split())
    manifest = json.loads((models / "seg" / "manifest.json").read_text())
    assert manifest["metadata_features"]["segment"] == "repository"
    assert manifest["column_mapping"]["metadata"]["repository"] == "Repository"

    code, out, _ = run("info", models / "seg")
    assert code == 0 and "one head per segment kept" in " ".join(out.split())

    fresh = _export(tmp_path / "next.csv", 80, 1)
    labeled = tmp_path / "labeled.csv"
    code, _, err = run("label", fresh, "--model", models / "current", "-o", labeled)
    assert code == 0, err
    frame = pd.read_csv(labeled)
    assert (frame["predicted_type"] == frame["type"]).mean() > 0.95

    pd.read_csv(fresh).drop(columns=["Repository"]).to_csv(tmp_path / "bare.csv", index=False)
    code, _, err = run("label", tmp_path / "bare.csv", "--model", models / "current", "-o", labeled)
    assert_one_line_error(code, err, "bare.csv", "'Repository'", "--columns")


def test_a_feature_column_the_export_lacks_is_a_one_line_error(tmp_path: Path) -> None:
    export = _export(tmp_path / "train.csv", 60, 0)
    code, _, err = run(
        "train", export, "--label", "type", "--feature-column", "channel",
        "--models-dir", tmp_path / "m",
    )  # fmt: skip
    assert_one_line_error(code, err, "channel")


def test_metadata_flags_with_zero_shot_are_a_one_line_error(tmp_path: Path) -> None:
    export = _export(tmp_path / "train.csv", 60, 0)
    code, _, err = run(
        "train", export, "--zero-shot", "--taxonomy", ROOT / "data" / "taxonomy.yaml",
        "--segment", "repo", "--models-dir", tmp_path / "m",
    )  # fmt: skip
    assert_one_line_error(code, err, "--segment", "--zero-shot")
