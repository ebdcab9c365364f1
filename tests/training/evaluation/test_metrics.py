"""Evaluation metrics agree with scikit-learn; the `evaluate` command scores a bundle end to end."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from typer.testing import CliRunner

from classifier.bundle.store import Bundle, load_bundle
from classifier.predictor import TicketClassifier
from tests.conftest import make_tickets, tickets_frame
from tests.fakes import HashingEmbedder
from training import cli
from training.cli import common as cli_common
from training.evaluation.metrics import calibration, evaluate_field, precision_coverage_curve
from training.fit.train import TrainConfig, train

runner = CliRunner()


@pytest.fixture(scope="module")
def trained_bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """One bundle for the module (training it takes seconds)."""
    models = tmp_path_factory.mktemp("models")
    result = train(
        make_tickets(240),
        HashingEmbedder(),
        TrainConfig(name="unit"),
        models_dir=models,
        source="unit-tickets",
    )
    return load_bundle(result.bundle_path)


def _sample(seed: int = 3, n: int = 400) -> tuple[list[str], list[str], np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    labels = np.array(["billing", "login", "bug", "question"])
    truth = rng.choice(labels, n, p=[0.4, 0.3, 0.2, 0.1])
    guess = np.where(rng.random(n) < 0.7, truth, rng.choice(labels, n))
    confidence = np.where(guess == truth, rng.uniform(0.5, 1, n), rng.uniform(0.2, 0.8, n))
    ids = [f"T-{i}" for i in range(n)]
    return truth.tolist(), guess.tolist(), confidence, ids


def test_metrics_agree_with_scikit_learn() -> None:
    truth, guess, confidence, ids = _sample()
    result = evaluate_field("category", truth, guess, confidence, ids, threshold=0.5)
    labels = sorted(set(truth))
    p, r, f, s = precision_recall_fscore_support(truth, guess, labels=labels, zero_division=0)
    assert [c.label for c in result.per_class] == labels
    assert np.allclose([c.precision for c in result.per_class], p)
    assert np.allclose([c.recall for c in result.per_class], r)
    assert np.allclose([c.f1 for c in result.per_class], f)
    assert [c.support for c in result.per_class] == s.tolist()
    assert result.accuracy == pytest.approx(accuracy_score(truth, guess))
    macro = precision_recall_fscore_support(truth, guess, average="macro", zero_division=0)
    weighted = precision_recall_fscore_support(truth, guess, average="weighted", zero_division=0)
    assert result.macro.f1 == pytest.approx(macro[2])
    assert result.weighted.precision == pytest.approx(weighted[0])


def test_coverage_and_precision_at_the_threshold() -> None:
    truth = ["a", "a", "b", "b"]
    guess = ["a", "b", "b", "a"]
    confidence = [0.9, 0.4, 0.8, 0.6]
    result = evaluate_field("f", truth, guess, confidence, ["1", "2", "3", "4"], threshold=0.7)
    assert result.coverage_at_threshold == 0.5  # 0.9 and 0.8 kept
    assert result.precision_at_threshold == 1.0
    curve = precision_coverage_curve(np.array([True, False, True, False]), np.array(confidence))
    assert curve[0].coverage == 1.0 and curve[0].precision == 0.5
    assert all(a.coverage >= b.coverage for a, b in itertools.pairwise(curve))


def test_expected_calibration_error_known_answer() -> None:
    # bin 0.8–0.9: 2 tickets at 0.85, one right → |0.5 − 0.85| weighted 2/4; bin 0.2–0.3: both
    # wrong at 0.25 → |0 − 0.25| weighted 2/4
    correct = np.array([True, False, False, False])
    confidence = np.array([0.85, 0.85, 0.25, 0.25])
    ece, bins = calibration(correct, confidence)
    assert ece == pytest.approx(0.5 * 0.35 + 0.5 * 0.25)
    assert [b.count for b in bins] == [2, 2]


def test_confusions_name_example_tickets_and_unknown_labels_are_listed() -> None:
    truth = ["billing", "billing", "billing", "login", "refunds"]
    guess = ["login", "login", "billing", "login", "billing"]
    ids = ["T1", "T2", "T3", "T4", "T5"]
    result = evaluate_field(
        "category", truth, guess, [0.9] * 5, ids, threshold=0.5, classes=["billing", "login"]
    )
    top = result.confusions[0]
    assert (top.true, top.predicted, top.count, top.examples) == (
        "billing",
        "login",
        2,
        ["T1", "T2"],
    )
    assert result.unknown_labels == {"refunds": 1}


def test_evaluate_command(
    tmp_path: Path, trained_bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_common, "make_embedder", lambda *a, **k: HashingEmbedder())
    export = tmp_path / "test.csv"
    tickets_frame(make_tickets(90, seed=5)).to_csv(export, index=False)
    html = tmp_path / "eval.html"
    args = ["evaluate", str(export), "--model", str(trained_bundle.path)]
    result = runner.invoke(cli.app, [*args, "--json", "--html", str(html)])
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    category = payload["fields"]["category"]
    assert category["n"] == 90 and category["accuracy"] > 0.8
    assert {c["label"] for c in category["per_class"]} == {
        "billing",
        "login_access",
        "technical_issue",
    }
    assert len(category["curve"]) == 20 and "ece" in category
    page = html.read_text()
    assert "<svg" in page and "precision" in page
    assert not any(tag in page for tag in ("src=", "href=", "<link", "<script"))  # offline
    table = runner.invoke(cli.app, args)
    assert table.exit_code == 0 and "macro" in table.stdout and "coverage" in table.stdout


def test_evaluate_without_label_columns_is_a_one_line_error(
    tmp_path: Path, trained_bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_common, "make_embedder", lambda *a, **k: HashingEmbedder())
    export = tmp_path / "unlabeled.csv"
    tickets_frame(make_tickets(10)).drop(columns=["category", "feature"]).to_csv(export)
    result = runner.invoke(cli.app, ["evaluate", str(export), "--model", str(trained_bundle.path)])
    assert result.exit_code == 2
    assert "no label column for the model's fields (category, feature)" in result.stderr


def test_evaluate_reports_the_predictors_own_coverage_for_per_category_thresholds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets = make_tickets(240)
    # Noise: a fifth of the category labels are shuffled, so confidences spread out and the
    # per-category thresholds differ from the field's one.
    for i, ticket in enumerate(tickets[::5]):
        ticket.labels["category"] = ["billing", "login_access", "technical_issue"][i % 3]
    result = train(
        tickets,
        HashingEmbedder(),
        TrainConfig(name="precise", target_precision=0.95),
        models_dir=tmp_path / "models",
        source="unit",
    )
    bundle = load_bundle(result.bundle_path)
    monkeypatch.setattr(cli_common, "make_embedder", lambda *a, **k: HashingEmbedder())
    test_tickets = make_tickets(120, seed=7)
    for i, ticket in enumerate(test_tickets[::4]):
        ticket.labels["category"] = ["billing", "login_access", "technical_issue"][i % 3]
    export = tmp_path / "test.csv"
    tickets_frame(test_tickets).to_csv(export, index=False)

    cli_result = runner.invoke(
        cli.app, ["evaluate", str(export), "--model", str(bundle.path), "--json"]
    )
    assert cli_result.exit_code == 0, cli_result.stderr
    reported = json.loads(cli_result.stdout)["fields"]["category"]

    fields = [
        p.fields["category"]
        for p in TicketClassifier(bundle, HashingEmbedder()).predict(test_tickets)
    ]
    kept = [not f.needs_review for f in fields]
    assert reported["coverage_at_threshold"] == pytest.approx(np.mean(kept))
    truth = [t.labels["category"] for t in test_tickets]
    right = [f.label == t for f, t, k in zip(fields, truth, kept, strict=True) if k]
    assert reported["precision_at_threshold"] == pytest.approx(np.mean(right))
    # The single field threshold would have given another answer on this bundle.
    threshold = bundle.manifest.fields["category"].threshold
    assert np.mean([f.confidence >= threshold for f in fields]) != pytest.approx(np.mean(kept))
    table = runner.invoke(cli.app, ["evaluate", str(export), "--model", str(bundle.path)])
    assert table.exit_code == 0 and "at the per-category thresholds" in table.stdout
