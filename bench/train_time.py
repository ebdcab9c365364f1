"""Training time of `ticketlens train` end to end (CSV in, bundle out, embedding pass counted).

Issue #17's targets: banking77 (10,003 tickets, 77 intents) in at most 3 minutes, and 15,000
tickets x 150 classes in at most 5 on 2 cores. The second set is built from ../shared data:
banking77's training split (77 intents), 130 tickets of each of bitext's 27 intents, and kaggle
tickets labeled by ticket type x subject (the 46 most frequent pairs, up to the 15,000 rows).
Each run is a fresh `ticketlens train` process with `--no-cache` (nothing embedded beforehand);
the CSV it reads is written to a temporary folder, never into the project.

    python bench/train_time.py            # both sets; writes docs/benchmarks.md "Training time"
    python bench/train_time.py --only banking77
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

if not __package__:  # run as `python bench/train_time.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.docs_section import write_section

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
TARGETS = {"banking77": 180.0, "mixed 15k x 150": 300.0}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATASETS / name / "train.csv", dtype=str, keep_default_na=False)


def banking77() -> pd.DataFrame:
    frame = _read("banking77")
    return pd.DataFrame({"text": frame["text"], "label": frame["intent"]})


def mixed(rows: int = 15_000, classes: int = 150) -> pd.DataFrame:
    """banking77's 77 intents + bitext's 27 intents + kaggle type x subject pairs to 150 classes."""
    bank = banking77()
    bitext = _read("bitext_customer_support_20k")
    bitext = bitext.sample(frac=1.0, random_state=0).groupby("intent").head(130)
    parts = [bank, pd.DataFrame({"text": bitext["text"], "label": "bitext: " + bitext["intent"]})]
    kaggle = _read("kaggle_customer_support_tickets")
    pair = "kaggle: " + kaggle["ticket_type"] + " / " + kaggle["ticket_subject"]
    left = classes - sum(p["label"].nunique() for p in parts)
    kept = pair.value_counts().index[:left]
    kaggle = pd.DataFrame({"text": kaggle["text"], "label": pair})[pair.isin(kept)]
    room = rows - sum(len(p) for p in parts)
    parts.append(kaggle.sample(min(room, len(kaggle)), random_state=0))
    return pd.concat(parts, ignore_index=True)


SETS = {"banking77": banking77, "mixed 15k x 150": mixed}


def time_train(frame: pd.DataFrame, folder: Path) -> dict[str, float | int | str]:
    export = folder / "export.csv"
    frame.assign(ticket_id=[f"T{i}" for i in range(len(frame))]).to_csv(export, index=False)
    command = [
        str(Path(sys.executable).with_name("ticketlens")), "train", str(export), "--label", "label",
        "--text-column", "text", "--id-column", "ticket_id", "--no-cache",
        "--models-dir", str(folder / "models"), "--name", "timed",
    ]  # fmt: skip
    load = os.getloadavg()[0]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env=os.environ | {"HF_HUB_OFFLINE": "1"})
    seconds = time.perf_counter() - started
    manifest = json.loads((folder / "models" / "timed" / "manifest.json").read_text())
    entry = manifest["fields"]["label"]
    return {
        "tickets": len(frame),
        "classes": frame["label"].nunique(),
        "train s (wall, embedding counted)": round(seconds, 1),
        "CV macro-F1": round(entry["cv_macro_f1"], 4),
        "C": entry["regularization_C"],
        "embedding weight": manifest["embedding_weight"],
        "load avg at start": round(load, 1),
        "load avg at end": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SETS))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = []
    for name, build in SETS.items():
        if args.only and name != args.only:
            continue
        with tempfile.TemporaryDirectory() as folder:
            row = {"set": name, **time_train(build(), Path(folder))}
        row["target s"] = TARGETS[name]
        row["met"] = (
            "met" if row["train s (wall, embedding counted)"] <= TARGETS[name] else "NOT met"
        )
        print(row, flush=True)
        rows.append(row)
    if args.no_write:
        return
    command = shlex.join(["python", "bench/train_time.py", *sys.argv[1:]])
    measured = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    body = "\n".join(
        [
            f"Measured {measured} on 2 CPU cores, `{command}` (fresh process per set,",
            "`--no-cache`: the transformer pass over every ticket is in the time). Load: per row.",
            "",
            pd.DataFrame(rows).to_markdown(index=False),
        ]
    )
    write_section("train-time", body, heading="## Training time (issue #17)")


if __name__ == "__main__":
    main()
