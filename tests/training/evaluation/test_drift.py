"""Share drift agrees with scipy; the `drift` command reads exports, bundles and prediction logs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, chisquare
from typer.testing import CliRunner

from classifier.bundle.store import Bundle, load_bundle
from tests.conftest import make_tickets
from tests.fakes import HashingEmbedder
from training import cli
from training.analytics import frame_from_table
from training.evaluation.drift import P_VALUE_NOTE, field_drift
from training.evaluation.shares import compare_shares
from training.fit.train import TrainConfig, train

runner = CliRunner()
START = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    result = train(
        make_tickets(240),
        HashingEmbedder(),
        TrainConfig(name="unit"),
        models_dir=tmp_path_factory.mktemp("models"),
        source="unit",
    )
    return load_bundle(result.bundle_path)


def _labeled(weekly: list[dict[str, int]], review: float = 0.0) -> pd.DataFrame:
    rows = []
    for week, per_label in enumerate(weekly):
        for label, n in per_label.items():
            for i in range(n):
                rows.append(
                    {
                        "ticket_id": f"T-{len(rows)}",
                        "created_at": (
                            START + timedelta(weeks=week, hours=i * 37 % 160)
                        ).isoformat(),
                        "account_id": f"A{i % 7}",
                        "predicted_category": label,
                        "predicted_category_needs_review": str(i < review * n),
                    }
                )
    return pd.DataFrame(rows)


def test_share_changes_and_effect_sizes_agree_with_scipy() -> None:
    reference = pd.Series({"a": 50.0, "b": 30.0, "c": 20.0})
    current = pd.Series({"a": 400, "b": 300, "c": 300})
    result = compare_shares(reference, current, threshold_pp=5)
    shifts = {s.label: s for s in result.shifts}
    assert shifts["a"].change_pp == pytest.approx(-10) and shifts["a"].flagged
    assert shifts["c"].change_pp == pytest.approx(10) and not shifts["b"].flagged
    assert shifts["a"].low_pp < -10 < shifts["a"].high_pp < -5
    assert result.linf_pp == pytest.approx(10)
    expected_js = jensenshannon([50, 30, 20], [40, 30, 30], base=2)
    assert result.js_distance == pytest.approx(expected_js)
    fit = chisquare([400, 300, 300], [500, 300, 200])
    assert result.chi2 == pytest.approx(fit.statistic)
    assert result.p_value == pytest.approx(fit.pvalue)


def test_the_same_move_in_100_tickets_is_sampling_noise() -> None:
    reference = pd.Series({"a": 50.0, "b": 30.0, "c": 20.0})
    small = compare_shares(reference, pd.Series({"a": 42, "b": 33, "c": 25}), threshold_pp=5)
    a = next(s for s in small.shifts if s.label == "a")
    assert a.change_pp == pytest.approx(-8) and a.low_pp < -8 < a.high_pp
    assert a.q_value > 0.05 and not small.flagged
    large = compare_shares(reference, pd.Series({"a": 420, "b": 330, "c": 250}), threshold_pp=5)
    assert [s.label for s in large.flagged] == ["a", "c"]


def test_two_exports_use_a_contingency_test_and_unknown_labels_are_listed() -> None:
    reference = pd.Series({"a": 60.0, "b": 40.0})
    current = pd.Series({"a": 30, "b": 50, "new": 20})
    result = compare_shares(reference, current, reference_n=200)
    expected = chi2_contingency(np.array([[120, 80, 0], [30, 50, 20]]))
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.unknown_labels == {"new": 20}


def test_per_window_and_week_over_week_drift_with_the_review_share() -> None:
    table = _labeled([{"a": 50, "b": 50}, {"a": 50, "b": 50}, {"a": 20, "b": 80}], review=0.1)
    frame = frame_from_table(table, source="x.csv")
    drift = field_drift(frame, "category", pd.Series({"a": 50.0, "b": 50.0}), reference_name="r")
    assert [w.window for w in drift.windows] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert drift.windows[0].vs_previous is None
    last = drift.windows[-1]
    assert last.vs_reference.linf_pp == pytest.approx(30)
    assert last.vs_previous is not None and last.vs_previous.linf_pp == pytest.approx(30)
    assert [s.label for s in last.vs_reference.flagged] == ["a", "b"]
    assert last.needs_review_pct == pytest.approx(10)
    assert drift.windows[1].vs_reference.linf_pp == 0


def test_drift_command_against_a_reference_export(tmp_path: Path) -> None:
    current, reference = tmp_path / "current.csv", tmp_path / "reference.csv"
    _labeled([{"a": 50, "b": 50}, {"a": 20, "b": 80}]).to_csv(current, index=False)
    _labeled([{"a": 50, "b": 50}]).to_csv(reference, index=False)
    html = tmp_path / "drift.html"
    args = ["drift", "--current", str(current), "--reference", str(reference)]
    result = runner.invoke(cli.app, [*args, "--json", "--html", str(html)])
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["note"] == P_VALUE_NOTE
    last = payload["fields"][0]["windows"][-1]
    assert last["vs_reference"]["linf_pp"] == pytest.approx(30)
    assert "<svg" in html.read_text()
    table = runner.invoke(cli.app, args)
    assert table.exit_code == 0 and "p-value flags even tiny" in table.stdout.replace("\n", " ")


def test_drift_command_defaults_to_the_bundle_training_shares(
    tmp_path: Path, bundle: Bundle
) -> None:
    current = tmp_path / "current.csv"
    weekly = [{"billing": 30, "login_access": 30, "technical_issue": 30, "refunds": 10}] * 2
    _labeled(weekly).to_csv(current, index=False)
    args = ["drift", "--current", str(current), "--model", str(bundle.path), "--json"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.stderr
    overall = json.loads(result.stdout)["fields"][0]["overall"]
    assert overall["unknown_labels"] == {"refunds": 20}
    text = runner.invoke(cli.app, args[:-1]).stdout
    assert "labels absent from the reference" in text and "refunds" in text


def test_drift_reads_a_prediction_log(tmp_path: Path, bundle: Bundle) -> None:
    predlog = pytest.importorskip("classifier.predlog", reason="the prediction log is not there")
    from classifier.predictor import TicketClassifier

    tickets = [
        t.model_copy(update={"created_at": START + timedelta(days=i % 20)})
        for i, t in enumerate(make_tickets(60))
    ]
    predictions = TicketClassifier(bundle, HashingEmbedder()).predict(tickets)
    url = f"sqlite:///{tmp_path / 'log.sqlite'}"
    store = predlog.PredictionStore(url)
    store.create_tables()
    store.record_predictions(tickets, predictions)
    store.dispose()
    args = ["drift", "--current", url, "--model", str(bundle.path), "--field", "category"]
    result = runner.invoke(cli.app, [*args, "--json"])
    assert result.exit_code == 0, result.stderr
    field = json.loads(result.stdout)["fields"][0]
    assert field["source_column"] == "predicted_category" and field["overall"]["n"] == 60
    assert len(field["windows"]) == 3


def test_a_field_the_model_lacks_is_an_error(tmp_path: Path, bundle: Bundle) -> None:
    current = tmp_path / "current.csv"
    table = _labeled([{"x": 5}]).rename(columns={"predicted_category": "predicted_priority"})
    table.drop(columns="predicted_category_needs_review").to_csv(current, index=False)
    result = runner.invoke(
        cli.app, ["drift", "--current", str(current), "--model", str(bundle.path)]
    )
    assert result.exit_code == 2
    assert "has no field priority" in result.stderr


def test_report_reads_a_prediction_log_by_url(tmp_path: Path, bundle: Bundle) -> None:
    predlog = pytest.importorskip("classifier.predlog", reason="the prediction log is not there")
    from classifier.predictor import TicketClassifier

    tickets = [
        t.model_copy(
            update={"created_at": START + timedelta(days=i % 20), "account_id": f"A{i % 9}"}
        )
        for i, t in enumerate(make_tickets(60))
    ]
    predictions = TicketClassifier(bundle, HashingEmbedder()).predict(tickets)
    url = f"sqlite:///{tmp_path / 'log.sqlite'}"
    store = predlog.PredictionStore(url)
    store.create_tables()
    store.record_predictions(tickets, predictions)
    store.dispose()
    result = runner.invoke(cli.app, ["report", url, "--json"])
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["tickets"] == 60 and len(payload["weeks"]) == 3
    assert payload["fields"]["category"]["source_column"] == "predicted_category"
