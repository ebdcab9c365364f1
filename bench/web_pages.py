"""Web pages at scale and the cost of logging (issue #16).

1. Fills a prediction log with `--rows` (1,000,000) predictions over 52 weeks — 8 categories and
   8 features with a skew, 2,000 accounts of very different sizes (20 of them gone quiet for the
   last 6 weeks), ~5 % needs_review per field, a cross-account spike planted in week 40 — in
   SQLite (a temporary file) and in PostgreSQL (a schema of its own, dropped afterwards), with
   the project's own tables and row format (`classifier.predlog`), in chunks of 50,000.
2. Starts the app (`create_app`, pages on, an admin signed in, the fake HashingEmbedder model of
   the tests: the pages read the log, not the model) on each database and times GET /pulse (all
   weeks, and the latest 12 weeks), the review queue and /models/current in-process with
   starlette's TestClient: 3 warm-ups, then up to `--repeats` requests per page, fewer when a
   page exceeds `--page-budget` seconds. The slowest SQL statement behind each page is recorded
   and explained (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE).
3. Logging cost: two uvicorn servers on 127.0.0.1 (the tests' fake-model app factory, or a real
   bundle with `--model`), each on its own copy of the filled SQLite log, the log on in both and
   its page aggregates on (`log_aggregates`) in one and off in the other, driven alternately by
   bench/serve_load.py's load driver at concurrency 4 for `--load-seconds` per round.

    python bench/web_pages.py                      # 1M rows, both databases, writes the docs
    python bench/web_pages.py --rows 100000 --no-write --skip-postgres
    python bench/web_pages.py --only logging       # the logging cost alone (its own docs block)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.docs_section import write_section  # noqa: E402
from bench.serve_load import _free_port, _level, _wait_ready  # noqa: E402
from classifier.predlog import PredictionStore, Timeouts, prediction_rows, predictions_table  # noqa: E402
from classifier.records import FieldPrediction, LabelScore, Prediction, Ticket  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
WEEKS = 52
ACCOUNTS = 2000
CHUNK = 50_000
TARGET_MS = 500.0
TOKEN = "web-pages-bench"
PASSWORD = "bench-admin-pw"
CATEGORIES = {  # name: relative volume
    "technical_issue": 30,
    "billing": 18,
    "login_access": 15,
    "product_question": 12,
    "feature_request": 9,
    "performance": 7,
    "account_management": 5,
    "data_privacy": 4,
}
FEATURES = {
    "dashboard": 24,
    "integrations": 18,
    "api": 15,
    "reports": 12,
    "notifications": 10,
    "user_management": 9,
    "mobile_app": 7,
    "exports": 5,
}
SPIKE_WEEK, SPIKE_CATEGORY, SPIKE_SHARE = 40, "data_privacy", 0.08


def _entry(
    label: str, confidence: float, review: bool, top: list[tuple[str, float]], with_top: bool
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "label": label,
        "confidence": confidence,
        "needs_review": review,
        "review_reason": "low_confidence" if review else None,
        "margin": round(top[0][1] - top[1][1], 4),
    }
    if with_top:
        entry["top"] = [{"label": name, "confidence": value} for name, value in top]
    return entry


def _log_format() -> tuple[bool, list[str]]:
    """Whether the log stores each field's top three; checks that the generated rows have the
    keys `prediction_rows` (what the service logs) writes."""
    ticket = Ticket(id="T-1", subject="s", body="b", account_id="A")
    top = [LabelScore(label="billing", confidence=0.4), LabelScore(label="api", confidence=0.3)]
    fields = {
        f: FieldPrediction(label="billing", confidence=0.4, top=top, needs_review=True)
        for f in ("category", "feature")
    }
    real = prediction_rows(
        [ticket], [Prediction(ticket_id="T-1", model_version="v", fields=fields)], START
    )[0]
    stores_top = "top" in real["labels"]["category"]
    ours = next(_rows(10, seed=1, top=stores_top))[0]
    assert real.keys() == ours.keys(), (real.keys(), ours.keys())
    real_entry, our_entry = real["labels"]["category"], ours["labels"]["category"]
    assert real_entry.keys() == our_entry.keys(), (real_entry.keys(), our_entry.keys())
    if stores_top:
        assert real_entry["top"][0].keys() == our_entry["top"][0].keys()
    return stores_top, list(real_entry)


def _rows(count: int, seed: int = 0, top: bool = True) -> Iterator[list[dict[str, Any]]]:
    """`count` log rows in time order, in chunks of CHUNK (with each field's top three)."""
    rng = np.random.default_rng(seed)
    growth = 1 + 0.25 * np.arange(WEEKS) / WEEKS
    season = 1 + 0.1 * np.sin(np.arange(WEEKS) / WEEKS * 2 * np.pi)
    per_week = rng.multinomial(count, growth * season / (growth * season).sum())
    week = np.repeat(np.arange(WEEKS), per_week)
    when = week * 7 * 86400 + np.sort(rng.uniform(0, 7 * 86400, count))  # sorted within a week
    order = np.argsort(when, kind="stable")
    week, when = week[order], when[order]
    weights = 1 / (np.arange(ACCOUNTS) + 10.0) ** 1.1
    account = rng.choice(ACCOUNTS, count, p=weights / weights.sum())
    quiet = (account >= 200) & (account < 220) & (week >= WEEKS - 6)  # 20 accounts gone quiet
    account[quiet] = rng.integers(0, 200, int(quiet.sum()))
    labels = {}
    for name, classes in (("category", CATEGORIES), ("feature", FEATURES)):
        names = list(classes)
        p = np.array(list(classes.values()), dtype=float)
        chosen = rng.choice(len(names), count, p=p / p.sum())
        if name == "category":
            spike = (week == SPIKE_WEEK) & (rng.random(count) < SPIKE_SHARE)
            chosen[spike] = names.index(SPIKE_CATEGORY)
        review = rng.random(count) < 0.05
        confidence = np.where(
            review, rng.uniform(0.25, 0.5, count), rng.uniform(0.5, 0.99, count)
        ).round(4)
        second = np.minimum((1 - confidence) * rng.uniform(0.3, 0.95, count), confidence - 1e-3)
        third = np.minimum((1 - confidence - second) * rng.uniform(0.3, 0.9, count), second)
        step = rng.integers(1, len(names), count)  # the runners-up: two other labels
        runners = (
            (chosen + step) % len(names),
            (chosen + step % (len(names) - 1) + 1) % len(names),
        )
        labels[name] = (names, chosen, review, confidence, runners, second.round(4), third.round(4))
    no_created = rng.random(count) < 0.03  # some helpdesks send no creation time
    delay = rng.uniform(1, 120, count)
    for start in range(0, count, CHUNK):
        chunk = []
        for i in range(start, min(start + CHUNK, count)):
            created = START + timedelta(seconds=float(when[i]))
            ticket_id = f"T-{i:07d}"
            chunk.append(
                {
                    "ticket_id": ticket_id,
                    "model_version": "bench-v1" if week[i] < 26 else "bench-v2",
                    "received_at": created + timedelta(seconds=float(delay[i])),
                    "created_at": None if no_created[i] else created,
                    "account_id": f"ACC-{int(account[i]):04d}",
                    "text_sha256": hashlib.sha256(ticket_id.encode()).hexdigest(),
                    "labels": {
                        name: _entry(
                            names[chosen[i]],
                            float(confidence[i]),
                            bool(review[i]),
                            [
                                (names[chosen[i]], float(confidence[i])),
                                (names[runners[0][i]], float(second[i])),
                                (names[runners[1][i]], float(third[i])),
                            ],
                            top,
                        )
                        for name, (names, chosen, review, confidence, runners, second, third) in (
                            labels.items()
                        )
                    },
                }
            )
        yield chunk


_COLUMNS = ("ticket_id", "model_version", "received_at", "created_at", "account_id",
            "text_sha256", "labels")  # fmt: skip


def fill(url: str, count: int, top: bool = True) -> tuple[float, float]:
    """Create the log's tables at `url`, fill them as an older version would have (no
    aggregates), then start the store as the service does, which fills the aggregates once from
    the log; returns the seconds both took, and those of that backfill."""
    started = time.perf_counter()
    from serve.web.tables import create_web_tables

    store = PredictionStore(url, Timeouts(statement_ms=600_000))
    store.create_tables()
    engine = store.engine
    try:
        for chunk in _rows(count, top=top):
            if engine.dialect.name == "postgresql":
                raw = engine.raw_connection()
                try:
                    with raw.cursor() as cursor:  # type: ignore[attr-defined]
                        columns = ", ".join(_COLUMNS)
                        with cursor.copy(f"COPY predictions ({columns}) FROM STDIN") as copy:
                            for row in chunk:
                                copy.write_row(
                                    [
                                        json.dumps(row[c]) if c == "labels" else row[c]
                                        for c in _COLUMNS
                                    ]
                                )
                    raw.commit()
                finally:
                    raw.close()
            else:
                with engine.begin() as connection:
                    connection.execute(predictions_table.insert(), chunk)
        # The pages' tables and the log's time indexes, as the service creates them at start-up
        # (here without its statement timeout: on a full log the index build takes seconds).
        create_web_tables(engine)
        backfill_started = time.perf_counter()
        store.create_tables()  # the service's start-up: the aggregates from the existing log
        backfilled = time.perf_counter() - backfill_started
        if engine.dialect.name == "postgresql":
            # What autovacuum would do within a minute; the test server runs with it off, and
            # without statistics the planner takes the 300k-row aggregate tables for 150 rows.
            tables = sa.inspect(engine).get_table_names()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for table in tables:
                    connection.execute(sa.text(f'ANALYZE "{table}"'))
        assert store.count_predictions() == count
    finally:
        store.dispose()
    return time.perf_counter() - started, backfilled


@dataclass
class PageTiming:
    database: str
    page: str
    path: str
    ms: list[float]
    statuses: set[int]
    slowest_sql: tuple[float, str, Any] = (0.0, "", None)
    errors: list[str] = field(default_factory=list)

    def pct(self, q: float) -> float:
        return float(np.percentile(self.ms, q)) if self.ms else float("nan")


@dataclass
class _SqlRecorder:
    """Times every statement the engine runs while `on`."""

    on: bool = False
    statements: list[tuple[float, str, Any]] = field(default_factory=list)

    def attach(self, engine: sa.Engine) -> None:
        def before(
            conn: Any, _cursor: Any, _stmt: str, _params: Any, _ctx: Any, _many: bool
        ) -> None:
            conn.info["bench_started"] = time.perf_counter()

        def after(conn: Any, _cursor: Any, stmt: str, params: Any, _ctx: Any, _many: bool) -> None:
            if self.on:
                took = 1000 * (
                    time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
                )
                self.statements.append((took, stmt, params))

        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)


