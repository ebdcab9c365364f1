"""Serving benchmark: latency and throughput of `ticketlens serve` with the real embedding model.

Starts `ticketlens serve` on a free port on 127.0.0.1 (loopback only), sends `POST /classify`
requests with ticket texts from data/sample_tickets.csv at each concurrency level for a fixed
time, and reports p50/p95/p99 latency, throughput and the server's resident memory. The figures
and the command are written between `<!-- serve:begin -->` and `<!-- serve:end -->` in
docs/benchmarks.md.

    python bench/serve_load.py                         # models/current, 10 s per level
    python bench/serve_load.py --model models/x --duration 30 --levels 1 8 32 64
    python bench/serve_load.py --no-write              # print only
    python bench/serve_load.py --model models/cascade  # a cascade folder (`ticketlens cascade`)

Without a bundle at --model, one is trained first on the first `--train-rows` (400) tickets of the
sample export (real model) into a temporary folder. A cascade folder is served as it is; its
figures go to their own section (`serve-cascade`), with the share of tickets its accurate bundle
answered during the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import shlex
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

if not __package__:  # run as `python bench/serve_load.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.docs_section import write_section
from classifier.cascade import is_cascade

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "data" / "sample_tickets.csv"
HOST = "127.0.0.1"
MAX_REQUESTS_PER_LEVEL = 200_000  # a hard bound besides the duration


@dataclass(frozen=True)
class Level:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rss_mib: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds


def _cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-c", "from training.cli import main; main()", *map(str, args)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _rss_mib(pid: int) -> tuple[float, float]:
    """Current and peak resident memory of a process (Linux /proc)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


