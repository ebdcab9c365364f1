from pathlib import Path

from classifier.similar import SimilarIndex, write_index
from serve.settings import Settings
from tests.fakes import HashingEmbedder
from tests.serve.conftest import AUTH, running_client, wait_ready


def test_post_similar_answers_from_the_bundle_index(settings: Settings, tmp_path: Path) -> None:
    texts = ["refund my invoice", "vpn keeps dropping", "invoice charged twice refund"]
    index = SimilarIndex.build(
        HashingEmbedder().encode(texts),
        ["A", "B", "C"],
        {"category": ["billing", "tech", "billing"]},
    )
    bundle = tmp_path / "indexed"
    import shutil

    shutil.copytree(settings.model_path.resolve(), bundle)
    write_index(bundle, index)
    with running_client(settings.model_copy(update={"model_path": bundle})) as client:
        wait_ready(client)
        answer = client.post("/similar", json={"body": "refund invoice", "k": 2}, headers=AUTH)
        assert answer.status_code == 200, answer.text
        found = answer.json()["tickets"]
        assert [t["id"] for t in found][:1] in (["A"], ["C"]) and {t["id"] for t in found} == {
            "A",
            "C",
        }
        assert found[0]["labels"] == {"category": "billing"}
        by_id = client.post("/similar", json={"id": "B", "k": 1}, headers=AUTH).json()
        assert by_id["tickets"][0]["id"] != "B"
        assert client.post("/similar", json={"k": 1}, headers=AUTH).status_code == 422
        assert client.post("/similar", json={"id": "nope"}, headers=AUTH).status_code == 404


def test_post_similar_without_an_index_is_409(settings: Settings) -> None:
    with running_client(settings) as client:
        wait_ready(client)
        answer = client.post("/similar", json={"body": "refund"}, headers=AUTH)
        assert answer.status_code == 409
        assert "--similar-index" in answer.json()["detail"]
