"""Write the prediction log from one thread, many requests' rows per transaction.

One request, one transaction made concurrent requests queue on SQLite's write lock (its busy
handler sleeps up to 100 ms at a time) and filled the worker threads the model needs. Here each
request hands its rows to a single writer thread and awaits them being stored; the writer takes
whatever has queued since its last commit and stores it in one transaction (a group commit), so
the cost per ticket falls as the load rises and the answer still leaves only once its row is in.

A row that spoils its group (the database refuses its content) is retried alone, so the others
commit. When the database is away, locked or slow (its timeouts fire), the rows go to the local
`Journal` instead and the database is skipped for `retry_s`; `replay` moves them back later. Only
when neither can take a request's rows does its `write` raise `LogUnavailable` (the API's 503).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from classifier.predlog import PredictionStore, is_unavailable, prediction_rows
from classifier.records import Prediction, Ticket
from serve.journal import Journal, JournalError
from serve.metrics import Metrics

logger = logging.getLogger(__name__)

MAX_GROUP = 512  # requests per transaction at most


@dataclass
class _Job:
    tickets: Sequence[Ticket]
    predictions: Sequence[Prediction]
    received_at: datetime
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]
    rows: list[dict[str, Any]] = field(default_factory=list)


class LogUnavailable(Exception):
    """Neither the database nor the journal could take the rows: nothing was stored."""


class PredictionLogWriter:
    """Queues prediction rows for one writer thread; `write` returns when they are committed."""

    def __init__(
        self,
        store: PredictionStore,
        journal: Journal | None = None,
        *,
        retry_s: float = 1.0,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self.journal = journal
        self._retry_s = retry_s
        self._metrics = metrics
        self._down_until = 0.0
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.group_sizes: list[int] = []
        """Requests per transaction of the last commits (bounded; for tests and diagnostics)."""

    async def write(
        self,
        tickets: Sequence[Ticket],
        predictions: Sequence[Prediction],
        received_at: datetime,
        *,
        deadline_s: float | None = None,
    ) -> None:
        """Store the rows in the database or the journal.

        Raises `LogUnavailable` when neither took them within `deadline_s`, or what the database
        raised for rows it refuses by their content.
        """
        self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Job(tickets, predictions, received_at, loop, future))
        try:
            await asyncio.wait_for(future, deadline_s)
        except TimeoutError as exc:
            # The rows may still be stored later; unacknowledged, a retry is stored once anyway.
            raise LogUnavailable(f"the prediction log took longer than {deadline_s:g}s") from exc

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
        ready = []
        for job in jobs:
            try:
                job.rows = prediction_rows(job.tickets, job.predictions, job.received_at)
            except Exception as exc:  # a row that cannot even be built fails only its request
                _done(job, exc)
            else:
                ready.append(job)
        if self.journal is not None and time.monotonic() < self._down_until:
            self._to_journal(ready)
            return
        try:
            self._store.insert_rows([row for job in ready for row in job.rows])
        except Exception as exc:
            if is_unavailable(exc):
                self._away(exc, ready)
            else:
                self._one_by_one(ready)
        else:
            for job in ready:
                _done(job, None)

    def _one_by_one(self, jobs: list[_Job]) -> None:
        for index, job in enumerate(jobs):
            try:
                self._store.insert_rows(job.rows)
            except Exception as exc:
                if is_unavailable(exc):
                    self._away(exc, jobs[index:])
                    return
                logger.error(
                    "prediction log refused %d row(s) of one request: %s", len(job.rows), exc
                )
                _done(job, exc)
            else:
                _done(job, None)

    def _away(self, exc: BaseException, jobs: list[_Job]) -> None:
        """The database did not answer in time: journal `jobs` and skip it for a while."""
        if self.journal is None:
            for job in jobs:
                _done(job, LogUnavailable(f"the prediction log is unavailable ({exc})"))
            return
        if time.monotonic() >= self._down_until:
            logger.warning("prediction log unavailable, journaling: %s", str(exc).splitlines()[0])
        self._down_until = time.monotonic() + self._retry_s
        self._to_journal(jobs)

    def _to_journal(self, jobs: list[_Job]) -> None:
        assert self.journal is not None
        rows = [row for job in jobs for row in job.rows]
        try:
            self.journal.append(rows)
        except JournalError as exc:
            logger.error("%s", exc)
            if self._metrics is not None:
                self._metrics.predlog_errors.inc(len(rows))
            for job in jobs:
                _done(job, LogUnavailable(str(exc)))
            return
        if self._metrics is not None:
            self._metrics.journaled.inc(len(rows))
        for job in jobs:
            _done(job, None)

    def replay(self, limit: int = 500) -> int:
        """Move up to `limit` journaled rows into the database; returns how many left the journal.

        Safe to repeat and to run beside the writer: stored pairs are skipped, and a row leaves
        the journal only after its commit.
        """
        if self.journal is None:
            return 0
        batch = self.journal.take(limit)
        if not batch:
            return 0
        try:
            self._store.insert_rows([row for _key, row in batch])
        except Exception as exc:
            if is_unavailable(exc):
                self._down_until = time.monotonic() + self._retry_s
                return 0
            return self._replay_one_by_one(batch)
        self.journal.remove([key for key, _row in batch])
        self._down_until = 0.0
        if self._metrics is not None:
            self._metrics.replayed.inc(len(batch))
        return len(batch)

    def _replay_one_by_one(self, batch: list[tuple[int, dict[str, Any]]]) -> int:
        assert self.journal is not None
        moved = 0
        for key, row in batch:
            try:
                self._store.insert_rows([row])
            except Exception as exc:
                if is_unavailable(exc):
                    break
                logger.error(
                    "journal row %d refused by the prediction log, set aside: %s", key, exc
                )
                self.journal.reject(key, str(exc))
            else:
                self.journal.remove([key])
                moved += 1
        if self._metrics is not None:
            self._metrics.replayed.inc(moved)
        return moved


def _done(job: _Job, error: BaseException | None) -> None:
    job.loop.call_soon_threadsafe(_settle, job.future, error)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the request was cancelled meanwhile
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
