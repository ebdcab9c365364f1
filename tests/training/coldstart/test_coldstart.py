from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.bundle.store import load_bundle
from classifier.errors import TaxonomyError, TicketlensError
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from tests.conftest import _FEATURES, _WORDS, make_tickets, tickets_frame
from tests.fakes import HashingEmbedder
from training.cli import coldstart as cli_coldstart
from training.cli import coldstart_explore, root
from training.cli import train as cli_train
from training.coldstart import ColdStartModel, DiscoverConfig, discover, draft_taxonomy, select
from training.io.taxonomy import Taxonomy, load_taxonomy
from training.labeling.local import label_export

TAXONOMY = Taxonomy(
    {
        "category": {k: " ".join(v) for k, v in _WORDS.items()},
        "feature": {k: " ".join(v) for k, v in _FEATURES.items()},
    }
)
runner = CliRunner()


def unlabeled(tickets: list[Ticket]) -> list[Ticket]:
    return [t.model_copy(update={"labels": {}}) for t in tickets]


@pytest.fixture(autouse=True)
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_coldstart, "make_embedder", lambda *a, **k: HashingEmbedder())
    monkeypatch.setattr(cli_train, "make_embedder", lambda *a, **k: HashingEmbedder())

    def load(path: Path, cache_dir: Path | None) -> TicketClassifier:
        return TicketClassifier(load_bundle(path), HashingEmbedder())

    monkeypatch.setattr(cli_coldstart, "_load_model", load)
    monkeypatch.setattr(coldstart_explore, "_load_model", load)


def _train_zero_shot(export: Path, taxonomy: Path, models: Path) -> None:
    """`ticketlens train --zero-shot` through the CLI into `models/zs`."""
    args = ["train", str(export), "--zero-shot", "--taxonomy", str(taxonomy)]
    result = runner.invoke(root.app, [*args, "--models-dir", str(models), "--name", "zs"])
    assert result.exit_code == 0, result.output


def test_zero_shot_bundle_labels_an_export_and_says_it_had_no_labels(tmp_path: Path) -> None:
    truth = make_tickets(120, seed=5)
    model = ColdStartModel(HashingEmbedder(), TAXONOMY).fit(unlabeled(truth), source="x.csv")
    path = model.classifier_.save(tmp_path / "models")
    loaded = TicketClassifier(load_bundle(path), HashingEmbedder())
    assert loaded.manifest.training_kind == "zero_shot"
    export = tmp_path / "export.csv"
    tickets_frame(truth).to_csv(export, index=False)
    label_export(export, tmp_path / "labeled.csv", loaded)
    labeled = pd.read_csv(tmp_path / "labeled.csv", dtype=str, keep_default_na=False)
    assert (labeled["predicted_category"] == labeled["category"]).mean() > 0.9
    assert (labeled["predicted_feature"] == labeled["feature"]).mean() > 0.9


def test_zero_shot_refuses_a_label_without_description() -> None:
    taxonomy = Taxonomy({"category": {"billing": "invoice refund", "mystery": ""}})
    with pytest.raises(TaxonomyError, match="no description for 'mystery'"):
        ColdStartModel(HashingEmbedder(), taxonomy).fit(make_tickets(10), source="t.yaml")


def test_taxonomy_examples_are_read(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "fields:\n  category:\n    billing:\n      description: money\n"
        "      examples: [refund my invoice]\n    other: anything else\n"
    )
    taxonomy = load_taxonomy(path)
    assert taxonomy.fields["category"] == {"billing": "money", "other": "anything else"}
    assert taxonomy.examples["category"]["billing"] == ["refund my invoice"]


def test_suggest_returns_the_most_uncertain_rows_one_per_topic() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(8)[:4] * 10
    vectors = np.vstack([c + rng.normal(scale=0.1, size=(10, 8)) for c in centres])
    proba = np.tile([0.95, 0.05], (40, 1))
    # Rows 3 and 4 are near-duplicates in one topic, 17 and 29 in two others.
    proba[[3, 4, 17, 29]] = [[0.52, 0.48], [0.53, 0.47], [0.55, 0.45], [0.6, 0.4]]
    picks = select(vectors, 3, proba={"category": proba}, pool_factor=2)
    assert [p.row for p in picks] == [3, 17, 29]
    assert picks[0].uncertainty > picks[-1].uncertainty


