"""Shared fixtures: small labeled tickets, a fake embedder, and a trained bundle."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from classifier.bundle.store import Bundle, load_bundle
from classifier.records import Ticket
from tests.fakes import HashingEmbedder
from training.fit.train import TrainConfig, train

_WORDS = {
    "billing": ["invoice", "charged", "refund", "payment", "card", "vat", "receipt"],
    "login_access": ["password", "login", "sso", "locked", "2fa", "reset", "sign-in"],
    "technical_issue": ["error", "crash", "broken", "bug", "fails", "500", "blank"],
}
_FEATURES = {
    "reports": ["report", "chart", "csv"],
    "api": ["api", "token", "endpoint"],
}


def make_tickets(count: int, seed: int = 0) -> list[Ticket]:
    """Tickets whose words give away their category and feature (learnable by the fake)."""
    rng = random.Random(seed)
    tickets = []
    for i in range(count):
        category = rng.choice(sorted(_WORDS))
        feature = rng.choice(sorted(_FEATURES))
        words = rng.sample(_WORDS[category], 3) + rng.sample(_FEATURES[feature], 2)
        tickets.append(
            Ticket(
                id=f"T-{i:04d}",
                subject=" ".join(words[:2]),
                body="hello, " + " ".join(words[2:]) + " please help",
                account_id=f"ACC-{i % 17}",
                labels={"category": category, "feature": feature},
            )
        )
    return tickets


def tickets_frame(tickets: list[Ticket]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": [t.id for t in tickets],
            "subject": [t.subject for t in tickets],
            "body": [t.body for t in tickets],
            "account_id": [t.account_id or "" for t in tickets],
            "category": [t.labels.get("category", "") for t in tickets],
            "feature": [t.labels.get("feature", "") for t in tickets],
        }
    )


@pytest.fixture
def labeled_tickets() -> list[Ticket]:
    return make_tickets(240)


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def trained_bundle(tmp_path: Path, labeled_tickets: list[Ticket]) -> Bundle:
    result = train(
        labeled_tickets,
        HashingEmbedder(),
        TrainConfig(name="unit"),
        models_dir=tmp_path / "models",
        source="unit-tickets",
    )
    return load_bundle(result.bundle_path)
