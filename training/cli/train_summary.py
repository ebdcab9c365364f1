"""`train`'s one table of what each label field will learn from, and its refusal of too little."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text

from classifier.bundle.manifest import Manifest
from classifier.errors import TicketlensError
from classifier.records import Ticket

MIN_TICKETS = 30
"""Fewer labeled tickets than this (in classes the head keeps) make no model worth serving."""
MIN_CLASSES = 2


@dataclass(frozen=True)
class FieldCounts:
    """One label field: tickets per class, and how many rows have no label for it."""

    field: str
    classes: Counter[str]
    unlabeled: int
    minimum: int

    @property
    def excluded(self) -> dict[str, int]:
        return {c: n for c, n in sorted(self.classes.items()) if n < self.minimum}

    @property
    def kept(self) -> dict[str, int]:
        return {c: n for c, n in self.classes.most_common() if n >= self.minimum}


def field_counts(
    tickets: Sequence[Ticket], fields: Sequence[str], minimum: int
) -> list[FieldCounts]:
    """Per field, the class counts the heads will see (classes under `minimum` are left out)."""
    return [
        FieldCounts(
            name,
            Counter(t.labels[name] for t in tickets if name in t.labels),
            sum(1 for t in tickets if name not in t.labels),
            minimum,
        )
        for name in fields
    ]


def summary_table(counts: Sequence[FieldCounts]) -> Table:
    """Rows used, skipped (no label) and excluded (too few examples) per class and field."""
    table = Table(title="training data per label field")
    for column in ("field", "class", "tickets", "outcome"):
        table.add_column(column, justify="right" if column == "tickets" else "left")
    for entry in counts:
        for label, n in entry.kept.items():
            table.add_row(Text(entry.field), Text(label), str(n), "used")
        for label, n in entry.excluded.items():
            outcome = f"excluded (under {entry.minimum}): similar tickets → needs_review"
            table.add_row(Text(entry.field), Text(label), str(n), Text(outcome, style="yellow"))
        if entry.unlabeled:
            table.add_row(Text(entry.field), "(no label)", str(entry.unlabeled), "skipped")
    return table


def check_enough(counts: Sequence[FieldCounts], source: str, *, allow_small: bool) -> None:
    """Raise a one-line error with the numbers when a field cannot make a model worth serving
    (`allow_small` lets too few tickets through; under two classes no head can be fitted)."""
    for entry in counts:
        kept = entry.kept
        total = sum(kept.values())
        if len(kept) < MIN_CLASSES or (total < MIN_TICKETS and not allow_small):
            labeled = sum(entry.classes.values())
            raise TicketlensError(
                f"'{entry.field}' has {total} usable labeled tickets in {len(kept)} class(es) "
                f"with {entry.minimum}+ examples ({labeled} labeled, {entry.unlabeled} without a "
                f"label, {len(entry.excluded)} class(es) excluded); a model needs "
                f"{MIN_TICKETS}+ tickets in {MIN_CLASSES}+ classes: label more"
                + ("" if len(kept) < MIN_CLASSES else ", or pass --allow-small"),
                file=source,
                field=entry.field,
            )


def metadata_summary(manifest: Manifest) -> str | None:
    """What the heads read besides the text, and which head `--segment`'s comparison kept."""
    record = manifest.metadata_features
    if record is None:
        return None
    parts = [f"metadata columns: {', '.join(record.columns)}"] if record.columns else []
    if record.segment_tried is not None:
        choice = record.segment_choice
        kept = "one head per segment kept" if record.segment else "one shared head kept"
        parts.append(
            f"segment '{record.segment_tried}': {kept} (cross-validated macro-F1 "
            f"{choice['per_segment']:.3f} per segment, {choice['shared']:.3f} shared)"
        )
    if record.subject_choice:
        choice = record.subject_choice
        kept = "kept" if record.subject_weight else "not kept"
        parts.append(
            f"subject block {kept} (cross-validated macro-F1 {choice['with']:.3f} with, "
            f"{choice['without']:.3f} without)"
        )
    return "; ".join(parts) or None
