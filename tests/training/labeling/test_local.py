from pathlib import Path

import pandas as pd
import pytest

from classifier.bundle.store import Bundle
from classifier.errors import ExportFormatError
from classifier.predictor import TicketClassifier
from classifier.records import NO_LABEL
from tests.conftest import make_tickets, tickets_frame
from tests.fakes import HashingEmbedder
from training.analytics.frame import load_export
from training.analytics.weekly import counts
from training.labeling.local import label_export, work_dir_for


class Crash(Exception):
    pass


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    frame = tickets_frame(make_tickets(50, seed=3))
    frame["tier"] = "pro"
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_output_keeps_original_columns_and_adds_predictions(
    tmp_path: Path, export: Path, trained_bundle: Bundle, suffix: str
) -> None:
    output = tmp_path / f"labeled{suffix}"
    classifier = TicketClassifier(trained_bundle, HashingEmbedder())
    summary = label_export(export, output, classifier, chunk_rows=16)
    labeled = _read(output)
    original = pd.read_csv(export, dtype=str, keep_default_na=False)
    assert len(labeled) == 50 == summary.rows
    assert list(labeled.columns[: len(original.columns)]) == list(original.columns)
    assert labeled["ticket_id"].astype(str).tolist() == original["ticket_id"].tolist()
    for column in (
        "predicted_category",
        "predicted_category_confidence",
        "predicted_category_top3",
        "predicted_feature_needs_review",
        "model_version",
    ):
        assert column in labeled.columns
    agreement = (labeled["predicted_category"] == labeled["category"]).mean()
    assert agreement > 0.9
    assert sum(summary.counts["category"].values()) == 50
    assert not work_dir_for(output).exists()


def test_killed_job_resumes_without_losing_or_duplicating_rows(
    tmp_path: Path, export: Path, trained_bundle: Bundle
) -> None:
    clean_output = tmp_path / "clean.csv"
    label_export(
        export, clean_output, TicketClassifier(trained_bundle, HashingEmbedder()), chunk_rows=8
    )

    output = tmp_path / "resumed.csv"
    chunks_done = []

    def crash_after_three(rows: int) -> None:
        chunks_done.append(rows)
        if len(chunks_done) == 3:
            raise Crash

    with pytest.raises(Crash):
        label_export(
            export,
            output,
            TicketClassifier(trained_bundle, HashingEmbedder()),
            chunk_rows=8,
            on_progress=crash_after_three,
        )
    assert not output.exists()
    assert len(list(work_dir_for(output).glob("part-*.parquet"))) == 3

    embedder = HashingEmbedder()
    summary = label_export(export, output, TicketClassifier(trained_bundle, embedder), chunk_rows=8)
    assert summary.chunks_resumed == 3
    assert sum(embedder.calls) == 50 - 3 * 8  # finished chunks are not embedded again
    pd.testing.assert_frame_equal(_read(output), _read(clean_output))


def test_leftovers_of_another_job_are_discarded(
    tmp_path: Path, export: Path, trained_bundle: Bundle
) -> None:
    output = tmp_path / "out.csv"
    work = work_dir_for(output)
    work.mkdir()
    (work / "job.json").write_text('{"input": "something else"}')
    (work / "part-000000.parquet").write_text("stale")
    summary = label_export(export, output, TicketClassifier(trained_bundle, HashingEmbedder()))
    assert summary.chunks_resumed == 0
    assert len(_read(output)) == 50


def test_failed_run_keeps_the_previous_output(
    tmp_path: Path, export: Path, trained_bundle: Bundle
) -> None:
    output = tmp_path / "out.csv"
    output.write_text("previous results\n")
    bad = tmp_path / "dupes.csv"
    frame = tickets_frame(make_tickets(10))
    pd.concat([frame, frame.iloc[[2]]]).to_csv(bad, index=False)
    with pytest.raises(ExportFormatError, match="duplicate ticket id 'T-0002' in rows 3 and 11"):
        label_export(bad, output, TicketClassifier(trained_bundle, HashingEmbedder()))
    assert output.read_text() == "previous results\n"


def test_unsupported_output_format(tmp_path: Path, export: Path, trained_bundle: Bundle) -> None:
    with pytest.raises(ExportFormatError, match=r"unsupported output format '\.xlsx'"):
        label_export(
            export, tmp_path / "out.xlsx", TicketClassifier(trained_bundle, HashingEmbedder())
        )


def test_a_ticket_without_text_is_counted_and_read_back_under_one_no_label(
    tmp_path: Path, trained_bundle: Bundle
) -> None:
    frame = tickets_frame(make_tickets(6, seed=5))
    frame.loc[2, ["subject", "body"]] = ""
    frame["created_at"] = "2026-01-05"
    source = tmp_path / "with-empty.csv"
    frame.to_csv(source, index=False)
    output = tmp_path / "labeled.csv"
    summary = label_export(source, output, TicketClassifier(trained_bundle, HashingEmbedder()))
    assert summary.counts["category"][NO_LABEL] == 1
    assert _read(output).loc[2, "predicted_category_review_reason"] == "empty"

    analytics = load_export(output)
    assert analytics.data["category"].tolist().count(NO_LABEL) == 1
    weekly = counts(analytics, "category")
    assert NO_LABEL not in weekly.columns and int(weekly.to_numpy().sum()) == 5
