"""`ticketlens retrain`: corrections override labels, and the promotion gate works both ways."""

from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier.bundle.gate_log import read_gate_records
from classifier.bundle.store import load_bundle, read_training_text_hashes, text_hash
from classifier.errors import TicketlensError
from classifier.predlog import PredictionStore
from classifier.records import Ticket
from classifier.text import prepare_text
from tests.conftest import make_tickets, tickets_frame
from tests.fakes import HashingEmbedder
from training import cli
from training.cli import common as cli_common
from training.fit.heads import HeadConfig
from training.fit.retrain import RetrainConfig, apply_corrections, retrain, split_heldout
from training.fit.train import TrainConfig, train

FAST = HeadConfig(Cs=(4.0,), cv_folds=2)


def _export(tmp_path: Path, tickets: list[Ticket]) -> Path:
    path = tmp_path / "export.csv"
    tickets_frame(tickets).to_csv(path, index=False)
    return path


def _current(tmp_path: Path, tickets: list[Ticket], name: str) -> Path:
    models = tmp_path / "models"
    config = TrainConfig(name=name, head=FAST)
    train(tickets, HashingEmbedder(), config, models_dir=models, source="unit")
    return models / "current"


def _shuffled(tickets: list[Ticket], seed: int = 1) -> list[Ticket]:
    rng = random.Random(seed)
    labels = [t.labels for t in tickets]
    rng.shuffle(labels)
    return [t.model_copy(update={"labels": lab}) for t, lab in zip(tickets, labels, strict=True)]


def test_corrections_override_labels_and_the_split_is_stratified() -> None:
    tickets = make_tickets(100)
    other = next(c for c in ("billing", "login_access") if c != tickets[0].labels["category"])
    corrections = {
        "T-0000": {"category": other, "team": "ignored-field"},
        "T-0001": {"category": tickets[1].labels["category"]},  # already right: not a change
        "GONE": {"category": "billing"},
    }
    merged, applied, unmatched = apply_corrections(tickets, corrections, ["category", "feature"])
    assert merged[0].labels == {**tickets[0].labels, "category": other}
    assert "team" not in merged[0].labels
    assert merged[2:] == tickets[2:]
    assert applied == 1
    assert unmatched == 1

    train_set, heldout = split_heldout(merged, "category", 0.2, seed=3)
    assert len(heldout) == 20 and len(train_set) == 80
    assert {t.id for t in train_set}.isdisjoint(t.id for t in heldout)
    shares = Counter(t.labels["category"] for t in heldout)
    overall = Counter(t.labels["category"] for t in merged)
    for label, count in overall.items():
        assert abs(shares[label] - count * 0.2) <= 1
    assert split_heldout(merged, "category", 0.2, seed=3)[1] == heldout  # seeded


def test_a_worse_candidate_is_refused_unless_forced(tmp_path: Path) -> None:
    tickets = make_tickets(160)
    current = _current(tmp_path, tickets[:100], "good")  # the export has grown since
    export = _export(tmp_path, tickets)
    # A head regularised to near-uniform probabilities, unweighted so that the class priors
    # decide its argmax: a clearly worse model (balanced weights would keep the ranking, and
    # so would the nearest-centroid evidence: it is left out).
    crippled_head = HeadConfig(Cs=(1e-5,), cv_folds=2, class_weight=None, centroid_weights=(0.0,))
    crippled = RetrainConfig(head=crippled_head, name="crippled")
    result = retrain(export, embedder=HashingEmbedder(), current=current, config=crippled)
    assert result.promoted is False
    assert "category" in result.reason and "--force" in result.reason
    assert result.scores["category"].current > result.scores["category"].candidate + 0.01
    assert os.readlink(current) == "good"
    assert load_bundle(result.candidate_path).manifest.name == "crippled"  # kept for a look
    assert result.train_rows + result.heldout_rows == 160

    forced = RetrainConfig(head=crippled_head, name="forced", force=True)
    result = retrain(export, embedder=HashingEmbedder(), current=current, config=forced)
    assert result.promoted is True
    assert "forced" in result.reason
    assert os.readlink(current) == "forced"
    # Both decisions are in the gate log the service's model page reads, newest first.
    gates = read_gate_records(current.parent)
    assert [(g.candidate, g.current, g.promoted, g.forced) for g in gates] == [
        ("forced", "good", True, True),
        ("crippled", "good", False, False),
    ]
    assert gates[1].scores["category"].delta < -0.01 and "--force" in gates[1].reason


