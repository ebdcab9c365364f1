"""The cross-validation tables `train` prints after fitting and `info` prints for a bundle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from classifier.bundle.manifest import FieldManifest, Manifest


WEAK_F1 = 0.6
"""Classes under this cross-validated F1 are listed after the table, with why."""
FEW_TICKETS = 20


def _why_weak(support: int, confusion: tuple[str, int] | None) -> str:
    reasons = [f"only {support} training tickets"] if support < FEW_TICKETS else []
    if confusion is not None:
        reasons.append(f"confused with {confusion[0]} ({confusion[1]} of {support})")
    return "; ".join(reasons) or "low precision: other classes are predicted as it"


def weak_table(
    name: str, entry: FieldManifest, confusions: dict[str, tuple[str, int]]
) -> Table | None:
    """The field's classes under `WEAK_F1`, weakest first, with why; None if there are none."""
    weak = sorted((m.f1, label, m) for label, m in entry.cv_per_category.items() if m.f1 < WEAK_F1)
    if not weak:
        return None
    table = Table(title=f"{name}: weak classes (cross-validated F1 under {WEAK_F1})")
    for column in ("label", "F1", "support", "why"):
        table.add_column(column, justify="right" if column in ("F1", "support") else "left")
    for f1, label, metrics in weak:
        why = _why_weak(metrics.support, confusions.get(label))
        table.add_row(escape(label), f"{f1:.3f}", str(metrics.support), escape(why))
    return table


def cv_tables(
    manifest: Manifest, confusions: dict[str, dict[str, tuple[str, int]]] | None = None
) -> list[Table]:
    """Per field, the cross-validated table, then its weak classes (confusions when known)."""
    tables = []
    for name, entry in manifest.fields.items():
        table = Table(
            title=f"{name}: cross-validated ({entry.rows_trained} tickets, "
            + (f"{entry.cv_folds} folds, " if entry.cv_folds else "")
            + f"accuracy {entry.cv_accuracy:.3f}, macro-F1 {entry.cv_macro_f1:.3f})"
        )
        columns = ["label", "precision", "recall", "F1", "support"]
        # P@thr: precision of the predictions at or above the category's own threshold;
        # coverage: the share of its predictions that clear it (not sent to review).
        if entry.class_thresholds:
            columns += ["threshold", "P@thr", "coverage"]
        for column in columns:
            label_column = column == "label"
            table.add_column(
                column, justify="left" if label_column else "right", no_wrap=label_column
            )
        for label, metrics in entry.cv_per_category.items():
            cells = [
                escape(label),
                f"{metrics.precision:.3f}",
                f"{metrics.recall:.3f}",
                f"{metrics.f1:.3f}",
                str(metrics.support),
            ]
            chosen = entry.class_thresholds.get(label)
            if chosen is not None:
                cells += (
                    [f"{chosen.threshold:.3f}", f"{chosen.precision:.3f}", f"{chosen.coverage:.3f}"]
                    if chosen.reached
                    else ["[red]unreachable[/]", f"{chosen.precision:.3f}", "0 (all reviewed)"]
                )
            table.add_row(*cells)
        tables.append(table)
        weak = weak_table(name, entry, (confusions or {}).get(name, {}))
        if weak is not None:
            tables.append(weak)
    return tables
