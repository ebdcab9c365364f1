"""The retrain gate log: appended one line per retrain, read back newest first."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from classifier.bundle.gate_log import (
    GATE_LOG,
    FieldGate,
    GateRecord,
    append_gate_record,
    read_gate_records,
)


def _record(candidate: str) -> GateRecord:
    return GateRecord(
        at=datetime(2024, 5, 1, tzinfo=UTC),
        candidate=candidate,
        current="v1",
        promoted=False,
        reason="category dropped",
        scores={"category": FieldGate(current=0.8, candidate=0.7, heldout_rows=30)},
        tolerance=0.01,
    )


def test_records_read_back_newest_first_and_a_torn_line_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert read_gate_records(tmp_path) == []
    for name in ("a", "b"):
        append_gate_record(tmp_path, _record(name))
    with (tmp_path / GATE_LOG).open("a") as handle:
        handle.write('{"at": "2024-05-02T00:00:00Z", "candi')  # a crash mid-write
    append_gate_record(tmp_path, _record("c"))
    records = read_gate_records(tmp_path)
    assert [r.candidate for r in records] == ["c", "b", "a"]
    assert records[0].scores["category"].delta == pytest.approx(-0.1)
    assert "line 3 is not a gate record" in caplog.text
    assert [r.candidate for r in read_gate_records(tmp_path, limit=2)] == ["c", "b"]
