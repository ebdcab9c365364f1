"""Metadata beside the text: indicator columns (`--feature-column`) and segment heads
(`--segment`), chosen by cross-validation and carried through a saved bundle."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from classifier.bundle.manifest import MetadataFeaturesRecord
from classifier.bundle.store import load_bundle
from classifier.metadata import metadata_block, metadata_width
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from tests.fakes import HashingEmbedder
from training.fit.metadata import MIN_GAIN, MetadataError, candidates
from training.fit.train import TicketModel, TrainConfig, train

_WORDS = ["crash", "freeze", "error", "broken", "fails", "stuck"]
_OTHER = ["idea", "wish", "could", "maybe", "nice", "would"]


def _repo_tickets(count: int, seed: int = 0) -> list[Ticket]:
    """In repo 'alpha' crash words mean a bug and wish words a feature; in 'beta' the opposite:
    the text alone cannot tell the label, the text within its repo can."""
    rng = random.Random(seed)
    tickets = []
    for i in range(count):
        repo = rng.choice(["alpha", "beta"])
        crashy = rng.random() < 0.5
        words = rng.sample(_WORDS if crashy else _OTHER, 3)
        label = "bug" if crashy == (repo == "alpha") else "feature"
        tickets.append(
            Ticket(
                id=f"R-{i}",
                subject=" ".join(words),
                body="see above",
                labels={"type": label},
                metadata={"repo": repo},
            )
        )
    return tickets


def _accuracy(model: TicketClassifier, tickets: list[Ticket]) -> float:
    predicted = [p.fields["type"].label for p in model.predict(tickets)]
    return float(np.mean([p == t.labels["type"] for p, t in zip(predicted, tickets, strict=True)]))


def test_segment_heads_are_kept_where_the_label_mix_differs_and_survive_a_save(
    tmp_path: Path,
) -> None:
    embedder = HashingEmbedder()
    config = TrainConfig(fields=("type",), name="seg", segment="repo", text_features=False)
    result = train(_repo_tickets(240), embedder, config, models_dir=tmp_path, source="unit")
    record = result.manifest.metadata_features
    assert record is not None and record.segment == "repo"
    assert record.segment_values == ["alpha", "beta"]
    assert record.segment_choice["per_segment"] > record.segment_choice["shared"] + 0.2

    loaded = TicketClassifier(load_bundle(result.bundle_path), embedder)
    fresh = _repo_tickets(100, seed=1)
    assert _accuracy(loaded, fresh) > 0.95
    # The same words in the other repo get the other label.
    flipped = [
        t.model_copy(
            update={"metadata": {"repo": "beta" if t.metadata["repo"] == "alpha" else "alpha"}}
        )
        for t in fresh
    ]
    assert _accuracy(loaded, flipped) < 0.05
    # A repo never seen in training still gets an answer, from the shared weights.
    unseen = [t.model_copy(update={"metadata": {"repo": "gamma"}}) for t in fresh[:5]]
    assert all(p.fields["type"].label in {"bug", "feature"} for p in loaded.predict(unseen))


def test_the_shared_head_is_kept_when_segments_do_not_help(tmp_path: Path) -> None:
    tickets = [
        t.model_copy(update={"labels": {"type": "bug" if t.subject.split()[0] in _WORDS else "x"}})
        for t in _repo_tickets(240)
    ]
    config = TrainConfig(fields=("type",), name="flat", segment="repo", text_features=False)
    model = TicketModel(HashingEmbedder(), config).fit(tickets)
    record = model.classifier_.manifest.metadata_features
    assert record is not None and record.segment_tried == "repo"
    choice = record.segment_choice
    assert (record.segment == "repo") == (choice["per_segment"] > choice["shared"] + MIN_GAIN)
    if record.segment is None:
        assert metadata_width(record, 256) == 0


def test_a_feature_column_lets_the_heads_read_a_label_the_text_does_not_hold(
    tmp_path: Path,
) -> None:
    rng = random.Random(3)
    tickets = [
        Ticket(
            id=f"M-{i}",
            body=" ".join(rng.sample(_WORDS + _OTHER, 4)),
            labels={"type": tier},
            metadata={"tier": tier},
        )
        for i, tier in enumerate(rng.choice(["gold", "free"]) for _ in range(120))
    ]
    embedder = HashingEmbedder()
    text_only = TicketModel(embedder, TrainConfig(fields=("type",))).fit(tickets)
    with_tier = TicketModel(embedder, TrainConfig(fields=("type",), feature_columns=("tier",)))
    with_tier.fit(tickets)
    assert with_tier.classifier_.manifest.fields["type"].cv_accuracy > 0.95
    assert text_only.classifier_.manifest.fields["type"].cv_accuracy < 0.8
    saved = load_bundle(with_tier.save(tmp_path))
    assert saved.manifest.metadata_features == MetadataFeaturesRecord(
        columns={"tier": ["free", "gold"]}
    )


def test_metadata_block_columns() -> None:
    record = MetadataFeaturesRecord(
        columns={"tier": ["free", "gold"]}, segment="repo", segment_values=["a", "b"]
    )
    vectors = np.asarray([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float32)
    tickets = [
        Ticket(id="1", body="x", metadata={"tier": "gold", "repo": "b"}),
        Ticket(id="2", body="x", metadata={"tier": "platinum"}),
        Ticket(id="3", body="x", metadata={"tier": "free", "repo": "a"}),
    ]
    block = metadata_block(tickets, record, vectors)
    assert isinstance(block, csr_matrix) and block.shape[1] == metadata_width(record, 2)
    assert block.toarray().tolist() == [
        # tier free, gold | repo a, b | block a (2) | block b (2)
        [0, 1, 0, 1, 0, 0, 1, 2],
        [0, 0, 0, 0, 0, 0, 0, 0],
        [1, 0, 1, 0, 5, 6, 0, 0],
    ]


def test_a_metadata_column_no_ticket_fills_is_an_error() -> None:
    tickets = _repo_tickets(40)
    with pytest.raises(MetadataError, match="'channel' has no value"):
        candidates(tickets, ["channel"], None)
    with pytest.raises(MetadataError, match="segment column 'channel'"):
        candidates(tickets, [], "channel")


def _subject_tickets(count: int, seed: int) -> list[Ticket]:
    """The subject's two words tell the label; a 60-word body of noise follows."""
    rng = random.Random(seed)
    noise = [f"w{i}" for i in range(300)]
    tickets = []
    for i in range(count):
        crashy = rng.random() < 0.5
        tickets.append(
            Ticket(
                id=f"S{seed}-{i}",
                subject=" ".join(rng.sample(_WORDS if crashy else _OTHER, 2)),
                body=" ".join(rng.sample(noise, 60)),
                labels={"type": "bug" if crashy else "feature"},
            )
        )
    return tickets


def test_the_subject_block_is_kept_where_a_long_body_drowns_the_subject(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    config = TrainConfig(fields=("type",), subject_block=True, text_features=False)
    model = TicketModel(embedder, config).fit(_subject_tickets(160, 5))
    record = model.classifier_.manifest.metadata_features
    assert record is not None and record.subject_weight == 1.0
    assert record.subject_choice["with"] > record.subject_choice["without"]
    loaded = TicketClassifier(load_bundle(model.save(tmp_path)), embedder)
    assert _accuracy(loaded, _subject_tickets(60, 6)) > 0.95
    no_subject = Ticket(id="x", body="w1 w2 w3")
    assert loaded.predict([no_subject])[0].fields["type"].label in {"bug", "feature"}
