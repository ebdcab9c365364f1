"""A helpdesk team's first day: each real-looking export goes train → label → evaluate → report
with no column flags, and the right columns and weeks are read; each ambiguity names its fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests import exports
from tests.fakes import HashingEmbedder
from training import cli
from training.cli import common as cli_common
from training.cli import train as cli_train

runner = CliRunner()


@pytest.fixture(autouse=True)
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(*args: object, **kwargs: object) -> HashingEmbedder:
        return HashingEmbedder()

    monkeypatch.setattr(cli_train, "make_embedder", fake)
    monkeypatch.setattr(cli_common, "make_embedder", fake)


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


CASES: dict[str, tuple[Callable[[Path], Path], str, list[str], dict[str, str]]] = {
    # name: (writer, file name, train flags, the report's inputs)
    "zendesk dd/mm csv": (
        exports.zendesk_csv, "zendesk.csv", ["--preset", "zendesk"],
        {"created_at": "Created at", "account_id": "Organization",
         "csat": "'Satisfaction Score' (Good/Bad answers; Offered = no answer)",
         "resolution_hours": "'Full resolution time in minutes' (minutes)"},
    ),
    "zendesk mm/dd csv": (
        lambda p: exports.zendesk_csv(p, day_first=False), "us.csv", ["--preset", "zendesk"],
        {"created_at": "Created at", "account_id": "Organization"},
    ),
    "freshdesk xlsx": (
        exports.freshdesk_xlsx, "freshdesk.xlsx", ["--preset", "freshdesk"],
        {"created_at": "Created time", "account_id": "Company Name",
         "resolution_hours": "'Resolution time (in hrs)' (hours)"},
    ),
    "jira json array": (
        exports.jira_json, "jira.json", ["--preset", "jira"],
        {"created_at": "Created", "account_id": "Reporter"},
    ),
    "cp1252 csv": (
        exports.legacy_csv, "legacy.csv", [],
        {"created_at": "created_at", "csat": "'csat' (1–5 score, 4+ satisfied)"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_export_train_label_evaluate_report(tmp_path: Path, case: str) -> None:
    pytest.importorskip("openpyxl")  # writes the .xlsx
    writer, name, flags, inputs = CASES[case]
    export = writer(tmp_path / name)
    models = tmp_path / "models"
    code, out, err = run("train", export, "--models-dir", models, "--name", "m1", *flags)
    assert code == 0, err + out
    assert "category: cross-validated" in out
    model = models / "current"

    labeled = tmp_path / "labeled.csv"
    code, out, err = run("label", export, "--model", model, "-o", labeled)
    assert code == 0, err
    assert len(pd.read_csv(labeled)) == 150

    code, out, err = run("evaluate", export, "--model", model, "--json")
    assert code == 0, err
    assert json.loads(out)["fields"]["category"]["n"] == 150

    code, out, err = run("report", labeled, "--model", model, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["weeks"] == ["2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25", "2024-04-01"]
    assert sum(report["tickets_per_week"]) == 150
    for what, column in inputs.items():
        assert report["inputs"][what] == column, report["inputs"]


def test_ambiguous_dates_are_refused_naming_the_fix(tmp_path: Path) -> None:
    frame = pd.read_csv(exports.zendesk_csv(tmp_path / "z.csv"), dtype=str)
    frame = frame[frame["Created at"].str[:2].astype(int) <= 12]  # no day over 12 is left
    frame.to_csv(tmp_path / "ambiguous.csv", index=False)
    code, _, err = run("train", tmp_path / "ambiguous.csv", "--models-dir", tmp_path / "m")
    assert code == 2
    assert "'Created at'" in err and "--date-format" in err and "date_format:" in err
    code, _, err = run(
        "train", tmp_path / "ambiguous.csv", "--models-dir", tmp_path / "m",
        "--date-format", "day-first", "--allow-small",
    )  # fmt: skip
    assert code == 0, err


def test_a_contradicting_date_format_is_refused(tmp_path: Path) -> None:
    export = exports.zendesk_csv(tmp_path / "z.csv")
    code, _, err = run(
        "train", export, "--models-dir", tmp_path / "m", "--date-format", "month-first"
    )
    assert code == 2 and "is day-first" in err and "--date-format" in err


def test_thin_classes_are_flagged_unknown_class(tmp_path: Path) -> None:
    rows = exports.tickets()
    thin = [
        {**row, "id": 9000 + i, "category": "delivery", "subject": f"pallet freight crate {i}",
         "body": "pallet freight crate forklift warehouse dock"}
        for i, row in enumerate(rows[:4])
    ]  # fmt: skip
    frame = pd.DataFrame(rows + thin).rename(columns={"created": "created_at"})
    frame["created_at"] = frame["created_at"].astype(str)
    path = tmp_path / "thin.csv"
    frame.drop(columns=["csat", "minutes"]).to_csv(path, index=False)
    models = tmp_path / "models"
    code, out, err = run("train", path, "--models-dir", models, "--name", "m1")
    assert code == 0, err
    assert out.count("delivery") == 1 and "excluded" in out
    new = tmp_path / "next.csv"
    more = [
        {"id": f"N{i}", "subject": "pallet freight crate", "body": "forklift warehouse dock pallet"}
        for i in range(3)
    ] + [{"id": "N9", "subject": "invoice charged twice", "body": "refund card payment"}]
    pd.DataFrame(more).to_csv(new, index=False)
    labeled = tmp_path / "labeled.csv"
    code, _, err = run("label", new, "--model", models / "current", "-o", labeled)
    assert code == 0, err
    result = pd.read_csv(labeled).set_index("id")
    reasons = result["predicted_category_review_reason"]
    assert (reasons[["N0", "N1", "N2"]] == "unknown_class").all(), reasons
    assert reasons["N9"] != "unknown_class"


def test_too_few_labels_are_refused_with_the_numbers(tmp_path: Path) -> None:
    frame = pd.DataFrame(exports.tickets()).rename(columns={"created": "created_at"})
    frame.loc[frame.index >= 25, "category"] = ""  # 25 labeled of 150
    path = tmp_path / "sparse.csv"
    frame.drop(columns=["csat", "minutes"]).to_csv(path, index=False)
    code, _, err = run("train", path, "--models-dir", tmp_path / "m")
    assert code == 2
    assert "25 usable labeled tickets in 5 class(es)" in err and "--allow-small" in err
    code, _, err = run("train", path, "--models-dir", tmp_path / "m", "--allow-small")
    assert code == 0, err


def test_markup_in_a_column_name_is_shown_as_text(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    pd.DataFrame({"id": ["1"], "subject": ["x"], "Category [list]": ["a"]}).to_csv(path)
    code, _, err = run(
        "train", path, "--models-dir", tmp_path / "m", "--label", "category=Category [bold]"
    )
    assert code == 2
    assert "'Category [bold]'" in err and "Category [list]" in err
