"""The opt-in text structure stripping travels from TrainConfig to the manifest to predict."""

from __future__ import annotations

import json
from pathlib import Path

from classifier.bundle.manifest import Manifest
from classifier.bundle.store import load_bundle
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from tests.conftest import make_tickets
from tests.fakes import HashingEmbedder, RecordingEmbedder
from training.fit.train import TrainConfig, train

CODE_TICKET = Ticket(id="c", subject="refund", body="charged twice\n```\nfoo()\nbar()\n```")


def _bundle(tmp_path: Path, structure: bool) -> Path:
    config = TrainConfig(fields=("category",), name=f"s{structure}", text_structure=structure)
    tickets = make_tickets(80)
    return train(tickets, HashingEmbedder(), config, models_dir=tmp_path, source="u").bundle_path


def test_a_bundle_trained_with_structure_strips_code_at_predict(tmp_path: Path) -> None:
    bundle = load_bundle(_bundle(tmp_path, structure=True))
    assert bundle.manifest.text_structure is True
    embedder = RecordingEmbedder()
    TicketClassifier(bundle, embedder).predict([CODE_TICKET])
    assert embedder.seen == ["refund\ncharged twice"]


def test_default_bundles_keep_code_and_old_manifests_load_without_the_key(tmp_path: Path) -> None:
    path = _bundle(tmp_path, structure=False)
    bundle = load_bundle(path)
    assert bundle.manifest.text_structure is False
    embedder = RecordingEmbedder()
    TicketClassifier(bundle, embedder).predict([CODE_TICKET])
    assert embedder.seen == ["refund\ncharged twice\n```\nfoo()\nbar()\n```"]
    old = json.loads((path / "manifest.json").read_text())
    old.pop("text_structure")
    assert Manifest.model_validate(old).text_structure is False
