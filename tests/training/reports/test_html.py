"""The HTML pages escape what the data holds and show each column to the digits it needs."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.training.analytics import synthetic
from training import cli
from training.reports.charts import Table

runner = CliRunner()
HOSTILE = "<script>alert(1)</script>"


def test_a_label_with_markup_is_escaped_in_the_report_page(tmp_path: Path) -> None:
    table = synthetic.with_ids(synthetic.steady(weeks=6))
    table["category"] = table["category"].replace("bug", HOSTILE)
    export, page = tmp_path / "tickets.csv", tmp_path / "report.html"
    table.to_csv(export, index=False)
    result = runner.invoke(cli.app, ["report", str(export), "--html", str(page)])
    assert result.exit_code == 0, result.stderr
    text = page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script" not in text


def test_table_cells_use_each_columns_digits_and_a_dash_for_missing_numbers() -> None:
    table = Table(["window", "p", "L∞ pp"], [["03-02", 0.01234, None], ["03-09", 0.5, 12.345]],
                  digits=[0, 3, 1])  # fmt: skip
    assert table.cells() == [["03-02", "0.012", "—"], ["03-09", "0.500", "12.3"]]


def test_a_value_that_rounds_to_zero_has_no_sign() -> None:
    table = Table(["label", "slope"], [["a", -0.04], ["b", -0.06]], digits=[0, 1])
    assert table.cells() == [["a", "0.0"], ["b", "-0.1"]]
