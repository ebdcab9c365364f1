"""Choose each head's C and the embedding weight on out-of-fold predictions, vocabulary in folds.

Every fold fits its own TF-IDF vocabulary on its training rows only: a term seen only in the
held-out rows never reaches the features, so the cross-validated figures in the bundle are what a
new ticket would get. The grid is searched in stages rather than in full: the embedding weights are
compared at the middle C, then C walks outwards from there at the chosen weight while a neighbour
scores better. Every fit starts cold: a warm start from the neighbouring C's solution passes
lbfgs' tolerance at once (the loss is averaged over rows), so it would score the old C again.
The fits of a stage (folds x candidates) run in parallel. From `HeadConfig.large_rows` rows a
field has fewer folds and its candidates are compared on the first fold's held-out rows only
(thousands of them); the chosen candidate's other folds then run beside the final fit, so its
out-of-fold figures still cover every row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from scipy.sparse import csr_matrix
from sklearn.metrics import f1_score, log_loss
from sklearn.pipeline import FeatureUnion

from training.fit.centroids import choose_weight, out_of_fold_centroid_proba
from training.fit.estimate import estimate_folds, fold_tasks, re_estimate, wants_estimate
from training.fit.folds import (
    Field,
    FieldData,
    Key,
    MakeFeatures,
    fit_head,
    held_out_proba,
    ngrams,
    prepare,
    rows_of,
    with_embedding,
)
from training.fit.heads import FittedHead, HeadConfig, _jobs

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (fits done, fits planned so far) as the search goes."""


def _score(y: np.ndarray, proba: np.ndarray, classes: np.ndarray, criterion: str) -> float:
    """Higher is better: out-of-fold macro-F1, or negated log-loss."""
    if criterion == "log_loss":
        return -float(log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=classes))
    predicted = classes[proba.argmax(axis=1)]
    return float(f1_score(y, predicted, average="macro", zero_division=0))


class _Search:
    """Runs the stages' fits in parallel and scores each candidate once it has all its folds."""

    def __init__(self, fields: dict[str, Field], config: HeadConfig, progress: Progress | None):
        self.fields, self.config, self.progress = fields, config, progress
        self.done = self.planned = 0
        self.jobs = _jobs(config, max(len(f.y) for f in fields.values()))

    def _task(self, name: str, key: Key, i: int) -> Any:
        f = self.fields[name]
        train, test = f.matrices[key[0]][i]
        return delayed(held_out_proba)(
            self.config, key[1], train, f.y[f.folds[i][0]], test, f.classes
        )

    def _missing(self, wanted: dict[str, list[Key]], all_folds: bool) -> list[tuple[str, Key, int]]:
        return [
            (name, key, i)
            for name, keys in wanted.items()
            for key in keys
            for i in (
                range(len(self.fields[name].folds)) if all_folds else self.fields[name].screen
            )
            if i not in self.fields[name].held_out.get(key, set())
        ]

    def _execute(self, tasks: list[Any], jobs: int | None = None) -> Iterator[Any]:
        """Runs the tasks in parallel, yielding results in order and counting them done."""
        self.planned += len(tasks)
        for result in Parallel(n_jobs=jobs or self.jobs, return_as="generator")(tasks):
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, self.planned)
            yield result

    def _keep(self, name: str, key: Key, i: int, proba: np.ndarray) -> None:
        f = self.fields[name]
        f.oof.setdefault(key, np.zeros((len(f.y), len(f.classes))))[f.folds[i][1]] = proba
        f.held_out.setdefault(key, set()).add(i)

    def run(self, wanted: dict[str, list[Key]]) -> None:
        """Scores each wanted candidate on its field's screening folds."""
        missing = self._missing(wanted, all_folds=False)
        results = self._execute([self._task(*task) for task in missing])
        for task, proba in zip(missing, results, strict=True):
            self._keep(*task, proba)
        for name, keys in wanted.items():
            f = self.fields[name]
            rows = f.screened_rows()
            for key in keys:
                if key not in f.scores:
                    f.scores[key] = _score(
                        f.y[rows], f.oof[key][rows], f.classes, self.config.criterion
                    )

    def finish(self, chosen: dict[str, Key], finals: dict[str, Any]) -> dict[str, Any]:
        """Completes the chosen candidates' held-out folds and runs the final fits, together:
        on a large field the final fit need not wait for the last folds."""
        missing = self._missing({name: [key] for name, key in chosen.items()}, all_folds=True)
        tasks = [self._task(*task) for task in missing] + list(finals.values())
        results = list(self._execute(tasks))
        for task, proba in zip(missing, results, strict=False):
            self._keep(*task, proba)
        return dict(zip(finals, results[len(missing) :], strict=True))

    def best_C(self, name: str, weight: float) -> float:
        """The best-scoring C tried at `weight`; the smaller C on a tie."""
        scored = {C: s for (w, C), s in self.fields[name].scores.items() if w == weight}
        return max(sorted(scored), key=lambda C: scored[C])

    def walk_C(self, weight: float, Cs: Sequence[float], start: int) -> None:
        """From the grid's `start` index, try both neighbours; keep going where one wins."""
        at = dict.fromkeys(self.fields, start)
        frontier = {name: [start - 1, start + 1] for name in self.fields}
        while frontier:
            wanted = {
                name: [(weight, Cs[i]) for i in idx if 0 <= i < len(Cs)]
                for name, idx in frontier.items()
            }
            self.run(wanted)
            frontier = {}
            for name in self.fields:
                best = Cs.index(self.best_C(name, weight))
                step, at[name] = best - at[name], best
                if step and 0 <= best + step < len(Cs):
                    frontier[name] = [best + step]


