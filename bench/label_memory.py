"""Peak memory of the local labeling path (`label_export`) as the export grows.

The bundle is trained on the tests' deterministic `HashingEmbedder`, so what is measured is the
labeling path itself (reading, id check, prediction columns, parts, assembly), not a transformer.
Run each step under `/usr/bin/time -v` and read "Maximum resident set size":

    python bench/label_memory.py bundle /tmp/lm/bundle
    python bench/label_memory.py export /tmp/lm/100k.csv 100000
    /usr/bin/time -v python bench/label_memory.py label /tmp/lm/100k.csv /tmp/lm/out.csv \
        /tmp/lm/bundle
    /usr/bin/time -v python bench/label_memory.py ids /tmp/lm/5m.csv   # reading + id check only
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.bundle.store import load_bundle
from classifier.predictor import TicketClassifier
from tests.conftest import make_tickets
from tests.fakes import HashingEmbedder
from training.fit.train import TrainConfig, train
from training.io.id_guard import DuplicateIdGuard
from training.io.readers import iter_export
from training.labeling.local import label_export

_WORDS = ["invoice", "refund", "login", "sso", "error", "crash", "report", "api", "token", "card"]


def _bundle(folder: Path) -> None:
    result = train(
        make_tickets(400),
        HashingEmbedder(),
        TrainConfig(name="label-memory", text_features=False, make_current=False),
        models_dir=folder,
        source="bench/label_memory",
    )
    print(result.bundle_path)


def _export(path: Path, rows: int) -> None:
    """Short texts and ids of a realistic length (`ZD-00001234`), written as CSV."""
    rng = random.Random(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ticket_id", "subject", "body"])
        for i in range(rows):
            words = rng.sample(_WORDS, 4)
            writer.writerow([f"ZD-{i:08d}", " ".join(words[:2]), " ".join(words[2:])])


def _label(export: Path, output: Path, bundle: Path, chunk_rows: int) -> None:
    classifier = TicketClassifier(load_bundle(bundle), HashingEmbedder())
    started = time.perf_counter()
    summary = label_export(export, output, classifier, chunk_rows=chunk_rows)
    seconds = time.perf_counter() - started
    print(f"labeled {summary.rows} rows in {seconds:.0f} s ({summary.rows / seconds:,.0f}/s)")


def _ids(export: Path) -> None:
    """The part of labeling whose memory grew with the export: streaming it and checking ids."""
    started = time.perf_counter()
    guard = DuplicateIdGuard(export)
    rows = 0
    for frame in iter_export(export, chunk_rows=512):
        guard.check_ids(frame["ticket_id"].tolist(), first_row=rows + 1)
        rows += len(frame)
    print(f"checked {rows} ids in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("bundle").add_argument("folder", type=Path)
    export = steps.add_parser("export")
    export.add_argument("path", type=Path)
    export.add_argument("rows", type=int)
    label = steps.add_parser("label")
    label.add_argument("export", type=Path)
    label.add_argument("output", type=Path)
    label.add_argument("bundle", type=Path)
    label.add_argument("--chunk-rows", type=int, default=512)
    steps.add_parser("ids").add_argument("export", type=Path)
    args = parser.parse_args()
    if args.step == "bundle":
        _bundle(args.folder)
    elif args.step == "export":
        _export(args.path, args.rows)
    elif args.step == "ids":
        _ids(args.export)
    else:
        _label(args.export, args.output, args.bundle, args.chunk_rows)


if __name__ == "__main__":
    main()