def test_cli_promotes_a_better_candidate_trained_with_corrections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_common, "make_embedder", lambda *a, **k: HashingEmbedder())
    tickets = make_tickets(160)
    current = _current(tmp_path, _shuffled(tickets[:100]), "noisy")  # on scrambled labels
    # The export has 30 wrong category labels; the agents' corrections put them right.
    wrong = {t.id for t in tickets[:30]}
    exported = [
        t.model_copy(update={"labels": {**t.labels, "category": "technical_issue"}})
        if t.id in wrong
        else t
        for t in tickets
    ]
    store = PredictionStore(f"sqlite:///{tmp_path / 'log.db'}")
    store.create_tables()
    for t in tickets[:30]:
        store.record_feedback(t.id, "category", t.labels["category"], agent="ana")
    store.dispose()

    result = CliRunner().invoke(
        cli.app,
        [
            "retrain",
            "--base",
            str(_export(tmp_path, exported)),
            "--db",
            f"sqlite:///{tmp_path / 'log.db'}",
            "--model",
            str(current),
        ],
    )
    assert result.exit_code == 0, result.output
    fixed = sum(1 for t in tickets[:30] if t.labels["category"] != "technical_issue")
    assert f"{fixed} label(s) corrected from the log" in result.stdout
    assert "current" in result.stdout and "candidate" in result.stdout
    assert "held-out tickets neither was trained on" in result.stdout
    assert "promoted" in result.stdout and "not promoted" not in result.stdout
    assert os.readlink(current).endswith("-retrain")
    assert f"+ {fixed} correction(s), minus " in load_bundle(current).manifest.training_data.source


def _texts_seen(bundle_path: Path) -> frozenset[str]:
    seen = read_training_text_hashes(load_bundle(bundle_path))
    assert seen is not None
    return seen


def test_the_gate_scores_both_models_on_tickets_neither_was_trained_on(tmp_path: Path) -> None:
    old = make_tickets(150)
    new = [t.model_copy(update={"id": f"N-{i}"}) for i, t in enumerate(make_tickets(60, seed=9))]
    current = _current(tmp_path, old, "full")  # trained on the whole of the first export
    full = current.resolve()  # `current` moves if the candidate is promoted
    config = RetrainConfig(head=FAST, name="grown")
    max_chars = load_bundle(current).manifest.max_chars

    def hashed(tickets: list[Ticket]) -> dict[str, str]:
        return {t.id: text_hash(prepare_text(t, max_chars).text) for t in tickets}

    with pytest.raises(TicketlensError, match="trained on every ticket of this export"):
        retrain(_export(tmp_path, old), embedder=HashingEmbedder(), current=current, config=config)

    grown = _export(tmp_path, old + new)
    result = retrain(grown, embedder=HashingEmbedder(), current=current, config=config)
    by_id = hashed(old + new)
    held = {by_id[i] for i in result.heldout_ids}
    assert result.heldout_rows == len(result.heldout_ids) > 0
    assert held.isdisjoint(hashed(old).values())  # none of the current model's training rows
    assert held.isdisjoint(_texts_seen(result.candidate_path))  # nor of the candidate's
    assert _texts_seen(full) == set(hashed(old).values())
    assert "neither was trained on" in result.compared_on
    assert result.train_rows + result.heldout_rows == 210


def test_an_older_bundle_without_recorded_texts_is_said_to_be_favoured(tmp_path: Path) -> None:
    tickets = make_tickets(120)
    current = _current(tmp_path, tickets, "old")
    bundle = current.resolve()
    manifest = load_bundle(bundle).manifest
    unrecorded = manifest.training_data.model_copy(update={"text_hashes": None})
    manifest = manifest.model_copy(update={"training_data": unrecorded})
    (bundle / "manifest.json").write_text(manifest.model_dump_json(indent=2))
    config = RetrainConfig(head=FAST, name="after-old")
    result = retrain(
        _export(tmp_path, tickets), embedder=HashingEmbedder(), current=current, config=config
    )
    assert "does not record its training texts" in result.compared_on
    assert "favours it" in result.compared_on
