"""Write the prediction log from one thread, many requests' rows per transaction.

One request, one transaction made concurrent requests queue on SQLite's write lock (its busy
handler sleeps up to 100 ms at a time) and filled the worker threads the model needs. Here each
request hands its rows to a single writer thread and awaits them being stored; the writer takes
whatever has queued since its last commit and stores it in one transaction (a group commit), so
the cost per ticket falls as the load rises and the answer still leaves only once its row is in.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from classifier.predlog import PredictionStore
from classifier.records import Prediction, Ticket

MAX_GROUP = 512  # requests per transaction at most


@dataclass
class _Job:
    tickets: Sequence[Ticket]
    predictions: Sequence[Prediction]
    received_at: datetime
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]


class PredictionLogWriter:
    """Queues prediction rows for one writer thread; `write` returns when they are committed."""

    def __init__(self, store: PredictionStore) -> None:
        self._store = store
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.group_sizes: list[int] = []
        """Requests per transaction of the last commits (bounded; for tests and diagnostics)."""

    async def write(
        self, tickets: Sequence[Ticket], predictions: Sequence[Prediction], received_at: datetime
    ) -> None:
        """Store the rows; raises what the database raised for the transaction holding them."""
        self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Job(tickets, predictions, received_at, loop, future))
        await future

    def close(self, timeout: float = 10.0) -> None:
        """Store what is queued, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="prediction-log-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs, stop = [first], False
            while len(jobs) < MAX_GROUP:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                jobs.append(job)
            self._commit(jobs)
            if stop:
                return

    def _commit(self, jobs: list[_Job]) -> None:
        self.group_sizes = [*self.group_sizes[-99:], len(jobs)]
        try:
            self._store.record_prediction_groups(
                [(job.tickets, job.predictions, job.received_at) for job in jobs]
            )
        except Exception as exc:
            for job in jobs:
                job.loop.call_soon_threadsafe(_settle, job.future, exc)
        else:
            for job in jobs:
                job.loop.call_soon_threadsafe(_settle, job.future, None)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the request was cancelled meanwhile
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
