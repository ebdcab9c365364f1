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

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from classifier.records import Ticket
from training.coldstart.discover import CANDIDATE_SHARE, DiscoverConfig, cluster_vectors, discover
from training.coldstart.model import ColdStartConfig, fit_field_detail
from training.coldstart.novelty import Reference, novelty
from training.coldstart.prototypes import description_prototypes
from training.coldstart.select import select
from training.io.taxonomy import Taxonomy

PURITY = 0.6


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


def new_category(
    name: str,
    embedder: object,
    field: str,
    train: np.ndarray,
    train_y: np.ndarray,
    test: np.ndarray,
    test_y: np.ndarray,
    seed: int,
) -> dict[str, object]:
    """Hold 3 classes out of a zero-shot model (label names, train split unlabeled, without
    the held-out classes' tickets), flag the test split as `discover --model` does and count
    the held-out classes some candidate cluster holds at >= 60 % purity."""
    started = time.perf_counter()
    classes = sorted(set(train_y.tolist()))
    held = sorted(np.random.default_rng(seed).choice(classes, size=3, replace=False).tolist())
    known = [c for c in classes if c not in held]
    taxonomy = Taxonomy({field: {c: c.replace("_", " ").lower() for c in known}})
    labels, prototypes = description_prototypes(embedder, taxonomy, field, source=name)  # type: ignore[arg-type]
    config = ColdStartConfig()
    keep = ~np.isin(train_y, held)
    fitted = fit_field_detail(prototypes, labels, train[keep], {}, config)
    record = fitted.prototypes
    assert record.novelty_floor is not None
    reference = Reference(
        record.labels, np.asarray(record.vectors), record.novelty_floor, "prototypes"
    )
    proba = fitted.head.predict_proba(test.astype(np.float32))
    found = novelty(test, proba.max(axis=1) < config.threshold, {field: reference})
    flagged = found.candidates
    clusters = cluster_vectors(test, DiscoverConfig())

    def recovered(
        ids: np.ndarray, rows: np.ndarray, rule: Callable[[np.ndarray], bool]
    ) -> list[str]:
        hits = set()
        for c in set(ids.tolist()) - {-1}:
            members = rows[ids == c]
            if not rule(members):
                continue
            values, counts = np.unique(test_y[members], return_counts=True)
            top = int(np.argmax(counts))
            if values[top] in held and counts[top] >= PURITY * len(members):
                hits.add(str(values[top]))
        return sorted(hits)

    all_rows = np.arange(len(test))
    candidates = recovered(
        clusters, all_rows, lambda m: bool(flagged[m].sum() >= CANDIDATE_SHARE * len(m))
    )
    n_candidates = sum(
        1
        for c in set(clusters.tolist()) - {-1}
        if flagged[clusters == c].sum() >= CANDIDATE_SHARE * (clusters == c).sum()
    )
    flagged_rows = np.flatnonzero(flagged)
    alone = cluster_vectors(test[flagged_rows], DiscoverConfig())
    alone_hits = recovered(alone, flagged_rows, lambda m: True)
    is_held = np.isin(test_y, held)
    return {
        "set": name,
        "seed": seed,
        "held_out": held,
        "flagged_held": float(flagged[is_held].mean()),
        "flagged_known": float(flagged[~is_held].mean()),
        "candidate_clusters": n_candidates,
        "recovered": candidates,
        "recovered_flagged_only": alone_hits,
        "clusters_flagged_only": int(alone.max() + 1),
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
    embeddings cached (reading and embedding not counted)."""
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
    return out


def render(result: dict[str, Any]) -> str:
    f = lambda x: "–" if x is None else f"{x:.3f}"  # noqa: E731
    parts = [
        "### Cold start: active vs random, new categories, cost (issue #13)",
        "",
        f"Command: `{result.get('command')}` ({result.get('seconds', 0):.0f} s; load before the run: `{result.get('uptime')}`; 2 shared cores).",
    ]
    if result.get("active"):
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
        rows = result["newcat"]
        parts += [
            "",
            "**New-category test.** Per seed, 3 classes held out. Model: the zero-shot cold-start head (`fit_field_detail`, as `ticketlens train --zero-shot`) from the remaining label names, fitted on the train split without the held-out classes' tickets (unlabeled). "
            "On the test split (all classes), flagged = the head's confidence under 0.5 or cosine to the nearest refined prototype under the manifest's novelty floor (`training.coldstart.novelty`). "
            f"*candidates*: `discover --model`'s rule — HDBSCAN over the whole split, clusters at least {CANDIDATE_SHARE:.0%} flagged (the two-week persistence test is skipped: these sets carry no dates); "
            "*flagged only*: HDBSCAN on the flagged tickets alone (the issue's wording). A held-out class is recovered when a cluster is ≥ 60 % that class.",
            "",
            "| set | seed | held out | flagged (held / known) | candidate clusters | recovered (candidates) | recovered (flagged only) | s |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            parts.append(
                f"| {r['set']} | {r['seed']} | {', '.join(r['held_out'])} | {f(r['flagged_held'])} / {f(r['flagged_known'])} | {r['candidate_clusters']} | {len(r['recovered'])} of 3 | {len(r['recovered_flagged_only'])} of 3 | {r['seconds']:.0f} |"
            )
        ok = {
            s: all(len(r["recovered"]) >= 2 for r in rows if r["set"] == s)
            for s in {r["set"] for r in rows}
        }
        parts += [
            "",
            "Target (≥ 2 of 3 on banking77 and bitext, discover's rule, every seed): "
            + ", ".join(f"{s} **{'met' if v else 'not met'}**" for s, v in sorted(ok.items()))
            + ".",
        ]
    if result.get("cost"):
        c = result["cost"]
        parts += [
            "",
            f"**Cost** on {c['tickets']} tickets ({c['source']}), embeddings cached, reading and embedding not counted: "
            f"`discover` (PCA + HDBSCAN + c-TF-IDF terms, {c['clusters']} clusters) {c['discover_s']:.1f} s; "
            f"`suggest -n 200` without a model {c['suggest_no_model_s']:.1f} s, with a zero-shot model {c['suggest_model_s']:.1f} s "
            f"(probabilities + picks; training that model {c['train_zero_shot_s']:.1f} s).",
        ]
    return "\n".join(parts)


def merge(path: Path, update: dict[str, object]) -> dict[str, object]:
    """The last run's parts, overwritten by this run's."""
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(update)
    return old
