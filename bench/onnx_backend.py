"""The embedding backends side by side: torch, ONNX Runtime fp32, and ONNX int8 (dynamic).

On 100-word tickets from data/sample_tickets.csv: one ticket at a time (median ms, the backends
taking turns ticket by ticket so that other jobs on the machine slow each alike), batches of 32
(tickets/s), and the largest difference and lowest cosine of each backend's vectors against
torch's. The int8 model is quantized (onnxruntime.quantization.quantize_dynamic, int8 weights)
from the export into a temporary folder. Prints a Markdown table with the 1-minute load average.

    python bench/onnx_backend.py [--tickets 96]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.embedders.base import DEFAULT_MODEL, Embedder
from classifier.embedders.onnx import OnnxEmbedder, prepare_onnx_model
from classifier.embedders.transformer import SentenceTransformerEmbedder

SAMPLE = Path(__file__).parents[1] / "data" / "sample_tickets.csv"


def _tickets(count: int, words: int = 100) -> list[str]:
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    pool = " ".join(f"{r.subject}. {r.body}" for r in frame.itertuples()).split()
    return [" ".join(pool[i * words : (i + 1) * words]) for i in range(count)]


def _single_ms(embedders: Sequence[Embedder], texts: list[str]) -> list[float]:
    times: list[list[float]] = [[] for _ in embedders]
    for text in texts[:48]:
        for own, embedder in zip(times, embedders, strict=True):
            started = time.perf_counter()
            embedder.encode([text])
            own.append((time.perf_counter() - started) * 1000)
    return [statistics.median(own) for own in times]


def _batch_rate(embedder: Embedder, texts: list[str]) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), 32):
        embedder.encode(texts[start : start + 32])
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=96)
    args = parser.parse_args()
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    texts = _tickets(args.tickets)
    load_before = os.getloadavg()[0]
    names = ["torch", "onnx fp32", "onnx int8 (dynamic)"]
    embedders: list[Embedder] = [SentenceTransformerEmbedder(), OnnxEmbedder(), OnnxEmbedder()]
    with tempfile.TemporaryDirectory() as scratch:
        quantized = Path(scratch) / "model.int8.onnx"
        quantize_dynamic(prepare_onnx_model(DEFAULT_MODEL), quantized, weight_type=QuantType.QInt8)
        int8 = embedders[2]
        assert isinstance(int8, OnnxEmbedder)
        # Same tokenizer, pooling and session options; only the graph differs.
        int8._session = onnxruntime.InferenceSession(
            str(quantized),
            int8._session.get_session_options(),
            providers=["CPUExecutionProvider"],
        )
        for embedder in embedders:
            embedder.encode(texts[:32])  # warm-up
        vectors = [embedder.encode(texts) for embedder in embedders]
        singles = _single_ms(embedders, texts)
        rates = [_batch_rate(embedder, texts) for embedder in embedders]
    print(
        f"1-min load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; "
        f"{len(texts)} tickets of 100 words"
    )
    print(
        "| backend | one ticket, median ms | batches of 32, tickets/s | max abs diff vs torch "
        "| lowest cosine vs torch |"
    )
    print("|---|---|---|---|---|")
    for name, single, rate, got in zip(names, singles, rates, vectors, strict=True):
        gap = float(np.abs(got - vectors[0]).max())
        cosine = float((got * vectors[0]).sum(axis=1).min())
        print(f"| {name} | {single:.1f} | {rate:.1f} | {gap:.2g} | {cosine:.4f} |")


if __name__ == "__main__":
    main()
