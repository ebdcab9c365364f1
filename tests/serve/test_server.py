"""`ticketlens serve` end to end: a real uvicorn process on a free loopback port, and its errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

import serve.app as serve_app
from classifier import loading
from classifier.loading import Model
from serve.app import create_app
from serve.settings import Settings
from tests import ROOT
from tests.serve.app_factory import fake_loader
from tests.serve.conftest import AUTH, TOKEN, wait_ready
from training import cli


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


def _one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_serve_refuses_an_unknown_backend_with_the_choices(
    model_link: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETLENS_API_TOKEN", TOKEN)
    result = CliRunner().invoke(
        cli.app, ["serve", "--model", str(model_link), "--backend", "trt"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 2
    assert "Invalid value for '--backend'" in result.stderr
    assert "'trt' is not one of 'torch', 'onnx'" in result.stderr


def test_serve_stops_in_one_line_when_the_onnx_export_fails(
    model_link: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export runs before uvicorn starts; its failure is the command's error, not a trace."""
    import uvicorn

    from classifier.bundle.store import load_bundle
    from classifier.embedders import onnx as onnx_embedder
    from classifier.embedders.base import DEFAULT_MODEL

    bundle = load_bundle(model_link)
    record = bundle.manifest.embedding_model.model_copy(update={"name": DEFAULT_MODEL})
    manifest = bundle.manifest.model_copy(update={"embedding_model": record})
    monkeypatch.setattr(loading, "load_bundle", lambda path: replace(bundle, manifest=manifest))

    def failing_export(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "Traceback …\nRuntimeError: boom\n")

    monkeypatch.setattr(onnx_embedder.subprocess, "run", failing_export)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("uvicorn must not start"))
    monkeypatch.setenv("TICKETLENS_API_TOKEN", TOKEN)
    args = ["serve", "--model", str(model_link), "--cache-dir", str(tmp_path)]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 2
    assert "ONNX export failed (RuntimeError: boom)" in _one_line_error(result.stderr)


def test_the_service_loads_bundles_on_the_backend_setting(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.backend == "onnx"  # the default
    monkeypatch.setenv("TICKETLENS_BACKEND", "torch")
    assert Settings(api_token=TOKEN).backend == "torch"  # type: ignore[arg-type]
    monkeypatch.setenv("TICKETLENS_BACKEND", "tensorflow")
    with pytest.raises(ValidationError, match="backend"):
        Settings(api_token=TOKEN)  # type: ignore[arg-type]

    backends: list[str] = []

    def load(path: Path, *, cache_dir: Path | None, backend: str) -> Model:
        backends.append(backend)
        return fake_loader(path)

    monkeypatch.setattr(serve_app, "load_model", load)
    with TestClient(create_app(settings)) as client:
        wait_ready(client)
    assert backends == ["onnx"]
