"""The pieces both labeling engines share: job identity and the one duplicate-id check."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.fs as pafs
import pytest

from classifier.errors import ExportFormatError
from training.io.shards import InputFile, plan_shards
from training.labeling.core import is_same_job, job_identity, local_input
from training.labeling.ray.jobs import check_unique_ids


def test_a_job_is_the_same_only_with_the_same_input_model_chunking_and_mapping(
    tmp_path: Path,
) -> None:
    export = tmp_path / "export.csv"
    export.write_text("ticket_id,body\nA,hello\n")
    mapping = {"text": ("body",)}
    identity = job_identity([local_input(export)], "v1", 512, mapping)
    stored = json.loads(json.dumps({"format": 1, **identity, "finished": {}}))  # as read back
    assert is_same_job(stored, identity)  # though the mapping's tuple came back a list
    assert not is_same_job(stored, job_identity([local_input(export)], "v2", 512, mapping))
    assert not is_same_job(stored, job_identity([local_input(export)], "v1", 256, mapping))
    export.write_text("ticket_id,body\nA,hello\nB,changed\n")
    assert not is_same_job(stored, job_identity([local_input(export)], "v1", 512, mapping))


def test_shards_of_two_files_sharing_an_id_are_refused_naming_both_rows(tmp_path: Path) -> None:
    files = {"a.csv": ["A1", "A2", "A3"], "b.csv": ["B1", " A2 "]}  # spaces: as ticket ids read
    shards = plan_shards([len(ids) for ids in files.values()], 2)
    for shard in shards:
        ids = list(files.values())[shard.file_index]
        start = shard.first_row - 1
        chunk = pd.DataFrame({"ticket_id": ids[start : start + shard.rows]})
        chunk.to_parquet(tmp_path / shard.name, index=False)
    inputs = [InputFile(name, 0, None) for name in files]
    with pytest.raises(ExportFormatError) as caught:
        check_unique_ids(
            pafs.LocalFileSystem(), str(tmp_path), shards, inputs, ["ticket_id", "ticket_id"]
        )
    assert str(caught.value) == (
        "b.csv, row 2, field 'id': duplicate ticket id 'A2' in row 2 of a.csv and row 2"
    )
