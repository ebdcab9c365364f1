"""Score predictions against true labels: per-category metrics, abstention, calibration, confusions.

Everything here is pure computation on arrays (or `Ticket`/`Prediction` pairs), so it is tested
without a model; `ticketlens evaluate` wires it to a bundle.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from typing import Any

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

from classifier.records import NO_LABEL, Prediction, Ticket
from training.evaluation.drift import json_safe

CURVE_POINTS = 20
CALIBRATION_BINS = 10
TOP_CONFUSIONS = 10
EXAMPLES_PER_PAIR = 5


@dataclass(frozen=True)
class ClassMetrics:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class CurvePoint:
    """Predictions kept when confidence ≥ `threshold`: their share and their precision."""

    threshold: float
    coverage: float
    precision: float


@dataclass(frozen=True)
class CalibrationBin:
    lower: float
    upper: float
    count: int
    mean_confidence: float
    accuracy: float


@dataclass(frozen=True)
class Confusion:
    true: str
    predicted: str
    count: int
    examples: list[str]


@dataclass(frozen=True)
class FieldEvaluation:
    """How one label field's predictions compare with the truth."""

    field: str
    n: int
    accuracy: float
    macro: ClassMetrics
    weighted: ClassMetrics
    per_class: list[ClassMetrics]
    threshold: float
    coverage_at_threshold: float
    precision_at_threshold: float
    curve: list[CurvePoint]
    ece: float
    calibration: list[CalibrationBin]
    confusions: list[Confusion]
    unknown_labels: dict[str, int] = dataclass_field(default_factory=dict)
    """True labels the model cannot predict (absent from its classes), with their counts."""

    def to_dict(self) -> dict[str, Any]:
        """Plain values; an undefined precision (nothing kept) is None."""
        return json_safe(asdict(self))


def _class_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]
) -> tuple[list[ClassMetrics], ClassMetrics, ClassMetrics]:
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    per_class = [
        ClassMetrics(label, float(p), float(r), float(f), int(s))
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    ]
    averages = []
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        averages.append(ClassMetrics(average, float(p), float(r), float(f), int(support.sum())))
    return per_class, averages[0], averages[1]


def precision_coverage_curve(
    correct: np.ndarray, confidence: np.ndarray, points: int = CURVE_POINTS
) -> list[CurvePoint]:
    """Coverage and precision of the predictions kept at evenly spaced confidence thresholds."""
    curve = []
    for threshold in np.linspace(0.0, 1.0, points + 1)[:-1]:
        kept = confidence >= threshold
        coverage = float(kept.mean()) if len(kept) else 0.0
        precision = float(correct[kept].mean()) if kept.any() else float("nan")
        curve.append(CurvePoint(float(threshold), coverage, precision))
    return curve


def calibration(
    correct: np.ndarray, confidence: np.ndarray, bins: int = CALIBRATION_BINS
) -> tuple[float, list[CalibrationBin]]:
    """Expected calibration error (count-weighted |accuracy − confidence|) and its bins."""
    if len(correct) == 0:
        return 0.0, []
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    result, ece = [], 0.0
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        if not count:
            continue
        accuracy = float(correct[members].mean())
        mean_confidence = float(confidence[members].mean())
        ece += count / len(correct) * abs(accuracy - mean_confidence)
        result.append(
            CalibrationBin(float(edges[b]), float(edges[b + 1]), count, mean_confidence, accuracy)
        )
    return float(ece), result


def reliability_curve(
    correct: np.ndarray, confidence: np.ndarray, bins: int = CALIBRATION_BINS
) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's reliability diagram points (fraction correct, mean confidence) per bin."""
    frac, mean = calibration_curve(correct.astype(int), confidence, n_bins=bins)
    return np.asarray(frac), np.asarray(mean)


def top_confusions(
    y_true: np.ndarray, y_pred: np.ndarray, ids: Sequence[str], limit: int = TOP_CONFUSIONS
) -> list[Confusion]:
    """The most frequent (true, predicted) mistakes, each with a few example ticket ids."""
    pairs: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], list[str]] = {}
    for truth, guess, ticket_id in zip(y_true, y_pred, ids, strict=True):
        if truth == guess:
            continue
        key = (str(truth), str(guess))
        pairs[key] += 1
        found = examples.setdefault(key, [])
        if len(found) < EXAMPLES_PER_PAIR:
            found.append(str(ticket_id))
    return [
        Confusion(truth, guess, count, examples[(truth, guess)])
        for (truth, guess), count in pairs.most_common(limit)
    ]


def evaluate_field(
    name: str,
    y_true: Sequence[str],
    y_pred: Sequence[str | None],
    confidence: Sequence[float],
    ids: Sequence[str],
    *,
    threshold: float,
    classes: Sequence[str] | None = None,
    kept: Sequence[bool] | None = None,
) -> FieldEvaluation:
    """Evaluate one field. `y_pred` None (an empty ticket) counts as a wrong, abstained answer.

    `kept` says which predictions the model keeps (not sent to review); without it, those with
    confidence ≥ `threshold` are kept.
    """
    truth = np.asarray([str(t) for t in y_true], dtype=object)
    guess = np.asarray([NO_LABEL if p is None else str(p) for p in y_pred], dtype=object)
    conf = np.asarray(confidence, dtype=float)
    known = sorted(set(classes) if classes is not None else set(truth))
    unknown = Counter(str(t) for t in truth if t not in set(known))
    labels = sorted(set(known) | set(truth))
    per_class, macro, weighted = _class_metrics(truth, guess, labels)
    correct = truth == guess
    kept_mask = conf >= threshold if kept is None else np.asarray(kept, dtype=bool)
    ece, bins = calibration(correct, conf)
    return FieldEvaluation(
        field=name,
        n=len(truth),
        accuracy=float(accuracy_score(truth, guess)) if len(truth) else 0.0,
        macro=macro,
        weighted=weighted,
        per_class=per_class,
        threshold=threshold,
        coverage_at_threshold=float(kept_mask.mean()) if len(kept_mask) else 0.0,
        precision_at_threshold=(
            float(correct[kept_mask].mean()) if kept_mask.any() else float("nan")
        ),
        curve=precision_coverage_curve(correct, conf),
        ece=ece,
        calibration=bins,
        confusions=top_confusions(truth, guess, ids),
        unknown_labels=dict(unknown.most_common()),
    )


def evaluate_predictions(
    tickets: Sequence[Ticket],
    predictions: Sequence[Prediction],
    thresholds: dict[str, float],
    classes: dict[str, list[str]] | None = None,
) -> dict[str, FieldEvaluation]:
    """Evaluate every field in `thresholds` on the tickets that carry a true label for it.

    Coverage and precision at the threshold follow each prediction's own `needs_review`, so a
    bundle with per-category thresholds is scored as it behaves; `thresholds` are reported.
    """
    results = {}
    for name, threshold in thresholds.items():
        rows = [
            (t.labels[name], p.fields[name], t.id)
            for t, p in zip(tickets, predictions, strict=True)
            if t.labels.get(name) and name in p.fields
        ]
        if not rows:
            continue
        results[name] = evaluate_field(
            name,
            [truth for truth, _, _ in rows],
            [pred.label for _, pred, _ in rows],
            [pred.confidence for _, pred, _ in rows],
            [ticket_id for _, _, ticket_id in rows],
            threshold=threshold,
            classes=(classes or {}).get(name),
            kept=[not pred.needs_review for _, pred, _ in rows],
        )
    return results
