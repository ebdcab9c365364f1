"""Retrain with agents' corrections and promote the candidate only if it is not worse.

The export is the base; corrections stored by the service (`POST /feedback`) override its labels
by ticket id. A seeded, stratified held-out split is kept aside, drawn only from tickets whose
text the current model was not trained on (its bundle lists the hashes of its training texts):
the candidate is trained on the rest, so both models are scored (macro-F1 per field) on tickets
neither has seen. `models/current` moves to the candidate only when no field's macro-F1 drops by
more than the tolerance (or when forced). Every decision is appended to the models folder's gate
log (`classifier.bundle.gate_log`), which the service's model page shows.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from classifier.bundle.gate_log import FieldGate, GateRecord, append_gate_record
from classifier.bundle.store import (
    Bundle,
    load_bundle,
    read_training_text_hashes,
    set_current,
    text_hash,
)
from classifier.cascade import CASCADE_FILE, is_cascade
from classifier.embedders.base import Embedder
from classifier.errors import BundleError, TicketlensError
from classifier.predictor import TicketClassifier
from classifier.predlog import read_corrections
from classifier.records import Ticket
from classifier.text import prepare_text
from training.fit.heads import HeadConfig
from training.fit.train import TrainConfig, train
from training.io.export import read_tickets

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrainConfig:
    """How the candidate is trained and judged."""

    tolerance: float = 0.01
    """Largest macro-F1 drop (per field) still accepted."""
    force: bool = False
    test_size: float = 0.2
    seed: int = 0
    name: str | None = None
    head: HeadConfig = field(default_factory=HeadConfig)


@dataclass(frozen=True)
class FieldScore:
    current: float
    candidate: float
    heldout_rows: int

    @property
    def delta(self) -> float:
        return self.candidate - self.current


@dataclass(frozen=True)
class RetrainResult:
    candidate_path: Path
    candidate_version: str
    current_version: str
    scores: dict[str, FieldScore]
    promoted: bool
    reason: str
    corrections_applied: int
    corrections_unmatched: int
    train_rows: int
    heldout_rows: int
    heldout_ids: tuple[str, ...]
    compared_on: str
    """One sentence saying which tickets both models were scored on."""


def apply_corrections(
    tickets: Sequence[Ticket], corrections: Mapping[str, Mapping[str, str]], fields: Sequence[str]
) -> tuple[list[Ticket], int, int]:
    """Tickets with corrected labels; also how many labels changed and how many ids were unknown."""
    by_id = {t.id for t in tickets}
    unmatched = sum(1 for ticket_id in corrections if ticket_id not in by_id)
    applied = 0
    merged = []
    for ticket in tickets:
        fixes = {f: v for f, v in corrections.get(ticket.id, {}).items() if f in fields}
        changed = {f: v for f, v in fixes.items() if ticket.labels.get(f) != v}
        if changed:
            applied += len(changed)
            ticket = ticket.model_copy(update={"labels": {**ticket.labels, **changed}})
        merged.append(ticket)
    return merged, applied, unmatched


def split_heldout(
    tickets: Sequence[Ticket], stratify_field: str, test_size: float, seed: int
) -> tuple[list[Ticket], list[Ticket]]:
    """A seeded split stratified by one field; classes too small to split stay in training.

    With too few tickets to give every class a held-out share, the split is not stratified.
    """
    keys = [t.labels.get(stratify_field, "") for t in tickets]
    counts = Counter(keys)
    splittable = [i for i, k in enumerate(keys) if counts[k] >= 2]
    always_train = [i for i, k in enumerate(keys) if counts[k] < 2]
    if len(splittable) < 2:
        return list(tickets), []
    strata = [keys[i] for i in splittable]
    n_test = math.ceil(test_size * len(splittable))
    classes = len(set(strata))
    stratify = strata if min(n_test, len(splittable) - n_test) >= classes else None
    if stratify is None:
        logger.info("%d tickets to hold out from: the split is not stratified", len(splittable))
    train_idx, test_idx = train_test_split(
        splittable, test_size=test_size, random_state=seed, stratify=stratify
    )
    return (
        [tickets[i] for i in sorted([*train_idx, *always_train])],
        [tickets[i] for i in sorted(test_idx)],
    )


def macro_f1(classifier: TicketClassifier, heldout: Sequence[Ticket], name: str) -> float:
    """Macro-F1 of one field over the held-out tickets that carry that label."""
    labeled = [t for t in heldout if name in t.labels]
    if not labeled or name not in classifier.fields:
        return 0.0
    truth = [t.labels[name] for t in labeled]
    predicted = [p.fields[name].label or "" for p in classifier.predict(labeled)]
    return float(
        f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)
    )


def _split_unseen(
    tickets: Sequence[Ticket], current: Bundle, config: RetrainConfig, base: Path
) -> tuple[list[Ticket], list[Ticket], str]:
    """The candidate's training tickets, the held-out ones (none of whose texts the current
    bundle lists among its training texts), and a sentence saying what the scores compare."""
    manifest = current.manifest
    seen = read_training_text_hashes(current)
    hashes = {
        t.id: text_hash(prepare_text(t, manifest.max_chars, manifest.text_structure).text)
        for t in tickets
    }
    unseen = [t for t in tickets if seen is None or hashes[t.id] not in seen]
    if not unseen:
        raise TicketlensError(
            f"the current model {manifest.name} was trained on every ticket of this export, so "
            "no ticket is left to score both models on fairly; pass a --base export that also "
            "holds tickets it has not seen (newer ones)",
            file=base,
        )
    _, heldout = split_heldout(unseen, next(iter(manifest.fields)), config.test_size, config.seed)
    if not heldout:
        raise TicketlensError(
            f"too few labeled tickets the current model was not trained on ({len(unseen)}) to "
            "hold any out for evaluation",
            file=base,
        )
    # Tickets sharing a held-out text are held out with it: the candidate never sees that text.
    held_texts = {hashes[t.id] for t in heldout}
    heldout = [t for t in unseen if hashes[t.id] in held_texts]
    train_set = [t for t in tickets if hashes[t.id] not in held_texts]
    if seen is None:
        compared_on = (
            f"both models scored on {len(heldout)} held-out tickets the candidate was not trained "
            f"on; {manifest.name} does not record its training texts (an older bundle), so some "
            "may be among them, which favours it"
        )
    else:
        compared_on = (
            f"both models scored on {len(heldout)} held-out tickets neither was trained on "
            f"(drawn from the {len(unseen)} whose text is not among {manifest.name}'s "
            "recorded training texts)"
        )
    return train_set, heldout, compared_on


def load_current(current: Path) -> Bundle:
    """The bundle `retrain` gates against; a cascade folder is refused (the gate compares one
    bundle with one candidate)."""
    if is_cascade(current):
        raise BundleError(
            f"the model is a cascade ({CASCADE_FILE}) and retrain gates one bundle against one "
            "candidate: retrain the bundles it was built from (--model BUNDLE), then rebuild "
            "the cascade with `ticketlens cascade`",
            file=current,
        )
    return load_bundle(current)


def retrain(
    base: Path,
    *,
    embedder: Embedder,
    current: Path = Path("models/current"),
    db_url: str | None = None,
    config: RetrainConfig | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> RetrainResult:
    """Train a candidate on `base` + stored corrections and promote it if it passes the gate."""
    config = config or RetrainConfig()
    current_bundle = load_current(current)
    manifest = current_bundle.manifest
    fields = list(manifest.fields)
    tickets, _ = read_tickets(base, fields, overrides)
    corrections = read_corrections(db_url) if db_url else {}
    tickets, applied, unmatched = apply_corrections(tickets, corrections, fields)
    if unmatched:
        logger.warning("%d corrected ticket id(s) are not in %s and are ignored", unmatched, base)
    train_set, heldout, compared_on = _split_unseen(tickets, current_bundle, config, base)
    first = next(iter(manifest.fields.values()))
    result = train(
        train_set,
        embedder,
        TrainConfig(
            fields=tuple(fields),
            head=config.head,
            threshold=first.threshold,
            text_features=manifest.text_features is not None,
            mode=manifest.mode,
            target_precision=first.target_precision,
            max_chars=manifest.max_chars,
            name=config.name or f"ticketlens-{datetime.now(UTC):%Y%m%d-%H%M%S}-retrain",
            make_current=False,
        ),
        models_dir=current.parent,
        source=f"{base} + {applied} correction(s), minus {len(heldout)} held out",
    )
    candidate = TicketClassifier(load_bundle(result.bundle_path), embedder)
    live = TicketClassifier(current_bundle, embedder)
    scores = {
        name: FieldScore(
            current=macro_f1(live, heldout, name),
            candidate=macro_f1(candidate, heldout, name),
            heldout_rows=sum(1 for t in heldout if name in t.labels),
        )
        for name in fields
    }
    worse = [n for n, s in scores.items() if s.delta < -config.tolerance]
    if not worse:
        promoted, reason = True, f"no field's macro-F1 dropped by more than {config.tolerance}"
    elif config.force:
        promoted, reason = True, f"forced, although {', '.join(worse)} got worse"
    else:
        promoted = False
        reason = (
            f"{', '.join(worse)} macro-F1 dropped by more than {config.tolerance}; "
            "kept the current model (--force promotes anyway)"
        )
    if promoted:
        set_current(current.parent, result.bundle_path)
    gate = GateRecord(
        at=datetime.now(UTC),
        candidate=result.manifest.name,
        current=manifest.name,
        promoted=promoted,
        reason=reason,
        scores={
            n: FieldGate(current=s.current, candidate=s.candidate, heldout_rows=s.heldout_rows)
            for n, s in scores.items()
        },
        tolerance=config.tolerance,
        forced=config.force and bool(worse),
        corrections_applied=applied,
        heldout_rows=len(heldout),
        compared_on=compared_on,
    )
    append_gate_record(current.parent, gate)
    return RetrainResult(
        candidate_path=result.bundle_path,
        candidate_version=result.manifest.name,
        current_version=manifest.name,
        scores=scores,
        promoted=promoted,
        reason=reason,
        corrections_applied=applied,
        corrections_unmatched=unmatched,
        train_rows=len(train_set),
        heldout_rows=len(heldout),
        heldout_ids=tuple(t.id for t in heldout),
        compared_on=compared_on,
    )
