"""Labeling speed on ~100-word tickets: raw transformer encode vs the accurate and fast pipelines.

The texts are nlbse24 test issues cut to their first 100 words. The raw figure is the packaged
model's own `encode` (batch 32, no ticketlens code around it); the accurate figure is
`TicketClassifier.predict` with the real model, chunk by chunk as `ticketlens label` calls it;
the fast figure is the same with a fast bundle. Both bundles are trained on those texts first.
The fast bundle also labels a CSV of those tickets repeated (LABEL_ROWS rows) end to end with
`label_export`, as `ticketlens label` does, in one process and in two (`--workers 2`); the
wall time includes reading, writing and the workers' start.
"""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from bench.accuracy_methods import CHUNK, PrecomputedEmbedder
from classifier.bundle.store import load_bundle
from classifier.embedders.static import StaticEmbedder
from classifier.embedders.transformer import SentenceTransformerEmbedder
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from classifier.text import prepare_text
from training.cli.common import load_classifier
from training.fit.train import TrainConfig, train
from training.io.export import read_tickets
from training.labeling.local import label_export

WORDS = 100
SPEED_ROWS = 1000
FAST_REPEAT = 5  # the fast path needs more tickets to run for long enough to time
LABEL_ROWS = 100_000  # a backfill, long enough that worker start-up does not dominate


def _rate(classifier: TicketClassifier, tickets: list[Ticket]) -> float:
    started = time.perf_counter()
    for i in range(0, len(tickets), CHUNK):
        classifier.predict(tickets[i : i + CHUNK])
    return len(tickets) / (time.perf_counter() - started)


def _label_rate(bundle: Path, tickets: list[Ticket], work: Path, workers: int) -> float:
    export = work / "speed-export.csv"
    if not export.exists():
        repeats = -(-LABEL_ROWS // len(tickets))
        rows = [{"id": f"{t.id}-{k}", "body": t.body} for k in range(repeats) for t in tickets]
        pd.DataFrame(rows[:LABEL_ROWS]).to_csv(export, index=False)
    load = functools.partial(load_classifier, bundle, None, True)
    started = time.perf_counter()
    label_export(
        export, work / f"labeled-{workers}.csv", load(), chunk_rows=2048, workers=workers, load=load
    )
    return LABEL_ROWS / (time.perf_counter() - started)


def speed_section(
    embedder: SentenceTransformerEmbedder,
    static: StaticEmbedder,
    datasets: Path,
    quick: int | None,
) -> dict[str, Any]:
    source, _ = read_tickets(datasets / "nlbse24_issue_reports" / "test.csv", ["issue_type"])
    tickets = []
    for ticket in source[: quick or SPEED_ROWS]:
        words = prepare_text(ticket).text.split()[:WORDS]
        tickets.append(Ticket(id=ticket.id, body=" ".join(words), labels=dict(ticket.labels)))
    texts = [prepare_text(t).text for t in tickets]

    started = time.perf_counter()
    vectors = embedder.encode(texts)
    raw = len(texts) / (time.perf_counter() - started)

    with tempfile.TemporaryDirectory(prefix="ticketlens-speed-") as work:
        precomputed = PrecomputedEmbedder(embedder.info, texts, vectors)
        config = TrainConfig(fields=("issue_type",), name="accurate", make_current=False)
        accurate_bundle = train(tickets, precomputed, config, models_dir=Path(work), source="speed")
        fast_config = TrainConfig(
            fields=("issue_type",), mode="fast", name="fast", make_current=False
        )
        fast_bundle = train(tickets, static, fast_config, models_dir=Path(work), source="speed")
        accurate = _rate(
            TicketClassifier(load_bundle(accurate_bundle.bundle_path), embedder), tickets
        )
        many = [
            t.model_copy(update={"id": f"{t.id}-{k}"}) for k in range(FAST_REPEAT) for t in tickets
        ]
        fast = _rate(TicketClassifier(load_bundle(fast_bundle.bundle_path), static), many)
        label_1 = _label_rate(fast_bundle.bundle_path, tickets, Path(work), 1)
        label_2 = _label_rate(fast_bundle.bundle_path, tickets, Path(work), 2)
    return {
        "tickets": len(tickets),
        "mean words": sum(len(t.split()) for t in texts) / len(texts),
        "raw encode tickets/s": raw,
        "accurate tickets/s": accurate,
        "accurate / raw": accurate / raw,
        "fast tickets/s": fast,
        "fast label tickets/s, 1 process": label_1,
        "fast label tickets/s, 2 processes": label_2,
    }
