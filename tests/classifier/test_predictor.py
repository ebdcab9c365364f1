from dataclasses import replace

import pytest

from classifier.bundle.store import Bundle
from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
from classifier.errors import EmbeddingModelError
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from tests.fakes import HashingEmbedder


def test_prediction_carries_label_confidence_top3(trained_bundle: Bundle) -> None:
    classifier = TicketClassifier(trained_bundle, HashingEmbedder())
    [prediction] = classifier.predict(
        [Ticket(id="x", subject="refund my invoice", body="charged twice, api token")]
    )
    category = prediction.fields["category"]
    assert category.label == "billing"
    assert category.top[0].label == "billing"
    assert len(category.top) == 3
    assert category.top[0].confidence >= category.top[1].confidence >= category.top[2].confidence
    assert category.confidence == category.top[0].confidence
    assert prediction.fields["feature"].label == "api"
    assert prediction.model_version == "unit"


def test_empty_ticket_is_not_embedded_and_needs_review(trained_bundle: Bundle) -> None:
    embedder = HashingEmbedder()
    classifier = TicketClassifier(trained_bundle, embedder)
    predictions = classifier.predict([Ticket(id="e", subject="", body="<p></p>")])
    field = predictions[0].fields["category"]
    assert (field.label, field.needs_review, field.review_reason) == (None, True, "empty")
    assert sum(embedder.calls) == 0


def test_low_confidence_needs_review(trained_bundle: Bundle) -> None:
    manifest = trained_bundle.manifest
    strict = manifest.fields["category"].model_copy(update={"threshold": 0.999})
    bundle = replace(
        trained_bundle,
        manifest=manifest.model_copy(update={"fields": {**manifest.fields, "category": strict}}),
    )
    [prediction] = TicketClassifier(bundle, HashingEmbedder()).predict(
        [Ticket(id="a", subject="hello there")]
    )
    assert prediction.fields["category"].needs_review
    assert prediction.fields["category"].review_reason == "low_confidence"
    assert prediction.needs_review


def test_long_text_is_reported_truncated(trained_bundle: Bundle) -> None:
    classifier = TicketClassifier(trained_bundle, HashingEmbedder(max_tokens=64))
    short, long = classifier.predict(
        [Ticket(id="s", body="invoice"), Ticket(id="l", body="invoice " * 200)]
    )
    assert not short.truncated
    assert long.truncated


def test_embedder_of_another_model_is_refused(trained_bundle: Bundle) -> None:
    with pytest.raises(EmbeddingModelError, match="dimension"):
        TicketClassifier(trained_bundle, HashingEmbedder(dimension=128))


def test_cache_serves_repeated_texts(tmp_path, trained_bundle: Bundle) -> None:
    inner = HashingEmbedder()
    cached = CachedEmbedder(inner, EmbeddingCache(tmp_path / "cache.sqlite"))
    tickets = [Ticket(id=str(i), subject=f"refund {i}") for i in range(5)]
    first = TicketClassifier(trained_bundle, cached).predict(tickets)
    second = TicketClassifier(trained_bundle, cached).predict(tickets + tickets[:1])
    assert inner.calls == [5]  # nothing re-embedded, the duplicate neither
    assert [p.model_dump() for p in first] == [p.model_dump() for p in second[:5]]
