"""A cascade: the fast model answers the tickets it is sure of, the transformer only the rest.

Most tickets are easy; the fast model (static embeddings) labels them at thousands per second.
Where any field's fast confidence is under the cascade's threshold, the ticket goes to the
accurate model, and its answer is the cascade's. The threshold is chosen at training time on
cross-validated or held-out predictions for a stated loss budget (`training.fit.cascade`).

A cascade bundle is a folder holding `cascade.json` and the two bundles as `fast/` and
`accurate/`; each is loaded and verified as any bundle, and `cascade.json` names the version of
each so a swapped sub-bundle is refused.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from classifier.bundle.manifest import Manifest
from classifier.bundle.store import Bundle, load_bundle
from classifier.embedders.base import Embedder
from classifier.errors import BundleError
from classifier.predictor import EmbedderFactory, TicketClassifier
from classifier.records import Prediction, Ticket
from classifier.scores import BatchScores

CASCADE_FILE = "cascade.json"
CASCADE_FORMAT_VERSION = 1
FAST_DIR, ACCURATE_DIR = "fast", "accurate"


class CascadeRecord(BaseModel):
    """What `cascade.json` holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: int = CASCADE_FORMAT_VERSION
    threshold: float = Field(ge=0.0, le=1.0 + 1e-6)
    """A ticket goes to the accurate model when a field's fast confidence is below this; just
    above 1 (what `choose_threshold` picks when only sending everything meets the budget) sends
    every ticket."""
    loss_budget: float | None = None
    """Macro-F1 points (0-1) the cascade may lose against the accurate model alone."""
    expected_accurate_share: float | None = Field(default=None, ge=0.0, le=1.0)
    """Share sent to the accurate model on the predictions the threshold was chosen on."""
    fast_version: str
    accurate_version: str


class CascadeClassifier:
    """Two `TicketClassifier`s with the same fields behind one `predict`.

    `record` is the `cascade.json` it was loaded from (the server shows its loss budget and
    expected share); None for a cascade built in memory.
    """

    def __init__(
        self,
        fast: TicketClassifier,
        accurate: TicketClassifier,
        threshold: float,
        record: CascadeRecord | None = None,
    ) -> None:
        if fast.fields != accurate.fields:
            raise BundleError(
                f"cascade: the fast bundle predicts {fast.fields}, the accurate one "
                f"{accurate.fields}; train both with the same --field options"
            )
        self.fast = fast
        self.accurate = accurate
        self.threshold = threshold
        self.record = record

    @property
    def bundle(self) -> Bundle:
        """The accurate bundle: its manifest describes the fields and classes answered."""
        return self.accurate.bundle

    @property
    def manifest(self) -> Manifest:
        return self.accurate.manifest

    @property
    def embedder(self) -> Embedder:
        return self.accurate.embedder

    @property
    def version(self) -> str:
        return cascade_version(self.fast.version, self.accurate.version)

    @property
    def fields(self) -> list[str]:
        return self.fast.fields

    def predict(self, tickets: Sequence[Ticket]) -> list[Prediction]:
        """One prediction per ticket, in order: the fast model's where it is sure, else the
        accurate model's."""
        return self.predict_routed(tickets)[0]

    def predict_columns(self, tickets: Sequence[Ticket]) -> dict[str, list[Any]]:
        """The columns `ticketlens label` adds, as `Prediction.to_columns` of each `predict`
        answer, built in bulk (`TicketClassifier.predict_columns`): the fast model's columns,
        the routed tickets' rows replaced by the accurate model's."""
        scores = self.fast.scores(tickets)
        columns = scores.columns()
        routed = self.unsure(scores)
        if routed:
            accurate = self.accurate.predict_columns([tickets[i] for i in routed])
            for name, values in accurate.items():
                column = columns[name]
                for index, value in zip(routed, values, strict=True):
                    column[index] = value
        columns["model_version"] = [self.version] * len(tickets)
        return columns

    def unsure(self, scores: BatchScores) -> list[int]:
        """Indices of the tickets to hand to the accurate model: those with text where a
        field's best fast confidence (`self.fast.scores`) is under the threshold."""
        unsure = np.zeros(len(scores.filled), dtype=bool)
        for field in scores.fields.values():
            if len(field.confidence):
                unsure |= field.confidence[:, 0] < self.threshold
        return [scores.filled[row] for row in np.flatnonzero(unsure).tolist()]

    def predict_routed(self, tickets: Sequence[Ticket]) -> tuple[list[Prediction], list[int]]:
        """`predict`, and the indices of the tickets the accurate model answered (the server
        counts the tickets each stage answered)."""
        scores = self.fast.scores(tickets)
        answers = scores.predictions()
        routed = self.unsure(scores)
        if routed:
            for index, answer in zip(
                routed, self.accurate.predict([tickets[i] for i in routed]), strict=True
            ):
                answers[index] = answer
        return [a.model_copy(update={"model_version": self.version}) for a in answers], routed

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        backend: str = "torch",
        cache_dir: Path | None = None,
        embedder_factory: EmbedderFactory | None = None,
    ) -> CascadeClassifier:
        """Load `cascade.json` and both sub-bundles, each verified, from the folder `path`."""
        record, bundles = read_cascade(path)
        fast, accurate = (
            TicketClassifier.from_bundle(
                b, backend=backend, cache_dir=cache_dir, embedder_factory=embedder_factory
            )
            for b in bundles
        )
        return cls(fast, accurate, record.threshold, record)


