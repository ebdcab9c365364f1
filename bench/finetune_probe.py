"""What fine-tuning the embedding body on the user's labels buys, and what it costs (issue #5).

The issue asks to measure SetFit-style fine-tuning as an option for users who can spend more
training time. This probe fine-tunes the packaged all-MiniLM-L6-v2 on one data set's training
split on the CPU, then scores on the untouched test split:

- `body+head`: the fine-tuned transformer with its own linear classification layer (what a
  "fine-tuned transformer" baseline is);
- `ticketlens heads on tuned vectors`: ticketlens' default hybrid heads (`training.fit.train.train`)
  fitted on the fine-tuned body's vectors instead of the frozen ones.

Losses: `ce` (cross-entropy through a linear layer on the mean-pooled, normalised embedding) or
`contrastive` (SetFit's objective: cosine similarity of sampled same/different-label pairs pulled
to 1/0). Batches are built from texts of similar length (less padding). The frozen default's
figure to compare with is in docs/accuracy-results.json, from `bench/accuracy.py`.

    python bench/finetune_probe.py nlbse24_issue_reports issue_type --epochs 2 --loss ce
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.accuracy import _split
from bench.accuracy_methods import PrecomputedEmbedder, _pipeline
from bench.docs_section import write_section
from classifier.embedders.transformer import SentenceTransformerEmbedder

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "finetune-results.json"
LOGIT_SCALE = 20.0
"""Cosine-style head: unit-length embeddings times this before the linear layer."""


def _length_batches(texts: Sequence[str], size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar-length texts, in random order."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def _embed(model: Any, texts: Sequence[str]) -> torch.Tensor:
    features = model.tokenize(list(texts))
    output = model(features)
    return torch.nn.functional.normalize(output["sentence_embedding"], dim=1)


def fine_tune_ce(
    model: Any, texts: Sequence[str], labels: Sequence[str], epochs: int, lr: float, batch: int
) -> torch.nn.Linear:
    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    target = torch.tensor([index[c] for c in labels])
    layer = torch.nn.Linear(model.get_embedding_dimension(), len(classes))
    params = list(model.parameters()) + list(layer.parameters())
    optimizer = torch.optim.AdamW(params, lr=lr)
    rng = random.Random(0)
    steps = epochs * ((len(texts) + batch - 1) // batch)
    scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, 1.0, 0.0, total_iters=steps)
    model.train()
    for epoch in range(epochs):
        started, total = time.perf_counter(), 0.0
        for rows in _length_batches(texts, batch, rng):
            logits = layer(_embed(model, [texts[i] for i in rows]) * LOGIT_SCALE)
            loss = torch.nn.functional.cross_entropy(logits, target[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(rows)
        print(
            f"epoch {epoch + 1}: loss {total / len(texts):.4f} "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    model.eval()
    layer.classes = classes  # type: ignore[attr-defined]
    return layer


def fine_tune_contrastive(
    model: Any, texts: Sequence[str], labels: Sequence[str], pairs: int, lr: float, batch: int
) -> None:
    """SetFit's body step: `pairs` sampled pairs per text, half same label, half different."""
    rng = random.Random(0)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    others = {label: [j for j, y in enumerate(labels) if y != label] for label in by_label}
    examples: list[tuple[int, int, float]] = []
    for i, label in enumerate(labels):
        for k in range(pairs):
            same = k % 2 == 0
            j = rng.choice(by_label[label]) if same else rng.choice(others[label])
            examples.append((i, j, 1.0 if same else 0.0))
    rng.shuffle(examples)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    started, total = time.perf_counter(), 0.0
    for start in range(0, len(examples), batch):
        part = examples[start : start + batch]
        left = _embed(model, [texts[i] for i, _, _ in part])
        right = _embed(model, [texts[j] for _, j, _ in part])
        target = torch.tensor([y for _, _, y in part])
        loss = torch.nn.functional.mse_loss((left * right).sum(dim=1), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(part)
    print(
        f"pairs {len(examples)}: loss {total / len(examples):.4f} "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    model.eval()


def _scores(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro-F1": float(f1_score(truth, predicted, average="macro")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset")
    parser.add_argument("label")
    parser.add_argument("--loss", choices=("ce", "contrastive"), default="ce")
    parser.add_argument("--epochs", type=int, default=2, help="ce: passes over the training set")
    parser.add_argument("--pairs", type=int, default=4, help="contrastive: pairs per text")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--quick", type=int, default=None, help="smoke run; writes nothing")
    args = parser.parse_args()
    torch.manual_seed(0)

    train, test = (_split(args.dataset, s, [args.label], args.quick) for s in ("train", "test"))
    train_labels, test_labels = train["labels"][args.label], test["labels"][args.label]
    embedder = SentenceTransformerEmbedder()
    model = embedder._model  # fine-tuned in place: the embedder then encodes with it

    started = time.perf_counter()
    layer = None
    if args.loss == "ce":
        layer = fine_tune_ce(model, train["texts"], train_labels, args.epochs, args.lr, args.batch)
    else:
        fine_tune_contrastive(model, train["texts"], train_labels, args.pairs, args.lr, args.batch)
    tune_s = time.perf_counter() - started

    started = time.perf_counter()
    train_vectors = embedder.encode(train["texts"])
    test_vectors = embedder.encode(test["texts"])
    embed_s = time.perf_counter() - started
    results: dict[str, Any] = {}
    if layer is not None:
        with torch.no_grad():
            logits = layer(torch.from_numpy(test_vectors) * LOGIT_SCALE)
        predicted = [layer.classes[i] for i in logits.argmax(dim=1).tolist()]  # type: ignore[attr-defined]
        results["body+head"] = _scores(test_labels, predicted)

    data = {
        "train_raw": train["raw"],
        "test_raw": test["raw"],
        "train_labels": train_labels,
        "test_labels": test_labels,
    }
    precomputed = PrecomputedEmbedder(
        embedder.info,
        train["texts"] + test["texts"],
        np.vstack([train_vectors, test_vectors]),
    )
    with tempfile.TemporaryDirectory(prefix="ticketlens-ft-") as work:
        predicted_heads, fit_s, _ = _pipeline("accurate", data, precomputed, Path(work))
    results["ticketlens heads on tuned vectors"] = _scores(test_labels, list(predicted_heads))

    row = {
        "data set": args.dataset,
        "label": args.label,
        "loss": args.loss,
        "setting": f"{args.epochs} epochs" if args.loss == "ce" else f"{args.pairs} pairs/text",
        "lr": args.lr,
        "train rows": len(train["texts"]),
        "fine-tune s": round(tune_s, 1),
        "embed train+test s": round(embed_s, 1),
        "heads fit s": round(fit_s, 1),
        "results": results,
        "command": "python bench/finetune_probe.py " + shlex.join(sys.argv[1:]),
        "load average": os.getloadavg()[0],
    }
    print(json.dumps(row, indent=2))
    if args.quick is None:
        rows = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
        rows.append(row)
        RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
        write_section("finetune", _table(rows), heading="## Fine-tuning the embedding body")


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "Measured by `bench/finetune_probe.py` on this machine's 2 CPU cores (commands below).",
        "",
        "| data set | loss | setting | fine-tune s | variant | accuracy | macro-F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        setting = f"{row['setting']}, lr {row['lr']}"
        for variant, score in row["results"].items():
            lines.append(
                f"| {row['data set']} {row['label']} | {row['loss']} | {setting} | "
                f"{row['fine-tune s']:.0f} | {variant} | {score['accuracy']:.4f} | "
                f"{score['macro-F1']:.4f} |"
            )
    lines += ["", "Commands:", ""]
    lines += [f"- `{row['command']}` (load {row['load average']:.1f})" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
