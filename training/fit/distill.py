"""Distil the fast mode's static model from the packaged transformer, once per machine.

model2vec embeds every vocabulary token once with the transformer, reduces the vectors by PCA and
weights them, with no download. The result is cached per base model in the cache folder.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from classifier.embedders.base import DEFAULT_MODEL, locate_packaged_model, weights_sha256
from classifier.embedders.static import STATIC_DIMENSION, STATIC_PREFIX, StaticEmbedder
from classifier.embedders.transformer import quiet_transformers

logger = logging.getLogger(__name__)


def _distill(base: str, target: Path) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    from model2vec.distill import distill

    logger.info("distilling a static model from %s (once per machine, a few minutes)", base)
    with quiet_transformers():
        model = distill(model_name=str(locate_packaged_model(base)), pca_dims=STATIC_DIMENSION)
    staging = Path(tempfile.mkdtemp(prefix=".static-", dir=target.parent))
    try:
        model.save_pretrained(str(staging))
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def distilled_embedder(base: str = DEFAULT_MODEL, cache_dir: Path | None = None) -> StaticEmbedder:
    """The static model distilled from packaged model `base`, distilling it on first use."""
    root = cache_dir or Path(tempfile.mkdtemp(prefix="ticketlens-static-"))
    base_sha = weights_sha256(locate_packaged_model(base))[:16]
    target = root / "static" / f"{base.replace('/', '--')}-{base_sha}-{STATIC_DIMENSION}d"
    if not (target / "model.safetensors").is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        _distill(base, target)
    return StaticEmbedder(target, STATIC_PREFIX + base)
