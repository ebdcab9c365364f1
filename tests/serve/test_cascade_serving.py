"""The service on a cascade folder: the transformer sees only the tickets the fast model doubts."""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from classifier.bundle.store import Bundle, load_bundle, set_current
from classifier.cascade import CascadeRecord, save_cascade
from classifier.loading import Model, load_model
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from classifier.text import prepare_text
from serve.app import create_app
from serve.settings import Settings
from tests.conftest import make_tickets
from tests.fakes import HashingEmbedder, RecordingEmbedder
from tests.serve.conftest import AUTH, TOKEN, running_client, wait_ready
from tests.serve.web.conftest import USERS, sign_in
from training import cli
from training.fit.train import TrainConfig, train

CLEAR = make_tickets(6, seed=7)
VAGUE = [Ticket(id=f"V-{i}", subject="zzq", body=f"qwx {i} plo") for i in range(4)]
TICKETS = CLEAR[:3] + VAGUE + CLEAR[3:]
VERSION = "cascade:fast+accurate"


@dataclass
class Built:
    folder: Path
    """The cascade folder: cascade.json, fast/, accurate/."""
    fast: TicketClassifier
    accurate: TicketClassifier
    threshold: float


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A cascade whose fast model is surer of CLEAR than of VAGUE, the threshold between."""
    folder = tmp_path_factory.mktemp("cascade-models")
    paths = []
    for name, seed in (("fast", 0), ("accurate", 1)):
        config = TrainConfig(fields=("category",), name=name, make_current=False)
        tickets = make_tickets(120, seed=seed)
        paths.append(
            train(tickets, HashingEmbedder(), config, models_dir=folder, source="u").bundle_path
        )
    fast, accurate = (TicketClassifier(load_bundle(p), HashingEmbedder()) for p in paths)
    confidences = [p.fields["category"].confidence for p in fast.predict(TICKETS)]
    sure = min(confidences[:3] + confidences[7:])
    unsure = max(confidences[3:7])
    assert unsure < sure, "the constructed case needs the fast model surer of the clear tickets"
    threshold = (sure + unsure) / 2
    record = CascadeRecord(
        threshold=threshold,
        loss_budget=0.005,
        expected_accurate_share=0.25,
        fast_version="fast",
        accurate_version="accurate",
    )
    save_cascade(folder / "cascade", paths[0], paths[1], record)
    return Built(folder / "cascade", fast, accurate, threshold)


class Recorders:
    """A loader that puts a recording embedder under each of a cascade's bundles."""

    def __init__(self) -> None:
        self.fast = RecordingEmbedder()
        self.accurate = RecordingEmbedder()

    def _embedder(self, bundle: Bundle) -> HashingEmbedder:
        assert bundle.path is not None
        return {"fast": self.fast, "accurate": self.accurate}.get(
            bundle.path.name, HashingEmbedder()
        )

    def load(self, path: Path) -> Model:
        return load_model(path, embedder_factory=self._embedder)

    def forget(self) -> None:
        """Drop what the start-up probe embedded."""
        self.fast.seen.clear()
        self.accurate.seen.clear()


def _link(folder: Path, target: Path) -> Path:
    """`folder/current` pointing at `target` (linked into `folder` as `folder/<name>`)."""
    folder.mkdir(exist_ok=True)
    link = folder / target.name
    if not link.exists():
        link.symlink_to(target)
    set_current(folder, link)
    return folder / "current"


def _body(ticket: Ticket) -> dict[str, Any]:
    return {"id": ticket.id, "subject": ticket.subject, "body": ticket.body}


def _answer(prediction: dict[str, Any]) -> tuple[str, float]:
    category = prediction["fields"]["category"]
    return category["label"], round(category["confidence"], 6)


def _expected(model: TicketClassifier, tickets: list[Ticket]) -> list[tuple[str, float]]:
    return [_answer(p.to_answer()) for p in model.predict(tickets)]


def _stage_count(metrics: str, stage: str) -> float:
    prefix = f'ticketlens_cascade_answers_total{{stage="{stage}"}} '
    (line,) = [line for line in metrics.splitlines() if line.startswith(prefix)]
    return float(line.removeprefix(prefix))


