"""Helpdesk webhooks: payload parsing and signatures (valid, wrong, stale, missing)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from classifier.predlog import read_predictions
from serve.adapters import sign_generic
from serve.settings import Settings
from tests.serve.conftest import AUTH, running_client, wait_ready

ZENDESK_SECRET = "zd-signing-secret"
GENERIC_SECRET = "shared-secret"

ZENDESK_BODY = {
    "ticket": {
        "id": 4711,
        "subject": "Charged twice",
        "description": "<p>My card was charged twice, refund the invoice please</p>",
        "created_at": "2026-03-02T10:53:00Z",
        "organization": "Acme",
        "priority": "high",
        "tags": "billing vip",
        "requester": "",
    }
}


@pytest.fixture
def signed(settings: Settings) -> Iterator[TestClient]:
    secured = settings.model_copy(
        update={
            "zendesk_secret": ZENDESK_SECRET,
            "webhook_secret": GENERIC_SECRET,
            "generic_fields": {
                "id": "data.key",
                "subject": "data.title",
                "body": "data.text",
                "account_id": "data.customer.org",
                "channel": "data.channel",
            },
        }
    )
    secured = Settings.model_validate(secured.model_dump())  # secrets as SecretStr
    with running_client(secured) as client:
        wait_ready(client)
        yield client


def zendesk_headers(body: bytes, timestamp: str, secret: str = ZENDESK_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return {
        **AUTH,
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
    }


def now_iso(offset_s: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_zendesk_signed_call_is_classified_and_logged(
    signed: TestClient, settings: Settings
) -> None:
    body = json.dumps(ZENDESK_BODY).encode()
    response = signed.post(
        "/webhooks/zendesk", content=body, headers=zendesk_headers(body, now_iso())
    )
    assert response.status_code == 200, response.text
    assert response.json()["ticket_id"] == "4711"
    assert response.json()["fields"]["category"]["label"] == "billing"
    row = read_predictions(settings.db_url).iloc[0]
    assert row["account_id"] == "Acme"
    assert row["created_at"] == datetime(2026, 3, 2, 10, 53, tzinfo=UTC)


def test_zendesk_refuses_wrong_stale_and_unsigned_calls(signed: TestClient) -> None:
    body = json.dumps(ZENDESK_BODY).encode()
    wrong_secret = zendesk_headers(body, now_iso(), secret="guess")
    tampered_body = zendesk_headers(b'{"ticket": {"id": 1}}', now_iso())
    stale = zendesk_headers(body, now_iso(-301))
    unsigned = {**AUTH, "Content-Type": "application/json"}
    for headers, reason in [
        (wrong_secret, "does not match"),
        (tampered_body, "does not match"),
        (stale, "outside the 300s window"),
        (unsigned, "missing"),
    ]:
        response = signed.post("/webhooks/zendesk", content=body, headers=headers)
        assert response.status_code == 401, reason
        assert reason in response.json()["detail"]
    still_fresh = zendesk_headers(body, now_iso(-200))
    assert signed.post("/webhooks/zendesk", content=body, headers=still_fresh).status_code == 200


def generic_headers(body: bytes, timestamp: int, secret: str = GENERIC_SECRET) -> dict[str, str]:
    return {
        **AUTH,
        "Content-Type": "application/json",
        "X-Ticketlens-Signature": sign_generic(secret, body, str(timestamp)),
        "X-Ticketlens-Timestamp": str(timestamp),
    }


def test_generic_webhook_follows_the_field_mapping(signed: TestClient, settings: Settings) -> None:
    payload = {
        "data": {
            "key": "G-7",
            "title": "password reset",
            "text": "locked out, sso login fails",
            "customer": {"org": "Initech"},
            "channel": "chat",
        }
    }
    body = json.dumps(payload).encode()
    response = signed.post(
        "/webhooks/generic", content=body, headers=generic_headers(body, int(time.time()))
    )
    assert response.status_code == 200, response.text
    assert response.json()["ticket_id"] == "G-7"
    assert response.json()["fields"]["category"]["label"] == "login_access"
    assert read_predictions(settings.db_url)["account_id"].tolist() == ["Initech"]

    missing_id = json.dumps({"data": {"title": "x"}}).encode()
    refused = signed.post(
        "/webhooks/generic",
        content=missing_id,
        headers=generic_headers(missing_id, int(time.time())),
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "data", "key"]


def test_generic_refuses_wrong_and_stale_signatures(signed: TestClient) -> None:
    body = json.dumps({"data": {"key": "G-1", "text": "invoice"}}).encode()
    now = int(time.time())
    wrong = generic_headers(body, now, secret="other")
    stale = generic_headers(body, now - 400)
    future = generic_headers(body, now + 400)
    replayed_with_new_time = {
        **generic_headers(body, now - 400),
        "X-Ticketlens-Timestamp": str(now),
    }
    for headers in (wrong, stale, future, replayed_with_new_time):
        assert signed.post("/webhooks/generic", content=body, headers=headers).status_code == 401
    assert (
        signed.post(
            "/webhooks/generic", content=body, headers=generic_headers(body, now)
        ).status_code
        == 200
    )


def test_freshdesk_payload_and_bad_bodies(client: TestClient) -> None:
    payload = {
        "freshdesk_webhook": {
            "ticket_id": 913,
            "ticket_subject": "API token endpoint broken",
            "ticket_description": "<div>error 500 on the api endpoint</div>",
            "ticket_company_name": "",
            "ticket_priority": "Urgent",
        }
    }
    response = client.post("/webhooks/freshdesk", json=payload, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["ticket_id"] == "913"
    assert response.json()["fields"]["category"]["label"] == "technical_issue"
    assert response.json()["fields"]["feature"]["label"] == "api"

    no_id = client.post("/webhooks/freshdesk", json={"freshdesk_webhook": {}}, headers=AUTH)
    assert no_id.status_code == 422
    assert no_id.json()["detail"][0]["loc"] == ["body", "freshdesk_webhook", "ticket_id"]
    garbage = client.post(
        "/webhooks/zendesk",
        content=b"not json",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert garbage.status_code == 422
    assert garbage.json()["detail"][0]["type"] == "json_invalid"
