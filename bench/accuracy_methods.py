"""The methods `bench/accuracy.py` compares, each in its own process so its peak memory is its own.

A method gets the prepared training and test texts with their labels, and for the embedding
methods the transformer vectors the parent computed once (its timed embedding pass is added to
their training and labeling times by the parent). It answers accuracy, macro-F1, the seconds
spent fitting and labeling, and the process's peak resident memory.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from classifier.bundle.store import load_bundle
from classifier.embedders.base import EmbeddingModelInfo
from classifier.embedders.static import StaticEmbedder
from classifier.embedders.transformer import SentenceTransformerEmbedder
from classifier.features import make_text_features
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from training.evaluation.grouped import cross_group_f1
from training.fit.train import TrainConfig, train

CHUNK = 512  # what `ticketlens label` embeds at a time


class PrecomputedEmbedder:
    """The real model's identity with the vectors its timed pass produced in the parent."""

    def __init__(self, info: EmbeddingModelInfo, texts: Sequence[str], vectors: np.ndarray):
        self.info = info
        self._rows = {text: row for row, text in enumerate(texts)}
        self._vectors = vectors

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors[[self._rows[t] for t in texts]]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t) // 4 for t in texts]  # only feeds `truncated`, which is not scored


def _tickets(raw: Sequence[list[str]], labels: Sequence[str], field: str) -> list[Ticket]:
    """The tickets as read from the export: the pipeline prepares their text itself."""
    return [
        Ticket(id=str(i), subject=subject, body=body, labels={field: label})
        for i, ((subject, body), label) in enumerate(zip(raw, labels, strict=True))
    ]


def _pipeline(
    mode: str, data: dict[str, Any], embedder: Any, work: Path
) -> tuple[np.ndarray, float, float]:
    field = "label"
    config = TrainConfig(fields=(field,), mode=mode, name=mode, make_current=False)  # type: ignore[arg-type]
    started = time.perf_counter()
    result = train(
        _tickets(data["train_raw"], data["train_labels"], field),
        embedder,
        config,
        models_dir=work,
        source="bench",
    )
    fit_s = time.perf_counter() - started
    classifier = TicketClassifier(load_bundle(result.bundle_path), embedder)
    tickets = _tickets(data["test_raw"], data["test_labels"], field)
    started = time.perf_counter()
    predicted = [
        p.fields[field].label
        for i in range(0, len(tickets), CHUNK)
        for p in classifier.predict(tickets[i : i + CHUNK])
    ]
    return np.asarray(predicted, dtype=object), fit_s, time.perf_counter() - started


def _plain(model: Any, train_x: Any, test_x: Any, data: dict[str, Any]) -> tuple[Any, float, float]:
    started = time.perf_counter()
    model.fit(train_x, data["train_labels"])
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    predicted = model.predict(test_x)
    return predicted, fit_s, time.perf_counter() - started


def _peak_mib() -> float:
    """This process's own high-water RSS (ru_maxrss would also count the parent's, kept by exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(method: str, data_file: Path, static_dir: Path) -> dict[str, Any]:
    data = json.loads(data_file.read_text())
    vectors = np.load(data_file.with_suffix(".npz"))
    with tempfile.TemporaryDirectory(prefix="ticketlens-acc-") as work:
        if method == "tfidf_svm":
            svm = make_pipeline(make_text_features(), LinearSVC())
            predicted, fit_s, label_s = _plain(svm, data["train_texts"], data["test_texts"], data)
        elif method == "embedding_lr":
            lr = LogisticRegression(max_iter=2000)
            predicted, fit_s, label_s = _plain(lr, vectors["train"], vectors["test"], data)
        elif method == "accurate":
            info = SentenceTransformerEmbedder().info  # loaded: its memory is part of the mode
            embedder = PrecomputedEmbedder(
                info,
                data["train_texts"] + data["test_texts"],
                np.vstack([vectors["train"], vectors["test"]]),
            )
            predicted, fit_s, label_s = _pipeline("accurate", data, embedder, Path(work))
        elif method == "fast":
            static = StaticEmbedder(static_dir, "static:bench")
            predicted, fit_s, label_s = _pipeline("fast", data, static, Path(work))
        else:
            raise SystemExit(f"unknown method {method}")
    truth = np.asarray(data["test_labels"], dtype=object)
    groups = data.get("test_groups")
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro-F1": float(f1_score(truth, predicted, average="macro")),
        "cross-repo F1": None if groups is None else cross_group_f1(truth, predicted, groups).mean,
        "fit s": fit_s,
        "label s": label_s,
        "peak MiB": _peak_mib(),
    }


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))))
