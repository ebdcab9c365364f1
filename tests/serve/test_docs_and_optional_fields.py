"""/docs works offline from vendored assets; an optional field that does not parse is dropped."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from serve.settings import Settings
from tests.serve.conftest import AUTH, running_client


def test_docs_reference_only_local_assets_and_they_are_served(settings: Settings) -> None:
    with running_client(settings.model_copy(update={"api_docs": True})) as client:
        for page in ("/docs", "/redoc"):
            html = client.get(page).text
            assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
            assets += re.findall(r"""url: ?["']([^"']+)["']""", html)
            assert assets, page
            assert not [a for a in assets if "://" in a or a.startswith("//")], page
            for asset in assets:
                response = client.get(asset)
                assert response.status_code == 200, asset
                assert len(response.content) > 100, asset
        bundle = client.get("/static/docs/swagger-ui/swagger-ui-bundle.js")
        assert "javascript" in bundle.headers["content-type"]


def test_an_integer_id_and_a_bad_created_at_still_classify(client: TestClient) -> None:
    ticket = {"id": 4713, "subject": "refund", "created_at": "18/05/2024 10:00"}
    response = client.post("/classify", json=ticket, headers=AUTH)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["ticket_id"] == "4713"
    assert len(answer["warnings"]) == 1 and "created_at" in answer["warnings"][0]
    good = {"id": 4714, "subject": "refund", "created_at": "2024-05-18T10:00:00Z"}
    assert client.post("/classify", json=good, headers=AUTH).json()["warnings"] == []
    out_of_range = {"id": "x", "subject": "refund", "created_at": "9999-01-01T00:00:00Z"}
    assert client.post("/classify", json=out_of_range, headers=AUTH).status_code == 422


def test_a_zendesk_webhook_with_a_non_iso_date_is_classified_with_a_warning(
    client: TestClient,
) -> None:
    body = {"ticket": {"id": 4713, "subject": "login", "created_at": "May 18th"}}
    response = client.post("/webhooks/zendesk", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["ticket_id"] == "4713"
    assert "created_at" in response.json()["warnings"][0]
