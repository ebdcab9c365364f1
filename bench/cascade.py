"""Cascade section of the accuracy benchmark: fast alone, accurate alone and the cascade.

For each data set of the harness (`bench/accuracy.py` CASES: its label fields, nlbse24 also by
the competition's cross-repo F1), `train_cascade` fits the fast and the accurate model on the
train split and chooses the threshold (default loss budget) on their out-of-fold predictions;
all three are scored on the test split, with the share the out-of-fold choice expected to send
to the transformer and the share it sent. Transformer vectors come from the shared cache
(bench/out/embeddings.sqlite), so a rerun only fits.

Throughput: a sample of each data set's test tickets cut to their first 100 words (as the
harness's speed section cuts nlbse24 issues; banking77 and bitext messages are shorter than
that), labeled chunk by chunk as `ticketlens label` does, by the accurate bundle and by the
cascade, both loaded as `label` loads them with the real, uncached transformer, in one process.

    python bench/accuracy.py --cascade                          # everything; writes docs
    python -m bench.cascade --only nlbse24 --limit 300 --no-write   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

if not __package__:  # run as `python bench/cascade.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.accuracy import CASES, DATASETS, GROUP_COLUMNS, RESULTS
from bench.accuracy_methods import CHUNK
from bench.accuracy_speed import SPEED_ROWS, WORDS
from bench.cascade_report import report
from bench.docs_section import write_section
from bench.long_tail_data import cached_embedder
from classifier.bundle.store import Bundle
from classifier.cascade import CascadeClassifier
from classifier.embedders.base import DEFAULT_MODEL, Embedder
from classifier.embedders.cache import CachedEmbedder
from classifier.loading import Model, load_model
from classifier.records import Prediction, Ticket
from classifier.text import prepare_text
from training.cli.common import cache_dir_for
from training.evaluation.grouped import cross_group_f1
from training.fit.cascade import CascadeResult, train_cascade
from training.fit.distill import distilled_embedder
from training.fit.train import TrainConfig
from training.io.export import read_tickets
from training.labeling.core import prediction_frame

RESULTS_KEY = "cascade"
SEED = 0


def _read(dataset: str, split: str, limit: int | None) -> tuple[list[Ticket], list[str] | None]:
    """The split's tickets with text (a seeded random `limit` of them), and each one's group
    (nlbse24: its repository) where the data set has a group column."""
    group = GROUP_COLUMNS.get(dataset)
    columns = CASES[dataset] + ([group] if group else [])
    tickets, _ = read_tickets(DATASETS / dataset / f"{split}.csv", columns)
    tickets = [t for t in tickets if prepare_text(t).text]
    if limit is not None and limit < len(tickets):
        rows = np.sort(np.random.default_rng(SEED).choice(len(tickets), limit, replace=False))
        tickets = [tickets[i] for i in rows]
    groups = None if group is None else [t.labels[group] for t in tickets]
    if group is not None:
        tickets = [
            t.model_copy(update={"labels": {k: v for k, v in t.labels.items() if k != group}})
            for t in tickets
        ]
    return tickets, groups


def _scores(
    truth: Sequence[str], predicted: Sequence[str], groups: Sequence[str] | None
) -> dict[str, float | None]:
    return {
        "macro-F1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(truth, predicted)),
        "cross-repo F1": None if groups is None else cross_group_f1(truth, predicted, groups).mean,
    }


def _labels(predictions: Sequence[Prediction], field: str) -> list[str]:
    return [p.fields[field].label or "" for p in predictions]


def accuracy_rows(
    dataset: str,
    result: CascadeResult,
    test: list[Ticket],
    groups: list[str] | None,
    train_rows: int,
    train_s: float,
) -> list[dict[str, Any]]:
    """One row per label field: each model alone and the cascade on the test split."""
    fast = result.fast.predict(test)
    accurate = result.accurate.predict(test)
    cascade = CascadeClassifier(
        result.fast.classifier_, result.accurate.classifier_, result.choice.threshold
    )
    routed = np.zeros(len(test), dtype=bool)
    routed[cascade.unsure(cascade.fast.scores(test))] = True
    rows = []
    for field in CASES[dataset]:
        truth = [t.labels[field] for t in test]
        answers = {"fast": _labels(fast, field), "accurate": _labels(accurate, field)}
        answers["cascade"] = np.where(routed, answers["accurate"], answers["fast"]).tolist()
        row: dict[str, Any] = {
            "data set": dataset,
            "label": field,
            "train rows": train_rows,
            "test rows": len(test),
        }
        for name, predicted in answers.items():
            for metric, value in _scores(truth, predicted, groups).items():
                if value is not None:
                    row[f"{name} {metric}"] = value
        row |= {
            "cascade − accurate, macro-F1": row["cascade macro-F1"] - row["accurate macro-F1"],
            "threshold": result.choice.threshold,
            "expected share to accurate (out-of-fold)": result.choice.accurate_share,
            "measured share to accurate (test)": float(routed.mean()),
            "train s (cached embeddings)": train_s,
        }
        rows.append(row)
    return rows


def speed_tickets(test: Sequence[Ticket], rows: int) -> list[Ticket]:
    """A seeded sample of `rows` test tickets, each cut to its first WORDS words."""
    picked = np.random.default_rng(SEED).permutation(len(test))[:rows]
    return [
        Ticket(id=test[i].id, body=" ".join(prepare_text(test[i]).text.split()[:WORDS]))
        for i in sorted(picked.tolist())
    ]


def _rate(model: Model, tickets: list[Ticket]) -> float:
    """Tickets/s through the label path's per-chunk body (`prediction_frame`)."""
    prediction_frame(model, tickets[:CHUNK], pd.RangeIndex(len(tickets[:CHUNK])))  # warm up
    started = time.perf_counter()
    for i in range(0, len(tickets), CHUNK):
        chunk = tickets[i : i + CHUNK]
        prediction_frame(model, chunk, pd.RangeIndex(len(chunk)))
    return len(tickets) / (time.perf_counter() - started)


