"""Fault injection: acknowledged answers against rows in the prediction log, per scenario.

Runs real uvicorn servers (the fake HashingEmbedder app of tests/serve/app_factory.py, so it is
fast) on 127.0.0.1 and sends bounded traffic at concurrency 16 with distinct ticket ids:

- pg-outage: PostgreSQL behind a TCP proxy on 127.0.0.1 that is stopped for 10 s, then restarted
- sqlite-lock: another connection holds BEGIN EXCLUSIVE on the SQLite log for 10 s
- poison: 1 % poison tickets (lone surrogate, NUL in id / account_id, year 9999, id > 255)
- kill9: the server is killed with SIGKILL three times and restarted on the same journal
- replicas: two servers on one PostgreSQL log, every ticket sent to both, during an outage
- journal-full: the pg-outage scenario with the journal on a 512 KiB tmpfs (needs root to mount
  it; skipped otherwise), so the journal fills and requests must get 503

    python bench/faults.py [--scenario NAME ...] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import make_tickets  # noqa: E402
from tests.fakes import HashingEmbedder  # noqa: E402
from training.fit.heads import HeadConfig  # noqa: E402
from training.fit.train import TrainConfig, train  # noqa: E402

TOKEN = "faults-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONCURRENCY = 16
POISON = [
    {"subject": "\ud800 refund"},
    {"id_suffix": "\x00"},
    {"account_id": "A\x00"},
    {"created_at": "9999-12-31T23:59:59-14:00"},
    {"id_suffix": "x" * 300},
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proxy:
    """A TCP proxy 127.0.0.1:port → 127.0.0.1:5432 that can be stopped (connections cut)."""

    def __init__(self, target: int = 5432) -> None:
        self.port = _free_port()
        self.target = target
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
            self._writers |= {writer, up_writer}
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()


@dataclass
class Server:
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "tests.serve.app_factory:make_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"),  # noqa: SIM115
        )  # fmt: skip

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)


@dataclass
class Tally:
    acknowledged: set[str] = field(default_factory=set)
    refused_503: int = 0
    innocent_failed: int = 0
    no_answer: int = 0
    poison_sent: int = 0
    poison_refused: int = 0
    slowest_ok_s: float = 0.0
    slow_ok: int = 0


async def _ready(client: httpx.AsyncClient, base: str) -> None:
    for _ in range(1200):  # a loaded 2-core machine takes long to import the stack
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get(f"{base}/ready", headers=AUTH)).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} never became ready")


async def _traffic(
    bases: list[str],
    duration_s: float,
    tally: Tally,
    prefix: str,
    poison_rate: float = 0.0,
    fanout: bool = False,
) -> None:
    """CONCURRENCY workers, each sending distinct tickets until `duration_s` has passed."""
    stop = time.monotonic() + duration_s
    counter = iter(range(10**9))

    async def worker(client: httpx.AsyncClient, w: int) -> None:
        while time.monotonic() < stop:
            n = next(counter)
            ticket = {"id": f"{prefix}-{n}", "subject": "refund invoice", "body": f"ticket {n}"}
            poison = poison_rate > 0 and n % int(1 / poison_rate) == 0
            if poison:
                kind = POISON[(n // int(1 / poison_rate)) % len(POISON)]
                ticket.update({k: v for k, v in kind.items() if k != "id_suffix"})
                ticket["id"] += kind.get("id_suffix", "")
                tally.poison_sent += 1
            targets = bases if fanout else [bases[n % len(bases)]]
            for base in targets:
                started = time.monotonic()
                try:
                    content = json.dumps(ticket).encode()
                    response = await client.post(
                        f"{base}/classify", content=content,
                        headers={**AUTH, "Content-Type": "application/json"},
                    )  # fmt: skip
                except httpx.HTTPError:  # no answer (the server is dead): nothing acknowledged
                    tally.no_answer += 1
                    await asyncio.sleep(0.05)
                    continue
                took = time.monotonic() - started
                if response.status_code == 200:
                    tally.acknowledged.add(ticket["id"])
                    tally.slowest_ok_s = max(tally.slowest_ok_s, took)
                    tally.slow_ok += took > 1.0
                elif response.status_code == 503:
                    tally.refused_503 += 1
                elif poison and response.status_code == 422:
                    tally.poison_refused += 1
                elif not poison:
                    tally.innocent_failed += 1

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client, w) for w in range(CONCURRENCY)))


def _rows(url: str, prefix: str) -> tuple[set[str], int]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        query = sa.text("SELECT ticket_id FROM predictions WHERE ticket_id LIKE :p")
        found = [r[0] for r in connection.execute(query, {"p": f"{prefix}-%"})]
    engine.dispose()
    return set(found), len(found) - len(set(found))


async def _drained(client: httpx.AsyncClient, bases: list[str], since: float) -> float:
    """Seconds from `since` until every server's journal is empty."""
    while time.monotonic() - since < 120:
        depths = [
            (await client.get(f"{b}/ready", headers=AUTH)).json()["journal"]["depth"] for b in bases
        ]
        if not any(depths):
            return time.monotonic() - since
        await asyncio.sleep(0.2)
    return float("inf")


