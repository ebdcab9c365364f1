"""Effect of the opt-in text structure stripping on nlbse24 (`prepare_text(structure=True)`).

Frozen all-MiniLM-L6-v2 + LogisticRegression, TF-IDF word+char + LinearSVC and the default
pipeline (`--text-structure` on or off), each fitted on
the train split's texts prepared with and without structure stripping, scored on the test split
by pooled macro-F1 and the competition's cross-repo F1. Then the default with the repository as
metadata: `--segment repo` (per-repository heads where cross-validation keeps them, as the
competition trains one model per repository) and `--feature-column repo`; and the subject line's
own embedding (`--subject-block`). Embeddings come from (and go to) the cache in
bench/out/embeddings.sqlite, so only texts the stripping changed are embedded.

    python bench/text_structure.py [--only-metadata]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.bundle.store import load_bundle
from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
from classifier.embedders.transformer import SentenceTransformerEmbedder
from classifier.features import make_text_features
from classifier.predictor import TicketClassifier
from classifier.text import prepare_text
from training.cli.train_summary import metadata_summary
from training.evaluation.grouped import cross_group_f1
from training.fit.train import TrainConfig, train
from training.io.export import read_tickets

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "nlbse24_issue_reports"
CACHE = ROOT / "bench" / "out" / "embeddings.sqlite"


def _split(name: str, structure: bool) -> tuple[list[str], list[str], list[str]]:
    tickets, _ = read_tickets(DATA / f"{name}.csv", ["issue_type"])
    repos = pd.read_csv(DATA / f"{name}.csv", usecols=["repo"])["repo"]
    texts = [prepare_text(t, structure=structure).text or "(empty)" for t in tickets]
    groups = [str(repos.iloc[int(t.id.removeprefix("row-")) - 1]) for t in tickets]
    return texts, [t.labels["issue_type"] for t in tickets], groups


def _default(
    embedder: CachedEmbedder,
    structure: bool,
    feature_columns: tuple[str, ...] = (),
    segment: str | None = None,
    subject_block: bool = False,
) -> tuple[list[str], str]:
    """The default (accurate) pipeline trained with `--text-structure` on or off (and the
    metadata flags); its test predictions and what its manifest says of the metadata."""
    repo = {"metadata": ["repo"]}
    train_tickets, _ = read_tickets(DATA / "train.csv", ["issue_type"], repo)
    test_tickets, _ = read_tickets(DATA / "test.csv", ["issue_type"], repo)
    config = TrainConfig(
        fields=("issue_type",),
        name="s",
        make_current=False,
        text_structure=structure,
        feature_columns=feature_columns,
        segment=segment,
        subject_block=subject_block,
    )
    with tempfile.TemporaryDirectory(prefix="ticketlens-structure-") as work:
        result = train(train_tickets, embedder, config, models_dir=Path(work), source="bench")
        model = TicketClassifier(load_bundle(result.bundle_path), embedder)
        predicted = [p.fields["issue_type"].label or "" for p in model.predict(test_tickets)]
        return predicted, metadata_summary(result.manifest) or ""


METADATA_RUNS = {  # method: (feature columns, segment, subject block, structure settings)
    "ticketlens default, `--segment repo`": ((), "repo", False, (False, True)),
    "ticketlens default, `--feature-column repo`": (("repo",), None, False, (True,)),
    "ticketlens default, `--subject-block`": ((), None, True, (True,)),
}


def main() -> None:
    embedder = CachedEmbedder(SentenceTransformerEmbedder(), EmbeddingCache(CACHE))
    rows: list[dict[str, object]] = []
    if "--only-metadata" not in sys.argv:
        _text_rows(embedder, rows)
    groups = _split("test", False)[2]
    truth = _split("test", False)[1]
    for method, (columns, segment, subject, structures) in METADATA_RUNS.items():
        for structure in structures:
            started = time.perf_counter()
            predicted, said = _default(embedder, structure, columns, segment, subject)
            fit_s = time.perf_counter() - started
            _row(rows, structure, method, truth, predicted, groups, [], fit_s, said)
    print(pd.DataFrame(rows).to_markdown(index=False))
    print(f"load {os.getloadavg()[0]:.1f}")


def _text_rows(embedder: CachedEmbedder, rows: list[dict[str, object]]) -> None:
    for structure in (False, True):
        train_x, train_y, _ = _split("train", structure)
        test_x, test_y, groups = _split("test", structure)
        started = time.perf_counter()
        train_v, test_v = embedder.encode(train_x), embedder.encode(test_x)
        embed_s = time.perf_counter() - started
        models = {
            "frozen MiniLM + LR": (LogisticRegression(max_iter=2000), train_v, test_v),
            "TF-IDF word+char + LinearSVC": (
                make_pipeline(make_text_features(), LinearSVC()),
                train_x,
                test_x,
            ),
        }
        for method, (model, fit_x, score_x) in models.items():
            predicted = model.fit(fit_x, train_y).predict(score_x)
            _row(
                rows, structure, method, test_y, list(predicted), groups, train_x + test_x, embed_s
            )
        started = time.perf_counter()
        predicted = _default(embedder, structure)[0]
        fit_s = time.perf_counter() - started
        _row(rows, structure, "ticketlens default (accurate)", test_y, predicted, groups, [], fit_s)


def _row(
    rows: list[dict[str, object]],
    structure: bool,
    method: str,
    truth: list[str],
    predicted: list[str],
    groups: list[str],
    texts: list[str],
    seconds: float,
    said: str = "",
) -> None:
    score = cross_group_f1(truth, predicted, groups)
    rows.append(
        {
            "structure": structure,
            "method": method,
            "macro-F1": round(score.pooled, 4),
            "cross-repo F1": round(score.mean, 4),
            "mean chars": round(float(np.mean([len(t) for t in texts]))) if texts else "",
            "s (embed from cache, or fit+predict)": round(seconds, 1),
            "manifest": said,
        }
    )
    print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
