"""Long-tail section of the accuracy benchmark: the baselines and ticketlens' heads, side by side.

For each profile in bench/long_tail_data.py and each seed, the training split is subsampled to a
Zipf-like class profile and every method is tested on the whole (balanced) test split. Reported:
macro-F1, accuracy, the mean per-class F1 of each training-frequency bin, the training seconds
(embeddings cached, so the embedding pass is not counted) and, for ticketlens, the
cross-validated macro-F1 its bundle reports (to compare with the test figure: no vocabulary leak).

    python bench/accuracy.py --long-tail                  # all methods, all seeds; writes docs
    python -m bench.long_tail --seeds 0 --methods tfidf_svm,default   # a look; add --write
    # methods: tfidf_svm, embedding_lr, default, no_centroids, previous, macro_f1_unweighted,
    #          log_loss_balanced, wide_C, hybrid_svm, three_fold_cv
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from bench.docs_section import write_section
from bench.long_tail_data import (
    PROFILES,
    SEEDS,
    Profile,
    Split,
    cached_embedder,
    long_tail_rows,
    read_split,
    subset,
)
from classifier.features import combine, make_text_features
from training.fit.heads import HeadConfig
from training.fit.train import TicketModel, TrainConfig

BINS = (("tail (5-20)", 5, 20), ("mid (21-99)", 21, 99), ("head (100+)", 100, 10**9))
TICKETLENS = {
    "default": HeadConfig(),
    "no_centroids": HeadConfig(centroid_weights=(0.0,)),
    "three_fold_cv": HeadConfig(estimate_below=0),
    "previous": HeadConfig(class_weight=None, criterion="log_loss", centroid_weights=(0.0,)),
    "macro_f1_unweighted": HeadConfig(class_weight=None),
    "log_loss_balanced": HeadConfig(criterion="log_loss"),
    "wide_C": HeadConfig(Cs=(1.0, 4.0, 16.0, 64.0, 256.0, 1024.0)),
}
METHODS = ("tfidf_svm", "embedding_lr", *TICKETLENS, "hybrid_svm")
TITLES = {
    "tfidf_svm": "(a) TF-IDF word+char + LinearSVC",
    "embedding_lr": "(b) frozen MiniLM + LogisticRegression",
    "default": "(c) ticketlens default (C by macro-F1, balanced, centroid evidence)",
    "no_centroids": "ticketlens default without the centroid evidence",
    "three_fold_cv": "ticketlens default, CV figures from the search's 3 folds",
    "previous": "ticketlens, previous default (C by log-loss, unweighted)",
    "macro_f1_unweighted": "ticketlens, C by macro-F1, unweighted",
    "log_loss_balanced": "ticketlens, C by log-loss, balanced",
    "wide_C": "ticketlens default, C grid to 1024",
    "hybrid_svm": "ticketlens' features + LinearSVC, balanced (no probabilities)",
}
RESULTS_KEY = "long_tail"
RESULTS = Path(__file__).resolve().parents[1] / "docs" / "accuracy-results.json"

Run = Callable[[Split, Split, Any, str], tuple[np.ndarray, dict[str, float]]]


def _baseline(name: str) -> Run:
    def run(
        train: Split, test: Split, embedder: Any, label: str
    ) -> tuple[np.ndarray, dict[str, float]]:
        if name == "hybrid_svm":  # the heads' own columns, a linear SVM instead of LR
            union = make_text_features().fit(train.texts)
            svm = LinearSVC(class_weight="balanced")
            svm.fit(
                combine(union, train.texts, embedder.encode(train.texts)), train.labels.astype(str)
            )
            return svm.predict(combine(union, test.texts, embedder.encode(test.texts))), {}
        if name == "tfidf_svm":
            model = make_pipeline(make_text_features(), LinearSVC())
            model.fit(train.texts, train.labels.astype(str))
            return model.predict(test.texts), {}
        lr = LogisticRegression(max_iter=2000)
        lr.fit(embedder.encode(train.texts), train.labels.astype(str))
        return lr.predict(embedder.encode(test.texts)), {}

    return run


def _ticketlens(head: HeadConfig) -> Run:
    def run(
        train: Split, test: Split, embedder: Any, label: str
    ) -> tuple[np.ndarray, dict[str, float]]:
        config = TrainConfig(fields=(label,), head=head, name="long-tail", make_current=False)
        model = TicketModel(embedder, config).fit(train.tickets)
        predicted = [p.fields[label].label for p in model.predict(test.tickets)]
        manifest = model.classifier_.manifest
        entry = manifest.fields[label]
        chosen = {
            "CV macro-F1": entry.cv_macro_f1,
            "C": entry.regularization_C,
            "embedding weight": manifest.embedding_weight,
            "centroid weight": entry.centroid_weight,
        }
        return np.asarray(predicted, dtype=object), chosen

    return run


def _runner(method: str) -> Run:
    return _ticketlens(TICKETLENS[method]) if method in TICKETLENS else _baseline(method)


def _bins(train: Split, test: Split, predicted: np.ndarray) -> dict[str, float]:
    classes, counts = np.unique(train.labels.astype(str), return_counts=True)
    truth = test.labels.astype(str)
    per_class = f1_score(
        truth, predicted.astype(str), labels=classes, average=None, zero_division=0
    )
    return {
        f"F1 {name}": float(np.mean(per_class[(counts >= low) & (counts <= high)]))
        for name, low, high in BINS
        if ((counts >= low) & (counts <= high)).any()
    }


def run(seeds: tuple[int, ...], methods: tuple[str, ...]) -> list[dict[str, Any]]:
    embedder = cached_embedder()
    rows = []
    for profile in PROFILES:
        full_train, test = read_split(profile, "train"), read_split(profile, "test")
        for seed in seeds:
            train = subset(full_train, long_tail_rows(full_train.labels, profile, seed))
            for method in methods:
                started = time.perf_counter()
                predicted, chosen = _runner(method)(train, test, embedder, profile.label)
                seconds = time.perf_counter() - started
                truth = test.labels.astype(str)
                row = {
                    "data set": profile.dataset,
                    "label": profile.label,
                    "seed": seed,
                    "method": TITLES.get(method, f"ticketlens: {method}"),
                    "train rows": len(train.texts),
                    "classes": len(set(train.labels.tolist())),
                    "macro-F1": float(f1_score(truth, predicted.astype(str), average="macro")),
                    "accuracy": float(accuracy_score(truth, predicted.astype(str))),
                    **_bins(train, test, predicted),
                    **chosen,
                    "train s (cached embeddings)": seconds,
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    return rows


def summary(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Mean over the seeds of each (data set, method)."""
    frame = pd.DataFrame(rows)
    numeric = [
        c
        for c in frame.columns
        if c.startswith(("macro", "accuracy", "F1", "CV", "centroid", "train s"))
    ]
    table = frame.groupby(["data set", "method"], sort=False)[numeric].mean().reset_index()
    seeds = frame.groupby(["data set", "method"], sort=False)["seed"].nunique().to_numpy()
    table.insert(2, "seeds", seeds)
    return table


