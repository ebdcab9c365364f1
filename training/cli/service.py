"""`ticketlens` commands for the service side: `serve` and `retrain`.

`serve` never imports `serve/` (training must not depend on it): it hands settings to the app
through `TICKETLENS_*` environment variables and lets uvicorn import the app factory by name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from classifier.embedders.backends import check_backend
from classifier.embedders.base import default_cache_dir
from classifier.embedders.onnx import prepare_onnx_model
from classifier.errors import TicketlensError
from training.cli.common import (
    BackendName,
    CacheOption,
    NoCacheOption,
    bundle_embedder,
    console,
    friendly_errors,
)

if TYPE_CHECKING:
    from training.fit.retrain import RetrainResult

APP_FACTORY = "serve.app:app_from_env"
TOKEN_VARIABLE = "TICKETLENS_API_TOKEN"


def serve_command(
    model: Annotated[
        Path,
        typer.Option(
            envvar="TICKETLENS_MODEL_PATH",
            help="Bundle or cascade folder (a symlink is watched).",
        ),
    ] = Path("models/current"),
    host: Annotated[
        str, typer.Option(envvar="TICKETLENS_HOST", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="TICKETLENS_PORT", min=1, max=65535, help="Port to listen on.")
    ] = 8000,
    db: Annotated[
        str | None,
        typer.Option(
            envvar="TICKETLENS_DB_URL",
            help="Prediction log, any SQLAlchemy URL.",
            show_default="sqlite:///ticketlens.db",
        ),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="TICKETLENS_CACHE_DIR", help="Embedding cache folder.", show_default="none"
        ),
    ] = None,
    backend: Annotated[
        BackendName,
        typer.Option(
            envvar="TICKETLENS_BACKEND",
            help="Runtime of the transformer: onnx (exported once per machine) or torch.",
        ),
    ] = BackendName.ONNX,
    usage: Annotated[
        Path | None,
        typer.Option(
            envvar="TICKETLENS_USAGE_FILE",
            help="Product-usage file (as `report --usage`) for the pulse's urgent fixes and "
            "silence decoded.",
            show_default="none",
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    factory: Annotated[str, typer.Option(hidden=True)] = APP_FACTORY,
) -> None:
    """Run the HTTP service (/classify, webhooks, /feedback, /metrics) on uvicorn.

    The API token is read from $TICKETLENS_API_TOKEN only (a command line is visible to others).

    Every other setting can also be given as a TICKETLENS_* variable (see docs/serving.md).
    """
    if not os.environ.get(TOKEN_VARIABLE):
        raise TicketlensError(
            f"set {TOKEN_VARIABLE} to the bearer token clients must send", field=TOKEN_VARIABLE
        )
    if usage is not None:
        from training.analytics.usage_check import check_usage_file, usage_columns_from_env

        check_usage_file(usage, usage_columns_from_env())  # one line here, not inside uvicorn
        os.environ["TICKETLENS_USAGE_FILE"] = str(usage)
    from classifier.loading import model_bundles

    # Fail here, in one line, rather than inside the server (a cascade: both its bundles).
    bundles = model_bundles(model)
    check_backend(backend)
    transformers = {
        b.manifest.embedding_model.name: None
        for b in bundles
        if b.manifest.embedding_model.files is None
    }
    if backend == "onnx" and factory == APP_FACTORY:
        for name in transformers:
            # Export now, so a failure is one line here and not a server that never gets ready.
            with console.status("preparing the ONNX model (exported once per machine, ~1 min)…"):
                prepare_onnx_model(name, cache_dir or default_cache_dir())
    os.environ["TICKETLENS_MODEL_PATH"] = str(model)
    os.environ["TICKETLENS_BACKEND"] = backend
    if db is not None:
        os.environ["TICKETLENS_DB_URL"] = db
    if cache_dir is not None:
        os.environ["TICKETLENS_CACHE_DIR"] = str(cache_dir)
    import uvicorn

    console.print(f"serving {model} on http://{host}:{port}")
    uvicorn.run(factory, factory=True, host=host, port=port, log_level=log_level)


def _scores_table(result: RetrainResult, tolerance: float) -> Table:
    table = Table(title=f"held-out macro-F1 ({result.heldout_rows} tickets; tolerance {tolerance})")
    table.add_column("field")
    table.add_column(f"current\n{result.current_version}", justify="right")
    table.add_column(f"candidate\n{result.candidate_version}", justify="right")
    table.add_column("Δ", justify="right")
    table.add_column("tickets", justify="right")
    for name, score in result.scores.items():
        style = "red" if score.delta < -tolerance else "green"
        table.add_row(
            name,
            f"{score.current:.3f}",
            f"{score.candidate:.3f}",
            f"[{style}]{score.delta:+.3f}[/]",
            str(score.heldout_rows),
        )
    return table


def retrain_command(
    base: Annotated[
        Path, typer.Option("--base", help="Labeled export to start from (CSV, JSONL, Parquet).")
    ],
    db: Annotated[
        str | None, typer.Option(help="Prediction log URL holding the agents' corrections.")
    ] = None,
    model: Annotated[Path, typer.Option(help="The current model (moved on promotion).")] = Path(
        "models/current"
    ),
    tolerance: Annotated[
        float, typer.Option(min=0.0, help="Largest macro-F1 drop per field still promoted.")
    ] = 0.01,
    force: Annotated[
        bool, typer.Option("--force", help="Promote even if the candidate is worse.")
    ] = False,
    test_size: Annotated[
        float, typer.Option(min=0.05, max=0.5, help="Share of tickets held out.")
    ] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split.")] = 0,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Retrain on an export plus stored corrections; promote only if not worse than current."""
    # Imported here: the prediction log needs SQLAlchemy (the `serve` extra), other commands not.
    from training.fit.retrain import RetrainConfig, load_current, retrain

    embedder = bundle_embedder(load_current(model), cache_dir, no_cache)
    config = RetrainConfig(tolerance=tolerance, force=force, test_size=test_size, seed=seed)
    with console.status("training the candidate and scoring both models…"):
        result = retrain(base, embedder=embedder, current=model, db_url=db, config=config)
    console.print(
        f"{result.corrections_applied} label(s) corrected from the log"
        + (
            f", {result.corrections_unmatched} corrected id(s) not in the export"
            if result.corrections_unmatched
            else ""
        )
        + f"; trained on {result.train_rows} tickets"
    )
    console.print(result.compared_on)
    console.print(_scores_table(result, tolerance))
    verdict = "[bold green]promoted[/]" if result.promoted else "[bold yellow]not promoted[/]"
    console.print(f"{verdict} {result.candidate_path}: {result.reason}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ticketlens` app."""
    app.command("serve")(friendly_errors(serve_command))
    app.command("retrain")(friendly_errors(retrain_command))
