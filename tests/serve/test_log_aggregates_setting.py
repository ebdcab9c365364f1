"""`log_aggregates` false: the log still takes every answer, the pages' counts and pages are off."""

from __future__ import annotations

import sqlalchemy as sa

from classifier.predlog import read_predictions, weekly_totals
from serve.settings import Settings
from tests.serve.conftest import AUTH, running_client, wait_ready


def test_with_the_aggregates_off_answers_are_logged_and_the_pages_are_not_served(
    settings: Settings,
) -> None:
    off = settings.model_copy(update={"log_aggregates": False})
    with running_client(off) as client:
        wait_ready(client)
        ticket = {"id": "AGG-1", "subject": "refund", "body": "charged twice"}
        assert client.post("/classify", json=ticket, headers=AUTH).status_code == 200
        assert client.get("/pulse", headers=AUTH).status_code == 404
    assert read_predictions(off.db_url)["ticket_id"].tolist() == ["AGG-1"]
    engine = sa.create_engine(off.db_url)
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(weekly_totals)).scalar() == 0
        )
    engine.dispose()
    with running_client(settings) as client:  # on again: the start-up counts the logged answer
        wait_ready(client)
    engine = sa.create_engine(settings.db_url)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.sum(weekly_totals.c.tickets))).scalar() == 1
    engine.dispose()