def _settings(url: str, model_link: Path, journal: Path, token: str, timeout_ms: int) -> Any:
    from pydantic import SecretStr

    from serve.settings import Settings, WebUser

    return Settings(
        api_token=SecretStr(token),
        db_statement_timeout_ms=timeout_ms,
        model_path=model_link,
        db_url=url,
        journal_path=journal,
        watch_interval_s=0,
        alert_interval_s=0,  # the hourly detector run would compete with the timed pages
        web_users={"ada": WebUser(role="admin", password=SecretStr(PASSWORD))},
    )


def _pages() -> list[tuple[str, str]]:
    last = START + timedelta(weeks=WEEKS - 1)
    since = (last - timedelta(weeks=11)).date().isoformat()
    return [
        ("pulse, 52 weeks", "/pulse"),
        ("pulse, latest 12 weeks", f"/pulse?since={since}&until={last.date().isoformat()}"),
        ("review queue", "/review"),
        ("model", "/models/current"),
    ]


@contextlib.contextmanager
def _signed_in(url: str, model_link: Path, journal: Path, timeout_ms: int) -> Iterator[Any]:
    """A TestClient on the app at `url`, ready and signed in as an admin."""
    from fastapi.testclient import TestClient

    from serve.app import create_app
    from tests.serve.app_factory import fake_loader
    from tests.serve.conftest import TOKEN as TEST_TOKEN
    from tests.serve.conftest import wait_ready
    from tests.serve.web.conftest import sign_in

    settings = _settings(url, model_link, journal, TEST_TOKEN, timeout_ms)
    app = create_app(settings, loader=fake_loader)
    app.state.bench_errors = []

    async def record(_request: Any, exc: Exception) -> Any:
        from starlette.responses import PlainTextResponse

        app.state.bench_errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        return PlainTextResponse("Internal Server Error", status_code=500)

    app.add_exception_handler(Exception, record)
    with TestClient(app, raise_server_exceptions=False) as client:  # a failed query: HTTP 500
        wait_ready(client, tries=1000)
        sign_in(client, "ada", PASSWORD)
        yield client


