"""Bad bytes at the edge fail only their own request, with a short 422 naming the field."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from classifier.predlog import read_predictions
from serve.adapters import SignatureError, verify_generic
from serve.adapters.signatures import sign_generic
from serve.errors import MAX_ERRORS, QueryRedactingFilter
from serve.settings import Settings
from tests import ROOT
from tests.serve.conftest import AUTH, TOKEN, running_client


def _detail(response: object) -> str:
    return json.dumps(response.json())  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("ticket", "field", "message"),
    [
        ({"id": "A", "subject": "\ud800 refund"}, "subject", "lone surrogate (U+D800)"),
        ({"id": "A\x00B"}, "id", "NUL"),
        ({"id": "A", "account_id": "X\x00"}, "account_id", "NUL"),
        ({"id": "A", "created_at": "9999-12-31T23:59:59-14:00"}, "created_at", "1970-2100"),
        ({"id": "x" * 256}, "id", "255"),
    ],
)
def test_unstorable_values_are_refused_naming_the_field(
    client: TestClient, ticket: dict[str, str], field: str, message: str
) -> None:
    body = json.dumps(ticket).encode()  # json.dumps escapes the surrogate as \\ud800
    response = client.post(
        "/classify", content=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"][-1] == field and message in error["msg"]


def test_innocent_neighbours_of_a_bad_ticket_are_answered_and_logged(
    client: TestClient, settings: Settings
) -> None:
    bad = client.post("/classify", json={"id": "BAD", "body": "\x00"}, headers=AUTH)
    good = client.post("/classify", json={"id": 4713, "body": "refund"}, headers=AUTH)
    assert bad.status_code == 422
    assert good.status_code == 200 and good.json()["ticket_id"] == "4713"
    assert list(read_predictions(settings.db_url)["ticket_id"]) == ["4713"]


def test_zero_width_only_text_is_empty(client: TestClient) -> None:
    answer = client.post(
        "/classify", json={"id": "Z", "subject": "\u200b\u200d", "body": " \ufeff"}, headers=AUTH
    )
    field = answer.json()["fields"]["category"]
    assert field["label"] is None and field["reason"] == "empty"


def test_a_webhook_id_over_255_characters_is_a_422(client: TestClient) -> None:
    body = {"id": "w" * 300, "subject": "refund"}
    response = client.post("/webhooks/generic", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "id"]


def test_a_lone_surrogate_in_feedback_is_a_422(client: TestClient) -> None:
    body = b'{"ticket_id": "T", "field": "category", "label": "billing", "agent": "\\udc80"}'
    response = client.post(
        "/feedback", content=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "agent"


def test_many_invalid_tickets_get_a_short_answer_that_echoes_no_input(
    settings: Settings,
) -> None:
    roomy = settings.model_copy(update={"batch_limit": 100_000, "max_body_bytes": 2_000_000})
    with running_client(roomy) as client:
        tickets = [{"id": "", "subject": f"secret-{i}"} for i in range(5000)]
        response = client.post("/classify/batch", json={"tickets": tickets}, headers=AUTH)
    assert response.status_code == 422
    assert len(response.json()["detail"]) == MAX_ERRORS
    assert response.json()["errors_total"] == 5000
    assert "secret-" not in response.text and len(response.content) < 10_000


def test_duplicate_ids_in_one_batch_are_refused(client: TestClient) -> None:
    tickets = [{"id": "D1"}, {"id": "D2"}, {"id": "D1"}]
    response = client.post("/classify/batch", json={"tickets": tickets}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "tickets", 2, "id"]
    assert "'D1'" in response.json()["detail"][0]["msg"]


def test_api_docs_are_off_unless_turned_on(settings: Settings) -> None:
    with running_client(settings) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path, headers=AUTH).status_code == 404
    with running_client(settings.model_copy(update={"api_docs": True})) as client:
        assert client.get("/openapi.json").json()["info"]["title"] == "ticketlens"
        assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("timestamp", ["nan", "inf", "-inf", "1e400"])
def test_a_signed_non_finite_timestamp_is_refused(timestamp: str) -> None:
    body = b"{}"
    signature = sign_generic("s", body, timestamp)
    with pytest.raises(SignatureError, match="unreadable signature timestamp"):
        verify_generic("s", body, signature, timestamp)


def test_query_strings_stay_out_of_the_access_log() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/ready?token={TOKEN}", "1.1", 200), None,
    )  # fmt: skip
    assert QueryRedactingFilter().filter(record)
    assert TOKEN not in record.getMessage() and "/ready?<redacted>" in record.getMessage()


def test_serving_a_bundle_without_label_fields_exits_2_with_one_line(
    models_dir: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "bad"
    bundle.mkdir()
    for item in (models_dir / "v1").iterdir():
        (bundle / item.name).symlink_to(item)
    manifest = json.loads((models_dir / "v1" / "manifest.json").read_text())
    (bundle / "manifest.json").unlink()
    (bundle / "manifest.json").write_text(json.dumps({**manifest, "fields": {}}))
    script = (
        "import uvicorn\n"
        "from serve.app import create_app\nfrom serve.settings import Settings\n"
        "from tests.serve.app_factory import fake_loader\n"
        "app = create_app(Settings(), loader=fake_loader, exit_on_failed_load=True)\n"
        "uvicorn.run(app, port=0, log_level='warning')\n"
    )
    env = {
        **os.environ,
        "TICKETLENS_API_TOKEN": TOKEN,
        "TICKETLENS_MODEL_PATH": str(bundle),
        "TICKETLENS_DB_URL": f"sqlite:///{tmp_path / 'log.db'}",
        "TICKETLENS_WATCH_INTERVAL_S": "0",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "cannot serve" in done.stderr and "no label fields" in done.stderr
    assert "Traceback" not in done.stderr
