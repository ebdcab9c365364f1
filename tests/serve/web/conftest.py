"""A signed-in client for the pages, on a log seeded with a planted spike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from serve.settings import Settings, WebUser
from tests.serve.conftest import running_client, wait_ready
from tests.serve.web.seed import log_rows

USERS = {
    "vera": WebUser(role="viewer", password="view-pw"),
    "ana": WebUser(role="agent", password="agent-pw"),
    "bo": WebUser(role="agent", password="agent-pw2"),
    "ada": WebUser(role="admin", password="admin-pw"),
}


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"web_users": USERS, "alert_interval_s": 0})


@pytest.fixture
def web(web_settings: Settings) -> Iterator[TestClient]:
    with running_client(web_settings) as client:
        wait_ready(client)
        store = client.app.state.service.store  # type: ignore[attr-defined]
        store.insert_rows(log_rows())
        yield client


def sign_in(client: TestClient, name: str, password: str) -> str:
    """Sign in (the login form's CSRF cookie included); returns the session's CSRF token."""
    form = client.get("/login")
    token = form.text.split('name="csrf" value="')[1].split('"')[0]
    answer = client.post(
        "/login",
        data={"username": name, "password": password, "csrf": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/alerts")
    return page.text.split('name="csrf" value="')[1].split('"')[0]
