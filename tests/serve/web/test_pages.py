from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from classifier.predlog import feedback_table
from serve.web.session import COOKIE
from tests.serve.conftest import AUTH
from tests.serve.web.conftest import sign_in
from tests.serve.web.seed import SPIKE_WEEK


def test_pages_need_sign_in_and_set_a_safe_cookie(web: TestClient) -> None:
    assert web.get("/pulse", follow_redirects=False).headers["location"] == "/login?next=/pulse"
    form = web.get("/login")
    token = form.text.split('name="csrf" value="')[1].split('"')[0]
    wrong = web.post("/login", data={"username": "vera", "password": "nope", "csrf": token})
    assert "wrong name or password" in wrong.text and COOKIE not in web.cookies
    right = web.post(
        "/login",
        data={"username": "vera", "password": "view-pw", "csrf": token},
        follow_redirects=False,
    )
    cookie = right.headers["set-cookie"]
    assert COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    pulse = web.get("/pulse")
    assert pulse.status_code == 200 and "<svg" in pulse.text
    assert f"week of {SPIKE_WEEK}" in pulse.text and "cross-account spike: billing" in pulse.text


def test_sign_in_form_without_its_csrf_token_is_refused(web: TestClient) -> None:
    web.get("/login")
    answer = web.post("/login", data={"username": "vera", "password": "view-pw"})
    assert answer.status_code == 403


def test_forged_cookie_is_not_a_session(web: TestClient) -> None:
    web.cookies.set(COOKIE, "eyJ1IjoiYWRhIiwiciI6ImFkbWluIn0.forged")
    assert web.get("/models/current", follow_redirects=False).status_code == 303


def test_failed_sign_ins_are_rate_limited(web: TestClient) -> None:
    form = web.get("/login")
    token = form.text.split('name="csrf" value="')[1].split('"')[0]
    for _ in range(5):
        web.post("/login", data={"username": "ada", "password": "guess", "csrf": token})
    blocked = web.post("/login", data={"username": "ada", "password": "admin-pw", "csrf": token})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0


def test_viewer_cannot_reach_the_review_queue(web: TestClient) -> None:
    sign_in(web, "vera", "view-pw")
    assert web.get("/review").status_code == 403
    assert web.get("/models/current").status_code == 200