def test_suggest_says_when_nothing_is_uncertain() -> None:
    proba = np.tile([0.9, 0.1], (10, 1))
    with pytest.raises(TicketlensError, match="nothing uncertain left"):
        select(np.eye(10), 3, proba={"c": proba}, uncertain=np.zeros(10, dtype=bool))


def _planted(n_per: int = 30) -> list[Ticket]:
    """Three topics; each ticket has its topic's words plus common filler words."""
    import random

    rng = random.Random(1)
    topics = {
        "refund": "refund invoice charged",
        "vpn": "vpn tunnel disconnects",
        "badge": "badge printer jams",
    }
    filler = ["please", "help", "today", "urgent", "thanks", "team", "again", "still"]
    tickets = []
    for name, words in topics.items():
        for i in range(n_per):
            extra = " ".join(rng.sample(filler, 2))
            tickets.append(Ticket(id=f"{name}-{i}", subject=words, body=f"{name} {extra}"))
    return tickets


def test_discovery_finds_planted_clusters_and_names_them_from_their_terms(tmp_path: Path) -> None:
    tickets = _planted()
    texts = [f"{t.subject} {t.body}" for t in tickets]
    vectors = HashingEmbedder().encode(texts)
    found = discover(tickets, texts, vectors, DiscoverConfig(min_cluster_size=10))
    assert sorted(c.size for c in found.clusters) == [30, 30, 30]
    for cluster in found.clusters:
        topic = cluster.representatives[0].split("-")[0]
        assert all(r.startswith(topic) for r in cluster.representatives)
        assert topic in cluster.terms[:3]
    draft = tmp_path / "draft.yaml"
    draft.write_text(draft_taxonomy(found))
    assert len(load_taxonomy(draft).labels("category")) == 3


def test_discovery_says_when_there_are_too_few_tickets() -> None:
    tickets = _planted(3)
    with pytest.raises(TicketlensError, match="too few to cluster"):
        discover(
            tickets, [t.body for t in tickets], HashingEmbedder().encode([t.body for t in tickets])
        )


def test_cold_start_path_through_the_cli(tmp_path: Path) -> None:
    truth = make_tickets(150, seed=2)
    export = tmp_path / "export.csv"
    tickets_frame(truth).to_csv(export, index=False)
    taxonomy = tmp_path / "taxonomy.yaml"
    import yaml

    taxonomy.write_text(yaml.safe_dump({"fields": TAXONOMY.fields}))
    models = tmp_path / "models"
    _train_zero_shot(export, taxonomy, models)
    to_label = tmp_path / "to_label.csv"
    result = runner.invoke(
        root.app,
        ["suggest", str(export), "--model", str(models / "zs"), "-n", "5", "-o", str(to_label)],
    )
    assert result.exit_code == 0, result.output
    picked = pd.read_csv(to_label, dtype=str, keep_default_na=False)
    assert {"ticket_id", "category", "category_top3", "uncertainty"} <= set(picked.columns)
    picked.loc[0, "category"] = "not_a_label"
    picked.to_csv(to_label, index=False)
    few_shot = [
        "train",
        str(export),
        "--taxonomy",
        str(taxonomy),
        "--labeled",
        str(to_label),
        "--models-dir",
        str(models),
        "--name",
        "fs",
    ]
    result = runner.invoke(root.app, few_shot)
    assert result.exit_code == 2
    assert "not_a_label" in result.output and "row" in result.output
    picked.loc[0, "category"] = truth[
        [t.id for t in truth].index(picked.loc[0, "ticket_id"])
    ].labels["category"]
    picked.to_csv(to_label, index=False)
    result = runner.invoke(root.app, [*few_shot, "--similar-index"])
    assert result.exit_code == 0, result.output
    assert load_bundle(models / "fs").manifest.training_kind == "few_shot"
    result = runner.invoke(
        root.app, ["similar", "--id", truth[0].id, "--model", str(models / "fs"), "-k", "3"]
    )
    assert result.exit_code == 0, result.output


