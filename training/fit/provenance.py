"""What a bundle records of where it came from: library versions, a fingerprint of its data."""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Sequence

from classifier.records import Ticket

_LIBRARIES = ("ticketlens", "scikit-learn", "sentence-transformers", "torch", "numpy", "skops")


def library_versions() -> dict[str, str]:
    """The installed version of each library a bundle's behaviour depends on."""
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def training_fingerprint(
    texts: Sequence[str], tickets: Sequence[Ticket], fields: Sequence[str]
) -> str:
    digest = hashlib.sha256()
    for text, ticket in zip(texts, tickets, strict=True):
        labels = "\x1f".join(ticket.labels.get(f, "") for f in fields)
        digest.update(f"{text}\x1e{labels}\x1d".encode())
    return digest.hexdigest()
