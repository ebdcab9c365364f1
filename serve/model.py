"""The classifier the service answers with, swapped atomically on reload."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

from classifier.cascade import ACCURATE_DIR, FAST_DIR, CascadeClassifier
from classifier.errors import BundleError
from classifier.loading import Model
from classifier.predictor import TicketClassifier
from classifier.records import Ticket

logger = logging.getLogger(__name__)

Loader = Callable[[Path], Model]

_PROBE = Ticket(
    id="ticketlens-startup-check", subject="Cannot log in", body="Password reset fails."
)


def check_servable(classifier: Model, path: Path) -> Model:
    """`classifier` if it can answer tickets, else `BundleError`: no label fields, a field
    without classes, or an embedder whose vectors the heads do not take (one probe ticket).

    A cascade's two models are each checked (the probe would reach only one of them through the
    cascade), each error naming its sub-bundle's folder.
    """
    if isinstance(classifier, CascadeClassifier):
        _check_bundle(classifier.fast, path / FAST_DIR)
        _check_bundle(classifier.accurate, path / ACCURATE_DIR)
    else:
        _check_bundle(classifier, path)
    return classifier


def _check_bundle(classifier: TicketClassifier, path: Path) -> None:
    fields = classifier.bundle.manifest.fields
    if not fields:
        raise BundleError(
            "the bundle has no label fields; retrain it with `ticketlens train`", file=path
        )
    for name, entry in fields.items():
        if not entry.classes:
            raise BundleError("this label field has no classes to predict", file=path, field=name)
    try:
        (prediction,) = classifier.predict([_PROBE])
    except Exception as exc:
        raise BundleError(
            f"the embedding model does not fit the bundle's heads ({type(exc).__name__}: "
            f"{(str(exc).splitlines() or [''])[0]})",
            file=path,
        ) from exc
    missing = sorted(set(fields) - set(prediction.fields))
    if missing:
        raise BundleError(f"the model predicts no {missing}", file=path)


def servable(loader: Loader) -> Loader:
    """`loader`, refusing what `check_servable` refuses."""

    def load(path: Path) -> Model:
        return check_servable(loader(path), path)

    return load


class ModelHolder:
    """Holds one reference to the live classifier.

    A reload builds the new classifier completely (in a worker thread) and only then replaces the
    reference, so a request that already took the old one finishes with it and none fails.
    """

    def __init__(self, path: Path, loader: Loader) -> None:
        self.path = path
        self._loader = loader
        self._current: Model | None = None
        self._target: str | None = None
        self._failed_target: str | None = None
        self._lock = asyncio.Lock()
        self.error: str | None = None
        self.on_change: Callable[[Model], None] | None = None

    @property
    def current(self) -> Model | None:
        return self._current

    def set(self, classifier: Model, target: str | None = None) -> None:
        """Serve `classifier` from now on; `target` is the real path it was loaded from."""
        self._current = classifier
        self._target = target or self._resolve()
        self.error = None
        if self.on_change is not None:
            self.on_change(classifier)

    def _resolve(self) -> str:
        return os.path.realpath(self.path)

    def target_changed(self) -> bool:
        """True when the model path points somewhere new: not the loaded nor a failed bundle."""
        resolved = self._resolve()
        if resolved == self._failed_target:
            return False
        if self._current is None:
            return self._failed_target is not None  # the first load failed; try the new target
        return resolved != self._target

    async def reload(self) -> Model:
        """Load the bundle the model path names now and swap it in; raises if it cannot load.

        On failure the old classifier keeps serving.
        """
        async with self._lock:
            # Resolve once: a symlink moved mid-load is noticed by the next watch tick.
            target = self._resolve()
            try:
                fresh = await asyncio.to_thread(self._loader, Path(target))
            except Exception as exc:
                self.error = str(exc)
                self._failed_target = target
                logger.error("model load from %s failed: %s", target, exc)
                raise
            previous = self._current.version if self._current else None
            self.set(fresh, target)
            logger.info("serving model %s (was %s)", fresh.version, previous)
            return fresh

    async def watch(self, interval_s: float) -> None:
        """Reload whenever the model path's symlink target changes (runs until cancelled)."""
        while True:
            await asyncio.sleep(interval_s)
            if self.target_changed():
                try:
                    await self.reload()
                except Exception:  # logged in reload; keep serving and keep watching
                    continue
