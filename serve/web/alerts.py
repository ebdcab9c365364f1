"""Spike alerts: the detector run on the log's weekly counts, stored, and posted to webhooks.

Each spike cell (field, label, week) becomes at most one alert (a unique key in `alerts`), and a
cell that alerted within `alert_cooldown_h` does not alert again. An alert names the cell, its
tickets and accounts against the expected counts, example ticket ids, a link to the pulse page and
the last release recorded before its week ended. Delivery is at least once per receiver: a
receiver that fails (no answer, or not 2xx) is retried after `alert_retry_s`, doubled each time,
up to `alert_max_attempts`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from serve.web.aggregates import CellSpike, cell_tickets, spikes, weekly_table
from serve.web.tables import alerts_table, releases_table

logger = logging.getLogger(__name__)

Post = Callable[[str, dict[str, Any]], None]
"""Sends one JSON body to one URL; raises when the receiver did not take it."""


def post_json(url: str, body: dict[str, Any], timeout_s: float = 5.0) -> None:
    """POST `body` as JSON; raises on a connection error or a non-2xx answer."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"receiver answered {response.status}")


def record_release(
    engine: Engine, version: str, at: datetime | None = None, note: str | None = None
) -> datetime:
    """Store a release (what alerts name as 'the last release before it'); returns its time."""
    when = (at or datetime.now(UTC)).astimezone(UTC)
    with engine.begin() as connection:
        connection.execute(
            releases_table.insert().values(version=version, released_at=when, note=note)
        )
    return when


def releases(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    query = sa.select(releases_table).order_by(releases_table.c.released_at.desc()).limit(limit)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def last_release(engine: Engine, before: datetime) -> dict[str, Any] | None:
    query = (
        sa.select(releases_table.c.version, releases_table.c.released_at)
        .where(releases_table.c.released_at < before)
        .order_by(releases_table.c.released_at.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else {"version": row[0], "released_at": str(row[1])[:16]}


def _payload(engine: Engine, spike: CellSpike, public_url: str) -> dict[str, Any]:
    week_end = datetime.combine(
        date.fromisoformat(spike.week) + timedelta(days=7), datetime.min.time(), UTC
    )
    examples = [
        t["ticket_id"] for t in cell_tickets(engine, spike.field, spike.cell, spike.week, 5)
    ]
    return {
        "field": spike.field,
        "cell": spike.cell,
        "week": spike.week,
        "kind": spike.kind,
        "tickets": spike.tickets,
        "accounts": spike.accounts,
        "baseline_tickets": spike.baseline_tickets,
        "baseline_accounts": spike.baseline_accounts,
        "examples": examples,
        "link": f"{public_url.rstrip('/')}/pulse?field={spike.field}#week-{spike.week}",
        "last_release": last_release(engine, week_end),
    }


def slack_text(payload: Mapping[str, Any]) -> str:
    """The alert as one Slack message (mrkdwn)."""
    release = payload["last_release"]
    named = f"{release['version']} ({release['released_at']})" if release else "none recorded"
    return (
        f"*{payload['kind']}* — {payload['field']} `{payload['cell']}`, week of {payload['week']}: "
        f"{payload['tickets']} tickets from {payload['accounts']} accounts "
        f"(expected {payload['baseline_tickets']} tickets, "
        f"{payload['baseline_accounts']} accounts). "
        f"Last release before it: {named}. Examples: {', '.join(payload['examples'])}. "
        f"<{payload['link']}|Open the pulse>"
    )


def detect(
    engine: Engine,
    fields: Iterable[str],
    *,
    receivers: Iterable[str],
    public_url: str,
    recent_weeks: int,
    cooldown_h: float,
    now: datetime | None = None,
) -> int:
    """Store an alert per new spike cell in the latest `recent_weeks` weeks; returns how many."""
    now = now or datetime.now(UTC)
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    stored = 0
    for field in fields:
        table = weekly_table(engine, field)
        recent = set(table.weeks[-recent_weeks:])
        for spike in spikes(table):
            if spike.week not in recent or _cooling(
                engine, spike, now - timedelta(hours=cooldown_h)
            ):
                continue
            row = {
                "dimension": field,
                "cell": spike.cell,
                "week": spike.week,
                "payload": _payload(engine, spike, public_url),
                "created_at": now,
                "pending": sorted(receivers),
                "attempts": 0,
                "next_attempt_at": now,
            }
            statement = (
                insert(alerts_table)
                .values(row)
                .on_conflict_do_nothing()
                .returning(alerts_table.c.id)
            )
            with engine.begin() as connection:
                stored += len(connection.execute(statement).all())
    return stored


def _cooling(engine: Engine, spike: CellSpike, since: datetime) -> bool:
    query = sa.select(sa.func.count()).where(
        (alerts_table.c.dimension == spike.field)
        & (alerts_table.c.cell == spike.cell)
        & ((alerts_table.c.created_at > since) | (alerts_table.c.week == spike.week))
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one()) > 0


def deliver(
    engine: Engine,
    urls: Mapping[str, str],
    *,
    retry_s: float,
    max_attempts: int,
    post: Post = post_json,
    now: datetime | None = None,
) -> int:
    """Post due alerts to the receivers they are still pending for; returns deliveries made."""
    now = now or datetime.now(UTC)
    due = sa.select(alerts_table).where(
        (alerts_table.c.attempts < max_attempts) & (alerts_table.c.next_attempt_at <= now)
    )
    with engine.connect() as connection:
        rows = [dict(r) for r in connection.execute(due).mappings() if r["pending"]]
    delivered = 0
    for row in rows:
        pending, errors = [], []
        for name in row["pending"]:
            body = {"text": slack_text(row["payload"])} if name == "slack" else row["payload"]
            try:
                post(urls[name], body)
                delivered += 1
            except Exception as exc:  # any failure: keep it pending and retry later
                pending.append(name)
                errors.append(f"{name}: {exc}")
        attempts = row["attempts"] + (1 if pending else 0)
        update = {
            "pending": pending,
            "attempts": attempts,
            "last_error": "; ".join(errors) or None,
            "next_attempt_at": now + timedelta(seconds=retry_s * 2 ** max(0, attempts - 1)),
        }
        with engine.begin() as connection:
            connection.execute(
                alerts_table.update().where(alerts_table.c.id == row["id"]).values(update)
            )
        if errors:
            logger.warning("alert %s not delivered (attempt %d): %s", row["id"], attempts, errors)
    return delivered


def list_alerts(engine: Engine, limit: int = 100) -> list[dict[str, Any]]:
    query = (
        sa.select(alerts_table)
        .order_by(alerts_table.c.created_at.desc(), alerts_table.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def acknowledge(engine: Engine, alert_id: int, user: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            alerts_table.update()
            .where(alerts_table.c.id == alert_id)
            .values(acknowledged_by=user, acknowledged_at=datetime.now(UTC))
        )


async def run_schedule(interval_s: float, step: Callable[[], object]) -> None:
    """Run `step` (detect, then deliver) every `interval_s` until cancelled."""
    while True:
        try:
            await asyncio.to_thread(step)
        except Exception:  # the log may be away; try again next round
            logger.exception("alert run failed")
        await asyncio.sleep(interval_s)