def default_timeout_statuses(url: str, model_link: Path, journal: Path) -> dict[str, int]:
    """One request per page with the default `db_statement_timeout_ms`: the HTTP status."""
    from serve.settings import Settings

    default = Settings.model_fields["db_statement_timeout_ms"].default
    with _signed_in(url, model_link, journal, default) as client:
        statuses = {name: client.get(path).status_code for name, path in _pages()}
        errors = sorted(set(client.app.state.bench_errors))
    print(f"default statement timeout: {statuses} {errors}", flush=True)
    return statuses


def time_pages(
    database: str,
    url: str,
    model_link: Path,
    journal: Path,
    repeats: int,
    budget_s: float,
    timeout_ms: int,
) -> list[PageTiming]:
    """Sign in and time each page on the log at `url`."""
    results = []
    with _signed_in(url, model_link, journal, timeout_ms) as client:
        recorder = _SqlRecorder()
        recorder.attach(client.app.state.service.store.engine)
        for name, path in _pages():
            timing = PageTiming(database, name, path, [], set())
            for _ in range(3):  # one warm-up only where a page takes a tenth of its budget
                sent = time.perf_counter()
                timing.statuses.add(client.get(path).status_code)
                if time.perf_counter() - sent > budget_s / 10:
                    break
            recorder.on, recorder.statements = True, []
            begun = time.perf_counter()
            while len(timing.ms) < repeats and (
                len(timing.ms) < 3 or time.perf_counter() - begun < budget_s
            ):
                sent = time.perf_counter()
                timing.statuses.add(client.get(path).status_code)
                timing.ms.append(1000 * (time.perf_counter() - sent))
            recorder.on = False
            timing.errors = sorted(set(client.app.state.bench_errors))
            client.app.state.bench_errors.clear()
            if recorder.statements:
                timing.slowest_sql = max(recorder.statements, key=lambda s: s[0])
            results.append(timing)
            print(f"{database} {name}: p50 {timing.pct(50):.0f} ms, p95 {timing.pct(95):.0f} ms,"
                  f" n={len(timing.ms)}, HTTP {sorted(timing.statuses)}", flush=True)  # fmt: skip
    return results


