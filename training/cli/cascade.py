"""`ticketlens cascade`: one bundle from a fast and an accurate bundle and a labeled check set;
and the body of `ticketlens train --mode cascade`, which fits both on one export."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from classifier.embedders.base import DEFAULT_MODEL
from classifier.errors import TicketlensError
from training.cli.common import (
    CacheOption,
    cache_dir_for,
    console,
    friendly_errors,
    make_static_embedder,
)
from training.cli.cv_tables import cv_tables

if TYPE_CHECKING:
    from classifier.embedders.base import Embedder
    from classifier.records import Ticket
    from training.fit.train import TrainConfig


@friendly_errors
def cascade_command(
    fast: Annotated[Path, typer.Argument(help="Bundle trained with --mode fast.")],
    accurate: Annotated[Path, typer.Argument(help="Bundle trained with --mode accurate.")],
    labeled: Annotated[
        Path,
        typer.Option(
            "--labeled",
            help="Labeled export neither bundle was trained on; the threshold is chosen on it.",
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="New cascade bundle folder.")],
    loss_budget: Annotated[
        float,
        typer.Option(
            "--loss-budget", min=0.0, help="Macro-F1 (0-1) the cascade may lose to accurate."
        ),
    ] = 0.005,
    cache_dir: CacheOption = None,
) -> None:
    """Pair a fast and an accurate bundle: the transformer sees only what the fast one doubts."""
    from classifier.cascade import CascadeRecord, save_cascade
    from classifier.predictor import TicketClassifier
    from training.fit.cascade import choose_threshold
    from training.io.export import read_tickets

    fast_model = TicketClassifier.load(fast)
    accurate_model = TicketClassifier.load(accurate, cache_dir=cache_dir_for(cache_dir))
    if fast_model.fields != accurate_model.fields:
        raise TicketlensError(
            f"{fast} predicts {fast_model.fields}, {accurate} {accurate_model.fields}; "
            "train both with the same --field options"
        )
    tickets, _ = read_tickets(labeled, fast_model.fields)
    tickets = [t for t in tickets if all(t.labels.get(f) for f in fast_model.fields)]
    if not tickets:
        raise TicketlensError(
            f"{labeled}: no row has every label {fast_model.fields}; see --labeled"
        )
    with console.status(f"predicting {len(tickets)} labeled tickets with both bundles…"):
        first = fast_model.predict(tickets)
        second = accurate_model.predict(tickets)
    # One threshold for all fields: the strictest any field needs, applied to the least sure one.
    chosen = [
        choose_threshold(
            [t.labels[f] for t in tickets],
            [p.fields[f].label or "" for p in first],
            [p.fields[f].confidence for p in first],
            [p.fields[f].label or "" for p in second],
            loss_budget,
        )
        for f in fast_model.fields
    ]
    threshold = max(c.threshold for c in chosen)
    least = [min(f.confidence for f in p.fields.values()) for p in first]
    share = sum(c < threshold for c in least) / len(least)
    record = CascadeRecord(
        threshold=threshold,
        loss_budget=loss_budget,
        expected_accurate_share=share,
        fast_version=fast_model.version,
        accurate_version=accurate_model.version,
    )
    save_cascade(output, fast, accurate, record)
    for field, choice in zip(fast_model.fields, chosen, strict=True):
        console.print(
            f"{field}: accurate macro-F1 {choice.accurate_macro_f1:.4f}, cascade "
            f"{choice.cascade_macro_f1:.4f} at threshold {choice.threshold:.3f}"
        )
    console.print(
        f"wrote {output}: {share:.1%} of tickets go to the transformer (threshold {threshold:.3f})"
    )


def train_cascade_folder(
    tickets: list[Ticket],
    accurate_embedder: Embedder,
    config: TrainConfig,
    models_dir: Path,
    source: str,
    loss_budget: float,
    cache_dir: Path | None,
) -> Path:
    """`train --mode cascade`: both models, the threshold from their out-of-fold predictions;
    returns the cascade folder."""
    from training.cli.train_progress import fit_progress
    from training.fit.cascade import train_cascade

    started = time.perf_counter()
    fast_embedder = make_static_embedder(DEFAULT_MODEL, cache_dir)
    with fit_progress(console, len(tickets), list(config.fields)) as progress:
        result = train_cascade(
            tickets,
            fast_embedder,
            accurate_embedder,
            config,
            models_dir=models_dir,
            source=source,
            loss_budget=loss_budget,
            progress=progress,
        )
    for table in cv_tables(result.accurate.classifier_.manifest):
        console.print(table)
    for field, choice in result.choice.fields.items():
        console.print(
            f"{field}: out-of-fold macro-F1 accurate {choice.accurate_macro_f1:.4f}, cascade "
            f"{choice.cascade_macro_f1:.4f} at threshold {choice.threshold:.3f}"
        )
    console.print(
        f"cascade [bold]{escape(result.cascade_path.name)}[/] saved to "
        f"{escape(str(result.cascade_path))} (bundles {escape(result.fast_path.name)}, "
        f"{escape(result.accurate_path.name)}) in {time.perf_counter() - started:.1f}s: "
        f"{result.choice.accurate_share:.1%} of the training tickets go to the transformer "
        f"(threshold {result.choice.threshold:.3f})"
        + ("" if not config.make_current else f" ({models_dir / 'current'} points to it)")
    )
    return result.cascade_path


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ticketlens` app."""
    app.command("cascade")(cascade_command)