def speed_row(
    dataset: str, result: CascadeResult, tickets: list[Ticket], static: Embedder, raw: Embedder
) -> dict[str, Any]:
    """Accurate bundle vs cascade, each loaded as `label` loads it, on the same tickets."""

    def embedder(bundle: Bundle) -> Embedder:
        return static if bundle.manifest.mode == "fast" else raw

    accurate = load_model(result.accurate_path, embedder_factory=embedder)
    cascade = load_model(result.cascade_path, embedder_factory=embedder)
    assert isinstance(cascade, CascadeClassifier)
    load_before = os.getloadavg()[0]
    accurate_rate = _rate(accurate, tickets)
    cascade_rate = _rate(cascade, tickets)
    routed = cascade.unsure(cascade.fast.scores(tickets))
    return {
        "data set": dataset,
        "tickets": len(tickets),
        "mean words": float(np.mean([len(t.body.split()) for t in tickets])),
        "accurate tickets/s": accurate_rate,
        "cascade tickets/s": cascade_rate,
        "cascade / accurate": cascade_rate / accurate_rate,
        "share to accurate (these tickets)": len(routed) / len(tickets),
        "load avg before": round(load_before, 1),
        "load avg after": round(os.getloadavg()[0], 1),
    }


def run_dataset(
    dataset: str,
    static: Embedder,
    embedder: CachedEmbedder,
    work: Path,
    limit: int | None,
    speed_rows: int,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Fit the cascade on the train split (transformer vectors through `embedder`'s cache),
    score it on the test split and time it against the accurate bundle (uncached)."""
    train, _ = _read(dataset, "train", limit)
    test, groups = _read(dataset, "test", limit)
    config = TrainConfig(fields=tuple(CASES[dataset]), name=dataset, make_current=False)
    started = time.perf_counter()  # fill the cache first, so train s is the fitting alone
    embedder.encode(
        [prepare_text(t, config.max_chars, config.text_structure).text for t in train + test]
    )
    embed_s = time.perf_counter() - started
    started = time.perf_counter()
    result = train_cascade(
        train, static, embedder, config, models_dir=work / dataset, source=dataset
    )
    train_s = time.perf_counter() - started
    rows = [
        row | {"embed s (texts not yet cached)": embed_s}
        for row in accuracy_rows(dataset, result, test, groups, len(train), train_s)
    ]
    for row in rows:
        print(json.dumps(row), flush=True)
    speed = speed_row(dataset, result, speed_tickets(test, speed_rows), static, embedder.embedder)
    print(json.dumps(speed), flush=True)
    return rows, speed


def _datasets(only: str | None) -> list[str]:
    """The harness's data sets named in `only` (a name or its first word: `bitext`)."""
    if only is None:
        return list(CASES)
    picked = []
    for name in only.split(","):
        hits = [d for d in CASES if d == name or d.split("_")[0] == name]
        if not hits:
            raise SystemExit(f"--only: no data set {name!r}; choose from {', '.join(CASES)}")
        picked += hits
    return picked


def _stamp(rows: list[dict[str, Any]], command: str) -> list[dict[str, Any]]:
    extra = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load avg": round(os.getloadavg()[0], 1),
        "command": command,
    }
    return [row | extra for row in rows]


def publish(accuracy: list[dict[str, Any]], speed: list[dict[str, Any]], command: str) -> None:
    """Store the rows under "cascade" in docs/accuracy-results.json and rewrite the section;
    data sets not run keep their stored rows."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    stored = results.get(RESULTS_KEY, {})
    ran = {row["data set"] for row in speed}
    order = list(CASES)

    def kept(part: str, fresh: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows = [r for r in stored.get(part, []) if r["data set"] not in ran] + fresh
        return sorted(rows, key=lambda r: order.index(r["data set"]))  # stable: labels keep order

    merged = {
        "accuracy": kept("accuracy", _stamp(accuracy, command)),
        "speed": kept("speed", _stamp(speed, command)),
    }
    results[RESULTS_KEY] = merged
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    write_section(
        "cascade",
        report(merged["accuracy"], merged["speed"]),
        heading="### Cascade: accuracy and throughput (issue #18)",
        after="<!-- accuracy-round-2:end -->",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated data sets, e.g. banking77,bitext,nlbse24")
    parser.add_argument("--limit", type=int, help="a seeded random N of each split (a quick look)")
    parser.add_argument(
        "--speed-rows", type=int, default=SPEED_ROWS, help="test tickets timed per data set"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; store nothing")
    args = parser.parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", "bench/accuracy.py", "--cascade", *given])
    static = distilled_embedder(DEFAULT_MODEL, cache_dir_for(None))
    embedder = cached_embedder()
    accuracy: list[dict[str, Any]] = []
    speed: list[dict[str, Any]] = []
    rows = min(args.speed_rows, args.limit or args.speed_rows)
    with tempfile.TemporaryDirectory(prefix="ticketlens-cascade-") as work:
        for dataset in _datasets(args.only):
            found, timed = run_dataset(dataset, static, embedder, Path(work), args.limit, rows)
            accuracy += found
            speed.append(timed)
    print(report(_stamp(accuracy, command), _stamp(speed, command)))
    if not args.no_write:
        publish(accuracy, speed, command)


if __name__ == "__main__":
    main()
