"""`ticketlens serve` end to end: a real uvicorn process on a free loopback port, and its errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.serve.conftest import AUTH, TOKEN
from training import cli

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_runs_uvicorn_with_settings_from_the_command_line(
    model_link: Path, tmp_path: Path
) -> None:
    port = _free_port()
    db = tmp_path / "served.db"
    env = {
        **os.environ,
        "TICKETLENS_API_TOKEN": TOKEN,
        "TICKETLENS_WATCH_INTERVAL_S": "0",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        "-c",
        "from training.cli import main; main()",
        "serve",
        "--model",
        str(model_link),
        "--port",
        str(port),
        "--db",
        f"sqlite:///{db}",
        "--factory",
        "tests.serve.app_factory:make_app",  # the real app with the fake embedder
    ]
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/ready", headers=AUTH, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        assert httpx.get(f"{base}/model").status_code == 401
        ticket = {"id": "U-1", "subject": "invoice refund", "body": "charged twice"}
        answer = httpx.post(f"{base}/classify", json=ticket, headers=AUTH, timeout=10)
        assert answer.status_code == 200
        assert answer.json()["model_version"] == "v1"
        assert answer.json()["fields"]["category"]["label"] == "billing"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert db.exists()  # --db reached the app through TICKETLENS_DB_URL
    assert TOKEN not in log.read_text()


def test_serve_refuses_to_start_without_a_token_or_a_model(
    model_link: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.delenv("TICKETLENS_API_TOKEN", raising=False)
    no_token = runner.invoke(cli.app, ["serve", "--model", str(model_link)])
    assert no_token.exit_code == 2
    assert "TICKETLENS_API_TOKEN" in no_token.stderr

    monkeypatch.setenv("TICKETLENS_API_TOKEN", TOKEN)
    no_model = runner.invoke(cli.app, ["serve", "--model", str(tmp_path / "nothing")])
    assert no_model.exit_code == 2
    assert no_model.stderr.startswith("error:")
    assert "model path does not exist" in no_model.stderr
