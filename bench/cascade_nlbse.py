"""Cascade on nlbse24: threshold chosen on half of the test split, scored on the other half.

Both modes are trained on the train split (accurate from cached transformer embeddings in
bench/out/embeddings.sqlite, fast from the distilled static model). The threshold for a loss
budget is chosen on the even test rows (`training.fit.cascade.choose_threshold`) and the cascade
is scored on the odd rows, beside each mode alone: macro-F1 and the share sent to the transformer.

    python bench/cascade_nlbse.py [--loss-budget 0.005]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from sklearn.metrics import f1_score

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.bundle.store import load_bundle
from classifier.cascade import CascadeClassifier
from classifier.embedders.base import DEFAULT_MODEL
from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
from classifier.embedders.transformer import SentenceTransformerEmbedder
from classifier.predictor import TicketClassifier
from training.cli.common import cache_dir_for
from training.fit.cascade import choose_threshold
from training.fit.distill import distilled_embedder
from training.fit.train import TrainConfig, train
from training.io.export import read_tickets

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "nlbse24_issue_reports"
FIELD = "issue_type"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loss-budget", type=float, default=0.005)
    args = parser.parse_args()
    train_tickets, _ = read_tickets(DATA / "train.csv", [FIELD])
    test, _ = read_tickets(DATA / "test.csv", [FIELD])
    accurate_embedder = CachedEmbedder(
        SentenceTransformerEmbedder(), EmbeddingCache(ROOT / "bench" / "out" / "embeddings.sqlite")
    )
    models = {}
    with tempfile.TemporaryDirectory(prefix="ticketlens-cascade-") as work:
        for mode, embedder in (
            ("fast", distilled_embedder(DEFAULT_MODEL, cache_dir_for(None))),
            ("accurate", accurate_embedder),
        ):
            config = TrainConfig(fields=(FIELD,), mode=mode, name=mode, make_current=False)  # type: ignore[arg-type]
            path = train(
                train_tickets, embedder, config, models_dir=Path(work), source="b"
            ).bundle_path
            models[mode] = TicketClassifier(load_bundle(path), embedder)
        fast = models["fast"].predict(test)
        accurate = models["accurate"].predict(test)
    truth = [t.labels[FIELD] for t in test]
    choose, score = list(range(0, len(test), 2)), list(range(1, len(test), 2))
    choice = choose_threshold(
        [truth[i] for i in choose],
        [fast[i].fields[FIELD].label or "" for i in choose],
        [fast[i].fields[FIELD].confidence for i in choose],
        [accurate[i].fields[FIELD].label or "" for i in choose],
        args.loss_budget,
    )
    cascade = CascadeClassifier(models["fast"], models["accurate"], choice.threshold)
    routed = set(cascade.unsure([fast[i] for i in score]))
    labels = {
        "fast": [fast[i].fields[FIELD].label or "" for i in score],
        "accurate": [accurate[i].fields[FIELD].label or "" for i in score],
    }
    labels["cascade"] = [
        labels["accurate"][k] if k in routed else labels["fast"][k] for k in range(len(score))
    ]
    held = [truth[i] for i in score]
    row = {
        "loss budget": args.loss_budget,
        "threshold": round(choice.threshold, 4),
        "share to transformer (choice half)": round(choice.accurate_share, 4),
        "share to transformer (scored half)": round(len(routed) / len(score), 4),
    } | {
        f"{name} macro-F1": round(float(f1_score(held, y, average="macro")), 4)
        for name, y in labels.items()
    }
    print(json.dumps(row | {"load": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    main()