def profile_line(profile: Profile) -> str:
    return (
        f"`{profile.dataset}` `{profile.label}`: class at rank r gets "
        f"clip(round({profile.head} / r^{profile.exponent}), {profile.floor}, available)"
    )


def report(rows: list[dict[str, Any]], command: str, notes: str = "") -> str:
    table = summary(rows).round(3)
    stamp = rows[0].get("measured", ""), rows[0].get("load avg", "")
    lines = [
        f"Measured {stamp[0]}, load average {stamp[1]} (2 shared cores), `{command}`.",
        "Training splits subsampled to a Zipf-like profile (classes shuffled per seed), tested on",
        "the whole balanced test split; F1 per bin is the mean per-class F1 of the classes with",
        "that many training tickets. Seconds exclude the embedding pass (cached).",
        "",
        *(f"- {profile_line(p)}" for p in PROFILES),
        "",
        table.to_markdown(index=False),
        *(["", notes] if notes else []),
    ]
    return "\n".join(lines)


def stamp(rows: list[dict[str, Any]], command: str) -> list[dict[str, Any]]:
    extra = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load avg": round(os.getloadavg()[0], 1),
        "command": command,
    }
    return [row | extra for row in rows]


def publish(rows: list[dict[str, Any]], command: str, notes: str = "") -> None:
    """Store the rows under "long_tail" in docs/accuracy-results.json and rewrite the section."""
    stamped = stamp(rows, command)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[RESULTS_KEY] = stamped
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    write_section("long-tail", report(stamped, command, notes), heading="## Long-tailed taxonomies")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--write", action="store_true", help="store the rows and rewrite docs")
    args = parser.parse_args(argv)
    seeds = tuple(int(s) for s in args.seeds.split(","))
    rows = run(seeds, tuple(args.methods.split(",")))
    print(summary(rows).round(3).to_string(index=False))
    if args.write:
        publish(rows, shlex.join(["python", "-m", "bench.long_tail", *(argv or sys.argv[1:])]))


if __name__ == "__main__":
    main()
