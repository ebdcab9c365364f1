"""`ticketlens cascade` end to end with the fake embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier import predictor
from classifier.cascade import CascadeClassifier
from tests.conftest import make_tickets, tickets_frame
from tests.fakes import HashingEmbedder
from training import cli
from training.fit.train import TrainConfig, train


@pytest.fixture(autouse=True)
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(predictor, "bundle_embedder", lambda *a, **k: HashingEmbedder())


def _bundle(models: Path, name: str, seed: int) -> Path:
    config = TrainConfig(fields=("category",), name=name, make_current=False)
    tickets = make_tickets(120, seed=seed)
    return train(tickets, HashingEmbedder(), config, models_dir=models, source="u").bundle_path


def test_cascade_writes_a_bundle_with_its_threshold_and_share(tmp_path: Path) -> None:
    fast, accurate = _bundle(tmp_path, "f", 0), _bundle(tmp_path, "a", 1)
    labeled = tmp_path / "check.csv"
    tickets_frame(make_tickets(60, seed=5)).to_csv(labeled, index=False)
    out = tmp_path / "cascade"
    args = ["cascade", str(fast), str(accurate), "--labeled", str(labeled), "-o", str(out)]
    result = CliRunner().invoke(cli.app, [*args, "--loss-budget", "0"])
    assert result.exit_code == 0, result.stderr
    record = json.loads((out / "cascade.json").read_text())
    assert record["loss_budget"] == 0.0
    assert 0.0 <= record["expected_accurate_share"] <= 1.0
    assert "go to the transformer" in result.stdout
    loaded = CascadeClassifier.load(out, embedder_factory=lambda bundle: HashingEmbedder())
    assert loaded.threshold == record["threshold"]


def test_train_text_structure_flag_is_recorded_in_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from training.cli import common as cli_common
    from training.cli import train as cli_train

    monkeypatch.setattr(cli_train, "make_embedder", lambda *a, **k: HashingEmbedder())
    monkeypatch.setattr(cli_common, "make_embedder", lambda *a, **k: HashingEmbedder())
    export = tmp_path / "tickets.csv"
    tickets_frame(make_tickets(120)).to_csv(export, index=False)
    models = tmp_path / "models"
    args = ["train", str(export), "--models-dir", str(models), "--name", "s", "--text-structure"]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads(next(models.glob("*/manifest.json")).read_text())
    assert manifest["text_structure"] is True
