"""Cascade routing: the accurate model sees only what the fast model is unsure of."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.bundle.store import load_bundle
from classifier.cascade import CascadeClassifier, CascadeRecord, save_cascade
from classifier.errors import BundleError
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from classifier.text import prepare_text
from tests.conftest import make_tickets
from tests.fakes import HashingEmbedder, RecordingEmbedder
from training.fit.train import TrainConfig, train


def _bundle(tmp_path: Path, name: str, seed: int) -> Path:
    config = TrainConfig(fields=("category",), name=name, make_current=False)
    return train(
        make_tickets(120, seed=seed), HashingEmbedder(), config, models_dir=tmp_path, source="u"
    ).bundle_path


@pytest.fixture
def bundles(tmp_path: Path) -> tuple[Path, Path]:
    return _bundle(tmp_path, "fast", 0), _bundle(tmp_path, "accurate", 1)


def test_only_unsure_tickets_reach_the_accurate_model(bundles: tuple[Path, Path]) -> None:
    fast = TicketClassifier(load_bundle(bundles[0]), HashingEmbedder())
    recorder = RecordingEmbedder()
    accurate = TicketClassifier(load_bundle(bundles[1]), recorder)
    clear = make_tickets(6, seed=7)
    vague = [Ticket(id=f"v{i}", subject="zzq", body=f"qwx {i} plo") for i in range(4)]
    tickets = clear[:3] + vague + clear[3:] + [Ticket(id="empty", body="")]
    confidences = [p.fields["category"].confidence for p in fast.predict(tickets[:-1])]
    sure = min(confidences[:3] + confidences[7:])
    unsure = max(confidences[3:7])
    assert unsure < sure, "the constructed case needs the fast model surer of the clear tickets"
    cascade = CascadeClassifier(fast, accurate, threshold=(sure + unsure) / 2)

    answers = cascade.predict(tickets)

    assert recorder.seen == [prepare_text(t).text for t in vague]  # the empty one is not sent
    expected = TicketClassifier(load_bundle(bundles[1]), HashingEmbedder()).predict(vague)
    assert [answers[i].fields for i in range(3, 7)] == [p.fields for p in expected]
    fast_answers = fast.predict(tickets)
    for i in (0, 1, 2, 7, 8, 9, 10):
        assert answers[i].fields == fast_answers[i].fields
    assert answers[-1].fields["category"].label is None
    assert {a.model_version for a in answers} == {cascade.version}


def test_cascade_columns_in_bulk_equal_each_answer_flattened(bundles: tuple[Path, Path]) -> None:
    fast = TicketClassifier(load_bundle(bundles[0]), HashingEmbedder())
    recorder = RecordingEmbedder()
    accurate = TicketClassifier(load_bundle(bundles[1]), recorder)
    vague = [Ticket(id=f"v{i}", subject="zzq", body=f"qwx {i} plo") for i in range(4)]
    tickets = make_tickets(5, seed=7) + vague + [Ticket(id="empty", body="")]
    confidences = sorted(p.fields["category"].confidence for p in fast.predict(tickets[:-1]))
    cascade = CascadeClassifier(fast, accurate, threshold=confidences[4])

    columns = cascade.predict_columns(tickets)
    sent = list(recorder.seen)
    answers = cascade.predict(tickets)

    assert len(sent) == 4 and recorder.seen == sent + sent  # both ways route the same four
    expected = [a.to_columns() for a in answers]
    rows = zip(*columns.values(), strict=True)
    assert [dict(zip(columns, row, strict=True)) for row in rows] == expected


def test_a_saved_cascade_loads_verified_and_refuses_a_swapped_bundle(
    bundles: tuple[Path, Path], tmp_path: Path
) -> None:
    fast_path, accurate_path = bundles
    fast_version = load_bundle(fast_path).version
    accurate_version = load_bundle(accurate_path).version
    record = CascadeRecord(
        threshold=0.6,
        loss_budget=0.005,
        expected_accurate_share=0.3,
        fast_version=fast_version,
        accurate_version=accurate_version,
    )
    out = save_cascade(tmp_path / "cascade", fast_path, accurate_path, record)
    loaded = CascadeClassifier.load(out, embedder_factory=lambda bundle: HashingEmbedder())
    assert (loaded.threshold, loaded.fast.version) == (0.6, fast_version)
    assert len(loaded.predict(make_tickets(5, seed=3))) == 5

    swapped = record.model_copy(update={"accurate_version": fast_version})
    (out / "cascade.json").write_text(swapped.model_dump_json())
    with pytest.raises(BundleError, match="accurate/ holds"):
        CascadeClassifier.load(out, embedder_factory=lambda bundle: HashingEmbedder())
    with pytest.raises(BundleError, match="not empty"):
        save_cascade(out, fast_path, accurate_path, record)


def test_a_threshold_that_sends_every_ticket_is_a_valid_record() -> None:
    record = CascadeRecord(threshold=1.0 + 1e-9, fast_version="f", accurate_version="a")
    assert record.threshold > 1.0
