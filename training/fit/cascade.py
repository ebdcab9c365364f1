"""Choose a cascade's threshold: the least transformer work that keeps macro-F1 within budget.

Given, for the same labeled tickets, the fast model's labels and confidences and the accurate
model's labels — out-of-fold predictions from cross-validation, or predictions on tickets neither
model was trained on — every candidate threshold `t` gives a cascade answer (fast where its
confidence >= t, else accurate). The lowest `t` whose macro-F1 is within `loss_budget` of the
accurate model alone is kept, with the share of tickets it sends to the accurate model.

`train_cascade` (`ticketlens train --mode cascade`) fits both models on one export and chooses
the threshold on their heads' out-of-fold predictions of it, so no separate labeled file is
needed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
from sklearn.metrics import f1_score

from classifier.bundle.store import set_current
from classifier.cascade import CascadeRecord, save_cascade
from classifier.embedders.base import Embedder
from classifier.records import Ticket
from training.fit.heads import FittedHead
from training.fit.selection import Progress
from training.fit.train import TicketModel, TrainConfig


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    accurate_share: float
    """Share of the tickets below `threshold`: those the accurate model would see."""
    cascade_macro_f1: float
    accurate_macro_f1: float


def choose_threshold(
    truth: Sequence[str],
    fast_labels: Sequence[str],
    fast_confidence: Sequence[float],
    accurate_labels: Sequence[str],
    loss_budget: float,
) -> ThresholdChoice:
    """The lowest confidence threshold whose cascade macro-F1 is >= accurate's - `loss_budget`.

    Candidates are 0 and each distinct confidence plus a hair, so a threshold of 1.0 + ε (send
    everything) always meets any budget >= 0.
    """
    y = np.asarray(truth, dtype=object)
    fast = np.asarray(fast_labels, dtype=object)
    accurate = np.asarray(accurate_labels, dtype=object)
    confidence = np.asarray(fast_confidence, dtype=float)
    if not len(y) == len(fast) == len(accurate) == len(confidence) > 0:
        raise ValueError("truth, fast labels, confidences and accurate labels differ in length")
    if loss_budget < 0:
        raise ValueError(f"loss_budget {loss_budget} is negative; pass a budget >= 0")
    classes = sorted(set(y.tolist()))

    def macro_f1(predicted: np.ndarray) -> float:
        return float(f1_score(y, predicted, labels=classes, average="macro", zero_division=0))

    reference = macro_f1(accurate)
    candidates = np.concatenate([[0.0], np.unique(confidence) + 1e-9])
    for threshold in candidates:
        routed = confidence < threshold
        score = macro_f1(np.where(routed, accurate, fast))
        if score >= reference - loss_budget:
            return ThresholdChoice(float(threshold), float(routed.mean()), score, reference)
    raise AssertionError("sending every ticket reproduces the accurate model")  # pragma: no cover


@dataclass(frozen=True)
class CascadeChoice:
    """The threshold for every field, and the share of tickets it sends to the accurate model."""

    threshold: float
    accurate_share: float
    fields: dict[str, ThresholdChoice]


@dataclass(frozen=True)
class CascadeResult:
    cascade_path: Path
    fast_path: Path
    accurate_path: Path
    choice: CascadeChoice
    fast: TicketModel
    accurate: TicketModel


def _out_of_fold(fitted: FittedHead) -> tuple[np.ndarray, np.ndarray]:
    """The head's out-of-fold labels and confidences (top probability, as `predict` gives)."""
    return fitted.cv_predicted, fitted.cv_proba.max(axis=1)


def choose_cascade(
    fast: TicketModel,
    accurate: TicketModel,
    loss_budget: float,
) -> CascadeChoice:
    """One threshold from both fitted models' out-of-fold predictions of their training tickets:
    per field the lowest meeting `loss_budget` (`choose_threshold`), the strictest of them kept;
    the share is of the tickets with an out-of-fold row where any field falls under it."""
    fields = {}
    least: dict[int, float] = {}
    for name, fast_head in fast.fitted_heads_.items():
        accurate_head = accurate.fitted_heads_[name]
        rows = fast.ticket_rows_[name]
        if not np.array_equal(rows, accurate.ticket_rows_[name]):
            raise AssertionError(f"{name}: the two models kept different training rows")
        fast_labels, confidence = _out_of_fold(fast_head)
        accurate_labels, _ = _out_of_fold(accurate_head)
        fields[name] = choose_threshold(
            [str(label) for label in fast_head.cv_labels],
            fast_labels.tolist(),
            confidence.tolist(),
            accurate_labels.tolist(),
            loss_budget,
        )
        for row, value in zip(rows.tolist(), confidence.tolist(), strict=True):
            least[row] = min(value, least.get(row, 1.0))
    threshold = max(choice.threshold for choice in fields.values())
    share = sum(value < threshold for value in least.values()) / len(least)
    return CascadeChoice(threshold, share, fields)


def train_cascade(
    tickets: Sequence[Ticket],
    fast_embedder: Embedder,
    accurate_embedder: Embedder,
    config: TrainConfig,
    *,
    models_dir: Path,
    source: str,
    loss_budget: float = 0.005,
    progress: Progress | None = None,
) -> CascadeResult:
    """Fit a fast and an accurate model on `tickets`, choose the threshold on their out-of-fold
    predictions (`choose_cascade`) and save `<name>-fast`, `<name>-accurate` and the cascade
    `<name>` (made current unless `config.make_current` is false)."""
    name = config.name or f"cascade-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    models = {}
    modes: tuple[tuple[Literal["fast", "accurate"], Embedder], ...] = (
        ("fast", fast_embedder),
        ("accurate", accurate_embedder),
    )
    for mode, embedder in modes:
        part = dataclasses.replace(config, mode=mode, name=f"{name}-{mode}", make_current=False)
        models[mode] = TicketModel(embedder, part).fit(tickets, source=source, progress=progress)
    choice = choose_cascade(models["fast"], models["accurate"], loss_budget)
    paths = {mode: model.save(models_dir) for mode, model in models.items()}
    record = CascadeRecord(
        threshold=choice.threshold,
        loss_budget=loss_budget,
        expected_accurate_share=choice.accurate_share,
        fast_version=models["fast"].classifier_.version,
        accurate_version=models["accurate"].classifier_.version,
    )
    cascade = save_cascade(models_dir / name, paths["fast"], paths["accurate"], record)
    if config.make_current:
        set_current(models_dir, cascade)
    return CascadeResult(
        cascade, paths["fast"], paths["accurate"], choice, models["fast"], models["accurate"]
    )
