"""Per-category confidence thresholds chosen to reach a precision target.

For each category, the tickets whose top label is that category are ranked by confidence on
out-of-fold predictions; the threshold is the lowest confidence at which the auto-accepted ones
(confidence >= threshold) reach the target precision, which keeps the most tickets out of the
review queue. A category that cannot reach the target at any threshold sends all its tickets to
review, and the manifest says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import precision_recall_curve

from classifier.bundle.manifest import ClassThreshold


def per_class_thresholds(
    labels: Sequence[str] | np.ndarray,
    proba: np.ndarray,
    classes: Sequence[str],
    target_precision: float,
) -> dict[str, ClassThreshold]:
    """One `ClassThreshold` per class from true `labels` and out-of-fold `proba` (classes order)."""
    if not 0.0 < target_precision <= 1.0:
        raise ValueError(f"target precision must be in (0, 1], got {target_precision}")
    labels = np.asarray(labels, dtype=object)
    top = proba.argmax(axis=1)
    confidence = proba.max(axis=1)
    result = {}
    for index, name in enumerate(classes):
        mine = top == index
        correct = labels[mine] == name
        scores = confidence[mine]
        if not correct.any():
            result[name] = ClassThreshold(
                threshold=1.0, reached=False, precision=0.0, coverage=0.0, predicted=int(mine.sum())
            )
            continue
        precision, _, cut = precision_recall_curve(correct, scores)
        # precision[i] is the precision of rows scoring >= cut[i]; cut ascends, so the first
        # index that reaches the target keeps the most rows.
        reaching = np.flatnonzero(precision[:-1] >= target_precision)
        if reaching.size == 0:
            best = int(np.argmax(precision[:-1]))
            result[name] = ClassThreshold(
                threshold=1.0,
                reached=False,
                precision=float(precision[best]),
                coverage=0.0,
                predicted=int(mine.sum()),
            )
            continue
        chosen = int(reaching[0])
        threshold = float(cut[chosen])
        result[name] = ClassThreshold(
            threshold=threshold,
            reached=True,
            precision=float(precision[chosen]),
            coverage=float((scores >= threshold).mean()),
            predicted=int(mine.sum()),
        )
    return result
