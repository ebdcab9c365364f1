"""The pages' weekly aggregates: kept by every write, never twice for a replayed row, filled once
from a log that predates them; on SQLite and the local PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from classifier.predlog import PredictionStore, predictions_table, weekly_totals
from classifier.records import FieldPrediction, LabelScore, Prediction, Ticket
from serve.journal import Journal
from serve.log_writer import PredictionLogWriter
from serve.web import aggregates, queue
from serve.web.tables import create_web_tables
from tests.serve.web.seed import log_rows, scored_row

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MONDAY = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Opens empty logs (tables created) on one database kind; dropped afterwards."""
    opened: list[PredictionStore] = []
    schemas: list[str] = []
    admin = sa.create_engine(POSTGRES) if request.param == "postgresql" else None

    def make(name: str = "log") -> PredictionStore:
        if admin is None:
            url = f"sqlite:///{tmp_path / f'{name}.db'}"
        else:
            schema = f"ticketlens_agg_{uuid.uuid4().hex[:12]}"
            try:
                with admin.begin() as connection:
                    connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            except sa.exc.OperationalError as exc:
                pytest.skip(f"no PostgreSQL server answers at {POSTGRES}: {exc.orig}")
            schemas.append(schema)
            url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        store = PredictionStore(url)
        store.create_tables()
        create_web_tables(store.engine)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.dispose()
    if admin is not None:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _prediction(ticket_id: str, label: str, scores: list[float], review: bool) -> Prediction:
    others = ["billing", "login_access", "technical_issue"]
    others.remove(label)
    top = [
        LabelScore(label=n, confidence=c) for n, c in zip([label, *others], scores, strict=False)
    ]
    field = FieldPrediction(
        label=label,
        confidence=scores[0],
        top=top,
        needs_review=review,
        review_reason="low_confidence" if review else None,
    )
    return Prediction(ticket_id=ticket_id, model_version="v1", fields={"category": field})


def _known_log() -> tuple[list[Ticket], list[Prediction]]:
    """Week 1: ACC-A billing twice (one flagged), ACC-B login_access (close call); week 2: a
    ticket with no creation time (received then) and no account, technical_issue."""
    tickets = [
        Ticket(id="K-1", body="x", account_id="ACC-A", created_at=MONDAY + timedelta(days=1)),
        Ticket(id="K-2", body="x", account_id="ACC-A", created_at=MONDAY + timedelta(days=2)),
        Ticket(id="K-3", body="x", account_id="ACC-B", created_at=MONDAY + timedelta(days=6)),
        Ticket(id="K-4", body="x"),
    ]
    predictions = [
        _prediction("K-1", "billing", [0.9, 0.05, 0.05], False),
        _prediction("K-2", "billing", [0.4, 0.35, 0.25], True),
        _prediction("K-3", "login_access", [0.5, 0.45, 0.05], False),  # margin 0.05
        _prediction("K-4", "technical_issue", [0.8, 0.1, 0.1], False),
    ]
    return tickets, predictions


def _write_known(store: PredictionStore) -> None:
    tickets, predictions = _known_log()
    assert store.record_predictions(tickets[:3], predictions[:3]) == 3
    store.record_predictions(tickets[3:], predictions[3:], received_at=MONDAY + timedelta(days=8))


def test_rows_written_by_the_service_are_counted_per_week_label_and_account(
    make_store: Any,
) -> None:
    store = make_store()
    _write_known(store)
    table = aggregates.weekly_table(store.engine, "category")
    assert table.weeks == ["2024-01-01", "2024-01-08"]
    assert table.labels == ["billing", "login_access", "technical_issue"]
    assert table.tickets.tolist() == [[2, 1, 0], [0, 0, 1]]
    assert table.accounts.tolist() == [[1, 1, 0], [0, 0, 0]]  # ACC-A twice is one account
    assert table.top.tolist() == [[2, 1, 0], [0, 0, 0]]  # ACC-A's two billing tickets
    assert table.week_tickets == [3, 1] and table.week_accounts == [2, 0]
    assert table.week_review == [1, 0]
    counts, review, fixed = aggregates.label_counts(store.engine, "category")
    assert counts == {"billing": 2, "login_access": 1, "technical_issue": 1}
    assert (review, fixed) == (1, 0)
    # the logged margin makes K-3 a suggestion: the active-learning picks work on a real log
    assert queue.remaining(store.engine, "category") == 1
    assert queue.suggested_remaining(store.engine, "category") == 1
    now = datetime(2024, 2, 1, tzinfo=UTC)
    first = queue.next_item(store.engine, "category", "ana", claim_minutes=5, now=now)
    second = queue.next_item(
        store.engine, "category", "ana", claim_minutes=5, now=now, skip=frozenset({"K-2"})
    )
    assert first is not None and (first.ticket_id, first.suggested) == ("K-2", False)
    assert second is not None and (second.ticket_id, second.suggested) == ("K-3", True)
    assert second.margin == pytest.approx(0.05)
    store.record_feedback("K-2", "category", "login_access", agent="ana")
    assert queue.remaining(store.engine, "category") == 0
    assert aggregates.label_counts(store.engine, "category")[2] == 1


