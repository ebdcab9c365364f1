"""An app factory for the real-uvicorn test: the service as configured by env, fake embedder."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from classifier.loading import Model, load_model
from serve.app import create_app
from serve.settings import Settings
from tests.fakes import HashingEmbedder


def fake_loader(path: Path) -> Model:
    """The bundle (or cascade) at `path`, every bundle on the fake embedder."""
    return load_model(path, embedder_factory=lambda bundle: HashingEmbedder())


def make_app() -> FastAPI:
    return create_app(Settings(), loader=fake_loader)  # type: ignore[call-arg]
