"""The service's moving parts in one object: model, batcher, prediction log and metrics."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi import HTTPException

from classifier.cascade import CascadeClassifier
from classifier.loading import Model
from classifier.predictor import TicketClassifier
from classifier.predlog import PredictionStore
from classifier.records import Prediction, Ticket
from serve.batcher import MicroBatcher, PredictionFailed
from serve.edge import EdgeError, checked_ticket
from serve.journal import Journal
from serve.log_writer import LogUnavailable, PredictionLogWriter
from serve.metrics import Metrics
from serve.model import ModelHolder
from serve.schemas import CascadeOut, CascadeStageOut
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
        self.metrics = metrics
        self.journal: Journal | None = None
        self.log_writer: PredictionLogWriter | None = None
        if store is not None:
            self.journal = Journal(settings.journal_file())
            self.log_writer = PredictionLogWriter(
                store, self.journal, retry_s=settings.db_retry_s, metrics=metrics
            )
            metrics.journal_depth.set_function(lambda: self.journal_stats()[0])
            metrics.journal_age.set_function(lambda: self.journal_stats()[1])
            metrics.journal_rejected.set_function(lambda: self.journal_stats()[2])
        self.batcher = MicroBatcher(
            self.classifier,
            predict=self._predict,
            max_wait_s=settings.batcher_max_wait_ms / 1000,
            max_size=settings.batcher_max_size,
            workers=settings.batcher_workers,
            on_batch=metrics.batch_size.observe,
        )
        holder.on_change = lambda c: metrics.set_model(model_info(c))

    def classifier(self) -> Model:
        """The live classifier; 503 while none is loaded."""
        current = self.holder.current
        if current is None:
            detail = "model is not loaded"
            if self.holder.error:
                detail += f": {self.holder.error}"
            raise self.unavailable(detail)
        return current

    def unavailable(self, detail: str) -> HTTPException:
        """A 503 the caller should retry (helpdesks retry webhooks on 5xx)."""
        return HTTPException(
            status_code=503,
            detail=detail,
            headers={"Retry-After": str(self.settings.retry_after_s)},
        )

    def _predict(self, model: Model, tickets: list[Ticket]) -> list[Prediction]:
        """`model.predict`; a cascade's answers are counted by the stage that gave them."""
        if not isinstance(model, CascadeClassifier):
            return model.predict(tickets)
        predictions, routed = model.predict_routed(tickets)
        self.metrics.observe_stages(model.version, len(tickets) - len(routed), len(routed))
        return predictions

    def cascade_out(self, model: Model) -> CascadeOut | None:
        """What `/model` and the model page show of a cascade; None for a single bundle."""
        if not isinstance(model, CascadeClassifier):
            return None
        record = model.record
        fast, accurate = self.metrics.stage_counts(model.version)
        return CascadeOut(
            threshold=model.threshold,
            loss_budget=record.loss_budget if record else None,
            expected_accurate_share=record.expected_accurate_share if record else None,
            fast=_stage_out(model.fast),
            accurate=_stage_out(model.accurate),
            answered_fast=fast,
            answered_accurate=accurate,
            live_accurate_share=accurate / (fast + accurate) if fast + accurate else None,
        )

    def journal_stats(self) -> tuple[int, float, int]:
        """(rows waiting in the journal, age of the oldest in seconds, rows set aside)."""
        return self.journal.stats() if self.journal is not None else (0, 0.0, 0)

    async def classify(self, tickets: Sequence[Ticket]) -> list[Prediction]:
        """Predict (micro-batched with concurrent requests), count, and store each ticket.

        Returns only once every row is in the database or the journal; otherwise 503.
        """
        self.classifier()  # answer 503 before queueing when no model is loaded
        try:
            tickets = [checked_ticket(ticket) for ticket in tickets]
        except EdgeError as exc:
            raise HTTPException(
                status_code=422,
                detail=[{"loc": ["body", exc.field], "msg": exc.message, "type": "value_error"}],
            ) from exc
        received = datetime.now(UTC)
        try:
            predictions = await self.batcher.predict(tickets)
        except PredictionFailed as exc:
            raise HTTPException(status_code=500, detail=str(exc)) from exc
        self.metrics.observe_predictions(predictions)
        if self.log_writer is not None:
            try:
                await self.log_writer.write(
                    tickets, predictions, received, deadline_s=self.settings.log_deadline_s
                )
            except LogUnavailable as exc:
                self.metrics.unavailable.inc()
                raise self.unavailable(f"prediction not stored, retry later: {exc}") from exc
            except Exception as exc:
                # The database refused these rows by their content: no answer without its row.
                self.metrics.predlog_errors.inc(len(tickets))
                logger.error("could not store %d prediction(s): %s", len(tickets), exc)
                raise HTTPException(
                    status_code=500, detail="the prediction log refused this request's rows"
                ) from exc
        return predictions

    def replay_journal(self, limit: int = 500) -> int:
        """Move journaled rows into the database until it is empty or the database is away."""
        moved = 0
        if self.log_writer is not None:
            while (step := self.log_writer.replay(limit)) > 0:
                moved += step
        return moved

    def close(self) -> None:
        """Store the queued log rows and stop the service's threads."""
        if self.log_writer is not None:
            self.log_writer.close()
        if self.journal is not None:
            self.journal.close()
        self.batcher.close()


def _stage_out(model: TicketClassifier) -> CascadeStageOut:
    manifest = model.manifest
    return CascadeStageOut(
        version=model.version,
        mode=manifest.mode,
        embedding_model=manifest.embedding_model.name,
        created_at=manifest.created_at,
    )


def model_info(model: Model) -> dict[str, str]:
    """What `ticketlens_model` says about the model served."""
    info = {"version": model.version, "embedding_model": model.embedder.info.name}
    if isinstance(model, CascadeClassifier):
        info["fast_embedding_model"] = model.fast.embedder.info.name
        info["cascade_threshold"] = f"{model.threshold:.4g}"
    return info
