"""Durable before acknowledged: the journal, isolation of bad rows and tickets, bad bundles."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from classifier.bundle.store import load_bundle, set_current
from classifier.predictor import TicketClassifier
from classifier.predlog import PredictionStore, read_predictions
from classifier.records import Prediction, Ticket
from serve.app import create_app
from serve.batcher import MicroBatcher, PredictionFailed
from serve.journal import Journal, JournalError
from serve.log_writer import LogUnavailable, PredictionLogWriter
from serve.settings import Settings
from tests.fakes import HashingEmbedder
from tests.serve.conftest import AUTH, running_client, wait_ready
from tests.serve.test_predlog import _prediction

RECEIVED = datetime(2026, 1, 6, 8, tzinfo=UTC)


class SwitchableStore(PredictionStore):
    """A store that can be 'down' (raises what a dead database raises) and refuses POISON ids."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.down = False
        self.hold = threading.Event()
        self.hold.set()
        self.calls = 0

    def insert_rows(self, rows: Sequence[dict[str, Any]]) -> int:
        self.calls += 1
        self.hold.wait(timeout=10)
        if self.down:
            raise sa.exc.OperationalError("INSERT", {}, ConnectionRefusedError("refused"))
        if any(row["ticket_id"].startswith("POISON") for row in rows):
            raise sa.exc.DataError("INSERT", {}, ValueError("bad row"))
        return super().insert_rows(rows)


def _store(tmp_path: Path) -> SwitchableStore:
    store = SwitchableStore(f"sqlite:///{tmp_path / 'log.sqlite'}")
    store.create_tables()
    return store


async def _write(writer: PredictionLogWriter, ticket: Ticket) -> None:
    await writer.write([ticket], [_prediction(ticket.id, "v1", "billing", 0.9)], RECEIVED)


def _stored(store: PredictionStore) -> list[str]:
    return sorted(read_predictions(store.url)["ticket_id"])


def test_rows_journaled_while_the_database_is_down_are_replayed_once(tmp_path: Path) -> None:
    store = _store(tmp_path)
    journal = Journal(tmp_path / "journal.sqlite")
    writer = PredictionLogWriter(store, journal, retry_s=60)
    store.down = True
    asyncio.run(_write(writer, Ticket(id="A")))
    asyncio.run(_write(writer, Ticket(id="B", created_at=RECEIVED)))
    assert journal.stats()[0] == 2
    assert writer.replay() == 0  # still down: nothing leaves the journal
    store.down = False
    # A crash after a replay's commit but before the rows left the journal: stored again, once.
    SwitchableStore.insert_rows(store, [journal.take()[0][1]])
    assert writer.replay() == 2
    assert journal.stats()[:2] == (0, 0.0)
    assert writer.replay() == 0
    asyncio.run(_write(writer, Ticket(id="A")))  # a retry, now straight to the database
    assert journal.stats()[0] == 0
    writer.close()
    assert _stored(store) == ["A", "B"]  # the retried A is stored once
    assert read_predictions(store.url)["created_at"].iloc[-1] == RECEIVED


def test_the_journal_survives_a_restart(tmp_path: Path) -> None:
    Journal(tmp_path / "j.sqlite").append([{"ticket_id": "A", "received_at": RECEIVED}])
    reopened = Journal(tmp_path / "j.sqlite")
    ((_key, row),) = reopened.take()
    assert row == {"ticket_id": "A", "received_at": RECEIVED}


def test_a_poison_row_fails_alone_and_the_rest_of_its_group_commits(tmp_path: Path) -> None:
    store = _store(tmp_path)
    writer = PredictionLogWriter(store, Journal(tmp_path / "journal.sqlite"))
    overflow = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14)))

    async def scenario() -> list[BaseException | None]:
        store.hold.clear()  # the first commit waits, so the rest queue into one group
        first = asyncio.create_task(_write(writer, Ticket(id="first")))
        await asyncio.sleep(0.05)
        tickets = [Ticket(id=f"ok-{i}") for i in range(6)]
        tickets[2] = Ticket(id="POISON-1")
        tickets[4] = Ticket(id="late", created_at=overflow)  # cannot even become a UTC row
        later = [asyncio.create_task(_write(writer, t)) for t in tickets]
        await asyncio.sleep(0.05)
        store.hold.set()
        return list(await asyncio.gather(first, *later, return_exceptions=True))

    outcomes = asyncio.run(scenario())
    writer.close()
    failed = [o for o in outcomes if o is not None]
    assert len(failed) == 2 and not any(isinstance(o, LogUnavailable) for o in failed)
    assert _stored(store) == ["first", "ok-0", "ok-1", "ok-3", "ok-5"]


