"""A fast bundle labels with one BLAS thread; other models, and the caller, keep their setting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from classifier.bundle.store import Bundle
from classifier.loading import Model
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from tests.conftest import make_tickets, tickets_frame
from tests.fakes import HashingEmbedder
from training.labeling import local
from training.labeling.core import embeds_statically
from training.labeling.local import label_export


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def _as_static(bundle: Bundle) -> TicketClassifier:
    """The unit bundle under a static model's name, as a fast bundle's manifest names it."""
    embedder = HashingEmbedder()
    embedder._info = replace(embedder.info, name="static:unit")
    record = bundle.manifest.embedding_model.model_copy(update={"name": "static:unit"})
    manifest = bundle.manifest.model_copy(update={"embedding_model": record})
    return TicketClassifier(replace(bundle, manifest=manifest), embedder)


@pytest.mark.parametrize("fast", [True, False])
def test_only_a_fast_bundle_predicts_with_one_blas_thread(
    tmp_path: Path,
    trained_bundle: Bundle,
    monkeypatch: pytest.MonkeyPatch,
    fast: bool,
) -> None:
    if not _blas_threads():
        pytest.skip("no BLAS library loaded")
    classifier = (
        _as_static(trained_bundle) if fast else TicketClassifier(trained_bundle, HashingEmbedder())
    )
    assert embeds_statically(classifier) is fast
    export = tmp_path / "export.csv"
    tickets_frame(make_tickets(40, seed=2)).to_csv(export, index=False)
    seen: list[set[int]] = []
    real = local.prediction_frame

    def recording(model: Model, tickets: Sequence[Ticket], index: pd.Index) -> pd.DataFrame:
        seen.append(_blas_threads())
        return real(model, tickets, index)

    monkeypatch.setattr(local, "prediction_frame", recording)
    with threadpool_limits(limits=2, user_api="blas"):
        label_export(export, tmp_path / "out.csv", classifier, chunk_rows=16)
        assert _blas_threads() == {2}  # the caller's setting is back
    assert seen == [{1} if fast else {2}] * 3