def _env(model: Path, db_url: str, journal: Path) -> dict[str, str]:
    return {
        "TICKETLENS_API_TOKEN": TOKEN, "TICKETLENS_MODEL_PATH": str(model),
        "TICKETLENS_DB_URL": db_url, "TICKETLENS_JOURNAL_PATH": str(journal),
        "TICKETLENS_WATCH_INTERVAL_S": "0", "TICKETLENS_BATCH_LIMIT": "100",
    }  # fmt: skip


async def run_scenario(name: str, work: Path, model: Path, pg: str) -> dict[str, object]:
    prefix = f"{name}-{uuid.uuid4().hex[:6]}"
    proxy = Proxy()
    uses_pg = name in ("pg-outage", "replicas", "journal-full")
    journals = work
    if name == "journal-full":
        journals = work / "full"
        journals.mkdir()
        mount = ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(journals)]
        if subprocess.run(mount, capture_output=True).returncode != 0:
            return {"scenario": name, "acknowledged": "skipped: cannot mount a tmpfs (not root)"}
    if uses_pg:
        await proxy.start()
        url = sa.make_url(pg).set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        check_url = pg
    else:
        url = check_url = f"sqlite:///{work / f'{prefix}.db'}"
    count = 2 if name == "replicas" else 1
    servers = [
        Server(
            _free_port(),
            _env(model, url, journals / f"{prefix}-journal-{i}.sqlite"),
            work / f"{prefix}-{i}.log",
        )
        for i in range(count)
    ]
    for server in servers:
        server.start()
    bases = [f"http://127.0.0.1:{s.port}" for s in servers]
    tally = Tally()
    recovered = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        for base in bases:
            await _ready(client, base)
        if uses_pg:
            load = asyncio.create_task(
                _traffic(bases, 16, tally, prefix, fanout=name == "replicas")
            )
            await asyncio.sleep(3)
            await proxy.stop()
            await asyncio.sleep(10)
            await proxy.start()
            recovered = time.monotonic()
            await load
        elif name == "sqlite-lock":
            load = asyncio.create_task(_traffic(bases, 16, tally, prefix))
            await asyncio.sleep(3)
            lock = sqlite3.connect(work / f"{prefix}.db", isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")
            await asyncio.sleep(10)
            lock.execute("COMMIT")
            lock.close()
            recovered = time.monotonic()
            await load
        elif name == "poison":
            await _traffic(bases, 10, tally, prefix, poison_rate=0.01)
            recovered = time.monotonic()
        elif name == "kill9":
            for _ in range(3):
                load = asyncio.create_task(_traffic(bases, 4, tally, prefix))
                await asyncio.sleep(2)
                servers[0].kill()
                await load
                servers[0].start()
                await _ready(client, bases[0])
            recovered = time.monotonic()
        drain_s = await _drained(client, bases, recovered)
    for server in servers:
        server.stop()
    await proxy.stop()
    if journals != work:
        subprocess.run(["umount", str(journals)], check=False)
    stored, duplicated = _rows(check_url, prefix)
    return {
        "scenario": name,
        "acknowledged": len(tally.acknowledged),
        "rows": len(stored),
        "ack_missing": len(tally.acknowledged - stored),
        "duplicated": duplicated,
        "innocent_failed": tally.innocent_failed,
        "503": tally.refused_503,
        "no_answer": tally.no_answer,
        "poison_422": f"{tally.poison_refused}/{tally.poison_sent}",
        "slowest_200_s": round(tally.slowest_ok_s, 2),
        "200s_over_1s": tally.slow_ok,
        "drained_s": round(drain_s, 1),
    }


COLUMNS = [
    "scenario", "acknowledged", "rows", "ack_missing", "duplicated", "innocent_failed", "503",
    "no_answer",
    "poison_422", "slowest_200_s", "200s_over_1s", "drained_s",
]  # fmt: skip


def _model(work: Path) -> Path:
    train(
        make_tickets(150), HashingEmbedder(),
        TrainConfig(name="faults", make_current=False, head=HeadConfig(Cs=(4.0,))),
        models_dir=work, source="faults",
    )  # fmt: skip
    return work / "faults"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scenarios = ["pg-outage", "sqlite-lock", "poison", "kill9", "replicas", "journal-full"]
    parser.add_argument("--scenario", action="append", choices=scenarios)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ticketlens-faults-") as folder:
        work = Path(folder)
        model = _model(work)
        for index, name in enumerate(args.scenario or scenarios):
            result = asyncio.run(run_scenario(name, work, model, args.pg))
            if index == 0:
                print("| " + " | ".join(COLUMNS) + " |")
                print("|" + "---|" * len(COLUMNS))
            print("| " + " | ".join(str(result.get(c, "")) for c in COLUMNS) + " |", flush=True)


if __name__ == "__main__":
    main()