def fit_heads(
    texts: Sequence[str],
    vectors: np.ndarray,
    fields: dict[str, FieldData],
    make_features: MakeFeatures | None,
    weights: Sequence[float],
    config: HeadConfig,
    progress: Progress | None = None,
    metadata: csr_matrix | None = None,
) -> tuple[float, FeatureUnion | None, dict[str, FittedHead]]:
    """Choose the embedding weight (best mean score over the fields at the middle C) and each
    field's C at that weight on out-of-fold predictions, then refit on all rows.

    Returns the weight, the TF-IDF union fitted on all texts (None without `make_features`) and
    the fitted heads, whose out-of-fold probabilities come from the folds' own vocabularies.
    `metadata` (row-aligned with `texts`, `classifier.metadata`) goes after the embedding.
    """
    texts = list(texts)
    weights = tuple(weights) if make_features is not None else (1.0,)
    prepared = {
        name: prepare(name, data, texts, vectors, make_features, weights, config, metadata)
        for name, data in fields.items()
    }
    Cs = sorted(config.Cs)
    middle = len(Cs) // 2
    search = _Search(prepared, config, progress)
    logger.info(
        "%d field(s), folds %s: weights at C=%g, then C",
        len(fields),
        ", ".join(f"{n}={len(f.folds)} (screened on {len(f.screen)})" for n, f in prepared.items()),
        Cs[middle],
    )
    search.run({name: [(w, Cs[middle]) for w in weights] for name in prepared})
    weight = max(
        weights,
        key=lambda w: float(np.mean([f.scores[(w, Cs[middle])] for f in prepared.values()])),
    )
    search.walk_C(weight, Cs, middle)
    chosen = {name: search.best_C(name, weight) for name in prepared}
    logger.info(
        "embedding weight %.2f, C %s", weight, ", ".join(f"{n}={C:g}" for n, C in chosen.items())
    )
    text_features = make_features().fit(texts) if make_features is not None else None
    features = with_embedding(ngrams(text_features, texts), vectors, weight, metadata)
    finals = {
        name: delayed(fit_head)(
            config,
            chosen[name],
            features[np.asarray(data.rows)[prepared[name].kept]],  # type: ignore[index]
            prepared[name].y,
        )
        for name, data in fields.items()
    }
    estimators = search.finish({name: (weight, C) for name, C in chosen.items()}, finals)
    heads: dict[str, FittedHead] = {}
    for name, data in fields.items():
        f = prepared[name]
        centroid_weight, cv_proba = _with_centroids(
            f, vectors[np.asarray(data.rows)[f.kept]], f.oof[(weight, chosen[name])], config
        )
        heads[name] = FittedHead(
            estimator=estimators[name],
            C=chosen[name],
            excluded_classes=f.excluded,
            cv_labels=f.y,
            cv_proba=cv_proba,
            kept_rows=f.kept,
            centroid_weight=centroid_weight,
            cv_folds=len(f.folds),
        )
    logger.info(
        "centroid weight %s", ", ".join(f"{n}={h.centroid_weight:g}" for n, h in heads.items())
    )
    heads.update(
        _re_estimated(search, heads, fields, texts, vectors, make_features, weight, metadata)
    )
    return weight, text_features, heads


def _re_estimated(
    search: _Search,
    heads: dict[str, FittedHead],
    fields: dict[str, FieldData],
    texts: list[str],
    vectors: np.ndarray,
    make_features: MakeFeatures | None,
    weight: float,
    metadata: csr_matrix | None,
) -> dict[str, FittedHead]:
    """The heads of small-class fields with their CV figures from more folds
    (`training.fit.estimate`), every field's folds fitted in one parallel batch."""
    config = search.config
    wanted = {
        name: estimate_folds(f, config)
        for name, f in search.fields.items()
        if wants_estimate(f, config)
    }
    rows = {name: np.asarray(fields[name].rows)[search.fields[name].kept] for name in wanted}
    tasks: list[Any] = []
    spans: dict[str, tuple[int, int]] = {}
    for name, folds in wanted.items():
        start = len(tasks)
        tasks += fold_tasks(
            search.fields[name],
            folds,
            [texts[i] for i in rows[name]],
            vectors[rows[name]],
            make_features,
            weight,
            heads[name].C,
            config,
            rows_of(metadata, rows[name]),
        )
        spans[name] = (start, len(tasks))
    rows_fitted = max((len(search.fields[name].y) for name in wanted), default=0)
    # A fit per fold of one candidate on 80 % of the rows: worth the worker start-up sooner than
    # the search's smaller fits are.
    jobs = config.n_jobs if rows_fitted >= config.estimate_parallel_rows else None
    results = list(search._execute(tasks, jobs))
    updated = {}
    for name, (start, end) in spans.items():
        proba = re_estimate(
            search.fields[name],
            wanted[name],
            results[start:end],
            vectors[rows[name]],
            heads[name].centroid_weight,
            config,
        )
        updated[name] = replace(heads[name], cv_proba=proba, cv_folds=len(wanted[name]))
        logger.info(
            "%s: CV figures from %d folds (a class under %d rows)",
            name,
            len(wanted[name]),
            config.estimate_below,
        )
    return updated


def _with_centroids(
    f: Field, vectors: np.ndarray, head_proba: np.ndarray, config: HeadConfig
) -> tuple[float, np.ndarray]:
    """The centroid weight chosen on the field's out-of-fold rows, and those rows' blend."""
    if set(config.centroid_weights) <= {0.0}:
        return 0.0, head_proba
    centroid = out_of_fold_centroid_proba(
        vectors, f.y, f.classes, f.folds, config.centroid_temperature
    )
    return choose_weight(
        head_proba,
        centroid,
        config.centroid_weights,
        lambda proba: _score(f.y, proba, f.classes, config.criterion),
    )
