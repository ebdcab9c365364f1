"""Accuracy and speed benchmark: ticketlens' modes against the baselines users will try first.

On each data set in ../shared/datasets it runs, side by side: (a) TF-IDF word + character
n-grams with LinearSVC, (b) frozen all-MiniLM-L6-v2 embeddings + LogisticRegression, (c) the
default (accurate) pipeline and (d) the fast mode. Each method runs in its own process (its peak
memory is its own). The transformer embeds every text once per data set, uncached and timed; that
time is added to the training and labeling time of (b) and (c), which is what they would spend
live. A speed section times, on ~100-word tickets, the model's raw encode, the accurate pipeline
and the fast pipeline. Rows go to docs/accuracy-results.json and the tables to docs/benchmarks.md.

    python bench/accuracy.py                     # everything (~30-40 min on 2 cores)
    python bench/accuracy.py --only banking77    # one data set (the speed section is kept)
    python bench/accuracy.py --quick 400         # smoke run on a slice; writes nothing
    python bench/accuracy.py --skip-speed        # data sets only; --speed-only: the speed part
    python bench/accuracy.py --long-tail         # the long-tailed section only (bench/long_tail.py)
    python bench/accuracy.py --cascade [--only banking77,bitext,nlbse24] [--limit N] [--no-write]
                                                 # the cascade section only (bench/cascade.py)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if not __package__:  # run as `python bench/accuracy.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.accuracy_report import write_report
from bench.accuracy_speed import speed_section
from classifier.embedders.base import DEFAULT_MODEL
from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
from classifier.embedders.transformer import SentenceTransformerEmbedder
from classifier.text import prepare_text
from training.cli.common import cache_dir_for
from training.fit.distill import distilled_embedder
from training.io.export import read_tickets

ROOT = Path(__file__).parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
RESULTS = ROOT / "docs" / "accuracy-results.json"
CASES = {
    "banking77": ["intent"],
    "bitext_customer_support_20k": ["category", "intent"],
    "nlbse24_issue_reports": ["issue_type"],
}
METHODS = {
    "tfidf_svm": "(a) TF-IDF word+char + LinearSVC",
    "embedding_lr": "(b) frozen MiniLM + LogisticRegression",
    "accurate": "(c) ticketlens default (accurate)",
    "fast": "(d) ticketlens --mode fast",
}
USES_TRANSFORMER = {"embedding_lr", "accurate"}
# Scored also as the NLBSE'24 competition does: macro-F1 within each repository, then the mean.
GROUP_COLUMNS = {"nlbse24_issue_reports": "repo"}


def _split(dataset: str, split: str, labels: list[str], quick: int | None) -> dict[str, Any]:
    tickets, _ = read_tickets(DATASETS / dataset / f"{split}.csv", labels)
    prepared = [(t, prepare_text(t).text) for t in tickets]
    kept = [(t, text) for t, text in prepared if text][:quick]
    return {
        "raw": [[t.subject, t.body] for t, _ in kept],
        "texts": [text for _, text in kept],
        "labels": {name: [t.labels[name] for t, _ in kept] for name in labels},
        "groups": _groups(dataset, split, [t.id for t, _ in kept]),
    }


def _groups(dataset: str, split: str, ids: list[str]) -> list[str] | None:
    """Each kept row's value of the data set's group column (nlbse24: `repo`), if it has one."""
    column = GROUP_COLUMNS.get(dataset)
    if column is None:
        return None
    values = pd.read_csv(DATASETS / dataset / f"{split}.csv", usecols=[column])[column]
    # read_tickets names a row without an id column `row-N`, N counted from 1.
    return [str(values.iloc[int(i.removeprefix("row-")) - 1]) for i in ids]


def _timed_encode(embedder: Any, texts: list[str]) -> tuple[Any, float]:
    started = time.perf_counter()
    vectors = embedder.encode(texts)
    return vectors, time.perf_counter() - started


def _run_method(method: str, data_file: Path, static_dir: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.accuracy_methods", method, str(data_file), str(static_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    if done.returncode != 0:
        raise SystemExit(f"{method} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_dataset(
    dataset: str,
    embedder: Any,
    static_dir: Path,
    work: Path,
    quick: int | None,
) -> list[dict[str, Any]]:
    labels = CASES[dataset]
    train, test = (_split(dataset, s, labels, quick) for s in ("train", "test"))
    train_vectors, embed_train_s = _timed_encode(embedder, train["texts"])
    test_vectors, embed_test_s = _timed_encode(embedder, test["texts"])
    np.savez(work / f"{dataset}.npz", train=train_vectors, test=test_vectors)
    rows = []
    for label in labels:
        data_file = work / f"{dataset}.json"
        data_file.write_text(
            json.dumps(
                {
                    "train_raw": train["raw"],
                    "test_raw": test["raw"],
                    "train_texts": train["texts"],
                    "test_texts": test["texts"],
                    "train_labels": train["labels"][label],
                    "test_labels": test["labels"][label],
                    "test_groups": test["groups"],
                }
            )
        )
        for method, title in METHODS.items():
            result = _run_method(method, data_file, static_dir)
            embed = method in USES_TRANSFORMER
            train_s = result["fit s"] + (embed_train_s if embed else 0.0)
            label_s = result["label s"] + (embed_test_s if embed else 0.0)
            row = {
                "data set": dataset,
                "label": label,
                "method": title,
                "train rows": len(train["texts"]),
                "test rows": len(test["texts"]),
                "accuracy": result["accuracy"],
                "macro-F1": result["macro-F1"],
                "cross-repo F1": result.get("cross-repo F1"),
                "train s": train_s,
                "label tickets/s": len(test["texts"]) / label_s,
                "peak MiB": result["peak MiB"],
            }
            rows.append(row)
            print(pd.DataFrame([row]).to_string(index=False, header=False), flush=True)
    return rows


def _stamp(rows: list[dict[str, Any]], command: str) -> list[dict[str, Any]]:
    stamp = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load avg": round(os.getloadavg()[0], 1),
        "command": command,
    }
    return [row | stamp for row in rows]


def _merge(fresh: list[dict[str, Any]], key: list[str]) -> list[dict[str, Any]]:
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    old = stored.get("accuracy", [])
    done = {tuple(r[k] for k in key) for r in fresh}
    return [r for r in old if tuple(r[k] for k in key) not in done] + fresh


def main() -> None:
    if "--cascade" in sys.argv[1:]:  # its own options (`python -m bench.cascade --help`)
        from bench import cascade

        cascade.main([a for a in sys.argv[1:] if a != "--cascade"])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(CASES), help="run one data set")
    parser.add_argument("--quick", type=int, help="first N rows of each split; writes nothing")
    parser.add_argument("--skip-speed", action="store_true", help="keep the stored speed rows")
    parser.add_argument(
        "--speed-only", action="store_true", help="run the speed section only; keep the data sets"
    )
    parser.add_argument("--table-only", action="store_true", help="rewrite docs from stored rows")
    parser.add_argument(
        "--long-tail", action="store_true", help="run the long-tailed section (bench/long_tail.py)"
    )
    parser.add_argument(
        "--cascade",
        action="store_true",
        help="run the cascade section (bench/cascade.py; its options: python -m bench.cascade -h)",
    )
    parser.add_argument(
        "--cached-embeddings",
        type=Path,
        help="read/write transformer vectors in this SQLite cache (bench/out/embeddings.sqlite): "
        "same scores, but train s and tickets/s of (b) and (c) then omit the embedding",
    )
    args = parser.parse_args()
    if args.long_tail:
        from bench import long_tail

        long_tail.main(["--write"])
        return
    if args.table_only:
        write_report(json.loads(RESULTS.read_text()))
        return
    command = shlex.join(["python", "bench/accuracy.py", *sys.argv[1:]])
    started = time.perf_counter()
    static = distilled_embedder(DEFAULT_MODEL, cache_dir_for(None))
    distill_s = time.perf_counter() - started
    raw = SentenceTransformerEmbedder()
    embedder: Any = raw
    if args.cached_embeddings is not None:
        embedder = CachedEmbedder(raw, EmbeddingCache(args.cached_embeddings))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ticketlens-accuracy-") as work:
        datasets = [] if args.speed_only else [args.only] if args.only else list(CASES)
        for dataset in datasets:
            rows += run_dataset(dataset, embedder, static.folder, Path(work), args.quick)
        speed = None if args.skip_speed else speed_section(raw, static, DATASETS, args.quick)
    if args.quick:
        print(json.dumps({"speed": speed, "distill s": distill_s}, indent=1))
        return
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["accuracy"] = _merge(_stamp(rows, command), ["data set", "label", "method"])
    if speed is not None:
        results["speed"] = _stamp([speed | {"static model s": distill_s}], command)[0]
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    write_report(results)
    print(pd.DataFrame(results["accuracy"]).to_string(index=False))


if __name__ == "__main__":
    main()
