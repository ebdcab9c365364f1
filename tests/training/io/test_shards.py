"""Deterministic shards of an export: planning, finding the files, reading one block."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from classifier.errors import ExportFormatError
from tests.conftest import make_tickets, tickets_frame
from training.io.readers import iter_export, read_chunk
from training.io.shards import local_copy, plan_shards, resolve_inputs


def test_plan_cuts_each_file_into_fixed_blocks() -> None:
    shards = plan_shards([1200, 0, 500], shard_rows=500)
    assert [(s.file_index, s.block, s.first_row, s.rows) for s in shards] == [
        (0, 0, 1, 500),
        (0, 1, 501, 500),
        (0, 2, 1001, 200),
        (2, 0, 1, 500),
    ]
    assert shards[2].name == "part-00000-000002.parquet"


def test_inputs_from_a_folder_a_glob_and_a_file_uri(tmp_path: Path) -> None:
    frame = tickets_frame(make_tickets(30))
    for name in ("b.csv", "a.parquet", "notes.txt.bak", ".hidden.csv"):
        (tmp_path / name).write_text("x")
    frame.to_csv(tmp_path / "b.csv", index=False)
    frame.to_parquet(tmp_path / "a.parquet")
    folder = [Path(f.uri).name for f in resolve_inputs(str(tmp_path))]
    assert folder == ["a.parquet", "b.csv"]
    assert [Path(f.uri).name for f in resolve_inputs(str(tmp_path / "*.csv"))] == ["b.csv"]
    remote = resolve_inputs(f"file://{tmp_path}/b.csv")
    assert remote[0].uri == f"file://{tmp_path}/b.csv" and remote[0].size > 0
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    copied = local_copy(remote[0].uri, scratch)
    assert copied.parent == scratch
    assert copied.read_bytes() == (tmp_path / "b.csv").read_bytes()
    with pytest.raises(ExportFormatError, match="not found"):
        resolve_inputs(str(tmp_path / "missing.csv"))
    with pytest.raises(ExportFormatError, match="no export files"):
        resolve_inputs(str(tmp_path / "*.jsonl"))


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_read_chunk_equals_the_streamed_chunk(tmp_path: Path, suffix: str) -> None:
    frame = tickets_frame(make_tickets(230))
    path = tmp_path / f"t{suffix}"
    if suffix == ".parquet":
        # Row groups of 70 rows: chunks of 50 straddle them.
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=70)
    elif suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    streamed = list(iter_export(path, chunk_rows=50))
    for index, expected in enumerate(streamed):
        pd.testing.assert_frame_equal(read_chunk(path, index, 50), expected)
    with pytest.raises(ExportFormatError, match="no rows from row 251"):
        read_chunk(path, 5, 50)
