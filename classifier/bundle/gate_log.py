"""The retrain gate log: one JSON line per gated retrain, beside the bundles it judged.

`ticketlens retrain` appends a `GateRecord` (candidate vs current macro-F1 per field, promoted or
refused, when) to `<models dir>/retrains.jsonl`; the service reads it back for the model page.
The file lives with the bundles rather than in the prediction log because retraining needs no
database (corrections are optional) and both sides already share the models folder.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

logger = logging.getLogger(__name__)

GATE_LOG = "retrains.jsonl"


class FieldGate(BaseModel):
    """Both models' macro-F1 on one field, over the same held-out tickets."""

    model_config = ConfigDict(frozen=True)

    current: float
    candidate: float
    heldout_rows: int

    @property
    def delta(self) -> float:
        return self.candidate - self.current


class GateRecord(BaseModel):
    """One retrain's gate: which candidate met which current model, and what was decided."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    candidate: str
    current: str
    promoted: bool
    reason: str
    scores: dict[str, FieldGate]
    tolerance: float
    forced: bool = False
    corrections_applied: int = 0
    heldout_rows: int = 0
    compared_on: str = ""


def append_gate_record(models_dir: Path, record: GateRecord) -> Path:
    """Append `record` to the models folder's gate log (one write: concurrent appends don't mix).

    A last line cut off by a crash is ended first, so it cannot swallow this record.
    """
    path = models_dir / GATE_LOG
    line = record.model_dump_json() + "\n"
    with path.open("a+b") as handle:
        if handle.seek(0, 2) > 0:
            handle.seek(-1, 2)
            if handle.read(1) != b"\n":
                line = "\n" + line
        handle.write(line.encode("utf-8"))
    return path


def read_gate_records(models_dir: Path, limit: int = 50) -> list[GateRecord]:
    """The last `limit` gate records of the models folder, newest first ([] without a log).

    A line that does not parse (cut off by a crash, edited by hand) is skipped with a warning.
    """
    path = models_dir / GATE_LOG
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records: list[GateRecord] = []
    for number in range(len(lines), 0, -1):
        line = lines[number - 1].strip()
        if not line:
            continue
        try:
            records.append(GateRecord.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as exc:
            logger.warning("%s line %d is not a gate record, skipped: %s", path, number, exc)
            continue
        if len(records) == limit:
            break
    return records
