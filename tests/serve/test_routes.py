"""The HTTP API through FastAPI's TestClient: answers, auth, bad input and the prediction log."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from classifier.predlog import read_corrections, read_predictions
from serve.app import create_app
from serve.settings import Settings
from tests.serve.conftest import AUTH, running_client, wait_ready

BILLING = {
    "id": "Z-1",
    "subject": "refund invoice charged",
    "body": "hello, payment card report csv please help",
    "account_id": "ACC-9",
    "created_at": "2026-03-02T10:53:00+01:00",
    "metadata": {"tier": "enterprise"},
}


def test_health_needs_no_token_and_no_model(settings: Settings) -> None:
    def broken(_path: object) -> object:
        raise RuntimeError("boom")

    with TestClient(create_app(settings, loader=broken)) as client:  # type: ignore[arg-type]
        assert client.get("/health").json() == {"status": "ok"}
        for _ in range(100):
            ready = client.get("/ready", headers=AUTH)
            if ready.json()["status"] != "loading":
                break
        assert ready.status_code == 503
        assert ready.json()["status"] == "failed" and ready.json()["error"] == "boom"
        refused = client.post("/classify", json=BILLING, headers=AUTH)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == str(settings.retry_after_s)
        assert "boom" in refused.json()["detail"]


def test_every_route_but_health_wants_the_token(client: TestClient) -> None:
    routes = [
        ("GET", "/ready"),
        ("GET", "/model"),
        ("GET", "/metrics"),
        ("POST", "/classify"),
        ("POST", "/classify/batch"),
        ("POST", "/feedback"),
        ("POST", "/admin/reload"),
        ("POST", "/webhooks/zendesk"),
        ("POST", "/webhooks/freshdesk"),
        ("POST", "/webhooks/generic"),
    ]
    for method, path in routes:
        missing = client.request(method, path, json={})
        assert missing.status_code == 401, path
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = client.request(method, path, json={}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403, path
        basic = client.request(method, path, json={}, headers={"Authorization": "Basic eDp5"})
        assert basic.status_code == 401, path


def test_classify_answers_every_field(client: TestClient) -> None:
    response = client.post("/classify", json=BILLING, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ticket_id"] == "Z-1"
    assert body["model_version"] == "v1"
    assert body["truncated"] is False
    assert set(body["fields"]) == {"category", "feature"}
    category = body["fields"]["category"]
    assert category["label"] == "billing"
    assert category["top"][0] == {"label": "billing", "confidence": category["confidence"]}
    assert len(category["top"]) == 3
    assert [s["confidence"] for s in category["top"]] == sorted(
        (s["confidence"] for s in category["top"]), reverse=True
    )
    assert category["needs_review"] is (category["reason"] == "low_confidence")


def test_empty_text_needs_review(client: TestClient) -> None:
    body = client.post("/classify", json={"id": "E-1", "body": "  "}, headers=AUTH).json()
    for field in body["fields"].values():
        assert field == {
            "label": None,
            "confidence": 0.0,
            "top": [],
            "needs_review": True,
            "reason": "empty",
        }
    assert body["needs_review"] is True


def test_batch_keeps_order_and_enforces_its_limit(client: TestClient) -> None:
    tickets = [
        {"id": "B-1", "subject": "password reset locked"},
        {"id": "B-2", "body": ""},
        {"id": "B-3", "subject": "invoice refund charged"},
    ]
    response = client.post("/classify/batch", json={"tickets": tickets}, headers=AUTH)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert [p["ticket_id"] for p in predictions] == ["B-1", "B-2", "B-3"]
    assert predictions[0]["fields"]["category"]["label"] == "login_access"
    assert predictions[1]["fields"]["category"]["reason"] == "empty"
    assert predictions[2]["fields"]["category"]["label"] == "billing"

    too_many = {"tickets": [{"id": f"B-{i}", "body": "x"} for i in range(6)]}
    refused = client.post("/classify/batch", json=too_many, headers=AUTH)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "tickets"]
    assert "at most 5" in refused.json()["detail"][0]["msg"]


def test_bad_payloads_name_the_field(client: TestClient) -> None:
    not_json = client.post(
        "/classify",
        content=b'{"id": "X", "body": ',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    assert not_json.json()["detail"][0]["type"] == "json_invalid"

    cases = [
        ({"body": "no id"}, ["body", "id"]),
        ({"id": "X", "created_at": "9999-01-01T00:00:00Z"}, ["body", "created_at"]),
        ({"id": "X", "subject": ["list"]}, ["body", "subject"]),
        ({"id": "X", "colour": "red"}, ["body", "colour"]),
        ({"id": "X", "metadata": {"nested": {"a": 1}}}, ["body", "metadata", "nested"]),
    ]
    for payload, loc in cases:
        response = client.post("/classify", json=payload, headers=AUTH)
        assert response.status_code == 422, payload
        locs = [e["loc"][: len(loc)] for e in response.json()["detail"]]
        assert loc in locs, (payload, response.json())
    batch = client.post("/classify/batch", json={"tickets": [{"id": "ok"}, {}]}, headers=AUTH)
    assert batch.json()["detail"][0]["loc"] == ["body", "tickets", 1, "id"]


def test_oversized_bodies_are_refused(client: TestClient) -> None:
    big = {"id": "BIG", "body": "x" * 30_000}
    declared = client.post("/classify", json=big, headers=AUTH)
    assert declared.status_code == 413

    def chunks():  # no Content-Length: the limit must count the bytes actually read
        payload = json.dumps(big).encode()
        for start in range(0, len(payload), 4096):
            yield payload[start : start + 4096]

    streamed = client.post(
        "/classify", content=chunks(), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert "larger than 20000 bytes" in streamed.json()["detail"]
    small = client.post("/classify", json={"id": "S", "body": "x" * 1000}, headers=AUTH)
    assert small.status_code == 200


def test_model_route_shows_the_manifest(client: TestClient) -> None:
    manifest = client.get("/model", headers=AUTH).json()
    assert manifest["name"] == "v1"
    assert manifest["fields"]["category"]["classes"] == [
        "billing",
        "login_access",
        "technical_issue",
    ]


def test_metrics_count_requests_predictions_and_abstentions(client: TestClient) -> None:
    client.post("/classify", json=BILLING, headers=AUTH)
    client.post("/classify", json={"id": "E", "body": ""}, headers=AUTH)
    client.post("/classify", json={"id": "E"}, headers={"Authorization": "Bearer nope"})
    text = client.get("/metrics", headers=AUTH).text
    assert (
        'ticketlens_http_requests_total{method="POST",route="/classify",status="200"} 2.0' in text
    )
    assert (
        'ticketlens_http_requests_total{method="POST",route="/classify",status="403"} 1.0' in text
    )
    assert 'ticketlens_http_request_duration_seconds_count{route="/classify"} 3.0' in text
    assert 'ticketlens_predictions_total{field="category",label="billing"} 1.0' in text
    assert 'ticketlens_needs_review_total{field="category",reason="empty"} 1.0' in text
    assert 'ticketlens_abstain_ratio{field="category"}' in text
    assert 'ticketlens_model_info{embedding_model="test/hashing",version="v1"} 1.0' in text
    assert "ticketlens_batch_size_count 2.0" in text  # two tickets reached the model
    assert "ticketlens_predlog_errors_total 0.0" in text


def test_two_apps_in_one_process_keep_their_own_metrics(settings: Settings) -> None:
    with running_client(settings) as first, running_client(settings) as second:
        wait_ready(first)
        wait_ready(second)
        first.post("/classify", json=BILLING, headers=AUTH)
        assert 'label="billing"} 1.0' in first.get("/metrics", headers=AUTH).text
        assert 'label="billing"}' not in second.get("/metrics", headers=AUTH).text


def test_a_retried_ticket_is_logged_once(client: TestClient, settings: Settings) -> None:
    for _ in range(2):
        assert client.post("/classify", json=BILLING, headers=AUTH).status_code == 200
    client.post("/classify", json={"id": "NO-DATE", "body": "password locked"}, headers=AUTH)
    frame = read_predictions(settings.db_url)
    assert frame["ticket_id"].tolist().count("Z-1") == 1
    row = frame.set_index("ticket_id").loc["Z-1"]
    assert row["created_at"].isoformat() == "2026-03-02T09:53:00+00:00"
    assert row["account_id"] == "ACC-9"
    assert row["model_version"] == "v1"
    assert row["predicted_category"] == "billing"
    assert 0 < row["predicted_category_confidence"] <= 1
    undated = frame.set_index("ticket_id").loc["NO-DATE"]
    assert str(undated["created_at"].tz) == "UTC"  # falls back to when it was received


def test_feedback_is_stored_and_checked_against_the_model(
    client: TestClient, settings: Settings
) -> None:
    good = {"ticket_id": "Z-1", "field": "category", "label": "login_access", "agent": "ana"}
    stored = client.post("/feedback", json=good, headers=AUTH)
    assert stored.status_code == 201, stored.text
    assert read_corrections(settings.db_url) == {"Z-1": {"category": "login_access"}}

    unknown_label = client.post("/feedback", json={**good, "label": "shipping"}, headers=AUTH)
    assert unknown_label.status_code == 422
    detail = unknown_label.json()["detail"][0]
    assert detail["loc"] == ["body", "label"]
    assert "shipping" in detail["msg"]
    assert "['billing', 'login_access', 'technical_issue']" in detail["msg"]

    unknown_field = client.post("/feedback", json={**good, "field": "team"}, headers=AUTH)
    assert unknown_field.status_code == 422
    assert "['category', 'feature']" in unknown_field.json()["detail"][0]["msg"]
    assert read_corrections(settings.db_url) == {"Z-1": {"category": "login_access"}}


def test_the_token_never_reaches_the_logs(
    settings: Settings, caplog: object, capsys: object
) -> None:
    import logging

    import pytest

    assert isinstance(caplog, pytest.LogCaptureFixture)
    caplog.set_level(logging.DEBUG)
    with running_client(settings) as client:
        wait_ready(client)
        client.post("/classify", json=BILLING, headers=AUTH)
        client.post("/classify", json=BILLING, headers={"Authorization": "Bearer wrong"})
    assert "s3cret-token" not in caplog.text
    assert "s3cret-token" not in repr(settings)


def test_a_broken_log_journals_the_row_and_shows_it(client: TestClient, settings: Settings) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(settings.db_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE predictions"))
    engine.dispose()
    response = client.post("/classify", json=BILLING, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["fields"]["category"]["label"] == "billing"
    assert "ticketlens_journal_depth 1.0" in client.get("/metrics", headers=AUTH).text
    assert client.get("/ready", headers=AUTH).json()["journal"]["depth"] == 1
