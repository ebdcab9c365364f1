"""`ticketlens serve --usage FILE`: the file is checked before uvicorn starts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.serve.conftest import TOKEN
from tests.serve.web.seed import usage_csv
from training import cli

FACTORY = ["--factory", "tests.serve.app_factory:make_app"]  # no ONNX export for the fake model


def test_serve_stops_in_one_line_on_a_bad_usage_file(
    model_link: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("uvicorn must not start"))
    monkeypatch.setenv("TICKETLENS_API_TOKEN", TOKEN)
    bad = tmp_path / "usage.csv"
    bad.write_text("account_id,week,active_users\nU00,2024-01-01,2\nU01,,3\n")
    args = ["serve", "--model", str(model_link), "--usage", str(bad), *FACTORY]
    result = CliRunner().invoke(cli.app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"error: {bad}, row 2, field 'week': empty week/date cell"]


def test_serve_passes_a_good_usage_file_from_the_env_to_the_app(
    model_link: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.update(os.environ))
    good = tmp_path / "usage.csv"
    good.write_text(usage_csv())
    monkeypatch.setenv("TICKETLENS_API_TOKEN", TOKEN)
    monkeypatch.setenv("TICKETLENS_USAGE_FILE", str(good))
    for name in ("TICKETLENS_MODEL_PATH", "TICKETLENS_BACKEND"):  # serve sets them: restore
        monkeypatch.setenv(name, os.environ.get(name, ""))
        monkeypatch.delenv(name)
    result = CliRunner().invoke(cli.app, ["serve", "--model", str(model_link), *FACTORY])
    assert result.exit_code == 0, result.output
    assert started["TICKETLENS_USAGE_FILE"] == str(good)
