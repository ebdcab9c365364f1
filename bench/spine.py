"""Spine benchmark: `ticketlens train` then `ticketlens label` on real data sets.

For each data set it runs the CLI as a user would (fresh embedding cache, so training time includes
embedding every ticket), scores the labeled test export with scikit-learn, and fits the reference
baseline in the same run: frozen embeddings of the same prepared texts + LogisticRegression with
scikit-learn's defaults, on plain single-window embeddings (what `SentenceTransformer.encode`
gives). Each case's row is kept in docs/spine-results.json with the time, load and command of
the run that measured it, and the table in docs/benchmarks.md is rebuilt from all rows.

    python bench/spine.py                      # banking77 + nlbse24 at 256 tokens, nlbse24 at 128
    python bench/spine.py --only banking77
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

if not __package__:  # run as `python bench/spine.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.docs_section import write_section
from classifier.embedders.base import DEFAULT_MAX_WINDOWS
from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
from classifier.embedders.transformer import SentenceTransformerEmbedder
from classifier.text import prepare_text
from training.io.export import read_tickets

ROOT = Path(__file__).parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
RESULTS = ROOT / "docs" / "spine-results.json"


@dataclass(frozen=True)
class Case:
    dataset: str
    label: str
    max_tokens: int


CASES = [
    Case("banking77", "intent", 256),
    Case("nlbse24_issue_reports", "issue_type", 256),
    Case("nlbse24_issue_reports", "issue_type", 128),
]


def _ticketlens(*args: str | Path, cache: Path) -> float:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TICKETLENS_CACHE_DIR": str(cache)}
    command = [sys.executable, "-c", "from training.cli import main; main()", *map(str, args)]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ticketlens {args[0]} failed:\n{done.stderr}")
    return elapsed


def _baseline(case: Case, cache: Path) -> tuple[float, float]:
    """Frozen embeddings (read back from the run's cache) + LogisticRegression defaults."""
    embedder = CachedEmbedder(
        SentenceTransformerEmbedder(max_tokens=case.max_tokens, max_windows=1),
        EmbeddingCache(cache / "embeddings.sqlite"),
    )
    splits = {}
    for split in ("train", "test"):
        tickets, _ = read_tickets(DATASETS / case.dataset / f"{split}.csv", [case.label])
        texts = [prepare_text(t).text for t in tickets]
        keep = [i for i, text in enumerate(texts) if text]
        labels = np.asarray([tickets[i].labels[case.label] for i in keep])
        splits[split] = (embedder.encode([texts[i] for i in keep]), labels)
    model = LogisticRegression(max_iter=2000).fit(*splits["train"])
    predicted = model.predict(splits["test"][0])
    truth = splits["test"][1]
    return accuracy_score(truth, predicted), f1_score(truth, predicted, average="macro")


def run_case(case: Case, work: Path) -> dict[str, object]:
    cache = work / f"cache-{case.dataset}-{case.max_tokens}"
    name = f"{case.dataset}-{case.max_tokens}"
    source = DATASETS / case.dataset
    train_s = _ticketlens(
        "train",
        source / "train.csv",
        "--label",
        case.label,
        "--max-tokens",
        case.max_tokens,
        "--models-dir",
        work / "models",
        "--name",
        name,
        "--no-current",
        cache=cache,
    )
    output = work / f"{name}-labeled.csv"
    label_s = _ticketlens(
        "label", source / "test.csv", "--model", work / "models" / name, "-o", output, cache=cache
    )
    labeled = pd.read_csv(output, dtype=str, keep_default_na=False)
    truth, predicted = labeled[case.label], labeled[f"predicted_{case.label}"]
    base_acc, base_f1 = _baseline(case, cache)
    train_rows = sum(1 for _ in pd.read_csv(source / "train.csv", dtype=str, usecols=[0]).index)
    return {
        "data set": case.dataset,
        "label": case.label,
        "window": case.max_tokens,
        "windows": DEFAULT_MAX_WINDOWS,
        "features": "hybrid",
        "train rows": train_rows,
        "test rows": len(labeled),
        "accuracy": accuracy_score(truth, predicted),
        "macro-F1": f1_score(truth, predicted, average="macro"),
        "baseline accuracy": base_acc,
        "baseline macro-F1": base_f1,
        "train s": train_s,
        "label s": label_s,
        "label tickets/s": len(labeled) / label_s,
    }


def _merge_results(rows: list[dict[str, object]], command: str) -> pd.DataFrame:
    """Replace the stored rows of the cases just run; keep the others as measured before."""
    stamp = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load avg": round(os.getloadavg()[0], 1),
        "command": command,
    }
    fresh = pd.DataFrame([row | stamp for row in rows])
    key = ["data set", "window", "windows", "features"]
    if RESULTS.exists():
        stored = pd.read_json(RESULTS, orient="records")
        kept = stored[~stored.set_index(key).index.isin(fresh.set_index(key).index)]
        fresh = pd.concat([kept, fresh], ignore_index=True)
    fresh = fresh.sort_values(key, ascending=[True, False, True, False], ignore_index=True)
    RESULTS.write_text(fresh.to_json(orient="records", indent=1) + "\n")
    return fresh


def _write_report(table: pd.DataFrame) -> None:
    scores = ("accuracy", "macro-F1", "baseline accuracy", "baseline macro-F1")
    floats = dict.fromkeys(scores, "{:.3f}")
    floats |= {"train s": "{:.0f}", "label s": "{:.0f}", "label tickets/s": "{:.1f}"}
    shown = table.copy()
    for column, fmt in floats.items():
        shown[column] = shown[column].map(fmt.format)
    section = "\n".join(
        [
            f"{platform.machine()}, {os.cpu_count()} CPU cores, Python "
            f"{platform.python_version()}. `load avg` is the 1-minute load average when the row "
            "was measured: above 2, other jobs shared the two cores and the times are inflated.",
            "",
            shown.to_markdown(index=False),
        ]
    )
    write_section("spine", section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only the cases of this data set")
    parser.add_argument("--window", type=int, help="run only the cases of this window")
    parser.add_argument(
        "--table-only", action="store_true", help="rebuild the table from the stored rows"
    )
    args = parser.parse_args()
    if args.table_only:
        _write_report(pd.read_json(RESULTS, orient="records"))
        return
    cases = [
        c for c in CASES if args.only in (None, c.dataset) and args.window in (None, c.max_tokens)
    ]
    with tempfile.TemporaryDirectory(prefix="ticketlens-bench-") as work:
        rows = []
        for case in cases:
            rows.append(run_case(case, Path(work)))
            print(pd.DataFrame(rows).tail(1).to_string(index=False), flush=True)
    command = "python bench/spine.py" + (f" --only {args.only}" if args.only else "")
    command += f" --window {args.window}" if args.window else ""
    table = _merge_results(rows, command)
    _write_report(table)
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
