"""Few-shot with a tuned body: does SetFit-style contrastive tuning of the packaged MiniLM on the
k labeled tickets per class beat frozen embeddings? (issue #13, banking77 k = 8 target 0.86)

One resample of k labeled banking77 training tickets per class (seed as given); the body is tuned
with SetFit's pair objective (`bench.finetune_probe.fine_tune_contrastive`: PAIRS sampled pairs
per text, half same label, cosine pulled to 1 / 0, AdamW at LR, batches of 16), then
LogisticRegression at several C on the tuned embeddings of the labeled tickets, scored on the
whole test split; beside it the MTEB protocol's head on the frozen embeddings (C = 10). Frozen
vectors come from bench/out/embeddings.sqlite. Prints, writes nothing.

    python bench/fewshot_contrastive.py K SEED PAIRS LR      # e.g. 8 0 20 1e-5
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.coldstart import _read_all
from bench.finetune_probe import fine_tune_contrastive
from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
from classifier.embedders.transformer import SentenceTransformerEmbedder

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "banking77"


def main() -> None:
    k, seed, pairs, lr = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    torch.manual_seed(0)
    cache = EmbeddingCache(ROOT / "bench" / "out" / "embeddings.sqlite")
    frozen = CachedEmbedder(SentenceTransformerEmbedder(), cache)
    _, train_texts, train_vectors, train_labels = _read_all(DATA / "train.csv", "intent", frozen)
    _, test_texts, test_vectors, test_labels = _read_all(DATA / "test.csv", "intent", frozen)
    rng = np.random.default_rng(seed)
    picked = np.concatenate(
        [
            rng.choice(np.flatnonzero(train_labels == c), size=k, replace=False)
            for c in sorted(set(train_labels))
        ]
    )
    head = LogisticRegression(C=10.0, max_iter=1000).fit(
        train_vectors[picked], train_labels[picked]
    )
    print(f"frozen, C 10: {accuracy_score(test_labels, head.predict(test_vectors)):.4f}")
    tuned = SentenceTransformerEmbedder()  # tuned in place, uncached
    texts = [train_texts[i] for i in picked]
    labels = [str(train_labels[i]) for i in picked]
    started = time.perf_counter()
    fine_tune_contrastive(tuned._model, texts, labels, pairs, lr, 16)
    print(f"tuning {time.perf_counter() - started:.0f} s, load {os.getloadavg()[0]:.1f}")
    labeled, test = tuned.encode(texts), tuned.encode(test_texts)
    for C in (1.0, 10.0, 100.0):
        head = LogisticRegression(C=C, max_iter=2000).fit(labeled, labels)
        print(f"tuned, C {C:g}: {accuracy_score(test_labels, head.predict(test)):.4f}")


if __name__ == "__main__":
    main()
