import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from classifier.bundle.store import (
    Bundle,
    load_bundle,
    read_training_text_hashes,
    set_current,
    text_hash,
)
from classifier.errors import BundleError
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from classifier.text import prepare_text
from tests.conftest import make_tickets
from tests.fakes import HashingEmbedder
from training.fit.train import TrainConfig, train


def _manifest(bundle: Bundle) -> dict:
    return json.loads((bundle.path / "manifest.json").read_text())


def _write_manifest(bundle: Bundle, manifest: dict) -> None:
    (bundle.path / "manifest.json").write_text(json.dumps(manifest))


def test_round_trip_gives_identical_predictions(trained_bundle: Bundle) -> None:
    tickets = make_tickets(30, seed=5)
    before = TicketClassifier(trained_bundle, HashingEmbedder()).predict(tickets)
    reloaded = load_bundle(trained_bundle.path)
    after = TicketClassifier(reloaded, HashingEmbedder()).predict(tickets)
    assert [p.model_dump() for p in before] == [p.model_dump() for p in after]
    assert reloaded.manifest == trained_bundle.manifest


def test_manifest_is_readable_and_complete(trained_bundle: Bundle) -> None:
    manifest = _manifest(trained_bundle)
    assert manifest["format_version"] == 1
    assert manifest["embedding_model"]["name"] == "test/hashing"
    assert manifest["training_data"]["rows"] == 240
    assert len(manifest["training_data"]["fingerprint"]) == 64
    category = manifest["fields"]["category"]
    assert category["classes"] == ["billing", "login_access", "technical_issue"]
    assert set(category["cv_per_category"]["billing"]) == {"precision", "recall", "f1", "support"}
    assert category["threshold"] == 0.5
    assert "scikit-learn" in manifest["libraries"]


def test_current_pointer_follows_the_newest_bundle(trained_bundle: Bundle) -> None:
    models = trained_bundle.path.parent
    assert (models / "current").resolve() == trained_bundle.path
    other = models / "other"
    other.mkdir()
    set_current(models, other)
    assert os.readlink(models / "current") == "other"


@pytest.mark.parametrize("name", ["head_category.skops", "text_features.skops"])
def test_a_flipped_byte_in_any_bundle_file_is_refused(trained_bundle: Bundle, name: str) -> None:
    path = trained_bundle.path / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(BundleError, match=f"{name}.*checksum"):
        load_bundle(trained_bundle.path)


class Payload:
    """Stands in for an attacker's class: skops must refuse to rebuild it."""

    def __init__(self) -> None:
        self.command = "rm -rf /"


def _replace_head(bundle: Bundle, obj: object) -> None:
    # A correct checksum does not make a file trusted: the types inside are checked too.
    head = bundle.path / "head_category.skops"
    sio.dump(obj, head)
    manifest = _manifest(bundle)
    manifest["fields"]["category"]["head_sha256"] = hashlib.sha256(head.read_bytes()).hexdigest()
    _write_manifest(bundle, manifest)


def test_head_with_types_outside_the_allow_list_is_refused(trained_bundle: Bundle) -> None:
    _replace_head(trained_bundle, Payload())
    with pytest.raises(BundleError, match="allow-list"):
        load_bundle(trained_bundle.path)


def test_head_holding_another_estimator_is_refused(trained_bundle: Bundle) -> None:
    rng = np.random.default_rng(0)
    _replace_head(trained_bundle, make_pipeline(StandardScaler()).fit(rng.normal(size=(5, 3))))
    with pytest.raises(BundleError, match="unexpected object"):
        load_bundle(trained_bundle.path)


def test_manifest_classes_edited_is_refused(trained_bundle: Bundle) -> None:
    manifest = _manifest(trained_bundle)
    manifest["fields"]["category"]["classes"] = ["billing", "login_access", "refunds"]
    _write_manifest(trained_bundle, manifest)
    with pytest.raises(BundleError, match="classes differ"):
        load_bundle(trained_bundle.path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(format_version=99), "format version 99"),
        (lambda m: m.pop("embedding_model"), "Field required"),
        (lambda m: m.update(surprise=1), "Extra inputs"),
    ],
)
def test_invalid_manifest_is_refused(trained_bundle: Bundle, edit, message: str) -> None:
    manifest = _manifest(trained_bundle)
    edit(manifest)
    _write_manifest(trained_bundle, manifest)
    with pytest.raises(BundleError, match=message):
        load_bundle(trained_bundle.path)


def test_manifest_that_is_not_json_is_refused(trained_bundle: Bundle) -> None:
    (trained_bundle.path / "manifest.json").write_text("{not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        load_bundle(trained_bundle.path)


def test_missing_path_and_non_bundle_folder(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="does not exist"):
        load_bundle(tmp_path / "nope")
    with pytest.raises(BundleError, match=r"manifest\.json is missing"):
        load_bundle(tmp_path)


def test_hybrid_bundle_records_its_text_features(trained_bundle: Bundle) -> None:
    record = _manifest(trained_bundle)["text_features"]
    assert record["file"] == "text_features.skops"
    assert record["n_features"] > 100
    assert trained_bundle.text_features is not None


def test_embedding_only_bundle_round_trip(tmp_path: Path) -> None:
    result = train(
        make_tickets(150),
        HashingEmbedder(),
        TrainConfig(name="plain", text_features=False),
        models_dir=tmp_path,
        source="unit",
    )
    bundle = load_bundle(result.bundle_path)
    assert bundle.text_features is None
    assert _manifest(bundle)["text_features"] is None
    [prediction] = TicketClassifier(bundle, HashingEmbedder()).predict(
        [Ticket(id="x", subject="refund my invoice", body="charged twice")]
    )
    assert prediction.fields["category"].label == "billing"


def test_the_training_texts_are_recorded_and_checked(trained_bundle: Bundle) -> None:
    max_chars = trained_bundle.manifest.max_chars
    expected = {text_hash(prepare_text(t, max_chars).text) for t in make_tickets(240)}
    assert read_training_text_hashes(load_bundle(trained_bundle.path)) == expected
    record = trained_bundle.manifest.training_data.text_hashes
    assert record is not None and record.count == len(expected)
    listing = trained_bundle.path / "training_texts.sha256"
    listing.write_text(listing.read_text().replace("0", "1", 1))
    with pytest.raises(BundleError, match="does not match its checksum"):
        read_training_text_hashes(load_bundle(trained_bundle.path))
