# ruff: noqa: E501  (table-rendering strings)
"""Cold start, issue #13's remaining benchmarks: active vs random selection, the new-category
test and the 20,000-ticket cost of `discover` and `suggest`.

    .venv/bin/python bench/coldstart.py --only active,newcat,cost

Writes the "coldstart-extra" subsection of docs/benchmarks.md (after the "Cold start" section)
and bench/out/coldstart_extra.json; a partial `--only` keeps the other parts' last figures.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import coldstart_newcat as newcat  # bench/ is on sys.path (bench/coldstart.py puts it there)
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from classifier.records import Ticket
from training.coldstart.discover import candidate_clusters, discover
from training.coldstart.model import ColdStartConfig, fit_field_detail
from training.coldstart.novelty import Reference, novelty
from training.coldstart.prototypes import description_prototypes
from training.coldstart.select import select
from training.io.taxonomy import Taxonomy


def _learner(X: np.ndarray, y: np.ndarray) -> LogisticRegression:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LogisticRegression(C=10.0, max_iter=300).fit(X, y)


def _f1(model: LogisticRegression, X: np.ndarray, y: np.ndarray) -> float:
    return float(f1_score(y, model.predict(X), average="macro", zero_division=0))


def _curve(
    pool: np.ndarray,
    pool_y: np.ndarray,
    test: np.ndarray,
    test_y: np.ndarray,
    target: float,
    step: int,
    cap: int,
    pick: Callable[[list[int], LogisticRegression | None], list[int]],
) -> tuple[int | None, list[tuple[int, float]]]:
    """Label `step` more rows a round (`pick` chooses them) until macro-F1 reaches `target`."""
    labeled: list[int] = []
    model: LogisticRegression | None = None
    curve = []
    while len(labeled) < cap:
        labeled += pick(labeled, model)[:step]
        if len(set(pool_y[labeled])) < 2:
            continue
        model = _learner(pool[labeled], pool_y[labeled])
        score = _f1(model, test, test_y)
        curve.append((len(labeled), score))
        if score >= target:
            return len(labeled), curve
    return None, curve


def active_vs_random(
    name: str,
    pool: np.ndarray,
    pool_y: np.ndarray,
    test: np.ndarray,
    test_y: np.ndarray,
    *,
    step: int,
    cap: int,
    seeds: int,
) -> dict[str, object]:
    started = time.perf_counter()
    full = _f1(_learner(pool, pool_y), test, test_y)
    target = 0.95 * full

    def active(labeled: list[int], model: LogisticRegression | None) -> list[int]:
        if model is None:
            return [p.row for p in select(pool, step, exclude=labeled)]
        proba = model.predict_proba(pool)
        uncertain = proba.max(axis=1) < ColdStartConfig().threshold
        uncertain[labeled] = False
        picks = select(
            pool,
            step,
            proba={"f": proba},
            uncertain=uncertain if uncertain.any() else None,
            exclude=labeled,
        )
        return [p.row for p in picks]

    active_n, active_curve = _curve(pool, pool_y, test, test_y, target, step, cap, active)
    randoms = []
    for seed in range(seeds):
        order = np.random.default_rng(seed).permutation(len(pool))

        def rand(labeled: list[int], _m: object, order: np.ndarray = order) -> list[int]:
            return order[len(labeled) : len(labeled) + step].tolist()

        randoms.append(_curve(pool, pool_y, test, test_y, target, step, cap, rand)[0])
    reached = [r for r in randoms if r is not None]
    random_n = float(np.mean(reached)) if len(reached) == len(randoms) else None
    return {
        "set": name,
        "pool": len(pool),
        "full_f1": full,
        "target": target,
        "step": step,
        "cap": cap,
        "active": active_n,
        "random": randoms,
        "random_mean": random_n,
        "ratio": (active_n / random_n) if active_n and random_n else None,
        "active_curve": active_curve,
        "seconds": time.perf_counter() - started,
    }


def cost(
    tickets: Sequence[Ticket],
    texts: list[str],
    vectors: np.ndarray,
    embedder: object,
    field: str,
    names: Taxonomy,
) -> dict[str, object]:
    """Seconds for `discover` (clusters + terms), `suggest` without a model (k-means
    representatives) and with a zero-shot model (its probabilities, then the picks), n = 200,
    and `discover --model`'s candidate search on that model's flagged tickets, embeddings
    cached (reading and embedding not counted)."""
    out: dict[str, object] = {"tickets": len(vectors)}
    t = time.perf_counter()
    found = discover(tickets, texts, vectors)
    out["discover_s"] = time.perf_counter() - t
    out["clusters"] = len(found.clusters)
    t = time.perf_counter()
    select(vectors, 200)
    out["suggest_no_model_s"] = time.perf_counter() - t
    labels, prototypes = description_prototypes(embedder, names, field, source="cost")  # type: ignore[arg-type]
    t = time.perf_counter()
    fitted = fit_field_detail(prototypes, labels, vectors, {}, ColdStartConfig())
    out["train_zero_shot_s"] = time.perf_counter() - t
    t = time.perf_counter()
    proba = fitted.head.predict_proba(vectors.astype(np.float32))
    uncertain = proba.max(axis=1) < ColdStartConfig().threshold
    select(vectors, 200, proba={field: proba}, uncertain=uncertain if uncertain.any() else None)
    out["suggest_model_s"] = time.perf_counter() - t
    record = fitted.prototypes
    assert record.novelty_floor is not None
    reference = Reference(labels, np.asarray(record.vectors), record.novelty_floor, "prototypes")
    flagged = novelty(vectors, uncertain, {field: reference}).candidates
    t = time.perf_counter()
    found_new = candidate_clusters(found, flagged, min_weeks=0)  # the set has no dates
    out["candidates_s"] = time.perf_counter() - t
    out["flagged"], out["candidates"] = int(flagged.sum()), len(found_new)
    return out


def render(result: dict[str, Any]) -> str:
    f = lambda x: "–" if x is None else f"{x:.3f}"  # noqa: E731
    runs = result.get("runs", {})

    def run_line(part: str) -> list[str]:
        r = runs.get(part)
        if not r:
            return []
        return [
            "",
            f"Run: `{r['command']}` ({r['seconds']:.0f} s{r.get('note', '')}; load before the run: `{r['uptime']}`; 2 shared cores).",
        ]

    parts = ["### Cold start: active vs random, new categories, cost (issue #13)"]
    if result.get("active"):
        parts += run_line("active")
        rows = result["active"]
        met = sum(1 for r in rows if r["ratio"] is not None and r["ratio"] <= 0.5)
        parts += [
            "",
            "**Active vs random selection.** Labels needed to reach 95 % of the full-data macro-F1 (learner fitted on every pool row), true labels as the oracle. "
            "Learner for both arms: LogisticRegression(C=10) on the frozen MiniLM embeddings (the same learner both arms; the cold-start head, which refits prototypes and pseudo-labels on the whole pool every round, was not used to keep the run short on 2 shared cores). "
            "*active*: `training.coldstart.select.select` as `ticketlens suggest` calls it — round 1 the k-means representatives (no model), then the most uncertain (smallest margin) of the tickets under the 0.5 threshold, spread by k-means; one run. "
            "*random*: uniform picks, one run per seed. Labels counted at the first round at or above the target (so to the round size); cap as shown, `–` = not reached.",
            "",
            "| set | pool | full F1 | target | round | active labels | random labels (seeds) | ratio | s |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            randoms = ", ".join("–" if x is None else str(x) for x in r["random"])
            parts.append(
                f"| {r['set']} | {r['pool']} | {f(r['full_f1'])} | {f(r['target'])} | {r['step']} (cap {r['cap']}) | {r['active'] or '–'} | {randoms} | {f(r['ratio'])} | {r['seconds']:.0f} |"
            )
        parts += [
            "",
            f"Target (active ≤ half of random's labels on ≥ 2 sets): **{'met' if met >= 2 else 'not met'}** ({met} of {len(rows)}).",
        ]
    if result.get("newcat"):
        parts += run_line("newcat")
        parts += newcat.render(
            result["newcat"], result.get("newcat_sample", []), result.get("newcat_tuned", "")
        )
    if result.get("cost"):
        c = result["cost"]
        parts += run_line("cost")
        parts += [
            "",
            f"**Cost** on {c['tickets']} tickets ({c['source']}), embeddings cached, reading and embedding not counted: "
            f"`discover` (PCA + HDBSCAN + c-TF-IDF terms, {c['clusters']} clusters) {c['discover_s']:.1f} s; "
            f"`suggest -n 200` without a model {c['suggest_no_model_s']:.1f} s, with a zero-shot model {c['suggest_model_s']:.1f} s "
            f"(probabilities + picks; training that model {c['train_zero_shot_s']:.1f} s)"
            + (
                f"; `discover --model`'s candidate search (`candidate_clusters`: leaf clusters of that model's {c['flagged']} flagged tickets, their neighbours, {c['candidates']} candidates) {c['candidates_s']:.1f} s."
                if "candidates_s" in c
                else "."
            ),
        ]
    return "\n".join(parts)


def merge(path: Path, update: dict[str, object]) -> dict[str, object]:
    """The last run's parts, overwritten by this run's."""
    old = json.loads(path.read_text()) if path.exists() else {}
    runs = {**old.get("runs", {}), **update.get("runs", {})}  # type: ignore[dict-item]
    old.update(update)
    old["runs"] = runs
    return old
