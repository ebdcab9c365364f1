from dataclasses import replace

import pytest

from classifier.bundle.manifest import ClassThreshold, ExcludedPrototypes
from classifier.bundle.store import Bundle
from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
from classifier.errors import EmbeddingModelError
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from tests.conftest import make_tickets
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


def _every_reason(bundle: Bundle) -> Bundle:
    """Per-category thresholds (one never reached) and an excluded class near some tickets."""
    manifest = bundle.manifest
    category = manifest.fields["category"]
    thresholds = {
        "billing": ClassThreshold(
            threshold=0.9, reached=True, precision=0.95, coverage=0.5, predicted=40
        ),
        "login_access": ClassThreshold(
            threshold=0.1, reached=False, precision=0.5, coverage=0.0, predicted=40
        ),
    }
    near_api = HashingEmbedder().encode(["api token endpoint"])[0].tolist()
    labels = [*category.classes, "api_only"]
    means = HashingEmbedder().encode(category.classes).tolist()
    prototypes = ExcludedPrototypes(
        labels=labels, excluded=["api_only"], vectors=[*means, near_api]
    )
    fields = {
        **manifest.fields,
        "category": category.model_copy(
            update={"class_thresholds": thresholds, "prototypes": prototypes}
        ),
    }
    return replace(bundle, manifest=manifest.model_copy(update={"fields": fields}))


def test_predict_columns_hold_what_each_prediction_flattens_to(trained_bundle: Bundle) -> None:
    classifier = TicketClassifier(_every_reason(trained_bundle), HashingEmbedder(max_tokens=64))
    tickets = [
        *make_tickets(60, seed=11),
        Ticket(id="empty", subject="", body="<p></p>"),
        Ticket(id="long", body="invoice refund " * 200),
        Ticket(id="api", body="api token endpoint"),
    ]
    columns = classifier.predict_columns(tickets)
    rows = [p.to_columns() for p in classifier.predict(tickets)]
    assert columns == {name: [row[name] for row in rows] for name in rows[0]}
    reasons = set(columns["predicted_category_review_reason"])
    assert reasons == {None, "low_confidence", "unknown_class", "empty"}
    assert columns["truncated"][-2] and not columns["truncated"][-1]