def cascade_version(fast_version: str, accurate_version: str) -> str:
    """The `model_version` a cascade's answers carry."""
    return f"cascade:{fast_version}+{accurate_version}"


def read_cascade(path: Path) -> tuple[CascadeRecord, tuple[Bundle, Bundle]]:
    """`cascade.json` and the fast and accurate bundles it names, each verified (no embedding
    model is set up: `ticketlens serve` checks a folder this way before starting the server)."""
    record = read_cascade_record(path)
    bundles = []
    for name, expected in (
        (FAST_DIR, record.fast_version),
        (ACCURATE_DIR, record.accurate_version),
    ):
        if not (path / name).is_dir():
            raise BundleError(
                f"the cascade has no {name}/ bundle; rebuild it with `ticketlens cascade`",
                file=path / name,
            )
        bundle = load_bundle(path / name)
        if bundle.version != expected:
            raise BundleError(
                f"{path / CASCADE_FILE}: {name}/ holds {bundle.version}, the cascade was built "
                f"with {expected}; rebuild it with `ticketlens cascade`"
            )
        bundles.append(bundle)
    return record, (bundles[0], bundles[1])


def is_cascade(path: Path) -> bool:
    return (path / CASCADE_FILE).is_file()


def read_cascade_record(path: Path) -> CascadeRecord:
    file = path / CASCADE_FILE
    if not file.is_file():
        raise BundleError(f"{path}: no {CASCADE_FILE}; is this a cascade bundle folder?")
    try:
        record = CascadeRecord.model_validate_json(file.read_text(encoding="utf-8"))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BundleError(f"{file}: field {where}: {first['msg']}") from None
    if record.format_version != CASCADE_FORMAT_VERSION:
        raise BundleError(
            f"{file}: format_version {record.format_version}, this ticketlens reads "
            f"{CASCADE_FORMAT_VERSION}; upgrade ticketlens"
        )
    return record


def save_cascade(
    out: Path, fast_bundle: Path, accurate_bundle: Path, record: CascadeRecord
) -> Path:
    """Write a cascade bundle folder: copies of both bundles beside `cascade.json`."""
    if out.exists() and any(out.iterdir()):
        raise BundleError(f"{out}: folder exists and is not empty; pass a new -o folder")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(fast_bundle, out / FAST_DIR)
    shutil.copytree(accurate_bundle, out / ACCURATE_DIR)
    (out / CASCADE_FILE).write_text(record.model_dump_json(indent=1) + "\n", encoding="utf-8")
    return out
