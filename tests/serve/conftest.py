"""Fixtures for the service tests: two small bundles, settings, and a running test client."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from classifier.bundle.store import set_current
from serve.app import create_app
from serve.settings import Settings
from tests.conftest import make_tickets
from tests.fakes import HashingEmbedder
from tests.serve.app_factory import fake_loader
from training.fit.heads import HeadConfig
from training.fit.train import TrainConfig, train

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bundles `v1` and `v2` (v1's heads under another name), trained once per session."""
    folder = tmp_path_factory.mktemp("models")
    train(
        make_tickets(150),
        HashingEmbedder(),
        TrainConfig(name="v1", make_current=False, head=HeadConfig(Cs=(4.0,))),
        models_dir=folder,
        source="unit",
    )
    shutil.copytree(folder / "v1", folder / "v2")
    manifest = json.loads((folder / "v2" / "manifest.json").read_text())
    (folder / "v2" / "manifest.json").write_text(json.dumps({**manifest, "name": "v2"}))
    return folder


@pytest.fixture
def model_link(models_dir: Path, tmp_path: Path) -> Path:
    """A private `current` symlink (to v1) next to links to the shared bundles."""
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("v1", "v2"):
        (folder / name).symlink_to(models_dir / name)
    set_current(folder, folder / "v1")
    return folder / "current"


@pytest.fixture
def settings(model_link: Path, tmp_path: Path) -> Settings:
    return Settings(
        api_token=TOKEN,
        model_path=model_link,
        db_url=f"sqlite:///{tmp_path / 'log.db'}",
        watch_interval_s=0,
        batch_limit=5,
        max_body_bytes=20_000,
    )


def running_client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings, loader=fake_loader))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with running_client(settings) as test_client:
        wait_ready(test_client)
        yield test_client


def wait_ready(client: TestClient, version: str | None = None, tries: int = 200) -> dict:
    """Poll /ready until a model (optionally a given version) is live."""
    import time

    body: dict = {}
    for _ in range(tries):
        response = client.get("/ready", headers=AUTH)
        body = response.json()
        if response.status_code == 200 and version in (None, body["model_version"]):
            return body
        time.sleep(0.02)
    raise AssertionError(f"service never became ready: {body}")
