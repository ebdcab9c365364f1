"""The ONNX Runtime backend: its export cache and errors, and its equivalence with torch."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier.bundle.store import load_bundle
from classifier.embedders import onnx as onnx_embedder
from classifier.embedders.backends import transformer_embedder
from classifier.embedders.base import split_windows
from classifier.embedders.onnx import ensure_onnx_model, onnx_model_path
from classifier.embedders.onnx_export import MODEL_FILE, STAMP_FILE
from classifier.errors import EmbeddingModelError
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from tests import ROOT
from training.fit.heads import HeadConfig
from training.fit.train import TrainConfig, train

SAMPLE = ROOT / "data" / "sample_tickets.csv"
SHA = "ab" * 32


def _no_export(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
    raise AssertionError("the export must not run again")


def test_a_stamped_export_is_reused_without_exporting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = onnx_model_path(tmp_path, SHA)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"onnx")
    (path.parent / STAMP_FILE).write_text(json.dumps({"weights_sha256": SHA}))
    monkeypatch.setattr(onnx_embedder.subprocess, "run", _no_export)
    assert ensure_onnx_model(tmp_path / "model", SHA, tmp_path) == path
    assert path.name == MODEL_FILE and path.parent.name == SHA[:16]


@pytest.mark.parametrize("stamp", [None, {"weights_sha256": "cd" * 32}])
def test_a_failed_export_is_one_line_naming_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stamp: dict[str, str] | None
) -> None:
    path = onnx_model_path(tmp_path, SHA)
    if stamp is not None:  # an export of other weights under the same prefix is not reused
        path.parent.mkdir(parents=True)
        path.write_bytes(b"onnx")
        (path.parent / STAMP_FILE).write_text(json.dumps(stamp))
    calls: list[list[str]] = []

    def failing(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        stderr = "Traceback (most recent call last):\n  ...\nModuleNotFoundError: onnxscript\n"
        return subprocess.CompletedProcess(command, 1, "", stderr)

    monkeypatch.setattr(onnx_embedder.subprocess, "run", failing)
    with pytest.raises(EmbeddingModelError) as caught:
        ensure_onnx_model(tmp_path / "model", SHA, tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert "ONNX export failed (ModuleNotFoundError: onnxscript)" in message
    assert "torch backend" in message
    assert calls and calls[0][-1] == SHA


def test_an_unknown_backend_is_refused_by_name() -> None:
    with pytest.raises(EmbeddingModelError, match="unknown backend 'tensorrt'"):
        transformer_embedder("any", max_tokens=8, max_windows=1, backend="tensorrt")


def test_windows_cut_at_token_boundaries_and_stop_at_the_limit() -> None:
    text = "aa bb cc dd ee ff gg"
    spans = [(i * 3, i * 3 + 2) for i in range(7)]
    assert split_windows(text, spans, max_tokens=9, max_windows=3) == [text]  # 7 fit in 9 - 2
    assert split_windows(text, spans, max_tokens=5, max_windows=2) == ["aa bb cc", "dd ee ff"]
    assert split_windows(text, spans, max_tokens=5, max_windows=4) == [
        "aa bb cc",
        "dd ee ff",
        "gg",
    ]


# --- the real packaged model: one export into a temporary cache, compared with torch ---


def _sample() -> pd.DataFrame:
    return pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)


def _varied_texts() -> list[str]:
    frame = _sample()
    tickets = [f"{r.subject}. {r.body}" for r in frame.iloc[:34].itertuples()]
    pool = " ".join(frame.body.iloc[40:140]).split()
    long = [" ".join(pool[i * 450 : (i + 1) * 450]) for i in range(6)]  # > 256 tokens
    odd = [
        "hi",
        "?",
        "ok thanks!!!",
        "<p>Hello,<br/>the <b>export</b> fails &amp; shows <code>500</code></p>",
        '<div class="x"><a href="https://example.com/a?b=1">link</a> broken</div>',
        "Rechnung doppelt abgebucht – bitte erstatten. Ünïcödé façade naïve",
        "ログインできません 🙁 please help",
        "   lots    of\n\n\twhitespace   \n",
        "ERROR: java.lang.NullPointerException at com.app.Main(Main.java:42)",
        "a" * 600,
    ]
    return tickets + long + odd


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.mark.model
def test_onnx_gives_torch_vectors_tokens_record_and_predictions(
    onnx_cache: Path, tmp_path: Path
) -> None:
    texts = _varied_texts()
    assert len(texts) == 50
    torch = transformer_embedder(
        "sentence-transformers/all-MiniLM-L6-v2", max_tokens=256, max_windows=1, backend="torch"
    )
    onnx = transformer_embedder(
        "sentence-transformers/all-MiniLM-L6-v2",
        max_tokens=256,
        max_windows=1,
        backend="onnx",
        cache_dir=onnx_cache,
    )
    assert onnx.info == torch.info
    assert (onnx_model_path(onnx_cache, onnx.info.weights_sha256).parent / STAMP_FILE).is_file()
    expected, got = torch.encode(texts), onnx.encode(texts)
    assert got.dtype == np.float32 and got.shape == (50, 384)
    assert float(np.abs(got - expected).max()) < 1e-4
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    tokens = onnx.count_tokens(texts)
    assert tokens == torch.count_tokens(texts)
    assert max(tokens) > 256  # the long texts really were truncated

    frame = _sample()
    tickets = [
        Ticket(
            id=r.ticket_id,
            subject=r.subject,
            body=r.body,
            labels={"category": r.category, "feature": r.feature},
        )
        for r in frame.iloc[200:360].itertuples()
    ]
    # Embedding-only heads, one C: the n-gram half of a hybrid head does not see the backend.
    head = HeadConfig(Cs=(4.0,), cv_folds=2)
    config = TrainConfig(name="onnx-eq", make_current=False, head=head, text_features=False)
    bundle_path = train(tickets, torch, config, models_dir=tmp_path, source="sample").bundle_path
    new = [Ticket(id=f"N{i}", subject="", body=text) for i, text in enumerate(texts)]
    by_torch = TicketClassifier(load_bundle(bundle_path), torch).predict(new)
    # The embedding cache in `onnx_cache` starts empty: these vectors come from ONNX Runtime.
    by_onnx = TicketClassifier.load(bundle_path, backend="onnx", cache_dir=onnx_cache)
    for a, b in zip(by_torch, by_onnx.predict(new), strict=True):
        assert a.truncated == b.truncated
        for name, field in a.fields.items():
            assert field.label == b.fields[name].label
            assert abs(field.confidence - b.fields[name].confidence) < 1e-4


@pytest.mark.model
def test_onnx_windows_match_torch_windows(onnx_cache: Path) -> None:
    texts = _varied_texts()[30:]
    kwargs = {"max_tokens": 64, "max_windows": 2}
    name = "sentence-transformers/all-MiniLM-L6-v2"
    torch = transformer_embedder(name, backend="torch", **kwargs)
    onnx = transformer_embedder(name, backend="onnx", cache_dir=onnx_cache, **kwargs)
    assert onnx.info == torch.info and onnx.info.max_windows == 2
    assert float(np.abs(onnx.encode(texts) - torch.encode(texts)).max()) < 1e-4
