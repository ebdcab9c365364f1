"""`--engine ray` on a local Ray instance (2 CPUs): same predictions as the local engine, resumable,
and a worker killed mid-job loses and duplicates no row. Workers use the fake embedder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from classifier.bundle.store import load_bundle
from classifier.cascade import CascadeRecord, save_cascade
from classifier.errors import ExportFormatError, TicketlensError
from classifier.loading import load_model
from classifier.predictor import TicketClassifier
from tests import ROOT
from tests.fakes import HashingEmbedder, RecordingFactory, hashing_embedder_for
from training.fit.train import TrainConfig, train
from training.io.export import read_tickets
from training.labeling.local import label_export

ray = pytest.importorskip("ray")

from training.labeling.ray.embed import EmbeddingSpec, RayEmbedder  # noqa: E402
from training.labeling.ray.engine import RayOptions, label_export_ray  # noqa: E402

SAMPLE = ROOT / "data" / "sample_tickets.csv"
SHARD_ROWS = 500


@dataclass(frozen=True)
class Setup:
    root: Path
    bundle_path: Path
    local: pd.DataFrame
    """The sample export labeled by the local engine."""


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    root = tmp_path_factory.mktemp("ray")
    tickets, _ = read_tickets(SAMPLE)
    # Embedding-only heads keep this fast; the real-model Ray test covers the hybrid default.
    config = TrainConfig(name="ray-unit", text_features=False, make_current=False)
    result = train(tickets[:300], HashingEmbedder(), config, models_dir=root, source="sample")
    classifier = TicketClassifier(load_bundle(result.bundle_path), HashingEmbedder())
    label_export(SAMPLE, root / "local.parquet", classifier, chunk_rows=SHARD_ROWS)
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        # Workers import the fake embedder from this checkout.
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},
    )
    yield Setup(root, result.bundle_path, pd.read_parquet(root / "local.parquet"))
    ray.shutdown()


def _read_shards(folder: Path) -> pd.DataFrame:
    manifest = json.loads((folder / "manifest.json").read_text())
    names = [shard["name"] for shard in manifest["shards"]]
    return pd.concat([pd.read_parquet(folder / name) for name in names], ignore_index=True)


def _label(setup: Setup, output: Path, **kwargs: object) -> object:
    return label_export_ray(
        str(SAMPLE),
        str(output),
        setup.bundle_path,
        options=RayOptions(shard_rows=SHARD_ROWS, actors=2),
        embedder_factory=kwargs.pop("factory", hashing_embedder_for),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def test_ray_labels_the_sample_export_exactly_like_the_local_engine(setup: Setup) -> None:
    output = setup.root / "ray-out"
    summary = _label(setup, output)
    assert summary.rows == len(setup.local) == 2367  # type: ignore[attr-defined]
    labeled = _read_shards(output)
    pd.testing.assert_frame_equal(labeled, setup.local)
    manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert manifest["model_version"] == "ray-unit"
    assert sum(manifest["finished"].values()) == 2367
    assert [s["rows"] for s in manifest["shards"]] == [500, 500, 500, 500, 367]

    # A rerun after a failure redoes only the shard that was not finished.
    redo = setup.root / "ray-redo"
    shutil.copytree(output, redo)
    (redo / "part-00000-000003.parquet").unlink()
    manifest["finished"].pop("part-00000-000003.parquet")
    manifest["complete"] = False
    (redo / "manifest.json").write_text(json.dumps(manifest))
    again = _label(setup, redo)
    assert again.shards_resumed == 4  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(_read_shards(redo), setup.local)


def test_ray_labels_with_a_cascade_exactly_like_the_local_engine(setup: Setup) -> None:
    tickets, _ = read_tickets(SAMPLE)
    config = TrainConfig(name="ray-fast", text_features=False, make_current=False)
    fast = train(tickets[300:400], HashingEmbedder(), config, models_dir=setup.root, source="s")
    accurate = load_bundle(setup.bundle_path)
    record = CascadeRecord(
        threshold=0.6, fast_version="ray-fast", accurate_version=accurate.version
    )
    folder = save_cascade(setup.root / "cascade", fast.bundle_path, setup.bundle_path, record)
    local = setup.root / "cascade-local.parquet"
    model = load_model(folder, embedder_factory=hashing_embedder_for)
    label_export(SAMPLE, local, model, chunk_rows=SHARD_ROWS)
    output = setup.root / "ray-cascade"
    label_export_ray(
        str(SAMPLE),
        str(output),
        folder,
        options=RayOptions(shard_rows=SHARD_ROWS, actors=2),
        embedder_factory=hashing_embedder_for,
    )
    expected = pd.read_parquet(local)
    assert set(expected["model_version"]) == {"cascade:ray-fast+ray-unit"}
    pd.testing.assert_frame_equal(_read_shards(output), expected)


def test_a_worker_killed_mid_job_loses_and_duplicates_no_row(setup: Setup) -> None:
    pids = setup.root / "pids"
    pids.mkdir()
    output = setup.root / "ray-killed"
    progressed = threading.Event()
    outcome: dict[str, object] = {}

    def job() -> None:
        try:
            outcome["summary"] = _label(
                setup,
                output,
                factory=RecordingFactory(pids, delay_s=1.5),
                on_progress=lambda rows: progressed.set() if rows else None,
            )
        except BaseException as exc:  # reported by the assertion below
            outcome["error"] = exc

    runner = threading.Thread(target=job)
    runner.start()
    assert progressed.wait(120), "no shard finished"
    started = {int(p.name) for p in pids.iterdir()}
    victim = min(started)
    os.kill(victim, signal.SIGKILL)
    assert runner.is_alive(), "the job ended before a worker could be killed"
    runner.join(180)
    assert "error" not in outcome, outcome.get("error")
    # Ray started a replacement actor (a new process ran the embedder's constructor).
    assert {int(p.name) for p in pids.iterdir()} - started
    labeled = _read_shards(output)
    assert labeled["ticket_id"].is_unique and len(labeled) == 2367
    pd.testing.assert_frame_equal(labeled, setup.local)


def test_train_with_the_ray_embedder_equals_training_locally(setup: Setup) -> None:
    tickets, _ = read_tickets(SAMPLE)
    on_ray = RayEmbedder(EmbeddingSpec(), RayOptions(actors=2), factory=hashing_embedder_for)
    config = TrainConfig(text_features=False, make_current=False)
    remote = train(tickets[:300], on_ray, config, models_dir=setup.root / "m", source="sample")
    local = load_bundle(setup.bundle_path)
    trained = load_bundle(remote.bundle_path)
    assert trained.manifest.embedding_model == local.manifest.embedding_model
    assert trained.manifest.training_data.fingerprint == local.manifest.training_data.fingerprint
    new = tickets[300:900]
    by_ray = TicketClassifier(trained, HashingEmbedder()).predict(new)
    by_local = TicketClassifier(local, HashingEmbedder()).predict(new)
    assert [p.fields for p in by_ray] == [p.fields for p in by_local]
    texts = [t.body for t in new[:5]]
    assert on_ray.count_tokens(texts) == HashingEmbedder().count_tokens(texts)


def test_a_bad_row_is_reported_with_its_file_and_row(setup: Setup, tmp_path: Path) -> None:
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).iloc[:1200]
    frame.loc[1100, "ticket_id"] = ""
    broken = tmp_path / "broken.csv"
    frame.to_csv(broken, index=False)
    with pytest.raises(ExportFormatError) as caught:
        label_export_ray(
            str(broken),
            str(tmp_path / "out"),
            setup.bundle_path,
            options=RayOptions(shard_rows=SHARD_ROWS, actors=1),
            embedder_factory=hashing_embedder_for,
        )
    assert str(caught.value) == f"{broken}, row 1101, field 'ticket_id': empty ticket id"


def test_an_output_folder_of_another_job_is_refused(setup: Setup, tmp_path: Path) -> None:
    output = tmp_path / "other"
    output.mkdir()
    (output / "manifest.json").write_text(json.dumps({"model_version": "another", "inputs": []}))
    with pytest.raises(TicketlensError, match="holds another job's shards"):
        _label(setup, output)
    assert sorted(p.name for p in output.iterdir()) == ["manifest.json"]