def explain(url: str, statement: str, params: Any) -> list[str]:
    """The query plan of one recorded statement (PostgreSQL: with ANALYZE, actual times)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                prefix = "EXPLAIN (ANALYZE, BUFFERS OFF) "
            else:
                prefix = "EXPLAIN QUERY PLAN "
            rows = connection.exec_driver_sql(prefix + statement, params).all()
    finally:
        engine.dispose()
    return [" ".join(str(v) for v in row) for row in rows]


def _train_bundle(folder: Path) -> Path:
    """A fake-model bundle with the log's 8 categories and 8 features (HashingEmbedder)."""
    from classifier.bundle.store import set_current
    from tests.fakes import HashingEmbedder
    from training.fit.heads import HeadConfig
    from training.fit.train import TrainConfig, train

    rng = np.random.default_rng(0)
    tickets = []
    for i in range(320):
        category, feature = list(CATEGORIES)[i % 8], list(FEATURES)[(i // 8) % 8]
        words = [f"{category}{k}" for k in rng.integers(0, 6, 3)]
        words += [f"{feature}{k}" for k in rng.integers(0, 6, 2)]
        tickets.append(
            Ticket(
                id=f"B-{i}",
                subject=" ".join(words[:2]),
                body=" ".join(words[2:]),
                labels={"category": category, "feature": feature},
            )
        )
    config = TrainConfig(name="bench-v2", make_current=False, head=HeadConfig(Cs=(4.0,)))
    result = train(tickets, HashingEmbedder(), config, models_dir=folder, source="bench")
    set_current(folder, result.bundle_path)
    return folder / "current"


@dataclass
class LoadRound:
    aggregates: bool
    requests: int
    errors: int
    seconds: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds


def logging_cost(
    sqlite_path: Path,
    model_link: Path,
    scratch: Path,
    seconds: float,
    rounds: int,
    real_model: bool = False,
) -> list[LoadRound]:
    """/classify throughput with the log on and its page aggregates on and off (each server on
    its own copy of the log at `sqlite_path`: a start-up without aggregates empties them),
    alternating rounds."""
    servers = []
    factory = "serve.app:app_from_env" if real_model else "tests.serve.app_factory:make_app"
    try:
        for aggregates_on in (True, False):
            copy = scratch / f"load-{aggregates_on}.db"
            for suffix in ("", "-wal"):  # the WAL too, should the fill have left one
                if Path(f"{sqlite_path}{suffix}").exists():
                    shutil.copyfile(f"{sqlite_path}{suffix}", f"{copy}{suffix}")
            port = _free_port()
            env = {
                **os.environ,
                "HF_HUB_OFFLINE": "1",
                "TICKETLENS_API_TOKEN": TOKEN,
                "TICKETLENS_MODEL_PATH": str(model_link),
                "TICKETLENS_DB_URL": f"sqlite:///{copy}",
                "TICKETLENS_JOURNAL_PATH": str(scratch / f"load-{aggregates_on}.journal"),
                "TICKETLENS_LOG_PREDICTIONS": "true",
                "TICKETLENS_LOG_AGGREGATES": "true" if aggregates_on else "false",
                "TICKETLENS_WATCH_INTERVAL_S": "0",
                "TICKETLENS_ALERT_INTERVAL_S": "0",
            }
            command = [sys.executable, "-m", "uvicorn", factory,
                       "--factory", "--host", "127.0.0.1", "--port", str(port),
                       "--log-level", "warning"]  # fmt: skip
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            servers.append((aggregates_on, f"http://127.0.0.1:{port}", process, copy))
        for _, base, process, _ in servers:
            _wait_ready(base, TOKEN, process, timeout=300)
        tickets = [
            {
                "id": "",
                "subject": f"{c}1 {f}2",
                "body": f"{c}3 {c}4 {f}0 please help, it fails since monday",
            }
            for c in CATEGORIES
            for f in FEATURES
        ]
        for aggregates_on, base, _, _ in servers:  # warm-up, not reported
            asyncio.run(_level(base, TOKEN, tickets, 4, 1.5, prefix=f"warm-{aggregates_on}-"))
        results = []
        for r in range(rounds):
            for aggregates_on, base, _, _ in servers if r % 2 == 0 else servers[::-1]:
                latencies, errors, elapsed = asyncio.run(
                    _level(base, TOKEN, tickets, 4, seconds, prefix=f"load-{r}-{aggregates_on}-")
                )
                results.append(LoadRound(aggregates_on, len(latencies), errors, elapsed))
                print(results[-1], f"{results[-1].throughput:.0f}/s", flush=True)
        for aggregates_on, _, _, copy in servers:
            _check_logged(copy, sum(r.requests for r in results if r.aggregates is aggregates_on))
        return results
    finally:
        for _, _, process, _ in servers:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
            if process.poll() is None:
                process.kill()


def _pg_schema() -> tuple[str, str] | None:
    schema = f"ticketlens_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        print(f"no PostgreSQL at {PG_URL} ({exc.orig}); skipped", flush=True)
        return None
    finally:
        admin.dispose()
    return schema, f"{PG_URL}?options=-csearch_path%3D{schema}"


def _drop_schema(schema: str) -> None:
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


def _check_logged(path: Path, acknowledged: int) -> None:
    """Stop when acknowledged rows went to the journal instead: the log was not measured."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            query = "SELECT COUNT(*) FROM predictions WHERE ticket_id LIKE 'load-%'"
            logged = int(connection.exec_driver_sql(query).scalar_one())
    finally:
        engine.dispose()
    if logged != acknowledged:
        raise SystemExit(
            f"{acknowledged} tickets answered by the server on {path.name}, {logged} in its log: "
            "the rest went to the journal (see the server's log above); not a measurement"
        )


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _section(
    command: str,
    rows: int,
    fills: dict[str, float],
    pages: list[PageTiming],
    plans: dict[tuple[str, str], list[str]],
    probes: dict[str, int],
    timeout_ms: int,
    uptimes: tuple[str, str],
    entry_keys: list[str],
    backfills: dict[str, float],
) -> str:
    lines = [
        f"Measured with `{command}` on {os.cpu_count()} CPU cores shared with other jobs "
        f"(`uptime` before: `{uptimes[0]}`; after: `{uptimes[1]}`).",
        "",
        f"The log: {rows:,} predictions over {WEEKS} weeks, 8 categories and 8 features with a "
        f"skew, {ACCOUNTS:,} accounts (20 gone quiet for the last 6 weeks), ~5 % needs_review "
        f"per field, a cross-account `{SPIKE_CATEGORY}` spike in week {SPIKE_WEEK}; rows as "
        "`classifier.predlog.prediction_rows` writes them (labels JSON per field: "
        + ", ".join(f"`{key}`" for key in entry_keys)
        + "; the log has no tier/channel columns). The pages read the weekly aggregates the "
        "log keeps as rows are written (`classifier.predlog.aggregates`); here the rows go in "
        "raw, as a log from before the aggregates, and the store's start-up fills them once "
        "from the log (`classifier.predlog.backfill`, GROUP BYs). "
        "Filled in "
        + ", ".join(
            f"{db} {s:.0f} s (of which the aggregates {backfills.get(db, 0):.0f} s)"
            for db, s in fills.items()
        )
        + " (SQLite: SQLAlchemy executemany, PostgreSQL: COPY and ANALYZE of every table after "
        "the backfill, as autovacuum would — the local server runs with autovacuum off; "
        "50,000 rows per chunk). Pages: `create_app` with pages on, an admin signed in, the "
        "tests' fake model, "
        "timed in-process with starlette's TestClient after 3 warm-ups (1 where a page is "
        "slow; fewer than 30 requests where a page exceeded its time budget) — server time "
        "plus a millisecond of client — with `db_statement_timeout_ms` raised to "
        f"{timeout_ms:,} so slow pages are timed rather than cut off.",
        "",
        "| database | page | requests | HTTP | p50 ms | p95 ms | ≤ 500 ms at p95 "
        "| slowest statement ms (any request) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in pages:
        met = "met" if t.pct(95) <= TARGET_MS and t.statuses == {200} else "**not met**"
        lines.append(
            f"| {t.database} | {t.page} (`{t.path}`) | {len(t.ms)} | "
            f"{','.join(map(str, sorted(t.statuses)))} | {t.pct(50):.0f} | {t.pct(95):.0f} | "
            f"{met} | {t.slowest_sql[0]:.0f} |"
        )
    for t in pages:
        if t.errors:
            lines += ["", f"{t.database} / {t.page} answered 500: " + "; ".join(t.errors)]
    if probes:
        refused = [name for name, status in probes.items() if status != 200]
        lines += ["", "With the default `db_statement_timeout_ms` (500 ms, which also bounds log "
                  "writes) on PostgreSQL, one request per page answered: "
                  + ", ".join(f"{name} HTTP {status}" for name, status in probes.items())
                  + (f" — {', '.join(refused)} cut off by the statement timeout." if refused
                     else ".")]  # fmt: skip
    shown: set[str] = set()
    for (database, page), plan in plans.items():
        timing = next(t for t in pages if (t.database, t.page) == (database, page))
        sql = " ".join(timing.slowest_sql[1].split())
        if sql in shown:
            continue
        shown.add(sql)
        took = timing.slowest_sql[0]
        lines += ["", f"Slowest statement behind {database} / {page} ({took:.0f} ms; "
                  f"shown where a page's p95 exceeds {TARGET_MS / 2:.0f} ms):",
                  "", "```sql", sql[:600] + (" …" if len(sql) > 600 else ""), "```", "",
                  "```", *plan[:14], "```"]  # fmt: skip
    return "\n".join(lines)


def _logging_section(
    command: str, rows: int, load: list[LoadRound], uptimes: tuple[str, str], model: str
) -> str:
    on = [r.throughput for r in load if r.aggregates]
    off = [r.throughput for r in load if not r.aggregates]
    diff = 100 * (np.median(on) - np.median(off)) / np.median(off)
    verdict = "met" if abs(diff) <= 5 else "**not met**"
    lines = [
        f"Logging cost, measured with `{command}` on {os.cpu_count()} CPU cores shared with "
        f"other jobs (`uptime` before: `{uptimes[0]}`; after: `{uptimes[1]}`): `POST /classify`, "
        "one ticket per request, concurrency 4, two uvicorn servers on 127.0.0.1 "
        f"({model}), driven alternately by `bench/serve_load.py`'s load driver. Both keep the "
        f"prediction log, each on its own copy of a filled SQLite log ({rows:,} rows, its "
        "indexes); aggregates on = the pages' weekly counts upserted in the same transaction as "
        "each group of rows (the default), off = `log_aggregates` false (the log alone, no "
        "pages).",
        "",
        "| page aggregates | rounds | requests | errors | tickets/s (median of rounds) |",
        "|---|---|---|---|---|",
    ]
    for flag, values in ((True, on), (False, off)):
        rounds = [r for r in load if r.aggregates is flag]
        lines.append(
            f"| {'on' if flag else 'off'} | {len(rounds)} | {sum(r.requests for r in rounds)}"
            f" | {sum(r.errors for r in rounds)} | {np.median(values):.0f} "
            f"({', '.join(f'{v:.0f}' for v in values)}) |"
        )
    extra_ms = 1000 * (1 / np.median(on) - 1 / np.median(off))
    lines += [
        "",
        f"Throughput with the aggregates on vs off: {diff:+.1f} % (target within 5 %: "
        f"{verdict}); the aggregates cost {extra_ms:.2f} ms of the server's capacity per ticket.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=30, help="timed requests per page")
    parser.add_argument(
        "--page-budget",
        type=float,
        default=15.0,
        help="seconds per page after which fewer requests are timed (at least 3)",
    )
    parser.add_argument("--load-seconds", type=float, default=5.0, help="seconds per load round")
    parser.add_argument("--load-rounds", type=int, default=3, help="rounds per setting")
    parser.add_argument(
        "--timeout-ms",
        type=int,
        default=120_000,
        help="db_statement_timeout_ms while timing (the default is probed once)",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--only",
        choices=["all", "pages", "logging"],
        default="all",
        help="pages: skip the logging cost; logging: fill the SQLite log, time no pages",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="a real bundle (folder or `current` link) for the logging cost, not the fake model",
    )
    parser.add_argument("--no-write", action="store_true", help="print, do not edit the docs")
    args = parser.parse_args()  # fmt: skip
    if not 1000 <= args.rows <= 5_000_000 or not 1 <= args.repeats <= 100:
        parser.error("--rows in [1000, 5000000], --repeats in [1, 100]")
    if not 0 < args.load_seconds <= 60 or not 1 <= args.load_rounds <= 10:
        parser.error("--load-seconds in (0, 60], --load-rounds in [1, 10]")
    if args.model is not None and not (args.model / "manifest.json").exists():
        parser.error(f"--model {args.model}: no manifest.json there (a bundle folder)")
    os.environ["HF_HUB_OFFLINE"] = "1"
    command = "python bench/web_pages.py " + shlex.join(sys.argv[1:])
    stores_top, entry_keys = _log_format()
    uptime_before = _uptime()
    with tempfile.TemporaryDirectory(prefix="ticketlens-web-bench-") as scratch_name:
        scratch = Path(scratch_name)
        model_link = _train_bundle(scratch / "models")
        databases: list[tuple[str, str, str | None]] = [
            ("SQLite", f"sqlite:///{scratch / 'log.db'}", None)
        ]
        pages_too = args.only != "logging"
        if pages_too and not args.skip_postgres and (made := _pg_schema()) is not None:
            databases.append(("PostgreSQL", made[1], made[0]))
        fills: dict[str, float] = {}
        backfills: dict[str, float] = {}
        pages: list[PageTiming] = []
        plans: dict[tuple[str, str], list[str]] = {}
        probes: dict[str, int] = {}
        try:
            for database, url, _ in databases:
                fills[database], backfills[database] = fill(url, args.rows, stores_top)
                print(f"{database}: {args.rows} rows in {fills[database]:.0f} s (aggregates "
                      f"{backfills[database]:.0f} s)", flush=True)  # fmt: skip
                if not pages_too:
                    continue
                journal = scratch / f"{database}.journal"
                if database == "PostgreSQL":
                    probes = default_timeout_statuses(url, model_link, journal)
                timings = time_pages(database, url, model_link, journal, args.repeats,
                                     args.page_budget, args.timeout_ms)  # fmt: skip
                pages += timings
                for t in timings:
                    if t.pct(95) > TARGET_MS / 2 and t.slowest_sql[1]:  # missed, or close
                        plans[(database, t.page)] = explain(url, t.slowest_sql[1], t.slowest_sql[2])
                        print("\n".join(plans[(database, t.page)]), flush=True)
            uptime_pages = _uptime()
            load: list[LoadRound] = []
            if args.only != "pages":
                real = args.model is not None
                served = args.model.resolve() if real else model_link
                load = logging_cost(scratch / "log.db", served, scratch, args.load_seconds,
                                    args.load_rounds, real)  # fmt: skip
        finally:
            for _, _, schema in databases:
                if schema is not None:
                    _drop_schema(schema)
    if pages_too:
        section = _section(command, args.rows, fills, pages, plans, probes, args.timeout_ms,
                           (uptime_before, uptime_pages), entry_keys, backfills)  # fmt: skip
        print(section)
        if not args.no_write:
            write_section("web-pages", section, heading="## Web pages and logging cost (issue #16)")
    if load:
        model = (
            f"the bundle `{args.model.resolve().name}` through `serve.app:app_from_env`"
            if args.model is not None
            else "the tests' fake-model app factory, HashingEmbedder — so the model is nearly "
            "free and the log's share of each request is at its largest"
        )
        name = "web-pages-logging" + ("-model" if args.model is not None else "")
        section = _logging_section(command, args.rows, load, (uptime_pages, _uptime()), model)
        print(section)
        if not args.no_write:
            write_section(name, section, heading="### Logging cost: aggregates on vs off")


if __name__ == "__main__":
    main()