def _train_sample_bundle(folder: Path, rows: int) -> Path:
    """Heads on the first `rows` sample tickets: serving cost does not depend on their quality."""
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "train.csv"
    pd.read_csv(SAMPLE, nrows=rows, dtype=str, keep_default_na=False).to_csv(export, index=False)
    command = _cli(
        "train",
        export,
        "--models-dir",
        folder,
        "--name",
        "bench-sample",
        "--no-current",
        "--cv-folds",
        "2",
    )
    subprocess.run(command, cwd=ROOT, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return folder / "bench-sample"


def _tickets(words: int, count: int = 500) -> list[dict[str, str]]:
    """`count` tickets of exactly `words` words, made by joining consecutive sample bodies."""
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    pool = " ".join(f"{row.subject}. {row.body}" for row in frame.itertuples()).split()
    return [
        {"id": f"bench-{i}", "subject": "", "body": " ".join(pool[i * words : (i + 1) * words])}
        for i in range(min(count, len(pool) // words))
    ]


def _offline_throughput(model: Path, tickets: list[dict[str, str]], backend: str) -> float:
    """Tickets/s of the model's `predict` in batches of 32, in this process, no HTTP (a cascade
    routes each batch as the server does)."""
    from classifier.loading import load_model
    from classifier.records import Ticket

    classifier = load_model(model, backend=backend)
    batch = [Ticket(id=t["id"], subject=t["subject"], body=t["body"]) for t in tickets[:320]]
    classifier.predict(batch[:32])  # warm-up
    started = time.perf_counter()
    for start in range(0, len(batch), 32):
        classifier.predict(batch[start : start + 32])
    return len(batch) / (time.perf_counter() - started)


def _logged_rows(database: Path, prefix: str) -> int:
    with sqlite3.connect(database) as db:
        query = "SELECT COUNT(*) FROM predictions WHERE ticket_id LIKE ?"
        return int(db.execute(query, (f"{prefix}%",)).fetchone()[0])


def _wait_ready(base: str, token: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}")
        try:
            ready = httpx.get(
                f"{base}/ready", headers={"Authorization": f"Bearer {token}"}, timeout=2
            )
            if ready.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"server not ready after {timeout:.0f}s")


async def _level(
    base: str,
    token: str,
    tickets: list[dict[str, str]],
    concurrency: int,
    duration: float,
    *,
    prefix: str = "bench-",
    reload_at: float | None = None,
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    counter = 0
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as http:
        started = time.perf_counter()
        deadline = started + duration

        async def worker() -> None:
            nonlocal errors, counter
            while time.perf_counter() < deadline and counter < MAX_REQUESTS_PER_LEVEL:
                ticket = {**tickets[counter % len(tickets)], "id": f"{prefix}{counter}"}
                counter += 1
                sent = time.perf_counter()
                try:
                    response = await http.post("/classify", json=ticket, timeout=30)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - sent)
                else:
                    errors += 1

        async def reload_midway() -> None:
            if reload_at is None:
                return
            await asyncio.sleep(reload_at)
            answer = await http.post("/admin/reload", timeout=120)
            print(f"reload at {reload_at:.0f}s: HTTP {answer.status_code}", flush=True)

        await asyncio.gather(reload_midway(), *(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def _summarise(
    concurrency: int, latencies: list[float], errors: int, elapsed: float, rss: float
) -> Level:
    ms = np.asarray(latencies) * 1000
    return Level(
        concurrency=concurrency,
        requests=len(latencies),
        errors=errors,
        seconds=elapsed,
        p50_ms=float(np.percentile(ms, 50)) if len(ms) else float("nan"),
        p95_ms=float(np.percentile(ms, 95)) if len(ms) else float("nan"),
        p99_ms=float(np.percentile(ms, 99)) if len(ms) else float("nan"),
        rss_mib=rss,
    )


def run(
    model: Path | None,
    levels: list[int],
    duration: float,
    train_rows: int,
    words: int,
    soak: float,
    backend: str,
) -> tuple[list[Level], str]:
    load_before = os.getloadavg()[0]
    token = secrets.token_hex(16)
    port = _free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="ticketlens-serve-bench-") as scratch:
        folder = Path(scratch)
        if model is None or not model.exists():
            model = _train_sample_bundle(folder / "models", train_rows)
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TICKETLENS_API_TOKEN": token,
            "TICKETLENS_WATCH_INTERVAL_S": "0",
        }
        command = _cli(
            "serve",
            "--model",
            model,
            "--host",
            HOST,
            "--port",
            str(port),
            "--db",
            f"sqlite:///{folder / 'log.db'}",
            "--log-level",
            "warning",
            "--backend",
            backend,
        )
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            _wait_ready(base, token, server, timeout=300)
            tickets = _tickets(words)
            asyncio.run(_level(base, token, tickets, 4, 2.0))  # warm-up, not reported
            results = []
            for concurrency in levels:
                latencies, errors, elapsed = asyncio.run(
                    _level(base, token, tickets, concurrency, duration)
                )
                results.append(
                    _summarise(concurrency, latencies, errors, elapsed, _rss_mib(server.pid)[0])
                )
                print(results[-1], flush=True)
            soak_note = ""
            if soak > 0:
                latencies, errors, elapsed = asyncio.run(
                    _level(base, token, tickets, 32, soak, prefix="soak-", reload_at=soak / 2)
                )
                soak_level = _summarise(32, latencies, errors, elapsed, _rss_mib(server.pid)[0])
                print("soak", soak_level, flush=True)
            _, peak = _rss_mib(server.pid)
            manifest = httpx.get(
                f"{base}/model", headers={"Authorization": f"Bearer {token}"}
            ).json()
            load = os.getloadavg()[0]
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if soak > 0:
            sent = soak_level.requests + soak_level.errors
            logged = _logged_rows(folder / "log.db", "soak-")
            soak_note = (
                f"; soak: {soak:.0f} s at concurrency 32 with `POST /admin/reload` at "
                f"{soak / 2:.0f} s: {soak_level.requests} requests, {soak_level.errors} failed, "
                f"p99 {soak_level.p99_ms:.0f} ms, {sent} distinct tickets sent, {logged} rows in "
                "the prediction log"
            )
        offline = _offline_throughput(model, tickets, backend)
    note = (
        f"{_model_note(manifest)}; backend {backend}; "
        f"peak server RSS {peak:.0f} MiB; 1-min load average {load_before:.1f} at the start and "
        f"{load:.1f} at the end; offline batch throughput "
        f"(`predict`, batches of 32, same tickets) {offline:.1f} tickets/s; "
        f"{words}-word tickets{soak_note}"
    )
    return results, note


def _model_note(manifest: dict[str, Any]) -> str:
    """The served model in words, from `/model` (a cascade: both bundles and its shares)."""
    cascade = manifest.get("cascade")
    if cascade is None:
        return (
            f"bundle `{manifest['name']}`: {manifest['embedding_model']['name']}, heads trained on "
            f"{manifest['training_data']['rows']} tickets"
        )
    fast, accurate = cascade["fast"], cascade["accurate"]
    expected = cascade["expected_accurate_share"]
    live = cascade["live_accurate_share"]
    answered = cascade["answered_fast"] + cascade["answered_accurate"]
    return (
        f"cascade of `{fast['version']}` ({fast['embedding_model']}) and `{accurate['version']}` "
        f"({accurate['embedding_model']}), threshold {cascade['threshold']:.3f}; sent to the "
        f"accurate bundle: expected {'–' if expected is None else f'{expected:.1%}'}, during "
        f"the run {'–' if live is None else f'{live:.1%}'} of {answered} tickets"
    )


def _section(
    results: list[Level], note: str, command: str, duration: float, *, cascade: bool = False
) -> str:
    cores = os.cpu_count()
    title = (
        "## Serving a cascade: `POST /classify` latency and throughput (issue #18)"
        if cascade
        else "## Serving: `POST /classify` latency and throughput (issue #3)"
    )
    lines = [
        title,
        "",
        f"Measured with `{command}` ({duration:.0f} s per level, {platform.machine()}, "
        f"{cores} CPU cores shared by the server, the load generator and any other jobs; {note}).",
        "One ticket per request (words from `data/sample_tickets.csv`); default server settings: "
        "an idle model starts at once, tickets arriving during a batch join the next one (up "
        "to 32); prediction log on SQLite, one writer thread committing queued rows together.",
        "",
        "| concurrency | requests | errors | tickets/s | p50 ms | p95 ms | p99 ms | RSS MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.concurrency} | {r.requests} | {r.errors} | {r.throughput:.1f} | "
            f"{r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.rss_mib:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/current"))
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per level")
    parser.add_argument(
        "--train-rows", type=int, default=400, help="sample tickets to train on without --model"
    )
    parser.add_argument("--words", type=int, default=100, help="words per ticket")
    parser.add_argument(
        "--soak", type=float, default=0.0, help="seconds at concurrency 32 with a reload midway"
    )
    parser.add_argument("--backend", choices=["onnx", "torch"], default="onnx")
    parser.add_argument("--no-write", action="store_true", help="print, do not edit the docs")
    args = parser.parse_args()
    if args.duration <= 0 or args.duration > 600:
        parser.error("--duration must be in (0, 600]")
    command = "python bench/serve_load.py " + shlex.join(sys.argv[1:])
    results, note = run(
        args.model,
        args.levels,
        args.duration,
        args.train_rows,
        args.words,
        args.soak,
        args.backend,
    )
    cascade = is_cascade(args.model)
    section = _section(results, note, command.strip(), args.duration, cascade=cascade)
    print(section)
    if not args.no_write:
        write_section("serve-cascade" if cascade else "serve", section)


if __name__ == "__main__":
    main()