def test_a_replayed_or_retried_ticket_is_counted_once(make_store: Any, tmp_path: Path) -> None:
    store = make_store()
    _write_known(store)
    before = aggregates.weekly_table(store.engine, "category")
    tickets, predictions = _known_log()
    assert store.record_predictions(tickets, predictions) == 0  # a helpdesk retrying
    journal = Journal(tmp_path / "journal.db")
    writer = PredictionLogWriter(store, journal)
    journal.append(store_rows(tickets, predictions))  # journaled while the database was slow
    assert writer.replay() == 4 and journal.stats()[0] == 0
    after = aggregates.weekly_table(store.engine, "category")
    assert after.tickets.tolist() == before.tickets.tolist()
    assert after.week_tickets == before.week_tickets and after.week_review == [1, 0]
    assert queue.remaining(store.engine, "category") == 1
    journal.close()


def store_rows(tickets: list[Ticket], predictions: list[Prediction]) -> list[dict[str, Any]]:
    from classifier.predlog import prediction_rows

    return prediction_rows(tickets, predictions, MONDAY + timedelta(days=8))


def test_rows_through_the_writer_thread_are_counted(make_store: Any) -> None:
    store = make_store()
    tickets, predictions = _known_log()
    writer = PredictionLogWriter(store)

    async def write() -> None:
        await asyncio.gather(
            *(
                writer.write([t], [p], MONDAY + timedelta(days=8))
                for t, p in zip(tickets, predictions, strict=True)
            )
        )

    asyncio.run(write())
    writer.close()
    table = aggregates.weekly_table(store.engine, "category")
    assert int(table.tickets.sum()) == 4 and table.week_review == [1, 0]


def _mixed_rows() -> list[dict[str, Any]]:
    rows = log_rows()
    rows += [
        scored_row(f"S-{i}", [0.5, 0.5 - i / 100, i / 100], flagged=i % 3 == 0) for i in range(10)
    ]
    rows += [{**rows[0], "model_version": "v2"}]  # one ticket by two models: two rows
    return rows


def test_a_log_from_before_the_aggregates_is_filled_once_at_start_up(make_store: Any) -> None:
    live = make_store("live")
    old = make_store("old")
    rows = _mixed_rows()
    live.insert_rows(rows)
    with old.engine.begin() as connection:  # written by a version without aggregates
        connection.execute(
            predictions_table.insert(), [{**r, "id": i + 1} for i, r in enumerate(rows)]
        )
    assert aggregates.weekly_table(old.engine, "category").weeks == []
    old.create_tables()  # the service's start-up
    for field in ("category", "feature"):
        a = aggregates.weekly_table(live.engine, field)
        b = aggregates.weekly_table(old.engine, field)
        assert (a.weeks, a.labels) == (b.weeks, b.labels)
        for name in ("tickets", "accounts", "top"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (field, name)
        assert (a.week_tickets, a.week_accounts, a.week_review) == (
            b.week_tickets,
            b.week_accounts,
            b.week_review,
        )
        assert aggregates.label_counts(live.engine, field) == aggregates.label_counts(
            old.engine, field
        )
        assert queue.remaining(live.engine, field) == queue.remaining(old.engine, field)
        assert queue.suggested_remaining(live.engine, field) == queue.suggested_remaining(
            old.engine, field
        )
    assert aggregates.silent_accounts(live.engine) == aggregates.silent_accounts(old.engine)
    feature = aggregates.weekly_table(old.engine, "feature")
    assert feature.labels[-1] == "(none)" and int(feature.tickets.sum()) == len(rows)
    assert aggregates.weekly_table(old.engine, "category").tickets.sum() == len(rows)
    with old.engine.connect() as connection:
        weeks = connection.execute(sa.select(sa.func.sum(weekly_totals.c.tickets))).scalar_one()
    old.create_tables()  # a second start-up fills nothing again
    with old.engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.sum(weekly_totals.c.tickets))).scalar_one()
            == weeks
        )
    assert queue.suggested_remaining(old.engine, "category") == 6  # margins under 0.1, unflagged


