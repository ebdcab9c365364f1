"""Export a packaged sentence-transformers model to ONNX, once per machine.

Run as `python -m classifier.embedders.onnx_export MODEL_FOLDER TARGET_FOLDER WEIGHTS_SHA256` by
`OnnxEmbedder`, in a child process: the export needs torch, transformers, onnx and onnxscript,
and none of them should stay in the memory of the process that serves the model.

The file holds the transformer only (inputs `input_ids`, `attention_mask`, `token_type_ids`,
output `last_hidden_state`, batch and sequence axes dynamic); pooling and normalising are done
by the caller. The exported model is checked against torch on a padded probe batch before it is
kept: the older `dynamo=False` exporter silently produced a wrong model with transformers 5.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "model.onnx"
STAMP_FILE = "stamp.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
TOLERANCE = 1e-4
_PROBE = ("Charged twice for my invoice, please refund.", "login fails " * 40)
_LIBRARIES = ("torch", "transformers", "onnx", "onnxscript", "onnxruntime")


def read_stamp(target: Path) -> dict[str, Any] | None:
    """The stamp of an export in `target`, or None when there is no complete export."""
    try:
        stamp: dict[str, Any] = json.loads((target / STAMP_FILE).read_text())
    except (OSError, ValueError):
        return None
    return stamp if (target / MODEL_FILE).is_file() else None


def export(folder: Path, target: Path, weights_sha256: str) -> Path:
    """Write `target/model.onnx` and its stamp atomically; return the model file's path."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    from transformers import AutoModel

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            output = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            hidden: torch.Tensor = output.last_hidden_state
            return hidden

    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    probe = _probe_inputs(folder)
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence", max=512)
    axes = {name: {0: batch, 1: sequence} for name in INPUTS}
    target.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=target, prefix=".model-", suffix=".onnx")
    os.close(handle)
    temp = Path(temp_name)
    try:
        with torch.no_grad():
            torch.onnx.export(
                _LastHiddenState(model),
                tuple(torch.from_numpy(probe[name]) for name in INPUTS),
                str(temp),
                dynamo=True,
                dynamic_shapes=axes,
                input_names=list(INPUTS),
                output_names=["last_hidden_state"],
                external_data=False,
            )
            expected = model(**{k: torch.from_numpy(v) for k, v in probe.items()})
        _check(temp, probe, expected.last_hidden_state.numpy())
        stamp = {
            "weights_sha256": weights_sha256,
            "source": str(folder),
            "versions": {lib: importlib.metadata.version(lib) for lib in _LIBRARIES},
        }
        temp.replace(target / MODEL_FILE)
        # Written last: a stamp marks a complete, checked export.
        _write_atomically(target / STAMP_FILE, json.dumps(stamp, indent=2))
    finally:
        temp.unlink(missing_ok=True)
    return target / MODEL_FILE


def _probe_inputs(folder: Path) -> dict[str, np.ndarray]:
    """Two texts of different lengths, padded: the export must handle padding right."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=128)
    tokenizer.enable_padding()
    encoded = tokenizer.encode_batch(list(_PROBE))
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def _check(path: Path, probe: dict[str, np.ndarray], expected: np.ndarray) -> None:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, probe)[0]
    mask = probe["attention_mask"].astype(bool)
    gap = float(np.abs(got[mask] - expected[mask]).max())
    if gap > TOLERANCE:
        raise RuntimeError(f"exported model differs from torch by {gap:.2g} (> {TOLERANCE})")


def _write_atomically(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    Path(temp).replace(path)


def main(argv: list[str] | None = None) -> int:
    folder, target, sha = argv if argv is not None else sys.argv[1:]
    try:
        export(Path(folder), Path(target), sha)
    except Exception as exc:
        # The parent reports the last stderr line: keep the reason on one.
        print(f"{type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
