"""`create_app(settings)`: the FastAPI app, and `app_from_env` for `uvicorn --factory`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from classifier.errors import TicketlensError
from classifier.loading import Model, load_model
from classifier.predlog import PredictionStore, Timeouts, safe_url
from serve.errors import redact_access_log, ticketlens_error_handler, validation_error_handler
from serve.metrics import Metrics
from serve.middleware import BodyLimitMiddleware, MetricsMiddleware
from serve.model import Loader, ModelHolder, servable
from serve.routes import classify, feedback, ops, similar, webhooks
from serve.routes.docs import add_docs
from serve.service import Service
from serve.settings import Settings
from serve.web import install as install_web

logger = logging.getLogger(__name__)


def _default_loader(cache_dir: Path | None, backend: str) -> Loader:
    def load(path: Path) -> Model:
        return load_model(path, cache_dir=cache_dir, backend=backend)

    return load


def create_app(
    settings: Settings,
    *,
    classifier: Model | None = None,
    loader: Loader | None = None,
    exit_on_failed_load: bool = False,
) -> FastAPI:
    """Build the service.

    `loader(path)` builds a classifier from a bundle path, or a cascade from a cascade folder
    (default: `classifier.loading.load_model`, each bundle's packaged embedding model on
    `settings.backend`, exported to ONNX first if this machine has no export);
    it runs at startup, before /ready turns 200, on POST /admin/reload and when the `model_path`
    symlink moves. Pass `classifier` to start with one already loaded (tests, embedding programs).
    A bundle that cannot serve (no label fields, a field without classes, an embedder the heads
    do not take) is refused; with `exit_on_failed_load` the first such failure ends the process
    with status 2 (what `ticketlens serve` wants) instead of waiting for a better bundle.
    """
    holder = ModelHolder(
        settings.model_path,
        servable(loader or _default_loader(settings.cache_dir, settings.backend)),
    )
    timeouts = Timeouts(
        connect_s=settings.db_connect_timeout_s, statement_ms=settings.db_statement_timeout_ms
    )
    store = (
        PredictionStore(settings.db_url, timeouts, aggregates=settings.log_aggregates)
        if settings.log_predictions
        else None
    )
    metrics = Metrics()
    service = Service(settings, holder, store, metrics)
    if classifier is not None:
        holder.set(classifier)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if store is not None:
            await asyncio.to_thread(store.create_tables)
            logger.info("prediction log: %s", safe_url(settings.db_url))
        background: list[asyncio.Task[object]] = []
        if holder.current is None:
            # Load off the event loop: /health answers at once, /ready turns 200 when done.
            background.append(asyncio.create_task(_first_load(holder, exit_on_failed_load)))
        if store is not None:
            background.append(
                asyncio.create_task(_drain_journal(service, settings.journal_replay_interval_s))
            )
        if settings.watch_interval_s > 0:
            background.append(asyncio.create_task(holder.watch(settings.watch_interval_s)))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await asyncio.to_thread(service.close)
            if store is not None:
                store.dispose()

    docs = settings.api_docs
    app = FastAPI(
        title="ticketlens",
        summary="Classify helpdesk tickets by category and product feature.",
        lifespan=lifespan,
        docs_url=None,  # served from vendored assets by add_docs, not from a CDN
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    if docs:
        add_docs(app, "/openapi.json")
    app.state.service = service
    app.add_exception_handler(TicketlensError, ticketlens_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    redact_access_log()
    app.include_router(ops.public)
    app.include_router(ops.router)
    app.include_router(classify.router)
    app.include_router(feedback.router)
    app.include_router(webhooks.router)
    app.include_router(similar.router)
    if store is not None and store.aggregates:  # pages, /releases, alerts read the aggregates
        install_web(app, service)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: sees 413s too
    return app


async def _first_load(holder: ModelHolder, exit_on_failure: bool) -> None:
    try:
        await holder.reload()
    except Exception as exc:  # recorded in holder.error and shown by /ready
        if exit_on_failure:
            # Nothing was answered yet (no model) and journaled rows are on disk: exit now, so
            # a supervisor sees the failure instead of a server that never becomes ready.
            print(f"ticketlens: cannot serve {holder.path}: {exc}", file=sys.stderr, flush=True)
            logging.shutdown()
            os._exit(2)
        return


async def _drain_journal(service: Service, interval_s: float) -> None:
    """Replay journaled log rows whenever there are some (runs until cancelled)."""
    while True:
        await asyncio.sleep(interval_s)
        if service.journal_stats()[0] > 0:
            try:
                await asyncio.to_thread(service.replay_journal)
            except Exception:  # the journal itself failed; keep serving and try again
                logger.exception("journal replay failed")


def app_from_env() -> FastAPI:
    """The app configured from `TICKETLENS_*` variables (what `ticketlens serve` runs)."""
    # api_token comes from the env
    return create_app(Settings(), exit_on_failed_load=True)  # type: ignore[call-arg]
