"""Does `drift` respect sample size? False flags on pure resamples, and a planted move's recall.

Eleven categories with a helpdesk-like long tail (the issue's export had 11). For each window
size, `--runs` exports of 9 weekly windows are drawn from the reference shares themselves (pure
sampling noise), judged by `training.evaluation.drift.field_drift` against (a) the fixed shares
(a bundle's training shares) and (b) a reference export of 2,000 tickets drawn from the same
shares; the figure is the share of (category, window) cells flagged. Then, at 300 tickets a
week, one category is moved +8 pp (the others scaled down) in the last 4 of 9 windows, or in a
single window: recall is the share of planted (category, window) cells flagged.

    python bench/drift_noise.py             # prints the table
    python bench/drift_noise.py --runs 200  # tighter figures
"""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from training.analytics import frame_from_table
from training.evaluation.drift import field_drift

SHARES = np.array([0.22, 0.16, 0.13, 0.11, 0.09, 0.08, 0.06, 0.05, 0.04, 0.03, 0.03])
LABELS = [f"C{i:02d}" for i in range(len(SHARES))]
START = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday
WEEKS = 9


def _export(rng: np.random.Generator, size: int, shares: list[np.ndarray]) -> pd.DataFrame:
    rows = []
    for week, p in enumerate(shares):
        labels = rng.choice(LABELS, size=size, p=p / p.sum())
        step = 10070 / size  # minutes: the tickets fill the whole week
        for i, label in enumerate(labels):
            when = START + timedelta(weeks=week, minutes=int(i * step))
            rows.append((f"T{len(rows)}", when.isoformat(), label))
    return pd.DataFrame(rows, columns=["ticket_id", "created_at", "predicted_category"])


def _flags(table: pd.DataFrame, reference: pd.Series, reference_n: int | None) -> np.ndarray:
    drift = field_drift(
        frame_from_table(table, source="bench"),
        "category",
        reference,
        reference_name="bench",
        reference_n=reference_n,
    )
    flagged = np.zeros((len(drift.windows), len(LABELS)), dtype=bool)
    for w, window in enumerate(drift.windows):
        for shift in window.vs_reference.flagged:
            flagged[w, LABELS.index(shift.label)] = True
    return flagged


def _moved(target: int, pp: float) -> np.ndarray:
    p = SHARES.copy()
    rest = 1 - p[target]
    p = p * (rest - pp / 100) / rest
    p[target] = SHARES[target] + pp / 100
    return p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    fixed = pd.Series(SHARES * 100, index=LABELS)
    print(f"command: python bench/drift_noise.py {shlex.join(sys.argv[1:])}".rstrip())
    print("| window size | reference | cells | flagged | flagged % | runs with any flag |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for size in (75, 300, 1000):
        for name in ("fixed shares", "export of 2,000"):
            cells = flagged = runs_flagged = 0
            for _ in range(args.runs):
                if name == "fixed shares":
                    reference, reference_n = fixed, None
                else:
                    counts = rng.multinomial(2000, SHARES)
                    reference, reference_n = pd.Series(counts / 20.0, index=LABELS), 2000
                marks = _flags(_export(rng, size, [SHARES] * WEEKS), reference, reference_n)
                cells += marks.size
                flagged += int(marks.sum())
                runs_flagged += bool(marks.any())
            print(
                f"| {size} | {name} | {cells} | {flagged} | {100 * flagged / cells:.2f} | "
                f"{runs_flagged}/{args.runs} |"
            )
    print()
    print("| planted +8 pp at 300/week | category (share) | planted cells | found | recall |")
    print("| --- | --- | ---: | ---: | ---: |")
    for target in (0, 3):
        for span in ("last 4 of 9 weeks", "one week"):
            planted = list(range(5, 9)) if span.startswith("last") else [6]
            found = total = 0
            for _ in range(args.runs):
                shares = [_moved(target, 8) if w in planted else SHARES for w in range(WEEKS)]
                marks = _flags(_export(rng, 300, shares), fixed, None)
                found += int(marks[planted, target].sum())
                total += len(planted)
            print(
                f"| {span} | {LABELS[target]} ({100 * SHARES[target]:.0f} %) | {total} | "
                f"{found} | {100 * found / total:.0f} % |"
            )


if __name__ == "__main__":
    main()
