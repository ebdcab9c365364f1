"""A local append-only journal for log rows the database could not take in time.

When the prediction log is away, locked or slow, the writer appends the rows here (a SQLite file,
`synchronous=FULL`, so a row is on disk before its answer leaves) and a background task replays
them into the database once it answers again. Replays are idempotent: the log is unique on
(ticket_id, model_version) and rows leave the journal only after their commit, so a crash between
the two stores nothing twice.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queued_at REAL NOT NULL,
    row TEXT NOT NULL,
    rejected TEXT
)
"""
_DATES = ("received_at", "created_at")


class JournalError(Exception):
    """The journal cannot take rows (disk full, unwritable folder, locked file)."""


def _encode(row: dict[str, Any]) -> str:
    return json.dumps({k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()})


def _decode(text: str) -> dict[str, Any]:
    row: dict[str, Any] = json.loads(text)
    for key in _DATES:
        if row.get(key) is not None:
            row[key] = datetime.fromisoformat(row[key])
    return row


class Journal:
    """Rows waiting for the database; safe across threads (one connection, one lock).

    Two processes may share a file (SQLite locks it), but each replica normally has its own.
    """

    def __init__(self, path: Path, busy_timeout_ms: int = 1000) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=busy_timeout_ms / 1000, check_same_thread=False, isolation_level=None
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # fsync on every commit
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"{path}: cannot open the journal ({exc})") from exc

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store `rows` durably (one fsynced transaction); raises `JournalError` if it cannot."""
        now = time.time()
        values = [(now, _encode(row)) for row in rows]
        with self._lock:
            try:
                with self._db:
                    self._db.execute("BEGIN IMMEDIATE")
                    self._db.executemany(
                        "INSERT INTO pending (queued_at, row) VALUES (?, ?)", values
                    )
            except sqlite3.Error as exc:
                raise JournalError(f"{self.path}: cannot append to the journal ({exc})") from exc

    def take(self, limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
        """The oldest waiting rows with their journal ids (they stay until `remove`)."""
        with self._lock:
            found = self._db.execute(
                "SELECT id, row FROM pending WHERE rejected IS NULL ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [(int(key), _decode(text)) for key, text in found]

    def remove(self, ids: Sequence[int]) -> None:
        """Forget rows the database has committed."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM pending WHERE id = ?", [(i,) for i in ids])

    def reject(self, key: int, reason: str) -> None:
        """Set aside a row the database refuses for its content, so it cannot block the rest."""
        with self._lock, self._db:
            self._db.execute("UPDATE pending SET rejected = ? WHERE id = ?", (reason[:500], key))

    def stats(self) -> tuple[int, float, int]:
        """(rows waiting, age in seconds of the oldest, rows set aside as rejected)."""
        with self._lock:
            depth, oldest = self._db.execute(
                "SELECT count(*), min(queued_at) FROM pending WHERE rejected IS NULL"
            ).fetchone()
            (rejected,) = self._db.execute(
                "SELECT count(*) FROM pending WHERE rejected IS NOT NULL"
            ).fetchone()
        age = max(0.0, time.time() - oldest) if oldest is not None else 0.0
        return int(depth), age, int(rejected)

    def close(self) -> None:
        with self._lock:
            self._db.close()