def test_classify_answers_unsure_tickets_with_the_accurate_model_and_counts_stages(
    built: Built, settings: Settings, tmp_path: Path
) -> None:
    recorders = Recorders()
    link = _link(tmp_path / "served", built.folder)
    config = settings.model_copy(update={"model_path": link, "batch_limit": 20})
    with TestClient(create_app(config, loader=recorders.load)) as client:
        assert wait_ready(client)["model_version"] == VERSION
        recorders.forget()
        batch = {"tickets": [_body(t) for t in TICKETS]}
        answered = client.post("/classify/batch", json=batch, headers=AUTH)
        assert answered.status_code == 200, answered.text
        predictions = answered.json()["predictions"]
        metrics = client.get("/metrics", headers=AUTH).text
        model = client.get("/model", headers=AUTH).json()

    got = [_answer(p) for p in predictions]
    assert got[3:7] == _expected(built.accurate, VAGUE)
    assert got[:3] + got[7:] == _expected(built.fast, CLEAR[:3] + CLEAR[3:])
    assert got[3:7] != _expected(built.fast, VAGUE), "the models must differ on the vague ones"
    assert {p["model_version"] for p in predictions} == {VERSION}
    # The transformer's stand-in embedded the four vague tickets, once each, and nothing else.
    assert recorders.accurate.seen == [prepare_text(t).text for t in VAGUE]
    assert sorted(recorders.fast.seen) == sorted(prepare_text(t).text for t in TICKETS)
    assert (_stage_count(metrics, "fast"), _stage_count(metrics, "accurate")) == (6.0, 4.0)
    assert f'fast_embedding_model="test/hashing",version="{VERSION}"' in metrics

    cascade = model["cascade"]
    assert model["name"] == "accurate"  # the fields answered are the accurate bundle's
    assert cascade["threshold"] == pytest.approx(built.threshold)
    assert (cascade["loss_budget"], cascade["expected_accurate_share"]) == (0.005, 0.25)
    assert (cascade["fast"]["version"], cascade["accurate"]["version"]) == ("fast", "accurate")
    assert cascade["fast"]["embedding_model"] == "test/hashing"
    assert (cascade["answered_fast"], cascade["answered_accurate"]) == (6, 4)
    assert cascade["live_accurate_share"] == pytest.approx(0.4)


def test_the_micro_batcher_hands_only_the_unsure_tickets_of_a_batch_to_the_transformer(
    built: Built, settings: Settings, tmp_path: Path
) -> None:
    recorders = Recorders()
    link = _link(tmp_path / "served", built.folder)
    config = settings.model_copy(
        update={"model_path": link, "log_predictions": False, "batcher_max_wait_ms": 200}
    )
    app = create_app(config, classifier=recorders.load(link), loader=recorders.load)
    recorders.forget()

    async def concurrent() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            calls = [http.post("/classify", json=_body(t), headers=AUTH) for t in TICKETS]
            return list(await asyncio.gather(*calls))

    responses = asyncio.run(concurrent())
    assert [r.status_code for r in responses] == [200] * len(TICKETS)
    got = {r.json()["ticket_id"]: _answer(r.json()) for r in responses}
    assert [got[t.id] for t in VAGUE] == _expected(built.accurate, VAGUE)
    batches = app.state.service.batcher.batch_sizes
    assert sum(batches) == len(TICKETS) and max(batches) > 1  # single calls batched together
    assert sorted(recorders.accurate.seen) == sorted(prepare_text(t).text for t in VAGUE)
    assert sorted(recorders.fast.seen) == sorted(prepare_text(t).text for t in TICKETS)


