"""Reloading the model under traffic, the symlink watch, and the micro-batcher."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from classifier.bundle.store import load_bundle, set_current
from classifier.predictor import TicketClassifier
from serve.app import create_app
from serve.settings import Settings
from tests.fakes import HashingEmbedder
from tests.serve.app_factory import fake_loader
from tests.serve.conftest import AUTH, running_client, wait_ready


def test_reload_swaps_the_model_and_keeps_it_when_the_new_one_is_broken(
    client: TestClient, model_link: Path
) -> None:
    set_current(model_link.parent, model_link.parent / "v2")
    swapped = client.post("/admin/reload", headers=AUTH)
    assert swapped.status_code == 200
    assert swapped.json() == {"model_version": "v2", "previous_version": "v1"}
    ticket = {"id": "R", "subject": "invoice"}
    assert client.post("/classify", json=ticket, headers=AUTH).json()["model_version"] == "v2"
    assert "v2" in client.get("/metrics", headers=AUTH).text

    broken = model_link.parent / "broken"
    broken.mkdir()
    set_current(model_link.parent, broken)
    refused = client.post("/admin/reload", headers=AUTH)
    assert refused.status_code == 409
    assert "manifest.json is missing" in refused.json()["detail"]
    assert "still serving v2" in refused.json()["detail"]
    assert client.post("/classify", json=ticket, headers=AUTH).json()["model_version"] == "v2"


def test_requests_in_flight_never_fail_during_reloads(settings: Settings, model_link: Path) -> None:
    embedder = HashingEmbedder()
    slow_loads = 0

    def slow_loader(path: Path) -> TicketClassifier:
        nonlocal slow_loads
        slow_loads += 1
        time.sleep(0.02)  # the swap must wait for a complete classifier
        return TicketClassifier(load_bundle(path), embedder)

    app = create_app(
        settings.model_copy(update={"log_predictions": False}),
        classifier=fake_loader(model_link),
        loader=slow_loader,
    )

    async def traffic() -> tuple[list[int], set[str], list[int]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:

            async def classify(i: int) -> httpx.Response:
                ticket = {"id": f"T-{i}", "subject": "password reset", "body": "sso locked"}
                return await http.post("/classify", json=ticket, headers=AUTH)

            async def reload() -> httpx.Response:
                return await http.post("/admin/reload", headers=AUTH)

            responses: list[httpx.Response] = []
            for round_ in range(6):  # each round: 20 requests in flight while a reload runs
                target = "v2" if round_ % 2 == 0 else "v1"
                set_current(model_link.parent, model_link.parent / target)
                calls = [classify(round_ * 20 + i) for i in range(20)]
                calls.insert(5, reload())
                responses += await asyncio.gather(*calls)
        classified = [r for r in responses if r.url.path == "/classify"]
        reloads = [r.status_code for r in responses if r.url.path == "/admin/reload"]
        versions = {r.json()["model_version"] for r in classified if r.status_code == 200}
        return [r.status_code for r in classified], versions, reloads

    statuses, versions, reloads = asyncio.run(traffic())
    assert statuses == [200] * 120
    assert reloads == [200] * 6
    assert slow_loads == 6
    assert versions == {"v1", "v2"}
    # Concurrent requests were gathered: fewer embedder calls than tickets.
    assert sum(embedder.calls) <= 120 and len(embedder.calls) < 60


def test_the_watch_follows_the_current_symlink(settings: Settings, model_link: Path) -> None:
    watched = settings.model_copy(update={"watch_interval_s": 0.05})
    with running_client(watched) as client:
        wait_ready(client, "v1")
        set_current(model_link.parent, model_link.parent / "v2")
        wait_ready(client, "v2")
        assert client.get("/model", headers=AUTH).json()["name"] == "v2"


def test_the_batcher_gathers_concurrent_requests(settings: Settings, model_link: Path) -> None:
    embedder = HashingEmbedder()
    classifier = TicketClassifier(load_bundle(model_link), embedder)
    quiet = settings.model_copy(
        update={"log_predictions": False, "batcher_max_wait_ms": 50, "batcher_max_size": 8}
    )
    app = create_app(quiet, classifier=classifier)

    async def burst() -> list[str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            responses = await asyncio.gather(
                *(
                    http.post("/classify", json={"id": f"C-{i}", "body": "refund"}, headers=AUTH)
                    for i in range(20)
                )
            )
        return [r.json()["ticket_id"] for r in responses]

    assert asyncio.run(burst()) == [f"C-{i}" for i in range(20)]  # each got its own answer
    assert sum(embedder.calls) == 20
    assert max(embedder.calls) == 8  # flushed at max_size
    assert len(embedder.calls) <= 4


def test_tickets_arriving_while_the_model_is_busy_join_one_batch() -> None:
    from classifier.records import FieldPrediction, Prediction, Ticket
    from serve.batcher import MicroBatcher

    sizes: list[int] = []
    release = threading.Event()

    class SlowClassifier:
        def predict(self, tickets: list[Ticket]) -> list[Prediction]:
            sizes.append(len(tickets))
            release.wait(timeout=10)  # busy until every later ticket has arrived
            empty = FieldPrediction(label=None, confidence=0.0, top=[], needs_review=True)
            return [
                Prediction(ticket_id=t.id, model_version="m", fields={"f": empty}) for t in tickets
            ]

    batcher = MicroBatcher(lambda: SlowClassifier(), max_wait_s=0.001, max_size=32)  # type: ignore[arg-type, return-value]

    async def arrivals() -> list[str]:
        first = asyncio.create_task(batcher.predict([Ticket(id="first")]))
        await asyncio.sleep(0.02)  # the first batch is running now
        later = []
        for i in range(10):
            later.append(asyncio.create_task(batcher.predict([Ticket(id=f"t{i}")])))
            await asyncio.sleep(0.002)  # each arrives after the 1 ms wait has passed
        release.set()
        results = await asyncio.gather(first, *later)
        return [p.ticket_id for (p,) in results]

    assert asyncio.run(arrivals()) == ["first"] + [f"t{i}" for i in range(10)]
    assert sizes == [1, 10]


def test_the_watch_recovers_from_a_broken_first_model(settings: Settings, model_link: Path) -> None:
    broken = model_link.parent / "broken"
    broken.mkdir()
    set_current(model_link.parent, broken)
    watched = settings.model_copy(update={"watch_interval_s": 0.05})
    with running_client(watched) as client:
        for _ in range(100):
            status = client.get("/ready", headers=AUTH).json()
            if status["status"] == "failed":
                break
            time.sleep(0.02)
        assert "manifest.json is missing" in status["error"]
        set_current(model_link.parent, model_link.parent / "v2")
        wait_ready(client, "v2")
