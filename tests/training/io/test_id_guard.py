"""The duplicate-id check: the rows it names, its bounded memory, and a full disk."""

from __future__ import annotations

import errno
import sqlite3
import tracemalloc
from pathlib import Path

import pytest

from classifier.errors import ExportFormatError
from training.io.id_guard import DuplicateIdGuard


def test_a_repeat_names_the_file_both_rows_and_the_field() -> None:
    with DuplicateIdGuard("export.csv") as guard:
        guard.check_ids(["A", "B", "C"], first_row=1)
        with pytest.raises(ExportFormatError) as caught:
            guard.check_ids(["D", "B", "A"], first_row=4)
    error = caught.value
    assert str(error) == "export.csv, row 5, field 'id': duplicate ticket id 'B' in rows 2 and 5"
    assert (error.file, error.row, error.field) == ("export.csv", 5, "id")


def test_a_repeat_across_files_names_the_first_file() -> None:
    with DuplicateIdGuard("a.csv") as guard:
        guard.check_ids(["X-1", "X-2"], first_row=1)
        with pytest.raises(ExportFormatError, match=r"'X-2' in row 2 of a\.csv and row 1"):
            guard.check_ids(["X-2"], first_row=1, source="b.csv")


def test_the_first_repeat_in_row_order_is_named_within_a_large_batch() -> None:
    ids = [f"T-{i}" for i in range(10_000)]
    ids[9_000] = "T-7000"
    ids[9_500] = "T-10"
    with DuplicateIdGuard("big.csv") as guard, pytest.raises(ExportFormatError) as caught:
        guard.check_ids(ids, first_row=1)
    assert caught.value.row == 9_001
    assert "'T-7000' in rows 7001 and 9001" in str(caught.value)


def test_checking_the_same_rows_again_is_not_a_repeat() -> None:
    with DuplicateIdGuard("export.csv") as guard:
        guard.check_ids(["A", "B"], first_row=1)
        guard.check_ids(["A", "B"], first_row=1)
        with pytest.raises(ExportFormatError, match="rows 1 and 3"):
            guard.check_ids(["A"], first_row=3)


def test_a_database_left_by_a_killed_run_is_started_afresh(tmp_path: Path) -> None:
    database = tmp_path / "ids.sqlite"
    with DuplicateIdGuard("export.csv", database=database) as guard:
        guard.check_ids(["A", "B"], first_row=1)
    assert database.is_file()
    with DuplicateIdGuard("export.csv", database=database) as guard:
        guard.check_ids(["B", "A"], first_row=1)  # another job's rows: no false repeat


def test_ids_that_are_not_encodable_text_are_still_compared() -> None:
    with DuplicateIdGuard("export.jsonl") as guard, pytest.raises(ExportFormatError):
        guard.check_ids(["bad\ud800", "ok", "bad\ud800"], first_row=1)


def test_python_memory_stays_flat_in_the_number_of_ids() -> None:
    """100k ids: a set of them alone takes ~17 MB; SQLite's page cache is outside Python's heap
    and capped by the guard at 8 MiB."""
    tracemalloc.start()
    try:
        with DuplicateIdGuard("export.csv") as guard:
            for start in range(0, 100_000, 512):
                guard.check_ids(
                    (f"ZD-{i:08d}" for i in range(start, start + 512)), first_row=start + 1
                )
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3_000_000


def test_a_full_disk_is_enospc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with DuplicateIdGuard("export.csv", database=tmp_path / "ids.sqlite") as guard:
        guard._db.execute("PRAGMA max_page_count = 4")  # SQLite's own "database or disk is full"
        with pytest.raises(OSError) as caught:
            guard.check_ids((f"T-{i:08d}" for i in range(50_000)), first_row=1)
    assert caught.value.errno == errno.ENOSPC
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
