"""`ticketlens info`: what a bundle or a cascade folder holds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from training.cli.common import console, friendly_errors, load_bundle
from training.cli.cv_tables import cv_tables

if TYPE_CHECKING:
    from classifier.bundle.manifest import Manifest


@friendly_errors
def info_command(
    model: Annotated[Path, typer.Argument(help="Bundle or cascade folder.")] = Path(
        "models/current"
    ),
) -> None:
    """Show a bundle's manifest: fields, classes, embedding model and CV metrics (a cascade:
    its threshold and expected share, then both bundles)."""
    from classifier.cascade import ACCURATE_DIR, FAST_DIR, is_cascade, read_cascade

    if not is_cascade(model):
        _bundle_info(load_bundle(model).manifest)
        return
    cascade, bundles = read_cascade(model)
    share = cascade.expected_accurate_share
    console.print(
        f"[bold]cascade[/] {escape(str(model))}: threshold {cascade.threshold:.3f}, loss budget "
        f"{cascade.loss_budget if cascade.loss_budget is not None else 'not recorded'}, "
        f"expected share sent to the accurate bundle "
        f"{'not recorded' if share is None else f'{share:.1%}'}"
    )
    for stage, bundle in zip((FAST_DIR, ACCURATE_DIR), bundles, strict=True):
        console.print(f"\n{stage}/:")
        _bundle_info(bundle.manifest)


def _bundle_info(manifest: Manifest) -> None:
    record = manifest.embedding_model
    console.print(
        f"[bold]{manifest.name}[/] (format {manifest.format_version}), "
        f"created {manifest.created_at:%Y-%m-%d %H:%M} UTC"
    )
    console.print(
        f"embedding model: {record.name} from {record.package} {record.package_version}"
        f", {record.dimension}-d, window {record.max_tokens} tokens"
    )
    console.print(
        f"trained on {manifest.training_data.rows} rows of {manifest.training_data.source}"
    )
    from training.cli.train_summary import metadata_summary

    if (line := metadata_summary(manifest)) is not None:
        console.print(escape(line))
    for table in cv_tables(manifest):
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ticketlens` app."""
    app.command("info")(info_command)
