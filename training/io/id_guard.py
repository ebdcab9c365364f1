"""The one duplicate-id check of an export: reading, local and Ray labeling all use it.

The ids seen so far live in an SQLite table on disk, not in a Python set, so memory stays flat
however large the export (a set of 5M ids is about 900 MB); SQLite keeps only a small page cache.
Ids are inserted a batch at a time; only a batch that hits an id already there is looked at row by
row, to name the first repeated row as a row-by-row check would.
"""

from __future__ import annotations

import errno
import itertools
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from classifier.errors import ExportFormatError
from classifier.records import Ticket

_BATCH_ROWS = 4096
_CACHE_KIB = 8192
_SCHEMA = (
    "CREATE TABLE files (number INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    "CREATE TABLE ids (id BLOB PRIMARY KEY, file INTEGER NOT NULL, row INTEGER NOT NULL)"
    " WITHOUT ROWID",
)


def _key(ticket_id: str) -> bytes:
    # Bytes, so an id holding a lone surrogate is still compared exactly rather than refused.
    return ticket_id.encode("utf-8", "surrogatepass")


class DuplicateIdGuard:
    """Catches a ticket id seen twice in one export (one file or several); feed it every chunk's
    tickets in order, then `close` it (or use it as a context manager).

    `database` is the SQLite file to keep the ids in, replaced if it exists (a job's work folder,
    so a large export's ids go to the output's disk); by default a private temporary file that
    SQLite deletes on close. A job that resumes feeds every chunk again, its finished ones too.
    """

    def __init__(self, source: str | Path, *, database: Path | None = None) -> None:
        self.source = str(source)
        if database is not None:
            database.unlink(missing_ok=True)
        self._db = sqlite3.connect("" if database is None else database)
        # The table is rebuilt by every run, so a crash may leave it broken: no journal needed.
        for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = -{_CACHE_KIB}"):
            self._db.execute(f"PRAGMA {pragma}")
        for statement in _SCHEMA:
            self._db.execute(statement)
        self._files: dict[str, int] = {}

    def __enter__(self) -> DuplicateIdGuard:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the table (a temporary one is deleted)."""
        self._db.close()

    def check(self, tickets: Sequence[Ticket], *, first_row: int) -> None:
        """Raise `ExportFormatError` naming both rows if an id was seen before in this export."""
        self.check_ids([ticket.id for ticket in tickets], first_row=first_row)

    def check_ids(self, ids: Iterable[str], *, first_row: int, source: str | None = None) -> None:
        """`check` for bare ticket ids from file `source` of the export (default: `self.source`)."""
        here = self.source if source is None else source
        file = self._file_number(here)
        numbered = enumerate(ids, start=first_row)
        while batch := list(itertools.islice(numbered, _BATCH_ROWS)):
            self._check_batch(here, file, batch)

    def _file_number(self, name: str) -> int:
        if name not in self._files:
            with _transaction(self._db):
                self._db.execute("INSERT OR IGNORE INTO files (name) VALUES (?)", (name,))
            (number,) = self._db.execute(
                "SELECT number FROM files WHERE name = ?", (name,)
            ).fetchone()
            self._files[name] = int(number)
        return self._files[name]

    def _check_batch(self, here: str, file: int, batch: list[tuple[int, str]]) -> None:
        before = self._db.total_changes
        with _transaction(self._db):
            self._db.executemany(
                "INSERT OR IGNORE INTO ids VALUES (?, ?, ?)",
                ((_key(ticket_id), file, row) for row, ticket_id in batch),
            )
        if self._db.total_changes - before == len(batch):
            return
        for row, ticket_id in batch:  # an id was there already: the first repeat, in row order
            found = self._db.execute(
                "SELECT files.name, ids.file, ids.row FROM ids"
                " JOIN files ON files.number = ids.file WHERE ids.id = ?",
                (_key(ticket_id),),
            ).fetchone()
            name, earlier_file, earlier_row = found
            if (earlier_file, earlier_row) != (file, row):
                rows = (
                    f"rows {earlier_row} and {row}"
                    if earlier_file == file
                    else f"row {earlier_row} of {name} and row {row}"
                )
                raise ExportFormatError(
                    f"duplicate ticket id '{ticket_id}' in {rows}", file=here, row=row, field="id"
                )


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """`with db:` (commit, or roll back), with SQLite's "disk is full" raised as ENOSPC."""
    try:
        with db:
            yield
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            raise OSError(errno.ENOSPC, "No space left on device (the ids table)") from exc
        raise
