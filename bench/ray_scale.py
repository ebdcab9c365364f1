"""Labeling throughput of the local engine against Ray on this machine, and what a 10-million-ticket
backfill would take on N nodes.

Both engines label the same slice of a data set's test split with the same real-model bundle (no
embedding cache), in shards of the same size, so their predictions can be compared row by row.
Ray runs a local instance with one actor per CPU core (one torch thread each). The projection
divides 10 million tickets by the measured steady per-core rate times the cores of N nodes and adds
the measured start-up once. Results go to docs/ray-results.json and docs/benchmarks.md.

    python bench/ray_scale.py [--rows 1000] [--shard-rows 250] [--dataset nlbse24_issue_reports]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

if not __package__:  # run as `python bench/ray_scale.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.docs_section import write_section
from classifier.bundle.store import load_bundle
from classifier.embedders.transformer import SentenceTransformerEmbedder
from classifier.predictor import TicketClassifier
from classifier.text import prepare_text
from training.fit.train import TrainConfig, train
from training.io.export import read_tickets
from training.labeling.local import label_export

ROOT = Path(__file__).parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
RESULTS = ROOT / "docs" / "ray-results.json"
BACKFILL = 10_000_000
NODES = (1, 4, 16, 64)


def _slices(args: argparse.Namespace, work: Path) -> tuple[Path, Path]:
    folder = DATASETS / args.dataset
    train_path, test_path = work / "train.csv", work / "export.csv"
    for name, target, rows in (
        ("train.csv", train_path, args.train_rows),
        ("test.csv", test_path, args.rows),
    ):
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        frame.iloc[:rows].to_csv(target, index=False)
    return train_path, test_path


def _local(export: Path, bundle: Path, out: Path, shard_rows: int) -> dict[str, float]:
    started = time.perf_counter()
    loaded = load_bundle(bundle)
    classifier = TicketClassifier(loaded, SentenceTransformerEmbedder())
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    summary = label_export(export, out, classifier, chunk_rows=shard_rows)
    label_s = time.perf_counter() - started
    return {"model_load_s": load_s, "label_s": label_s, "tickets_per_s": summary.rows / label_s}


def _ray(export: Path, bundle: Path, out: Path, shard_rows: int, cpus: int) -> dict[str, float]:
    import ray

    from training.labeling.ray.engine import RayOptions, label_export_ray

    # Ray runs its workers at niceness 15; on a dedicated node that changes nothing, but here
    # another job may share the cores, and the local engine runs at niceness 0.
    os.environ.setdefault("RAY_worker_niceness", "0")
    started = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    init_s = time.perf_counter() - started
    done: list[tuple[float, int]] = []
    started = time.perf_counter()
    summary = label_export_ray(
        str(export),
        str(out),
        bundle,
        options=RayOptions(shard_rows=shard_rows, actors=cpus, cpus_per_actor=1),
        on_progress=lambda rows: done.append((time.perf_counter(), rows)) if rows else None,
    )
    total_s = time.perf_counter() - started
    ray.shutdown()
    # Steady state: once every actor has finished its first shard (which carries the actor's
    # start and model load), until the last shard.
    first, rest = done[cpus - 1][0], done[cpus:]
    steady = sum(rows for _, rows in rest) / (rest[-1][0] - first) if rest else float("nan")
    return {
        "ray_init_s": init_s,
        "job_s": total_s,
        "first_shard_s": done[0][0] - started,
        "tickets_per_s": summary.rows / total_s,
        "steady_tickets_per_s": steady,
        "steady_per_core": steady / cpus,
    }


def _same_predictions(local: Path, shards: Path) -> int:
    """Rows whose every added column (labels, confidences, top 3, review flags) is equal."""
    expected = pd.read_parquet(local)
    names = [s["name"] for s in json.loads((shards / "manifest.json").read_text())["shards"]]
    got = pd.concat([pd.read_parquet(shards / name) for name in names], ignore_index=True)
    columns = [c for c in expected.columns if c.startswith("predicted_") or c == "truncated"]
    equal = pd.Series(True, index=expected.index)
    for column in columns:
        both_missing = expected[column].isna() & got[column].isna()
        equal &= (expected[column] == got[column]).fillna(False) | both_missing
    return int(equal.sum())


def _projection(per_core: float, startup_s: float, node_cores: int) -> list[dict[str, object]]:
    return [
        {
            "nodes": nodes,
            "cores": nodes * node_cores,
            "hours": round((startup_s + BACKFILL / (per_core * nodes * node_cores)) / 3600, 1),
        }
        for nodes in NODES
    ]


def _report(result: dict[str, object]) -> str:
    local, on_ray, projection = result["local"], result["ray"], result["projection"]
    assert isinstance(local, dict) and isinstance(on_ray, dict) and isinstance(projection, list)
    lines = [
        f"{result['machine']}; measured {result['measured']}; 1-minute load average "
        f"{result['load_before']} before and {result['load_after']} after (another job shared "
        "the cores when it is above 2, and every rate here is then lower than this machine "
        "gives alone).",
        "",
        f"Command: `{result['command']}` — {result['rows']} tickets of "
        f"`{result['dataset']}/test.csv` (prepared text: mean {result['mean_tokens']:.0f} "
        "tokens, window 256), "
        f"bundle trained on {result['train_rows']} tickets of its train split, shards of "
        f"{result['shard_rows']}, no embedding cache.",
        "",
        "| engine | wall s | tickets/s (wall) | steady tickets/s | start-up s |",
        "|:--|--:|--:|--:|:--|",
        f"| local (one process, torch on 2 threads) | {local['label_s']:.1f} | "
        f"{local['tickets_per_s']:.1f} | – | {local['model_load_s']:.1f} (model load, "
        "before the wall time) |",
        f"| Ray, local instance, 2 actors × 1 CPU | {on_ray['job_s']:.1f} | "
        f"{on_ray['tickets_per_s']:.1f} | {on_ray['steady_tickets_per_s']:.1f} | "
        f"{on_ray['ray_init_s']:.1f} ray.init before the wall time; first shard done "
        f"{on_ray['first_shard_s']:.1f} s into it (actor start, model load, "
        f"{result['shard_rows']} tickets) |",
        "",
        f"Predictions identical to the local engine's: {result['identical']} of "
        f"{result['rows']} rows.",
        "",
        f"Projection for a {BACKFILL:,}-ticket backfill at the measured steady "
        f"{on_ray['steady_per_core']:.1f} tickets/s per core, {result['node_cores']} cores "
        "per node:",
        "",
        "| nodes | cores | hours |",
        "|--:|--:|--:|",
        *(f"| {p['nodes']} | {p['cores']} | {p['hours']} |" for p in projection),
        "",
        "Assumptions: throughput grows linearly with cores (one actor per core; each actor "
        "holds its own model and shares nothing, and Ray Data streams shards with no "
        "cross-actor traffic); the backfill's tickets are as long as this slice's (time per "
        "ticket grows with tokens up to the 256-token window: short helpdesk tickets go "
        "faster); nodes' cores are as fast as these; start-up (the first shard's time above) "
        "is paid once; reading inputs and writing shards are included in the "
        "steady rate, but a single huge CSV is streamed past its earlier rows for each shard "
        "(split the export into files or use Parquet). The measured rate is a lower bound while "
        "the load average is above 2.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="nlbse24_issue_reports")
    parser.add_argument("--label", default="issue_type")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--train-rows", type=int, default=200)
    parser.add_argument("--shard-rows", type=int, default=50)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--node-cores", type=int, default=16)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    load_before = round(os.getloadavg()[0], 1)
    with tempfile.TemporaryDirectory(prefix="ticketlens-ray-bench-") as scratch:
        work = Path(scratch)
        train_path, export = _slices(args, work)
        tickets, _ = read_tickets(train_path, [args.label])
        config = TrainConfig(fields=(args.label,), make_current=False, name="bench")
        embedder = SentenceTransformerEmbedder()
        bundle = train(tickets, embedder, config, models_dir=work, source=str(train_path))
        texts = [prepare_text(t, config.max_chars).text for t in read_tickets(export)[0]]
        mean_tokens = sum(embedder.count_tokens(texts)) / len(texts)
        local = _local(export, bundle.bundle_path, work / "local.parquet", args.shard_rows)
        on_ray = _ray(export, bundle.bundle_path, work / "ray", args.shard_rows, args.cpus)
        identical = _same_predictions(work / "local.parquet", work / "ray")
    result = {
        "measured": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python "
        f"{platform.python_version()}",
        "load_before": load_before,
        "load_after": round(os.getloadavg()[0], 1),
        "command": "python bench/ray_scale.py " + " ".join(sys.argv[1:]),
        "dataset": args.dataset,
        "rows": args.rows,
        "train_rows": args.train_rows,
        "shard_rows": args.shard_rows,
        "mean_tokens": mean_tokens,
        "node_cores": args.node_cores,
        "local": local,
        "ray": on_ray,
        "identical": identical,
        "projection": _projection(
            on_ray["steady_per_core"], on_ray["first_shard_s"], args.node_cores
        ),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    write_section("ray", _report(result), heading="## Scale-out on Ray (issue #6)")
    print(_report(result))


if __name__ == "__main__":
    main()
