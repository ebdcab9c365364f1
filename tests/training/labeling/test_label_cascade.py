"""`ticketlens label --model CASCADE`: only the tickets the fast bundle doubts reach the other."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.bundle.store import Bundle, load_bundle
from classifier.cascade import CascadeRecord, save_cascade
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from tests.conftest import make_tickets, tickets_frame
from tests.fakes import HashingEmbedder
from training import cli
from training.cli import common as cli_common
from training.fit.train import TrainConfig, train


class SpyEmbedder(HashingEmbedder):
    seen: ClassVar[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        SpyEmbedder.seen += list(texts)
        return super().encode(texts)


def _factory(bundle: Bundle, *args: object, **kwargs: object) -> HashingEmbedder:
    assert bundle.path is not None
    return SpyEmbedder() if bundle.path.name == "accurate" else HashingEmbedder()


def test_label_sends_only_unsure_tickets_to_the_accurate_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_common, "bundle_embedder", _factory)
    config = TrainConfig(fields=("category",), name="f", make_current=False)
    fast = train(
        make_tickets(120, seed=0), HashingEmbedder(), config, models_dir=tmp_path, source="u"
    )
    config = TrainConfig(fields=("category",), name="a", make_current=False)
    accurate = train(
        make_tickets(120, seed=1), HashingEmbedder(), config, models_dir=tmp_path, source="u"
    )
    clear = make_tickets(6, seed=7)
    vague = [Ticket(id=f"v{i}", subject="zzq", body=f"qwx {i} plo") for i in range(4)]
    tickets = clear[:3] + vague + clear[3:]
    fast_model = TicketClassifier(load_bundle(fast.bundle_path), HashingEmbedder())
    confidence = [p.fields["category"].confidence for p in fast_model.predict(tickets)]
    sure, unsure = min(confidence[:3] + confidence[7:]), max(confidence[3:7])
    assert unsure < sure
    record = CascadeRecord(
        threshold=(sure + unsure) / 2,
        fast_version=fast_model.version,
        accurate_version=load_bundle(accurate.bundle_path).version,
    )
    folder = save_cascade(tmp_path / "cascade", fast.bundle_path, accurate.bundle_path, record)
    export, out = tmp_path / "in.csv", tmp_path / "out.csv"
    tickets_frame(tickets).to_csv(export, index=False)
    SpyEmbedder.seen = []

    result = CliRunner().invoke(
        cli.app, ["label", str(export), "-o", str(out), "--model", str(folder)]
    )

    assert result.exit_code == 0, result.stderr
    assert len(SpyEmbedder.seen) == 4
    labeled = pd.read_csv(out)
    expected = TicketClassifier(load_bundle(accurate.bundle_path), HashingEmbedder()).predict(vague)
    assert labeled["predicted_category"].tolist()[3:7] == [
        p.fields["category"].label for p in expected
    ]
    assert labeled["model_version"].str.startswith("cascade:").all()


def test_label_on_ray_with_a_broken_cascade_folder_is_one_line(tmp_path: Path) -> None:
    """`--engine ray` takes a cascade folder (tests/training/labeling/test_ray_engine.py); a
    broken one is refused before Ray starts, naming the file and field."""
    folder = tmp_path / "cascade"
    folder.mkdir()
    (folder / "cascade.json").write_text("{}")
    export = tmp_path / "in.csv"
    tickets_frame(make_tickets(3)).to_csv(export, index=False)
    args = ["label", str(export), "-o", str(tmp_path / "out"), "--model", str(folder)]
    result = CliRunner().invoke(cli.app, [*args, "--engine", "ray"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cascade.json" in lines[0] and "threshold" in lines[0]
