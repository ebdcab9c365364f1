"""Save and load model bundles: a folder with `manifest.json` and one skops file per head.

Loading never runs code from the bundle: heads are read with skops, which only rebuilds the
scikit-learn types on an allow-list, and every file's sha256 must match the manifest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skops.io as sio
from pydantic import ValidationError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from classifier.bundle.manifest import (
    FORMAT_VERSION,
    Manifest,
    TextFeaturesRecord,
    TextHashesRecord,
)
from classifier.errors import BundleError
from classifier.features import n_text_features
from classifier.metadata import metadata_width

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
TEXT_FEATURES_FILE = "text_features.skops"
STATIC_MODEL_DIR = "static_model"
TRAINING_TEXTS_FILE = "training_texts.sha256"
CURRENT_POINTER = "current"
_TRUSTED_TYPES = [
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
]


@dataclass(frozen=True)
class Bundle:
    """A model's fitted parts: its manifest and one fitted estimator per label field.

    `path` is the folder it was loaded from or saved to; None while it lives only in memory.
    """

    path: Path | None
    manifest: Manifest
    heads: dict[str, LogisticRegression]
    text_features: FeatureUnion | None = None
    training_text_hashes: frozenset[str] | None = None
    """`text_hash` of each text the heads were fitted on, when known in memory (after a fit or
    a save); a loaded bundle's are read on demand by `read_training_text_hashes`."""

    @property
    def version(self) -> str:
        return self.manifest.name


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def text_hash(text: str) -> str:
    """The hash a bundle records for one prepared training text (64 bits of its sha256)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_bundle(
    models_dir: Path,
    manifest: Manifest,
    heads: dict[str, LogisticRegression],
    *,
    text_features: FeatureUnion | None = None,
    static_model: Path | None = None,
    training_text_hashes: Collection[str] | None = None,
    make_current: bool = True,
) -> Bundle:
    """Write a bundle to `models_dir/<manifest.name>` atomically and return it, saved.

    The manifest's `head_file`/`head_sha256` entries are filled in here. `static_model` is the
    folder of a fast bundle's static embeddings, copied into the bundle (their checksums are in
    `manifest.embedding_model.files`). `training_text_hashes` (see `text_hash`) are written to
    `training_texts.sha256` and recorded in `manifest.training_data`.
    """
    target = models_dir / manifest.name
    if target.exists():
        raise BundleError("a bundle with this name exists already", file=target)
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{manifest.name}.", dir=models_dir))
    try:
        fields = {}
        for field_name, estimator in heads.items():
            head_file = f"head_{field_name}.skops"
            sio.dump(estimator, staging / head_file)
            fields[field_name] = manifest.fields[field_name].model_copy(
                update={"head_file": head_file, "head_sha256": _sha256(staging / head_file)}
            )
        record = None
        if text_features is not None:
            sio.dump(text_features, staging / TEXT_FEATURES_FILE)
            record = TextFeaturesRecord(
                file=TEXT_FEATURES_FILE,
                sha256=_sha256(staging / TEXT_FEATURES_FILE),
                n_features=n_text_features(text_features),
            )
        if static_model is not None:
            shutil.copytree(static_model, staging / STATIC_MODEL_DIR)
        hashes = None if training_text_hashes is None else frozenset(training_text_hashes)
        hashes_record = None
        if hashes is not None:
            listing = staging / TRAINING_TEXTS_FILE
            listing.write_text("".join(f"{h}\n" for h in sorted(hashes)))
            hashes_record = TextHashesRecord(
                file=TRAINING_TEXTS_FILE, sha256=_sha256(listing), count=len(hashes)
            )
        training_data = manifest.training_data.model_copy(update={"text_hashes": hashes_record})
        final = manifest.model_copy(
            update={"fields": fields, "text_features": record, "training_data": training_data}
        )
        (staging / MANIFEST_FILE).write_text(final.model_dump_json(indent=2) + "\n")
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if make_current:
        set_current(models_dir, target)
    logger.info("saved bundle %s", target)
    return Bundle(
        path=target,
        manifest=final,
        heads=heads,
        text_features=text_features,
        training_text_hashes=hashes,
    )


def set_current(models_dir: Path, bundle_path: Path) -> None:
    """Point `models_dir/current` at a bundle, atomically (readers see old or new, never none)."""
    link = models_dir / CURRENT_POINTER
    temporary = models_dir / f".{CURRENT_POINTER}.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    os.symlink(bundle_path.name, temporary)
    os.replace(temporary, link)


def _read_manifest(path: Path) -> Manifest:
    manifest_path = path / MANIFEST_FILE
    if not manifest_path.is_file():
        raise BundleError("not a model bundle: manifest.json is missing", file=path)
    try:
        raw = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"manifest is not valid JSON ({exc})", file=manifest_path) from exc
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if version != FORMAT_VERSION:
        raise BundleError(
            f"bundle format version {version!r} is not supported (this ticketlens reads "
            f"{FORMAT_VERSION})",
            file=manifest_path,
            field="format_version",
        )
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BundleError(first["msg"], file=manifest_path, field=where) from exc


def _check_file(path: Path, sha256: str, field: str) -> None:
    """Raise unless the file exists and matches the checksum the manifest gives for it."""
    if not path.is_file():
        raise BundleError("file is missing", file=path, field=field)
    if _sha256(path) != sha256:
        raise BundleError(
            "file does not match its checksum in the manifest (corrupted or tampered)",
            file=path,
            field=field,
        )


def _read_skops(path: Path, sha256: str, field: str) -> object:
    """Read a skops file whose checksum the manifest vouches for, allow-listed types only."""
    _check_file(path, sha256, field)
    try:
        untrusted = set(sio.get_untrusted_types(file=path)) - set(_TRUSTED_TYPES)
        if untrusted:
            raise BundleError(
                f"file holds types outside the allow-list: {sorted(untrusted)}",
                file=path,
                field=field,
            )
        return sio.load(path, trusted=_TRUSTED_TYPES)
    except BundleError:
        raise
    except Exception as exc:  # skops raises many types for a damaged file
        raise BundleError(f"file cannot be read ({exc})", file=path, field=field) from exc


def _load_head(path: Path, field_name: str, manifest: Manifest) -> LogisticRegression:
    entry = manifest.fields[field_name]
    head_path = path / entry.head_file
    if head_path.parent != path:
        raise BundleError("head file must lie in the bundle folder", file=head_path)
    estimator = _read_skops(head_path, entry.head_sha256, field_name)
    if not isinstance(estimator, LogisticRegression):
        raise BundleError("head file holds an unexpected object", file=head_path)
    classes = [str(c) for c in estimator.classes_]
    if classes != entry.classes:
        raise BundleError(
            "head's classes differ from the manifest's", file=head_path, field=field_name
        )
    dimension = manifest.embedding_model.dimension
    expected = (
        dimension
        + (manifest.text_features.n_features if manifest.text_features else 0)
        + metadata_width(manifest.metadata_features, dimension)
    )
    if np.shape(estimator.coef_)[1] != expected:
        raise BundleError(
            f"head expects {np.shape(estimator.coef_)[1]} features, manifest says {expected}",
            file=head_path,
            field=field_name,
        )
    return estimator


def _load_text_features(path: Path, manifest: Manifest) -> FeatureUnion | None:
    record = manifest.text_features
    if record is None:
        return None
    features_path = path / record.file
    if features_path.parent != path:
        raise BundleError("text features must lie in the bundle folder", file=features_path)
    union = _read_skops(features_path, record.sha256, "text_features")
    if not isinstance(union, FeatureUnion) or not all(
        isinstance(step, TfidfVectorizer) for _, step in union.transformer_list
    ):
        raise BundleError("text features file holds an unexpected object", file=features_path)
    if n_text_features(union) != record.n_features:
        raise BundleError(
            "text features' vocabulary differs from the manifest's", file=features_path
        )
    return union


def load_bundle(path: Path) -> Bundle:
    """Load and verify a bundle folder (or the `current` pointer to one)."""
    if not path.exists():
        raise BundleError("model path does not exist", file=path)
    resolved = path.resolve()
    manifest = _read_manifest(resolved)
    heads = {name: _load_head(resolved, name, manifest) for name in manifest.fields}
    text_features = _load_text_features(resolved, manifest)
    return Bundle(path=resolved, manifest=manifest, heads=heads, text_features=text_features)


def read_training_text_hashes(bundle: Bundle) -> frozenset[str] | None:
    """The `text_hash`es of the texts a bundle was fitted on; None when it did not record them."""
    if bundle.training_text_hashes is not None:
        return bundle.training_text_hashes
    record = bundle.manifest.training_data.text_hashes
    if record is None or bundle.path is None:
        return None
    listing = bundle.path / record.file
    if listing.parent != bundle.path:
        raise BundleError("the training text hashes must lie in the bundle folder", file=listing)
    _check_file(listing, record.sha256, "training_data.text_hashes")
    return frozenset(listing.read_text().split())
