"""The fast mode: static embeddings + word TF-IDF, trained, saved, verified and reloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from model2vec import StaticModel
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace
from typer.testing import CliRunner

from classifier.bundle.store import STATIC_MODEL_DIR, load_bundle
from classifier.embedders.base import DEFAULT_MODEL, locate_packaged_model
from classifier.embedders.static import StaticEmbedder, mean_token_vectors
from classifier.errors import BundleError
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from tests.conftest import make_tickets, tickets_frame
from training import cli
from training.cli import train as cli_train
from training.fit.train import TrainConfig, train


def tiny_static_model(folder: Path, tickets: list[Ticket]) -> StaticEmbedder:
    """A word-level static model over the tickets' vocabulary with seeded random vectors."""
    words = sorted({w for t in tickets for w in f"{t.subject} {t.body}".lower().split()})
    vocab = {"[UNK]": 0} | {w: i + 1 for i, w in enumerate(words)}
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    vectors = np.random.default_rng(0).normal(size=(len(vocab), 32)).astype(np.float32)
    StaticModel(vectors, tokenizer, normalize=True).save_pretrained(str(folder))
    return StaticEmbedder(folder, "static:test")


@pytest.fixture
def tickets() -> list[Ticket]:
    return make_tickets(240)


@pytest.fixture
def static(tmp_path: Path, tickets: list[Ticket]) -> StaticEmbedder:
    return tiny_static_model(tmp_path / "static", tickets)


def _fast(tickets: list[Ticket], static: StaticEmbedder, models: Path) -> Path:
    config = TrainConfig(name="fast", mode="fast")
    return train(tickets, static, config, models_dir=models, source="unit").bundle_path


def test_fast_bundle_carries_its_static_model_and_predicts_the_same_after_reload(
    tmp_path: Path, tickets: list[Ticket], static: StaticEmbedder
) -> None:
    path = _fast(tickets, static, tmp_path / "models")
    bundle = load_bundle(path)
    assert bundle.manifest.mode == "fast"
    assert bundle.manifest.embedding_model.files == static.checksums
    assert (path / STATIC_MODEL_DIR / "model.safetensors").is_file()
    # Word n-grams only: the character n-grams are what the fast mode leaves out.
    assert bundle.text_features is not None
    assert len(bundle.text_features.transformer_list) == 1

    probe = [Ticket(id=t.id, subject=t.subject, body=t.body) for t in tickets[:50]]
    with_training_model = TicketClassifier(bundle, static).predict(probe)
    reloaded = TicketClassifier.load(path, cache_dir=tmp_path / "cache").predict(probe)
    assert [p.fields["category"].label for p in reloaded] == [
        p.fields["category"].label for p in with_training_model
    ]
    accuracy = np.mean(
        [
            p.fields["category"].label == t.labels["category"]
            for p, t in zip(reloaded, tickets[:50], strict=True)
        ]
    )
    assert accuracy > 0.9


def test_tampered_static_model_is_refused(
    tmp_path: Path, tickets: list[Ticket], static: StaticEmbedder
) -> None:
    path = _fast(tickets, static, tmp_path / "models")
    weights = path / STATIC_MODEL_DIR / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(BundleError, match="checksums"):
        TicketClassifier.load(path)


def test_modes_refuse_the_other_kind_of_embedder(
    tmp_path: Path, tickets: list[Ticket], static: StaticEmbedder
) -> None:
    with pytest.raises(ValueError, match="fast mode"):
        train(tickets, static, TrainConfig(name="x"), models_dir=tmp_path, source="unit")


def test_cli_fast_mode_round_trip(
    tmp_path: Path, tickets: list[Ticket], static: StaticEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_train, "make_static_embedder", lambda *args: static)
    export = tmp_path / "tickets.csv"
    tickets_frame(tickets).to_csv(export, index=False)
    models = tmp_path / "models"
    runner = CliRunner()
    trained = runner.invoke(
        cli.app,
        ["train", str(export), "--mode", "fast", "--models-dir", str(models), "--name", "f1"],
    )
    assert trained.exit_code == 0, trained.stderr
    output = tmp_path / "labeled.csv"
    labeled = runner.invoke(
        cli.app, ["label", str(export), "--model", str(models / "f1"), "-o", str(output)]
    )
    assert labeled.exit_code == 0, labeled.stderr
    assert output.read_text().count("\n") == len(tickets) + 1
    # Two worker processes, small chunks: the same rows in the same order.
    parallel = tmp_path / "labeled-2.csv"
    options = ["--model", str(models / "f1"), "--workers", "2", "--chunk-rows", "50"]
    labeled = runner.invoke(cli.app, ["label", str(export), *options, "-o", str(parallel)])
    assert labeled.exit_code == 0, labeled.stderr
    pd.testing.assert_frame_equal(pd.read_csv(parallel), pd.read_csv(output))
    wrong = runner.invoke(
        cli.app, ["train", str(export), "--mode", "quick"], env={"COLUMNS": "200"}
    )
    assert wrong.exit_code == 2
    assert "'quick' is not one of 'accurate', 'fast'" in wrong.stderr


@pytest.mark.parametrize("quantized", [False, True])
def test_mean_token_vectors_equal_model2vecs_own_encode(
    tickets: list[Ticket], quantized: bool
) -> None:
    words = sorted({w for t in tickets for w in f"{t.subject} {t.body}".lower().split()})
    vocab = {"[UNK]": 0} | {w: i + 1 for i, w in enumerate(words)}
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    rng = np.random.default_rng(1)
    extra = {}
    if quantized:  # model2vec's vocabulary quantization: per-token weights and a row mapping
        extra = {
            "weights": rng.uniform(0.5, 2.0, size=len(vocab)).astype(np.float32),
            "token_mapping": rng.integers(0, 7, size=len(vocab)),
        }
    rows = 7 if quantized else len(vocab)
    vectors = rng.normal(size=(rows, 16)).astype(np.float32)
    model = StaticModel(vectors, tokenizer, normalize=True, **extra)  # type: ignore[arg-type]
    texts = [f"{t.subject} {t.body}".lower() for t in tickets[:50]]
    texts += ["", "unknownword only", "refund refund refund"]
    expected = model.encode(texts, max_length=None, use_multiprocessing=False)
    np.testing.assert_allclose(mean_token_vectors(model, texts), expected, atol=1e-6)
    assert mean_token_vectors(model, []).shape == (0, 16)


def test_word_piece_static_model_gives_model2vecs_ids_and_vectors(tmp_path: Path) -> None:
    """A static model on the packaged word-piece tokenizer, set up as distillation leaves it."""
    tokenizer = Tokenizer.from_file(str(locate_packaged_model(DEFAULT_MODEL) / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=512)
    vectors = np.random.default_rng(2).normal(size=(tokenizer.get_vocab_size(), 8))
    model = StaticModel(vectors.astype(np.float32), tokenizer, normalize=True)
    model.save_pretrained(str(tmp_path / "static"))
    static = StaticEmbedder(tmp_path / "static", "static:test")
    texts = [
        "Refund for invoice INV-2231, charged twice!",
        "login fails [UNK] after reset",  # the unknown token written out is dropped like model2vec
        "Ünïcode text goes through the tokenizer",
        "word " * 600,  # past the tokenizer's 512-token truncation
        "",
    ]
    assert static.token_ids(texts) == model.tokenize(texts)
    expected = model.encode(texts, max_length=None, use_multiprocessing=False)
    np.testing.assert_allclose(static.encode(texts), expected, rtol=1e-5, atol=1e-6)
