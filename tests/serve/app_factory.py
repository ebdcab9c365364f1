"""An app factory for the real-uvicorn test: the service as configured by env, fake embedder."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from classifier.bundle.store import load_bundle
from classifier.predictor import TicketClassifier
from serve.app import create_app
from serve.settings import Settings
from tests.fakes import HashingEmbedder


def fake_loader(path: Path) -> TicketClassifier:
    return TicketClassifier(load_bundle(path), HashingEmbedder())


def make_app() -> FastAPI:
    return create_app(Settings(), loader=fake_loader)  # type: ignore[call-arg]