def test_503_when_neither_the_database_nor_the_journal_takes_the_row(tmp_path: Path) -> None:
    store = _store(tmp_path)
    journal = Journal(tmp_path / "journal.sqlite")
    journal.close()  # every append now fails
    writer = PredictionLogWriter(store, journal)
    store.down = True
    with pytest.raises(LogUnavailable):
        asyncio.run(_write(writer, Ticket(id="A")))
    writer.close()


def test_an_unwritable_journal_folder_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(JournalError, match="cannot open the journal"):
        Journal(tmp_path / "file" / "journal.sqlite")


def test_the_api_answers_503_with_retry_after_when_nothing_can_store(
    settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "ro").mkdir()
    url = f"sqlite:///{tmp_path / 'ro' / 'log.db'}"
    journal = tmp_path / "journal.sqlite"
    with running_client(settings.model_copy(update={"db_url": url, "journal_path": journal})) as c:
        wait_ready(c)
        service = c.app.state.service  # type: ignore[attr-defined]
        service.log_writer._store.engine.dispose()
        (tmp_path / "ro" / "log.db").unlink()
        (tmp_path / "ro").rmdir()  # the database file and its folder are gone

        def full(_rows: object) -> None:
            raise JournalError("journal.sqlite: cannot append to the journal (disk is full)")

        service.journal.append = full  # and the journal cannot take rows
        response = c.post("/classify", json={"id": "Z", "subject": "refund"}, headers=AUTH)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert "ticketlens_log_unavailable_total 1.0" in c.get("/metrics", headers=AUTH).text


class _Flaky:
    """A classifier that fails any call holding a ticket whose body is 'poison'."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict(self, tickets: Sequence[Ticket]) -> list[Prediction]:
        self.calls.append(len(tickets))
        if any(t.body == "poison" for t in tickets):
            raise TypeError("TextEncodeInput must be Union[...]")
        return [_prediction(t.id, "v1", "billing", 0.9) for t in tickets]


def test_a_ticket_that_fails_the_model_fails_alone() -> None:
    flaky = _Flaky()
    batcher = MicroBatcher(lambda: flaky, max_wait_s=0.05, max_size=32)  # type: ignore[arg-type,return-value]

    async def scenario() -> list[Any]:
        calls = [
            batcher.predict([Ticket(id=f"T{i}", body="poison" if i == 3 else "ok")])
            for i in range(8)
        ]
        return list(await asyncio.gather(*calls, return_exceptions=True))

    outcomes = asyncio.run(scenario())
    batcher.close()
    assert isinstance(outcomes[3], PredictionFailed) and "'T3'" in str(outcomes[3])
    assert [o[0].ticket_id for i, o in enumerate(outcomes) if i != 3] == [
        f"T{i}" for i in range(8) if i != 3
    ]
    assert flaky.calls[0] == 8  # one batch first, then each alone


def _bundle_with(models: Path, name: str, change: dict[str, Any]) -> Path:
    target = models / name
    shutil.copytree((models / "v1").resolve(), target)
    manifest = json.loads((target / "manifest.json").read_text())
    for key, value in change.items():
        manifest[key] = value(manifest) if callable(value) else value
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def _no_classes(manifest: dict[str, Any]) -> dict[str, Any]:
    return {name: {**entry, "classes": []} for name, entry in manifest["fields"].items()}


@pytest.mark.parametrize(
    ("change", "message"),
    [({"fields": {}}, "no label fields"), ({"fields": _no_classes}, "classes")],
)
def test_a_bundle_that_cannot_serve_is_refused_on_reload(
    client: TestClient, model_link: Path, change: dict[str, Any], message: str
) -> None:
    set_current(model_link.parent, _bundle_with(model_link.parent, "bad", change))
    refused = client.post("/admin/reload", headers=AUTH)
    assert refused.status_code == 409
    assert message in refused.json()["detail"] and "still serving v1" in refused.json()["detail"]
    assert client.post("/classify", json={"id": "R"}, headers=AUTH).status_code == 200


def test_an_embedder_the_heads_do_not_take_is_refused(settings: Settings) -> None:
    def mismatched(path: Path) -> TicketClassifier:
        return TicketClassifier(load_bundle(path), HashingEmbedder(dimension=17))

    with TestClient(create_app(settings, loader=mismatched)) as c:
        for _ in range(200):
            ready = c.get("/ready", headers=AUTH).json()
            if ready["status"] != "loading":
                break
        assert ready["status"] == "failed"
        assert "dimension=256 but the embedding model has 17" in ready["error"]
        assert "\n" not in ready["error"]
