"""`ticketlens similar`: nearest past tickets (`discover` lives in coldstart_discover)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from classifier.errors import TicketlensError
from training.cli.coldstart import _load_model
from training.cli.common import (
    CacheOption,
    console,
    friendly_errors,
)


@friendly_errors
def similar_command(
    text: Annotated[str | None, typer.Argument(help="Ticket text to match.")] = None,
    ticket_id: Annotated[str | None, typer.Option("--id", help="An indexed ticket's id.")] = None,
    model: Annotated[Path, typer.Option(help="Bundle with a similar-ticket index.")] = Path(
        "models/current"
    ),
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many tickets.")] = 5,
    cache_dir: CacheOption = None,
) -> None:
    """The nearest tickets of the bundle's training set, with their labels and similarity."""
    from classifier.records import Ticket
    from classifier.similar import read_index
    from classifier.text import prepare_text

    if (text is None) == (ticket_id is None):
        raise TicketlensError("give either a TEXT or --id ID")
    classifier = _load_model(model, cache_dir)
    index = read_index(classifier.bundle)
    if index is None:
        raise TicketlensError(
            "this bundle keeps no similar-ticket index (train it with --similar-index)", file=model
        )
    if ticket_id is not None:
        vector = index.vector_of(ticket_id)
        if vector is None:
            raise TicketlensError(f"ticket '{ticket_id}' is not in the index", file=model)
    else:
        vector = classifier.embedder.encode(
            [prepare_text(Ticket(id="query", body=text or "")).text]
        )[0]
    table = Table(title="similar tickets")
    for column in ("ticket", "similarity", "labels"):
        table.add_column(column)
    for n in index.query(vector, k, skip_id=ticket_id)[0]:
        table.add_row(n.id, f"{n.score:.3f}", ", ".join(f"{f}={v}" for f, v in n.labels.items()))
    console.print(table)


def register(app: typer.Typer) -> None:
    from training.cli import coldstart_discover

    coldstart_discover.register(app)
    app.command("similar")(similar_command)
