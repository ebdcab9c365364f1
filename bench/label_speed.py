"""Tickets/s of `ticketlens label` CSV → CSV in one process, end to end, on ~100-word tickets.

The export is nlbse24 test issues (from ../shared/datasets) cleaned and cut to their first WORDS
words, repeated with fresh ids up to `--rows`, written to a temporary folder (never into the
repo). The figure is the wall time of one `ticketlens label` process (start-up, model load,
reading, predicting, writing) over those rows; its CPU seconds (user + system) are printed
beside it, and the 1-minute load average before and after: on shared cores the wall figure moves
with the other jobs, the CPU one much less. Train a fast bundle first, e.g.

    ticketlens train data/sample_tickets.csv --taxonomy data/taxonomy.yaml --mode fast \
        --models-dir /tmp/fastm
    python bench/label_speed.py --model /tmp/fastm/current --rows 100000
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.text import prepare_text
from training.io.export import read_tickets

WORDS = 100
DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def write_export(path: Path, rows: int, datasets: Path) -> float:
    """Write `rows` ~WORDS-word tickets as CSV (ticket_id, subject, body); the mean word count."""
    source, _ = read_tickets(datasets / "nlbse24_issue_reports" / "test.csv", ["issue_type"])
    texts = [" ".join(prepare_text(t).text.split()[:WORDS]) for t in source]
    texts = [t for t in texts if t]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ticket_id", "subject", "body"])
        for i in range(rows):
            writer.writerow([f"T-{i:08d}", "", texts[i % len(texts)]])
    return sum(len(t.split()) for t in texts) / len(texts)


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a fast bundle folder")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk-rows", type=int, default=None, help="default: label's own")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--keep", type=Path, default=None, help="copy the output CSV here")
    args = parser.parse_args()
    ticketlens = Path(sys.executable).with_name("ticketlens")
    with tempfile.TemporaryDirectory(prefix="ticketlens-label-speed-") as work:
        export, output = Path(work) / "export.csv", Path(work) / "labeled.csv"
        words = write_export(export, args.rows, args.datasets)
        command = [str(ticketlens), "label", str(export), "-o", str(output), "--model"]
        command.append(str(args.model))
        if args.chunk_rows:
            command += ["--chunk-rows", str(args.chunk_rows)]
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        load_before = _load()
        cpu_before = _children_cpu()
        started = time.perf_counter()
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        cpu = _children_cpu() - cpu_before
        load_after = _load()
        if args.keep is not None:
            args.keep.write_bytes(output.read_bytes())
    print(
        f"{args.rows} tickets ({words:.0f} words on average) in {seconds:.1f} s: "
        f"{args.rows / seconds:,.0f} tickets/s; {cpu:.1f} CPU s "
        f"({args.rows / cpu:,.0f} tickets per CPU second); "
        f"1-min load {load_before} before, {load_after} after"
    )


if __name__ == "__main__":
    main()
