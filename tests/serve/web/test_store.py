"""Aggregates, claims and alerts against real databases: SQLite and the local PostgreSQL."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from classifier.predlog import PredictionStore
from serve.web import aggregates, alerts, queue
from serve.web.tables import create_web_tables
from tests.serve.web.seed import SPIKE_WEEK, log_rows, scored_row

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[PredictionStore]:
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'log.db'}", None
    else:
        schema = f"ticketlens_web_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(POSTGRES)
        try:
            with admin.begin() as connection:
                connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except sa.exc.OperationalError as exc:
            pytest.skip(f"no PostgreSQL server answers at {POSTGRES}: {exc.orig}")
        url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    log = PredictionStore(url)
    log.create_tables()
    create_web_tables(log.engine)
    log.insert_rows(log_rows())
    yield log
    log.dispose()
    if schema:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_weekly_counts_and_spike_from_sql(store: PredictionStore) -> None:
    table = aggregates.weekly_table(store.engine, "category")
    assert table.weeks[0] == "2024-01-01" and len(table.weeks) == 12
    assert table.labels == ["billing", "login_access", "technical_issue"]
    assert int(table.tickets.sum()) == 640 and sum(table.week_tickets) == 640
    assert table.week_tickets[10] == 50 + 40
    found = aggregates.spikes(table)
    assert [(s.cell, s.week, s.kind) for s in found] == [
        ("billing", SPIKE_WEEK, "cross-account spike")
    ]
    assert found[0].accounts > found[0].baseline_accounts + 10
    assert aggregates.weekly_table(
        store.engine, "category", until=date.fromisoformat(table.weeks[1])
    ).weeks == [
        "2024-01-01",
        "2024-01-08",
    ]
    assert len(aggregates.cell_tickets(store.engine, "category", "billing", SPIKE_WEEK)) >= 40


def test_two_agents_never_get_the_same_ticket(store: PredictionStore) -> None:
    now = datetime(2024, 4, 1, tzinfo=UTC)
    first = queue.next_item(store.engine, "category", "ana", claim_minutes=10, now=now)
    second = queue.next_item(store.engine, "category", "bo", claim_minutes=10, now=now)
    assert first is not None and second is not None and first.ticket_id != second.ticket_id
    again = queue.next_item(store.engine, "category", "ana", claim_minutes=10, now=now)
    assert again is not None and again.ticket_id == first.ticket_id  # her own claim comes back
    later = now + timedelta(minutes=11)  # ana's claim expired: bo may take the ticket
    taken = queue.next_item(store.engine, "category", "bo", claim_minutes=10, now=later)
    assert taken is not None and taken.ticket_id in (first.ticket_id, second.ticket_id)
    queue.correct(store, store.engine, first.ticket_id, "category", "billing", "ana")
    assert queue.remaining(store.engine, "category") == 150 - 1


def test_suggested_picks_follow_the_flagged_ones_smallest_margin_first(
    store: PredictionStore,
) -> None:
    for row in (  # one at a time: the log's ids (newest first) follow this order
        scored_row("F-1", [0.40, 0.35, 0.25], flagged=True, field="feature"),
        scored_row("F-2", [0.45, 0.30, 0.25], flagged=True, field="feature"),
        scored_row("S-3", [0.55, 0.50, 0.05], field="feature"),  # margin 0.05
        scored_row("S-4", [0.50, 0.49, 0.01], field="feature"),  # margin 0.01
        scored_row("N-5", [0.80, 0.15, 0.05], field="feature"),  # sure: not suggested
        scored_row("C-6", [0.50, 0.50, 0.00], field="feature"),  # corrected below
        scored_row("N-7", [0.90], field="feature"),  # one label: no margin
    ):
        store.insert_rows([row])
    store.record_feedback("C-6", "feature", "billing", agent="ana")
    now = datetime(2024, 4, 1, tzinfo=UTC)
    order, skip = [], frozenset[str]()
    while item := queue.next_item(
        store.engine, "feature", "ana", claim_minutes=10, skip=skip, now=now
    ):
        order.append((item.ticket_id, item.suggested))
        skip |= {item.ticket_id}
    assert order == [("F-2", False), ("F-1", False), ("S-4", True), ("S-3", True)]
    assert queue.remaining(store.engine, "feature") == 2
    assert queue.suggested_remaining(store.engine, "feature") == 2
    # ana still holds every claim: bo is shown none of them, flagged or suggested
    assert queue.next_item(store.engine, "feature", "bo", claim_minutes=10, now=now) is None
    for ticket_id in ("F-1", "F-2", "S-4"):
        queue.release(store.engine, ticket_id, "feature", "ana")
    picked = queue.next_item(
        store.engine, "feature", "bo", claim_minutes=10, skip=frozenset({"F-1", "F-2"}), now=now
    )
    assert picked is not None and picked.ticket_id == "S-4" and picked.suggested
    assert picked.margin == pytest.approx(0.01)


class _Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[tuple[str, dict[str, Any]]]] = []
    fail_next = 0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if _Receiver.fail_next > 0:
            _Receiver.fail_next -= 1
            self.send_response(500)
        else:
            _Receiver.bodies.append((self.path, body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.bodies, _Receiver.fail_next = [], 1
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _round(engine: Engine, base: str, now: datetime) -> tuple[int, int]:
    urls = {"slack": f"{base}/slack", "webhook": f"{base}/hook"}
    stored = alerts.detect(
        engine,
        ["category"],
        receivers=urls,
        public_url="http://tl",
        recent_weeks=2,
        cooldown_h=72,
        now=now,
    )
    return stored, alerts.deliver(engine, urls, retry_s=30, max_attempts=5, now=now)


def test_alert_delivered_once_retried_after_500_and_names_release(
    store: PredictionStore, receiver: str
) -> None:
    alerts.record_release(store.engine, "2.4.0", datetime(2024, 3, 12, 9, tzinfo=UTC))
    alerts.record_release(store.engine, "2.5.0", datetime(2024, 3, 30, tzinfo=UTC))
    now = datetime(2024, 3, 25, tzinfo=UTC)
    assert _round(store.engine, receiver, now) == (1, 1)  # slack got a 500, the webhook took it
    assert [path for path, _ in _Receiver.bodies] == ["/hook"]
    assert _round(store.engine, receiver, now + timedelta(seconds=5)) == (0, 0)  # backing off
    assert _round(store.engine, receiver, now + timedelta(seconds=31)) == (0, 1)  # retried
    assert _round(store.engine, receiver, now + timedelta(hours=1)) == (0, 0)  # cooldown, deduped
    (_, hook), (_, slack) = _Receiver.bodies
    assert hook["cell"] == "billing" and hook["week"] == SPIKE_WEEK
    assert hook["last_release"]["version"] == "2.4.0" and len(hook["examples"]) == 5
    assert "2.4.0" in slack["text"] and "billing" in slack["text"]
    stored = alerts.list_alerts(store.engine)
    assert len(stored) == 1 and stored[0]["pending"] == [] and stored[0]["attempts"] == 1
