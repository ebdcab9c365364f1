"""Training choices made by cross-validation: the embedding weight of the hybrid heads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

from classifier.bundle.store import load_bundle
from classifier.features import combine
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from classifier.text import prepare_text
from tests.conftest import make_tickets
from tests.fakes import HashingEmbedder
from training.fit.heads import HeadConfig, fit_head
from training.fit.train import TrainConfig, train


def test_embedding_weight_is_the_one_with_the_best_cv_macro_f1_and_is_used_to_predict(
    tmp_path: Path,
) -> None:
    tickets = make_tickets(240)
    for i, ticket in enumerate(tickets[::4]):  # label noise, so the weights score differently
        ticket.labels["category"] = ["billing", "login_access", "technical_issue"][i % 3]
    embedder = HashingEmbedder()
    config = TrainConfig(fields=("category",), name="w", embedding_weights=(0.25, 4.0))
    bundle = load_bundle(
        train(tickets, embedder, config, models_dir=tmp_path, source="unit").bundle_path
    )

    # Recompute what training compared, with the bundle's own fitted n-gram vocabulary.
    texts = [prepare_text(t).text for t in tickets]
    labels = np.asarray([t.labels["category"] for t in tickets], dtype=object)
    scores = {}
    for weight in (0.25, 4.0):
        features = combine(bundle.text_features, texts, embedder.encode(texts), weight)
        fitted = fit_head(features, labels, HeadConfig())
        predicted = np.asarray(fitted.classes)[fitted.cv_proba.argmax(axis=1)]
        scores[weight] = f1_score(fitted.cv_labels, predicted, average="macro")
    assert scores[0.25] != scores[4.0]
    assert bundle.manifest.embedding_weight == max(scores, key=scores.__getitem__)

    # The head was fitted on features at that weight: predicting with another one changes scores.
    probe = [Ticket(id=t.id, subject=t.subject, body=t.body) for t in tickets[:40]]
    as_saved = TicketClassifier(bundle, embedder).predict(probe)
    other = 4.0 if bundle.manifest.embedding_weight == 0.25 else 0.25
    reweighted = bundle.manifest.model_copy(update={"embedding_weight": other})
    changed = TicketClassifier(
        type(bundle)(bundle.path, reweighted, bundle.heads, bundle.text_features), embedder
    ).predict(probe)
    confidences = [p.fields["category"].confidence for p in as_saved]
    assert confidences != pytest.approx([p.fields["category"].confidence for p in changed])


def test_embeddings_alone_have_no_weight_to_choose(tmp_path: Path) -> None:
    config = TrainConfig(name="e", text_features=False, embedding_weights=(0.25, 4.0))
    result = train(make_tickets(120), HashingEmbedder(), config, models_dir=tmp_path, source="u")
    assert result.manifest.embedding_weight == 1.0