def _known_and_new(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The planted export over three weeks and four accounts (`export`), the same without its
    badge tickets (`known`), and a zero-shot bundle trained on `known` from a taxonomy that
    lists only refund and vpn."""
    from datetime import datetime, timedelta

    import yaml

    start = datetime(2026, 3, 2)
    frame = pd.DataFrame(
        [
            {
                "id": t.id,
                "subject": t.subject,
                "body": t.body,
                "created_at": start + timedelta(days=7 * (i % 3)),
                "account_id": f"acct-{i % 4}",
            }
            for i, t in enumerate(_planted())
        ]
    )
    export = tmp_path / "export.csv"
    frame.to_csv(export, index=False)
    taxonomy = tmp_path / "taxonomy.yaml"
    known = {"refund": "refund invoice charged", "vpn": "vpn tunnel disconnects"}
    taxonomy.write_text(yaml.safe_dump({"fields": {"category": known}}))
    models = tmp_path / "models"
    known_export = tmp_path / "known.csv"
    frame[~frame["id"].str.startswith("badge")].to_csv(known_export, index=False)
    _train_zero_shot(known_export, taxonomy, models)
    return export, known_export, models / "zs"


def _discover(export: Path, model: Path, *extra: str) -> str:
    args = ["discover", str(export), "--model", str(model), "--min-cluster-size", "10"]
    result = runner.invoke(root.app, [*args, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_discover_with_a_model_lists_a_topic_the_taxonomy_lacks(tmp_path: Path) -> None:
    """The model knows refund and vpn; badge tickets, spread over three weeks, have no entry:
    the tickets the novelty signal flags (far from both labels) must surface as a candidate."""
    import json

    export, _, model = _known_and_new(tmp_path)
    page, found = tmp_path / "new.html", tmp_path / "discover.json"
    output = _discover(export, model, "--html", str(page), "--json", str(found))
    assert "candidate new categories" in output
    assert "badge" in output
    assert "possible duplicates" not in output  # badge tickets torn between refund and vpn
    html = page.read_text()
    assert "candidate new category" in html and "badge-" in html
    payload = json.loads(found.read_text())
    [candidate] = payload["candidate_new_categories"]
    assert (candidate["size"], candidate["weeks"], candidate["accounts"]) == (30, 3, 4)
    assert "badge" in candidate["terms"][:3]
    assert candidate["example_ids"] and all(
        i.startswith("badge-") for i in candidate["example_ids"]
    )
    assert len(payload["clusters"]) == 3
    assert "far from every label" in payload["novelty"]


def test_discover_with_a_model_lists_no_candidate_on_a_taxonomy_only_export(
    tmp_path: Path,
) -> None:
    import json

    _, known_export, model = _known_and_new(tmp_path)
    found = tmp_path / "discover.json"
    output = _discover(known_export, model, "--json", str(found))
    assert "no candidate new categories" in output
    payload = json.loads(found.read_text())
    assert payload["candidate_new_categories"] == []
    assert len(payload["clusters"]) == 2


def test_report_lists_the_candidates_of_a_discover_json_file(tmp_path: Path) -> None:
    from tests import ROOT

    export, _, model = _known_and_new(tmp_path)
    found = tmp_path / "discover.json"
    _discover(export, model, "--json", str(found))
    page = tmp_path / "report.html"
    sample = ROOT / "data" / "sample_tickets.csv"
    args = ["report", str(sample), "--candidates", str(found), "--html", str(page), "--wide"]
    result = runner.invoke(root.app, args)
    assert result.exit_code == 0, result.output
    assert "candidate new categories" in result.stdout and "badge-" in result.stdout
    html = page.read_text()
    assert "<h2>Candidate new categories</h2>" in html and "badge-" in html
    topics_only = tmp_path / "topics.json"
    topics_only.write_text(found.read_text().replace('"candidate_new_categories": [', '"x": ['))
    refused = runner.invoke(root.app, ["report", str(sample), "--candidates", str(topics_only)])
    assert refused.exit_code == 2 and "--model" in refused.output


@pytest.mark.parametrize("index", [True, False])
def test_discover_with_an_ordinary_bundle_uses_its_similar_index_or_says_confidence_only(
    tmp_path: Path, index: bool
) -> None:
    export, known_export, _ = _known_and_new(tmp_path)
    labeled = pd.read_csv(known_export, dtype=str)
    labeled["category"] = labeled["id"].str.split("-").str[0]
    labeled.to_csv(known_export, index=False)
    args = ["train", str(known_export), "--models-dir", str(tmp_path / "m"), "--name", "lr"]
    result = runner.invoke(root.app, [*args, *(["--similar-index"] if index else [])])
    assert result.exit_code == 0, result.output
    output = _discover(export, tmp_path / "m" / "lr")
    if index:
        assert "similar index" in output
        assert "badge" in output.split("candidate new categories")[1]
    else:
        assert "confidence only" in output
