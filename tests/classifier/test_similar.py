import numpy as np
import pytest

from classifier.bundle.store import load_bundle
from classifier.errors import BundleError
from classifier.similar import SimilarIndex, read_index, write_index
from tests.conftest import make_tickets
from tests.fakes import HashingEmbedder
from training.fit.train import TrainConfig, train


def test_nearest_tickets_come_first_with_their_labels() -> None:
    vectors = np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    index = SimilarIndex.build(vectors, ["a", "b", "c", "d"], {"category": ["x", "y", "", "z"]})
    (found,) = index.query(np.array([0.9, 0.1, 0.0]), 3)
    assert [n.id for n in found] == ["a", "b", "c"]
    assert found[0].labels == {"category": "x"} and found[2].labels == {}
    assert found[0].score == pytest.approx(0.9 / np.hypot(0.9, 0.1), rel=1e-5)
    (by_id,) = index.query(index.vector_of("a"), 1, skip_id="a")  # type: ignore[arg-type]
    assert by_id[0].id == "b"


def test_index_round_trips_through_a_bundle_and_is_verified(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = train(
        make_tickets(60), HashingEmbedder(), TrainConfig(name="m"), models_dir=tmp_path, source="t"
    )
    index = SimilarIndex.build(np.eye(4), ["a", "b", "c", "d"], {"category": ["x"] * 4})
    write_index(result.bundle_path, index)
    bundle = load_bundle(result.bundle_path)
    loaded = read_index(bundle)
    assert loaded is not None and loaded.ids.tolist() == ["a", "b", "c", "d"]
    (result.bundle_path / "similar_index.npz").write_bytes(b"tampered")
    with pytest.raises(BundleError, match="checksum"):
        read_index(bundle)
