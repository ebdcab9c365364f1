"""Long-tailed training sets built from the balanced benchmark sets in ../shared/datasets.

Real helpdesk taxonomies are long-tailed: a few categories carry most tickets, dozens carry a
handful each. Each seed shuffles the classes and gives the class at rank r
`clip(round(head / r**exponent), floor, available)` training tickets, drawn at random; the test
split stays whole (balanced), so every class counts the same in macro-F1. Embeddings are cached
in bench/out/ (git-ignored): each text is embedded once for every method and seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
from classifier.embedders.transformer import SentenceTransformerEmbedder
from classifier.records import Ticket
from classifier.text import prepare_text
from training.io.export import read_tickets

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
CACHE = ROOT / "bench" / "out" / "embeddings.sqlite"


@dataclass(frozen=True)
class Profile:
    """The Zipf-like class profile of one data set's long-tailed training sets."""

    dataset: str
    label: str
    head: int
    exponent: float
    floor: int = 5


PROFILES = (
    Profile("banking77", "intent", head=300, exponent=1.0),
    Profile("bitext_customer_support_20k", "intent", head=600, exponent=1.3),
)
SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Split:
    tickets: list[Ticket]
    texts: list[str]
    labels: np.ndarray


def read_split(profile: Profile, split: str) -> Split:
    tickets, _ = read_tickets(DATASETS / profile.dataset / f"{split}.csv", [profile.label])
    kept = [(t, prepare_text(t).text) for t in tickets]
    kept = [(t, text) for t, text in kept if text]
    return Split(
        tickets=[t for t, _ in kept],
        texts=[text for _, text in kept],
        labels=np.asarray([t.labels[profile.label] for t, _ in kept], dtype=object),
    )


def class_sizes(available: dict[str, int], profile: Profile, seed: int) -> dict[str, int]:
    """How many training tickets each class gets under `seed`'s ranking."""
    order = sorted(available)
    np.random.default_rng(seed).shuffle(order)
    return {
        c: int(np.clip(round(profile.head / r**profile.exponent), profile.floor, available[c]))
        for r, c in enumerate(order, start=1)
    }


def long_tail_rows(labels: np.ndarray, profile: Profile, seed: int) -> np.ndarray:
    """Row indices of `seed`'s long-tailed subsample of a training split, sorted."""
    classes, counts = np.unique(labels.astype(str), return_counts=True)
    sizes = class_sizes(dict(zip(classes.tolist(), counts.tolist(), strict=True)), profile, seed)
    rng = np.random.default_rng(1000 + seed)
    picked = [
        rng.choice(np.flatnonzero(labels == c), size=n, replace=False) for c, n in sizes.items()
    ]
    return np.sort(np.concatenate(picked))


def subset(split: Split, rows: np.ndarray) -> Split:
    return Split(
        tickets=[split.tickets[i] for i in rows],
        texts=[split.texts[i] for i in rows],
        labels=split.labels[rows],
    )


def cached_embedder() -> CachedEmbedder:
    return CachedEmbedder(SentenceTransformerEmbedder(), EmbeddingCache(CACHE))


def warm_cache(full_train: bool = False) -> None:
    """Embed every text the long-tail section needs (and, with `full_train`, whole train splits)."""
    embedder = cached_embedder()
    for profile in PROFILES:
        train, test = read_split(profile, "train"), read_split(profile, "test")
        rows = np.unique(np.concatenate([long_tail_rows(train.labels, profile, s) for s in SEEDS]))
        print(profile.dataset, "train rows", len(rows), "test rows", len(test.texts), flush=True)
        embedder.encode(test.texts)
        embedder.encode(subset(train, rows).texts)
    if full_train:
        for profile in PROFILES:
            embedder.encode(read_split(profile, "train").texts)
            print(profile.dataset, "full train embedded", flush=True)


if __name__ == "__main__":
    import sys

    warm_cache(full_train="--full" in sys.argv)
