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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skops.io as sio
from pydantic import ValidationError
from sklearn.linear_model import LogisticRegression

from classifier.errors import BundleError
from classifier.manifest import FORMAT_VERSION, Manifest

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
CURRENT_POINTER = "current"
_TRUSTED_TYPES = ["sklearn.linear_model._logistic.LogisticRegression"]


@dataclass(frozen=True)
class Bundle:
    """A loaded bundle: its manifest and one fitted estimator per label field."""

    path: Path
    manifest: Manifest
    heads: dict[str, LogisticRegression]

    @property
    def version(self) -> str:
        return self.manifest.name


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_bundle(
    models_dir: Path,
    manifest: Manifest,
    heads: dict[str, LogisticRegression],
    *,
    make_current: bool = True,
) -> Path:
    """Write a bundle to `models_dir/<manifest.name>` atomically and return its path.

    The manifest's `head_file`/`head_sha256` entries are filled in here.
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
        final = manifest.model_copy(update={"fields": fields})
        (staging / MANIFEST_FILE).write_text(final.model_dump_json(indent=2) + "\n")
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if make_current:
        set_current(models_dir, target)
    logger.info("saved bundle %s", target)
    return target


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


def _load_head(path: Path, field_name: str, manifest: Manifest) -> LogisticRegression:
    entry = manifest.fields[field_name]
    head_path = path / entry.head_file
    if head_path.parent != path or not head_path.is_file():
        raise BundleError("head file is missing", file=head_path, field=field_name)
    if _sha256(head_path) != entry.head_sha256:
        raise BundleError(
            "head file does not match its checksum in the manifest (corrupted or tampered)",
            file=head_path,
            field=field_name,
        )
    try:
        untrusted = set(sio.get_untrusted_types(file=head_path)) - set(_TRUSTED_TYPES)
        if untrusted:
            raise BundleError(
                f"head file holds types outside the allow-list: {sorted(untrusted)}",
                file=head_path,
                field=field_name,
            )
        estimator = sio.load(head_path, trusted=_TRUSTED_TYPES)
    except BundleError:
        raise
    except Exception as exc:  # skops raises many types for a damaged file
        raise BundleError(f"head file cannot be read ({exc})", file=head_path) from exc
    if not isinstance(estimator, LogisticRegression):
        raise BundleError("head file holds an unexpected object", file=head_path)
    classes = [str(c) for c in estimator.classes_]
    if classes != entry.classes:
        raise BundleError(
            "head's classes differ from the manifest's", file=head_path, field=field_name
        )
    dimension = manifest.embedding_model.dimension
    if np.shape(estimator.coef_)[1] != dimension:
        raise BundleError(
            f"head expects {np.shape(estimator.coef_)[1]}-d vectors, manifest says {dimension}",
            file=head_path,
            field=field_name,
        )
    return estimator


def load_bundle(path: Path) -> Bundle:
    """Load and verify a bundle folder (or the `current` pointer to one)."""
    if not path.exists():
        raise BundleError("model path does not exist", file=path)
    resolved = path.resolve()
    manifest = _read_manifest(resolved)
    heads = {name: _load_head(resolved, name, manifest) for name in manifest.fields}
    return Bundle(path=resolved, manifest=manifest, heads=heads)
