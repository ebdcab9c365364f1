"""`train_cascade`: both models on one export, the threshold from their out-of-fold predictions."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier.bundle.store import Bundle, load_bundle
from classifier.cascade import CascadeClassifier, read_cascade, read_cascade_record
from classifier.embedders.static import StaticEmbedder
from classifier.loading import load_model
from classifier.records import Ticket
from classifier.similar import read_index
from tests.classifier.embedders.test_static import tiny_static_model
from tests.conftest import make_tickets, tickets_frame
from tests.fakes import HashingEmbedder
from training import cli
from training.cli import cascade as cli_cascade
from training.cli import common as cli_common
from training.cli import train as cli_train
from training.fit.cascade import CascadeResult, choose_cascade, train_cascade
from training.fit.train import TrainConfig

SYNONYMS = {
    "billing": ["wallet", "bankfee", "payout", "chargeback"],
    "login_access": ["passkey", "otp", "lockout", "authn"],
    "technical_issue": ["segfault", "stacktrace", "hang", "timeout"],
}
"""Category words outside the static model's vocabulary: the fast model cannot read them (no
TF-IDF beside the embeddings), the accurate one (hashing every word) can."""


def _unreadable(ticket: Ticket, rng: random.Random) -> Ticket:
    """`ticket` with its category said in SYNONYMS only."""
    words = SYNONYMS[ticket.labels["category"]]
    body = ticket.body.split()
    body[1] = rng.choice(words)  # "hello, <category word> <feature words> please help"
    return ticket.model_copy(
        update={"subject": " ".join(rng.sample(words, 2)), "body": " ".join(body)}
    )


def _tickets() -> list[Ticket]:
    """Learnable tickets, every fourth saying its category in SYNONYMS only; some without text
    and some without a feature label, interleaved (each field's out-of-fold rows are then a
    different subset of the tickets)."""
    rng = random.Random(0)
    out = []
    for i, ticket in enumerate(make_tickets(240, seed=3)):
        if i % 4 == 0:
            ticket = _unreadable(ticket, rng)
        if i % 9 == 4:
            ticket = ticket.model_copy(update={"labels": {"category": ticket.labels["category"]}})
        out.append(ticket)
        if i % 40 == 7:
            out.append(Ticket(id=f"empty-{i}", body="", labels=dict(ticket.labels)))
    rng.shuffle(out)
    return out


@pytest.fixture(scope="module")
def static(tmp_path_factory: pytest.TempPathFactory) -> StaticEmbedder:
    return tiny_static_model(tmp_path_factory.mktemp("static"), make_tickets(240, seed=3))


@pytest.fixture(scope="module")
def trained(
    static: StaticEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CascadeResult, Path]:
    models = tmp_path_factory.mktemp("models")
    result = train_cascade(
        _tickets(),
        static,
        HashingEmbedder(),
        TrainConfig(name="c", text_features=False),
        models_dir=models,
        source="unit",
        loss_budget=0.0,
    )
    return result, models


def test_the_cascade_is_saved_with_its_bundles_and_made_current(
    trained: tuple[CascadeResult, Path], static: StaticEmbedder
) -> None:
    result, models = trained
    assert (result.cascade_path, result.fast_path, result.accurate_path) == (
        models / "c",
        models / "c-fast",
        models / "c-accurate",
    )
    assert [load_bundle(p).manifest.mode for p in (result.fast_path, result.accurate_path)] == [
        "fast",
        "accurate",
    ]
    record = read_cascade_record(result.cascade_path)
    assert (record.fast_version, record.accurate_version) == ("c-fast", "c-accurate")
    assert record.threshold == result.choice.threshold
    assert record.expected_accurate_share == result.choice.accurate_share
    assert record.loss_budget == 0.0
    assert (models / "current").resolve() == result.cascade_path.resolve()

    def factory(bundle: Bundle) -> StaticEmbedder | HashingEmbedder:
        return static if bundle.manifest.mode == "fast" else HashingEmbedder()

    loaded = load_model(models / "current", embedder_factory=factory)
    assert isinstance(loaded, CascadeClassifier) and loaded.threshold == record.threshold
    fresh = make_tickets(8, seed=11)
    unreadable = [_unreadable(t, random.Random(1)) for t in fresh[4:]]
    answers, routed = loaded.predict_routed(fresh[:4] + unreadable)
    assert routed == [4, 5, 6, 7]  # the fast model cannot read these; the transformer answers
    assert [a.fields["category"].label for a in answers[4:]] == [
        t.labels["category"] for t in unreadable
    ]
    assert {a.model_version for a in answers} == {"cascade:c-fast+c-accurate"}


def test_the_threshold_keeps_out_of_fold_macro_f1_within_the_budget(
    trained: tuple[CascadeResult, Path],
) -> None:
    result, _ = trained
    choice = result.choice
    assert set(choice.fields) == {"category", "feature"}
    for field in choice.fields.values():
        assert field.cascade_macro_f1 >= field.accurate_macro_f1  # budget 0
    assert choice.threshold == max(f.threshold for f in choice.fields.values())
    # A quarter of the tickets say their category in words the fast model cannot read: about
    # those (and no more than a few others) go to the accurate model.
    assert choice.fields["category"].threshold > 0
    assert 0.2 <= choice.fields["category"].accurate_share <= 0.3
    assert choice.fields["category"].accurate_share <= choice.accurate_share <= 0.35

    loose = choose_cascade(result.fast, result.accurate, loss_budget=1.0)
    assert (loose.threshold, loose.accurate_share) == (0.0, 0.0)


def test_train_mode_cascade_from_the_command_line(
    static: StaticEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_cascade, "make_static_embedder", lambda *args: static)
    monkeypatch.setattr(cli_train, "make_embedder", lambda *args: HashingEmbedder())
    export = tmp_path / "tickets.csv"
    tickets_frame(make_tickets(240, seed=3)).to_csv(export, index=False)
    models = tmp_path / "models"
    args = ["train", str(export), "--mode", "cascade", "--models-dir", str(models)]
    options = ["--name", "k", "--loss-budget", "0.01", "--similar-index"]
    result = CliRunner().invoke(cli.app, [*args, *options], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    record = read_cascade_record(models / "k")
    assert record.loss_budget == 0.01
    assert (record.fast_version, record.accurate_version) == ("k-fast", "k-accurate")
    # /similar on the served cascade reads its accurate bundle's index; the folder still verifies
    assert read_index(read_cascade(models / "k")[1][1]) is not None
    assert f"cascade k saved to {models / 'k'} (bundles k-fast, k-accurate)" in result.stdout
    assert f"{100 * record.expected_accurate_share:.1f}% of the training tickets" in result.stdout
    info = CliRunner().invoke(cli.app, ["info", str(models / "k")], env={"COLUMNS": "300"})
    assert info.exit_code == 0, info.output
    assert f"threshold {record.threshold:.3f}, loss budget 0.01" in info.stdout
    fast_at, accurate_at = info.stdout.index("fast/:"), info.stdout.index("accurate/:")
    assert "k-fast" in info.stdout[fast_at:accurate_at]
    assert "k-accurate" in info.stdout[accurate_at:]


def test_evaluate_scores_a_cascade_folder(
    static: StaticEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_common, "make_embedder", lambda *args: HashingEmbedder())
    models = tmp_path / "models"
    train_cascade(
        _tickets(),
        static,
        HashingEmbedder(),
        TrainConfig(name="e", text_features=False),
        models_dir=models,
        source="unit",
    )
    export = tmp_path / "test.csv"
    rng = random.Random(2)
    test = [_unreadable(t, rng) if i % 2 else t for i, t in enumerate(make_tickets(60, seed=9))]
    tickets_frame(test).to_csv(export, index=False)
    args = ["evaluate", str(export), "--model", str(models / "e"), "--json"]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["model"] == "cascade:e-fast+e-accurate"
    # Half the tickets are unreadable to the fast model: the cascade hands them on.
    assert payload["fields"]["category"]["accuracy"] > 0.9
    fast_args = ["evaluate", str(export), "--model", str(models / "e-fast"), "--json"]
    fast = json.loads(CliRunner().invoke(cli.app, fast_args).stdout)
    assert fast["fields"]["category"]["accuracy"] < 0.8
