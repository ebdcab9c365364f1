"""Gather concurrent classify calls for a few milliseconds into one `predict` call.

Embedding a batch of 32 texts costs far less than 32 single calls, so under load the service
answers more tickets per second; when idle a ticket waits at most `max_wait_s` (default 0).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from classifier.loading import Model
from classifier.records import Prediction, Ticket

logger = logging.getLogger(__name__)


class PredictionFailed(Exception):
    """The model failed on this ticket (alone: the rest of its batch was answered)."""

    def __init__(self, ticket_id: str, cause: BaseException) -> None:
        super().__init__(f"ticket '{ticket_id}' could not be classified ({type(cause).__name__})")
        self.ticket_id = ticket_id


@dataclass
class _Pending:
    ticket: Ticket
    future: asyncio.Future[Prediction]


class MicroBatcher:
    """Queues tickets and runs them through `predict` in batches of up to `max_size`.

    A batch starts `max_wait_s` after its first ticket arrived, or at once when `max_size` are
    waiting, but only while fewer than `workers` batches run: tickets arriving while the model
    is busy join the next batch instead of queueing as many small ones. Each batch takes the
    classifier that is live when it starts and runs `predict` on the batcher's own threads (never
    queued behind other work in the default pool), off the event loop; every caller awaits its
    own future. `predict(classifier, tickets)` replaces `classifier.predict(tickets)` where the
    caller wants more from the call (the service counts a cascade's stages).
    """

    def __init__(
        self,
        classifier: Callable[[], Model],
        *,
        predict: Callable[[Model, list[Ticket]], list[Prediction]] | None = None,
        max_wait_s: float = 0.0,
        max_size: int = 32,
        workers: int = 1,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._classifier = classifier
        self._run_model = predict or _plain_predict
        self._max_wait_s = max_wait_s
        self._max_size = max_size
        self._workers = workers
        self._on_batch = on_batch
        self._running = 0
        self._pending: list[_Pending] = []
        self._timer: asyncio.TimerHandle | None = None
        self._due = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._executor: ThreadPoolExecutor | None = None
        self.batch_sizes: list[int] = []
        """Sizes of the last batches run (bounded; for tests and diagnostics)."""

    async def predict(self, tickets: Sequence[Ticket]) -> list[Prediction]:
        """Predictions for `tickets`, in order, computed together with concurrent callers'."""
        loop = asyncio.get_running_loop()
        futures = []
        for ticket in tickets:
            future: asyncio.Future[Prediction] = loop.create_future()
            self._pending.append(_Pending(ticket, future))
            futures.append(future)
        if len(self._pending) >= self._max_size:
            self._due = True
            self._start_batches()
        elif self._pending and self._timer is None and not self._due:
            self._timer = loop.call_later(self._max_wait_s, self._on_timer)
        return list(await asyncio.gather(*futures))

    def _on_timer(self) -> None:
        self._timer = None
        self._due = True
        self._start_batches()

    def _start_batches(self) -> None:
        while self._due and self._pending and self._running < self._workers:
            batch, self._pending = (
                self._pending[: self._max_size],
                self._pending[self._max_size :],
            )
            self._running += 1
            self.batch_sizes = [*self.batch_sizes[-99:], len(batch)]
            if self._on_batch is not None:
                self._on_batch(len(batch))
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if not self._pending:
            self._due = False
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    async def _run(self, batch: list[_Pending]) -> None:
        try:
            classifier = self._classifier()
        except Exception as exc:  # no model: every caller gets the same answer (503)
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(exc)
            self._finished()
            return
        try:
            predictions = await self._predict(classifier, [item.ticket for item in batch])
        except Exception as exc:
            if len(batch) == 1:
                self._fail(batch[0], exc)
                self._finished()
                return
            # One ticket's text can fail the whole call: predict each alone so only it fails.
            logger.warning("prediction failed for a batch of %d; retrying each alone", len(batch))
            for item in batch:
                await self._run_alone(classifier, item)
        else:
            for item, prediction in zip(batch, predictions, strict=True):
                if not item.future.done():
                    item.future.set_result(prediction)
        self._finished()

    async def _predict(self, classifier: Model, tickets: list[Ticket]) -> list[Prediction]:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="predict")
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._run_model, classifier, tickets
        )

    async def _run_alone(self, classifier: Model, item: _Pending) -> None:
        try:
            (prediction,) = await self._predict(classifier, [item.ticket])
        except Exception as exc:
            self._fail(item, exc)
        else:
            if not item.future.done():
                item.future.set_result(prediction)

    def _fail(self, item: _Pending, exc: BaseException) -> None:
        logger.error("prediction failed for ticket %r: %r", item.ticket.id, exc)
        if not item.future.done():
            item.future.set_exception(PredictionFailed(item.ticket.id, exc))

    def _finished(self) -> None:
        self._running -= 1
        # Whatever arrived while this batch ran has waited long enough: start it now.
        self._due = self._due or bool(self._pending)
        self._start_batches()

    def close(self) -> None:
        """Stop the batcher's threads after running batches (a later batch starts new ones)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)


def _plain_predict(classifier: Model, tickets: list[Ticket]) -> list[Prediction]:
    return classifier.predict(tickets)
