"""The predefined label sets (`data/taxonomy.yaml`) and the check of an export's labels."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from classifier.errors import TaxonomyError
from classifier.records import Ticket

_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Taxonomy:
    """Label field → {label: one-line description}, and any example phrases per label."""

    fields: dict[str, dict[str, str]]
    examples: dict[str, dict[str, list[str]]] = dataclasses.field(default_factory=dict)
    """Field → label → example phrases (a label written as `{description: …, examples: […]}`)."""

    def labels(self, field: str) -> list[str]:
        return list(self.fields.get(field, {}))


def load_taxonomy(path: Path) -> Taxonomy:
    """Read a taxonomy YAML file of the form `fields: {category: {label: description}}`.

    A label may instead map to `{description: …, examples: [phrase, …]}` (the zero-shot
    prototypes use both).
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TaxonomyError("taxonomy file not found", file=path) from exc
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"not valid YAML ({exc})", file=path) from exc
    fields = raw.get("fields") if isinstance(raw, dict) else None
    if not isinstance(fields, dict) or not fields:
        raise TaxonomyError("expected a top-level 'fields:' mapping", file=path)
    parsed: dict[str, dict[str, str]] = {}
    examples: dict[str, dict[str, list[str]]] = {}
    for name, labels in fields.items():
        if not isinstance(labels, dict) or not labels:
            raise TaxonomyError("expected a mapping of label: description", file=path, field=name)
        parsed[str(name)] = {}
        for label, value in labels.items():
            if isinstance(value, dict):
                parsed[str(name)][str(label)] = str(value.get("description") or "")
                phrases = value.get("examples") or []
                if not isinstance(phrases, list):
                    raise TaxonomyError(
                        f"'{label}': examples must be a list of phrases", file=path, field=name
                    )
                examples.setdefault(str(name), {})[str(label)] = [str(p) for p in phrases]
            else:
                parsed[str(name)][str(label)] = str(value or "")
    return Taxonomy(parsed, examples)


def check_labels(
    tickets: Sequence[Ticket], taxonomy: Taxonomy, fields: Sequence[str], *, source: str
) -> dict[str, dict[str, list[int]]]:
    """Find labels outside the taxonomy: field → label → 1-based row numbers.

    Fields the taxonomy does not define are not checked (their labels come from the data).
    """
    unknown: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for row, ticket in enumerate(tickets, start=1):
        for field in fields:
            allowed = taxonomy.fields.get(field)
            label = ticket.labels.get(field)
            if allowed is not None and label is not None and label not in allowed:
                unknown[field][label].append(row)
    return {field: dict(labels) for field, labels in unknown.items()}


def raise_for_unknown(unknown: dict[str, dict[str, list[int]]], *, source: str) -> None:
    """One error that names every unknown label and the rows where it appears."""
    if not unknown:
        return
    field = next(iter(unknown))
    parts = []
    for label, rows in unknown[field].items():
        shown = ", ".join(str(r) for r in rows[:_ROWS_SHOWN])
        more = f" and {len(rows) - _ROWS_SHOWN} more" if len(rows) > _ROWS_SHOWN else ""
        parts.append(f"'{label}' (rows {shown}{more})")
    raise TaxonomyError(
        f"labels not in the taxonomy: {'; '.join(parts)} "
        "(fix them, add them to the taxonomy, or pass --allow-unknown-labels)",
        file=source,
        row=unknown[field][next(iter(unknown[field]))][0],
        field=field,
    )