def test_reload_onto_a_cascade_and_a_cascade_missing_its_accurate_bundle_is_refused(
    built: Built, client: TestClient, model_link: Path
) -> None:
    folder = model_link.parent
    _link(folder, built.folder)
    swapped = client.post("/admin/reload", headers=AUTH)
    assert swapped.json() == {"model_version": VERSION, "previous_version": "v1"}
    vague = client.post("/classify", json=_body(VAGUE[0]), headers=AUTH).json()
    assert vague["model_version"] == VERSION
    assert _answer(vague) == _expected(built.accurate, VAGUE[:1])[0]
    assert client.get("/model", headers=AUTH).json()["cascade"]["answered_accurate"] == 1

    broken = folder / "broken-cascade"
    shutil.copytree(built.folder, broken)
    shutil.rmtree(broken / "accurate")
    set_current(folder, broken)
    refused = client.post("/admin/reload", headers=AUTH)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert detail == (
        f"reload failed: {broken.resolve() / 'accurate'}: the cascade has no accurate/ bundle; "
        f"rebuild it with `ticketlens cascade`; still serving {VERSION}"
    )
    assert client.post("/classify", json=_body(VAGUE[0]), headers=AUTH).json()["model_version"] == (
        VERSION
    )


def test_the_model_page_shows_the_cascade_and_its_live_share(
    built: Built, settings: Settings, tmp_path: Path
) -> None:
    link = _link(tmp_path / "served", built.folder)
    config = settings.model_copy(
        update={"model_path": link, "web_users": USERS, "alert_interval_s": 0, "batch_limit": 20}
    )
    with running_client(config) as web:
        wait_ready(web, VERSION)
        batch = {"tickets": [_body(t) for t in TICKETS]}
        assert web.post("/classify/batch", json=batch, headers=AUTH).status_code == 200
        sign_in(web, "vera", "view-pw")
        page = web.get("/models/current").text
    assert f"Model {VERSION}" in page
    assert "<tr><td>fast</td><td>fast</td>" in page
    assert "<tr><td>accurate</td><td>accurate</td>" in page
    assert f"Threshold {built.threshold:.3f} (loss budget 0.5 macro-F1 points)" in page
    assert "expected 25.0%, live 40.0% of 10 ticket(s) answered since start" in page


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


FACTORY = ["--factory", "tests.serve.app_factory:make_app"]  # no ONNX export for the fake model


def test_serve_checks_both_bundles_of_a_cascade_before_starting(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    started: dict[str, str] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.update(os.environ))
    monkeypatch.setenv("TICKETLENS_API_TOKEN", TOKEN)
    for name in ("TICKETLENS_MODEL_PATH", "TICKETLENS_BACKEND"):  # serve sets them: restore
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    runner = CliRunner()
    served = runner.invoke(cli.app, ["serve", "--model", str(built.folder), *FACTORY])
    assert served.exit_code == 0, served.output
    assert started["TICKETLENS_MODEL_PATH"] == str(built.folder)

    broken = tmp_path / "broken"
    shutil.copytree(built.folder, broken)
    shutil.rmtree(broken / "fast")
    refused = runner.invoke(cli.app, ["serve", "--model", str(broken), *FACTORY])
    assert refused.exit_code == 2
    assert _one_line(refused.stderr) == (
        f"error: {broken / 'fast'}: the cascade has no fast/ bundle; "
        "rebuild it with `ticketlens cascade`"
    )


def test_serve_exports_the_onnx_model_a_cascade_needs_once(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from training.cli import service as cli_service

    exported: list[str] = []
    monkeypatch.setattr(cli_service, "prepare_onnx_model", lambda name, _: exported.append(name))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.setenv("TICKETLENS_API_TOKEN", TOKEN)
    for name in ("TICKETLENS_MODEL_PATH", "TICKETLENS_BACKEND"):  # serve sets them: restore
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    result = CliRunner().invoke(cli.app, ["serve", "--model", str(built.folder)])
    assert result.exit_code == 0, result.output
    assert exported == ["test/hashing"]  # both bundles name it; exported before uvicorn, once


def test_retrain_refuses_a_cascade_in_one_line(built: Built, tmp_path: Path) -> None:
    base = tmp_path / "base.csv"
    base.write_text("ticket_id,subject,body,category\n")
    args = ["retrain", "--base", str(base), "--model", str(built.folder)]
    result = CliRunner().invoke(cli.app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 2
    line = _one_line(result.stderr)
    assert line.startswith(f"error: {built.folder}: the model is a cascade (cascade.json)")
    assert "`ticketlens cascade`" in line
