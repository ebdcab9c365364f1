"""Choose a cascade's threshold: the least transformer work that keeps macro-F1 within budget.

Given, for the same labeled tickets, the fast model's labels and confidences and the accurate
model's labels — out-of-fold predictions from cross-validation, or predictions on tickets neither
model was trained on — every candidate threshold `t` gives a cascade answer (fast where its
confidence >= t, else accurate). The lowest `t` whose macro-F1 is within `loss_budget` of the
accurate model alone is kept, with the share of tickets it sends to the accurate model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import f1_score


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
