"""The prediction log writer: concurrent requests share a transaction, errors reach each caller."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifier.predlog import PredictionStore, read_predictions
from classifier.records import Ticket
from serve.log_writer import PredictionLogWriter
from tests.serve.test_predlog import _prediction

RECEIVED = datetime(2026, 1, 6, 8, tzinfo=UTC)


class HeldStore(PredictionStore):
    """Holds its first commit until released, so later writes queue up behind it."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.release = threading.Event()
        self.commits = 0

    def insert_rows(self, rows: Sequence[dict[str, Any]]) -> int:
        self.commits += 1
        if self.commits == 1:
            self.release.wait(timeout=10)
        return super().insert_rows(rows)


async def _write_all(writer: PredictionLogWriter, store: HeldStore, ids: list[str]) -> None:
    first = asyncio.create_task(
        writer.write([Ticket(id=ids[0])], [_prediction(ids[0], "v1", "billing", 0.9)], RECEIVED)
    )
    await asyncio.sleep(0.05)  # the writer thread is inside the first commit now
    later = [
        asyncio.create_task(
            writer.write([Ticket(id=i)], [_prediction(i, "v1", "login", 0.8)], RECEIVED)
        )
        for i in ids[1:]
    ]
    await asyncio.sleep(0.05)
    store.release.set()
    await asyncio.gather(first, *later)


def test_requests_queued_behind_a_commit_share_the_next_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite'}"
    store = HeldStore(url)
    store.create_tables()
    writer = PredictionLogWriter(store)
    ids = [f"T-{i}" for i in range(11)]
    # A retried ticket in the queue is stored once.
    asyncio.run(_write_all(writer, store, [*ids, "T-3"]))
    writer.close()
    assert writer.group_sizes == [1, 11]
    stored = read_predictions(url)
    assert sorted(stored["ticket_id"]) == sorted(ids)


async def _write(writer: PredictionLogWriter, ticket_id: str) -> None:
    await writer.write(
        [Ticket(id=ticket_id)], [_prediction(ticket_id, "v1", "billing", 0.9)], RECEIVED
    )


class FailingStore(PredictionStore):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.fail = True

    def insert_rows(self, rows: Sequence[dict[str, Any]]) -> int:
        if self.fail:
            raise RuntimeError("disk full")
        return super().insert_rows(rows)


def test_a_failed_commit_reaches_every_caller_and_the_writer_goes_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite'}"
    store = FailingStore(url)
    store.create_tables()
    writer = PredictionLogWriter(store)

    async def scenario() -> list[BaseException | None]:
        outcomes = await asyncio.gather(
            _write(writer, "A"), _write(writer, "B"), return_exceptions=True
        )
        store.fail = False
        await _write(writer, "C")
        return list(outcomes)

    outcomes = asyncio.run(scenario())
    writer.close()
    assert all(isinstance(o, RuntimeError) and "disk full" in str(o) for o in outcomes)
    assert list(read_predictions(url)["ticket_id"]) == ["C"]


def test_close_stores_what_is_queued_and_a_later_write_restarts_the_thread(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite'}"
    store = PredictionStore(url)
    store.create_tables()
    writer = PredictionLogWriter(store)

    asyncio.run(_write(writer, "A"))
    writer.close()
    asyncio.run(_write(writer, "B"))
    writer.close()
    assert sorted(read_predictions(url)["ticket_id"]) == ["A", "B"]


def test_groups_without_tickets_write_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite'}"
    store = PredictionStore(url)
    store.create_tables()
    assert store.record_prediction_groups([([], [], RECEIVED), ([], [], None)]) == 0
    assert read_predictions(url).empty