def test_correction_needs_csrf_and_is_stored_with_agent(web: TestClient) -> None:
    csrf = sign_in(web, "ana", "agent-pw")
    page = web.get("/review")
    ticket = page.text.split('data-ticket="')[1].split('"')[0]
    form = {"ticket_id": ticket, "field": "category", "label": "login_access"}
    assert web.post("/review", data=form).status_code == 403
    answer = web.post("/review", data={**form, "csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    engine = web.app.state.service.store.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(sa.select(feedback_table)).mappings().all()
    assert [(r["ticket_id"], r["label"], r["agent"]) for r in rows] == [
        (ticket, "login_access", "ana")
    ]
    assert rows[0]["received_at"] is not None
    assert f'data-ticket="{ticket}"' not in web.get("/review").text


def test_review_page_marks_suggested_tickets_after_the_flagged_ones(web_settings) -> None:  # type: ignore[no-untyped-def]
    from tests.serve.conftest import running_client, wait_ready
    from tests.serve.web.seed import scored_row

    with running_client(web_settings) as client:
        wait_ready(client)
        client.app.state.service.store.insert_rows(  # type: ignore[attr-defined]
            [
                scored_row("T-1", [0.40, 0.35, 0.25], flagged=True),
                scored_row("T-2", [0.50, 0.47, 0.03]),
                scored_row("T-3", [0.90, 0.05, 0.05]),
            ]
        )
        sign_in(client, "ana", "agent-pw")
        first = client.get("/review").text
        assert 'data-ticket="T-1"' in first and 'id="suggested"' not in first
        assert "1 ticket(s) wait for a person, then the suggested ones" in first
        second = client.get("/review?skip=T-1").text
        assert 'data-ticket="T-2"' in second and 'id="suggested"' in second
        assert "1 ticket(s) wait for a person, then the suggested ones" in second
        # T-1 labelled: what is left are suggestions, counted
        csrf = second.split('name="csrf" value="')[1].split('"')[0]
        form = {"ticket_id": "T-1", "field": "category", "label": "billing", "csrf": csrf}
        assert client.post("/review", data=form, follow_redirects=False).status_code == 303
        assert "0 ticket(s) wait for a person; 1 suggested" in client.get("/review").text
        assert "0.03 ahead of the second-best" in second
        assert "Nothing to review" in client.get("/review?skip=T-1,T-2").text


def test_model_page_lists_each_retrain_gate_newest_first(web: TestClient) -> None:
    from datetime import UTC, datetime

    from classifier.bundle.gate_log import FieldGate, GateRecord, append_gate_record

    sign_in(web, "vera", "view-pw")
    assert "No retrain recorded yet" in web.get("/models/current").text
    models = web.app.state.service.settings.model_path.parent  # type: ignore[attr-defined]
    for day, candidate, f1, promoted in ((1, "v2-refused", 0.61, False), (8, "v3", 0.83, True)):
        append_gate_record(
            models,
            GateRecord(
                at=datetime(2024, 5, day, 9, 30, tzinfo=UTC),
                candidate=candidate,
                current="v1",
                promoted=promoted,
                reason="no field's macro-F1 dropped" if promoted else "category dropped",
                scores={"category": FieldGate(current=0.78, candidate=f1, heldout_rows=40)},
                tolerance=0.01,
            ),
        )
    page = web.get("/models/current").text
    table = page.split('id="gates"')[1].split("</table>")[0]
    assert table.index("v3") < table.index("v2-refused")  # newest first
    assert "2024-05-08 09:30" in table and "2024-05-01 09:30" in table
    assert "<td>0.780</td><td>0.830</td><td>+0.050</td>" in table
    assert "<td>0.780</td><td>0.610</td><td>-0.170</td>" in table
    assert "<b>promoted</b>" in table and "<b>refused</b>" in table


def test_bearer_api_unchanged_and_releases_need_the_token(web: TestClient) -> None:
    assert web.post("/releases", json={"version": "2.4.0"}).status_code == 401
    added = web.post("/releases", json={"version": "2.4.0", "at": "2024-03-08T10:00"}, headers=AUTH)
    assert added.status_code == 201
    assert web.get("/releases", headers=AUTH).json()[0]["version"] == "2.4.0"
    assert web.get("/ready", headers=AUTH).status_code == 200


def test_pages_can_be_turned_off(web_settings) -> None:  # type: ignore[no-untyped-def]
    from tests.serve.conftest import running_client

    with running_client(web_settings.model_copy(update={"web_pages": False})) as client:
        assert client.get("/pulse").status_code == 404
        assert client.post("/releases", json={"version": "1"}, headers=AUTH).status_code == 201


def test_operator_acknowledges_an_alert_and_it_does_not_page_again(web: TestClient) -> None:
    from datetime import UTC, datetime, timedelta

    from serve.web import alerts

    engine = web.app.state.service.store.engine  # type: ignore[attr-defined]
    now = datetime(2024, 3, 25, tzinfo=UTC)

    def detect(at: datetime) -> int:
        return alerts.detect(
            engine,
            ["category"],
            receivers={},
            public_url="http://tl",
            recent_weeks=2,
            cooldown_h=72,
            now=at,
        )

    assert detect(now) == 1
    (alert,) = alerts.list_alerts(engine)
    viewer_csrf = sign_in(web, "vera", "view-pw")
    assert "Acknowledge</button>" not in web.get("/alerts").text
    refused = web.post(f"/alerts/{alert['id']}/ack", data={"csrf": viewer_csrf})
    assert refused.status_code == 403
    web.cookies.clear()
    csrf = sign_in(web, "ana", "agent-pw")
    assert web.post(f"/alerts/{alert['id']}/ack").status_code == 403  # no CSRF token
    answer = web.post(f"/alerts/{alert['id']}/ack", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    (stored,) = alerts.list_alerts(engine)
    assert stored["acknowledged_by"] == "ana" and stored["acknowledged_at"] is not None
    page = web.get("/alerts").text
    assert "acknowledged by ana at " in page and "Acknowledge</button>" not in page
    assert detect(now + timedelta(days=4)) == 0  # past the cooldown, same cell and week
    assert len(alerts.list_alerts(engine)) == 1
