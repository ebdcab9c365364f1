"""The training progress line: a spinner while tickets are embedded, then a bar with an ETA over
the cross-validation fits (the planned count grows when the C search walks further)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextmanager
def fit_progress(
    console: Console, tickets: int, fields: Sequence[str]
) -> Iterator[Callable[[int, int], None]]:
    """Yields the callback `train` reports (fits done, fits planned) to."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(
            f"embedding {tickets} tickets, then fitting {', '.join(fields)}", total=None
        )

        def report(done: int, planned: int) -> None:
            bar.update(task, description="cross-validated fits", completed=done, total=planned)

        yield report