def test_answers_of_the_api_are_counted_once_with_their_margins(client: Any) -> None:
    from tests.serve.conftest import AUTH

    tickets = [
        {"id": "H-1", "subject": "cannot log in", "body": "password reset fails",
         "created_at": "2024-01-02T10:00:00Z", "account_id": "ACC-1"},
        {"id": "H-2", "subject": "refund", "body": "charged twice on my invoice",
         "created_at": "2024-01-03T10:00:00Z", "account_id": "ACC-2"},
        {"id": "H-3", "subject": "", "body": "", "created_at": "2024-01-09T10:00:00Z"},
    ]  # fmt: skip
    for _ in range(2):  # the helpdesk retries: stored and counted once
        answer = client.post("/classify/batch", json={"tickets": tickets}, headers=AUTH)
        assert answer.status_code == 200, answer.text
    predictions = answer.json()["predictions"]
    engine = client.app.state.service.store.engine
    table = aggregates.weekly_table(engine, "category")
    assert table.weeks == ["2024-01-01", "2024-01-08"] and table.week_tickets == [2, 1]
    assert table.week_accounts == [2, 0]
    expected: dict[str, int] = {}
    for p in predictions:
        label = p["fields"]["category"]["label"] or "(none)"
        expected[label] = expected.get(label, 0) + 1
    counts, review, _ = aggregates.label_counts(engine, "category")
    assert counts == expected
    assert review == sum(p["fields"]["category"]["needs_review"] for p in predictions) >= 1
    query = sa.select(predictions_table.c.ticket_id, predictions_table.c.labels)
    with engine.connect() as connection:
        logged = dict(connection.execute(query).all())
    for p in predictions:  # the log keeps each field's margin, so the queue's suggestions work
        for field, entry in p["fields"].items():
            top = entry["top"]
            margin = top[0]["confidence"] - top[1]["confidence"] if len(top) > 1 else None
            assert logged[p["ticket_id"]][field]["margin"] == pytest.approx(margin, abs=1e-4)
    close = [
        p["ticket_id"]
        for p in predictions
        if not p["fields"]["feature"]["needs_review"]
        and (lambda t: t[0]["confidence"] - t[1]["confidence"])(p["fields"]["feature"]["top"]) < 0.1
    ]
    assert close == ["H-1"] and queue.suggested_remaining(engine, "feature") == 1


def test_aggregates_off_leave_them_empty_and_on_again_refills_from_the_whole_log(
    make_store: Any,
) -> None:
    reference, toggled = make_store("reference"), make_store("toggled")
    rows = _mixed_rows()
    reference.insert_rows(rows)
    toggled.insert_rows(rows[:5])
    off = PredictionStore(toggled.url, aggregates=False)
    off.create_tables()  # a start-up with the aggregates off empties them
    assert aggregates.weekly_table(off.engine, "category").weeks == []
    assert off.insert_rows(rows[5:]) == len(rows) - 5  # logged, not counted
    assert aggregates.weekly_table(off.engine, "category").weeks == []
    off.dispose()
    toggled.create_tables()  # on again: filled from every row, as if never off
    for field in ("category", "feature"):
        a = aggregates.weekly_table(reference.engine, field)
        b = aggregates.weekly_table(toggled.engine, field)
        assert (a.weeks, a.labels, a.week_tickets) == (b.weeks, b.labels, b.week_tickets)
        assert np.array_equal(a.tickets, b.tickets) and np.array_equal(a.accounts, b.accounts)
        assert queue.remaining(reference.engine, field) == queue.remaining(toggled.engine, field)
