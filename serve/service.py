"""The service's moving parts in one object: model, batcher, prediction log and metrics."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi import HTTPException

from classifier.predictor import TicketClassifier
from classifier.predlog import PredictionStore
from classifier.records import Prediction, Ticket
from serve.batcher import MicroBatcher
from serve.log_writer import PredictionLogWriter
from serve.metrics import Metrics
from serve.model import ModelHolder
from serve.settings import Settings

logger = logging.getLogger(__name__)


class Service:
    """What the routes call: the live classifier, micro-batched, counted and logged."""

    def __init__(
        self,
        settings: Settings,
        holder: ModelHolder,
        store: PredictionStore | None,
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.holder = holder
        self.store = store
        self.log_writer = PredictionLogWriter(store) if store is not None else None
        self.metrics = metrics
        self.batcher = MicroBatcher(
            self.classifier,
            max_wait_s=settings.batcher_max_wait_ms / 1000,
            max_size=settings.batcher_max_size,
            workers=settings.batcher_workers,
            on_batch=metrics.batch_size.observe,
        )
        holder.on_change = lambda c: metrics.set_model(c.version, c.embedder.info.name)

    def classifier(self) -> TicketClassifier:
        """The live classifier; 503 while none is loaded."""
        current = self.holder.current
        if current is None:
            detail = "model is not loaded"
            if self.holder.error:
                detail += f": {self.holder.error}"
            raise HTTPException(status_code=503, detail=detail)
        return current

    async def classify(self, tickets: Sequence[Ticket]) -> list[Prediction]:
        """Predict (micro-batched with concurrent requests), count, and log each ticket."""
        self.classifier()  # answer 503 before queueing when no model is loaded
        received = datetime.now(UTC)
        predictions = await self.batcher.predict(tickets)
        self.metrics.observe_predictions(predictions)
        if self.log_writer is not None:
            try:
                await self.log_writer.write(tickets, predictions, received)
            except Exception:
                # The helpdesk still gets its labels; the lost log row is counted and logged.
                self.metrics.predlog_errors.inc()
                logger.exception("could not write %d prediction(s) to the log", len(tickets))
        return predictions

    def close(self) -> None:
        """Store the queued log rows and stop the service's threads."""
        if self.log_writer is not None:
            self.log_writer.close()
        self.batcher.close()
