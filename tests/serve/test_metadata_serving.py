"""A bundle with segment heads served: `POST /classify` reads the segment from `metadata`."""

from pathlib import Path

from serve.settings import Settings
from tests.fakes import HashingEmbedder
from tests.serve.conftest import AUTH, running_client, wait_ready
from tests.training.fit.test_metadata import _repo_tickets
from training.fit.train import TicketModel, TrainConfig


def test_post_classify_reads_the_segment_from_the_ticket_metadata(
    settings: Settings, tmp_path: Path
) -> None:
    config = TrainConfig(fields=("type",), name="seg", segment="repo", text_features=False)
    model = TicketModel(HashingEmbedder(), config).fit(_repo_tickets(240))
    bundle = model.save(tmp_path / "models")
    with running_client(settings.model_copy(update={"model_path": bundle})) as client:
        wait_ready(client)
        labels = {}
        for repo in ("alpha", "beta"):
            ticket = {"id": repo, "body": "crash freeze error", "metadata": {"repo": repo}}
            answer = client.post("/classify", json=ticket, headers=AUTH)
            assert answer.status_code == 200, answer.text
            labels[repo] = answer.json()["fields"]["type"]["label"]
        assert labels == {"alpha": "bug", "beta": "feature"}
