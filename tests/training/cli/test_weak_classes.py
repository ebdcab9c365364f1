"""`train`'s weak-class table: which classes stay weak, with their support and top confusion."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from sklearn.linear_model import LogisticRegression

from classifier.bundle.manifest import CategoryMetrics, FieldManifest
from training.cli.cv_tables import weak_table
from training.fit.heads import FittedHead
from training.fit.train import top_confusions


def _entry(per_category: dict[str, tuple[float, int]]) -> FieldManifest:
    return FieldManifest(
        classes=list(per_category),
        threshold=0.5,
        regularization_C=1.0,
        head_file="",
        head_sha256="",
        rows_trained=sum(n for _, n in per_category.values()),
        rows_unlabeled=0,
        cv_accuracy=0.9,
        cv_macro_f1=0.8,
        cv_per_category={
            c: CategoryMetrics(precision=f1, recall=f1, f1=f1, support=n)
            for c, (f1, n) in per_category.items()
        },
        training_shares={},
    )


def _rendered(table: object) -> str:
    console = Console(width=200, record=True)
    console.print(table)
    return console.export_text()


def test_weak_classes_are_named_with_support_and_top_confusion() -> None:
    entry = _entry({"billing": (0.95, 400), "refund": (0.40, 8), "login": (0.55, 120)})
    confusions = {"refund": ("billing", 3), "login": ("billing", 30)}
    text = _rendered(weak_table("category", entry, confusions))
    assert not any(line.split()[1:2] == ["billing"] for line in text.splitlines())  # strong
    lines = [line for line in text.splitlines() if "refund" in line or "login" in line]
    assert lines[0].split()[1] == "refund"  # weakest first
    assert "only 8 training tickets; confused with billing (3 of 8)" in lines[0]
    assert "confused with billing (30 of 120)" in lines[1]
    assert "only" not in lines[1]


def test_no_weak_classes_no_table() -> None:
    assert weak_table("category", _entry({"a": (0.9, 50), "b": (0.8, 50)}), {}) is None


def test_top_confusion_is_the_most_frequent_wrong_prediction() -> None:
    classes = ["a", "b", "c"]
    truth = np.asarray(["a", "a", "a", "a", "b", "c"], dtype=object)
    guessed = ["a", "b", "c", "c", "b", "c"]
    proba = np.eye(3)[[classes.index(g) for g in guessed]]
    estimator = LogisticRegression().fit(np.eye(3), classes)
    fitted = FittedHead(estimator, 1.0, {}, truth, proba, np.arange(6))
    assert top_confusions(fitted) == {"a": ("c", 2)}
