"""`create_app(settings)`: the FastAPI app, and `app_from_env` for `uvicorn --factory`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from classifier.errors import TicketlensError
from classifier.predictor import TicketClassifier
from classifier.predlog import PredictionStore, safe_url
from serve.errors import ticketlens_error_handler
from serve.metrics import Metrics
from serve.middleware import BodyLimitMiddleware, MetricsMiddleware
from serve.model import Loader, ModelHolder
from serve.routes import classify, feedback, ops, webhooks
from serve.service import Service
from serve.settings import Settings

logger = logging.getLogger(__name__)


def _default_loader(cache_dir: Path | None, backend: str) -> Loader:
    def load(path: Path) -> TicketClassifier:
        return TicketClassifier.load(path, cache_dir=cache_dir, backend=backend)

    return load


def create_app(
    settings: Settings,
    *,
    classifier: TicketClassifier | None = None,
    loader: Loader | None = None,
) -> FastAPI:
    """Build the service.

    `loader(path)` builds a classifier from a bundle path (default: the bundle's packaged
    embedding model on `settings.backend`, exported to ONNX first if this machine has no export);
    it runs at startup, before /ready turns 200, on POST /admin/reload and when the `model_path`
    symlink moves. Pass `classifier` to start with one already loaded (tests, embedding programs).
    """
    holder = ModelHolder(
        settings.model_path, loader or _default_loader(settings.cache_dir, settings.backend)
    )
    store = PredictionStore(settings.db_url) if settings.log_predictions else None
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
            background.append(asyncio.create_task(_first_load(holder)))
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

    app = FastAPI(
        title="ticketlens",
        summary="Classify helpdesk tickets by category and product feature.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_exception_handler(TicketlensError, ticketlens_error_handler)
    app.include_router(ops.public)
    app.include_router(ops.router)
    app.include_router(classify.router)
    app.include_router(feedback.router)
    app.include_router(webhooks.router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: sees 413s too
    return app


async def _first_load(holder: ModelHolder) -> None:
    try:
        await holder.reload()
    except Exception:  # recorded in holder.error and shown by /ready
        return


def app_from_env() -> FastAPI:
    """The app configured from `TICKETLENS_*` variables (what `ticketlens serve` runs)."""
    return create_app(Settings())  # type: ignore[call-arg]  # api_token comes from the env
