"""Streaming readers: the same tickets from every format, and errors that point at the row."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from classifier.errors import ExportFormatError
from classifier.records import Ticket
from training.io.columns import detect_mapping
from training.io.id_guard import DuplicateIdGuard
from training.io.readers import count_rows, iter_export, read_columns
from training.io.tickets import tickets_from_frame

ROWS = [
    {
        "ticket_id": "T-1",
        "subject": "Charged twice",
        "body": "My card was charged twice, please refund",
        "created_at": "2024-03-01T09:30:00Z",
        "account_id": "ACC-1",
        "category": "billing",
        "feature": "",
        "csat": "4",
    },
    {
        "ticket_id": "T-2",
        "subject": "SSO broken",
        "body": "Login loops back;\nthen shows a blank page",
        "created_at": "2024-03-02 14:00",
        "account_id": "ACC-2",
        "category": "login_access",
        "feature": "sso",
        "csat": "",
    },
    {
        "ticket_id": "T-3",
        "subject": "Export",
        "body": "Reports export is empty",
        "created_at": "",
        "account_id": "",
        "category": "",
        "feature": "reports",
        "csat": "great",
    },
]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    elif path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=2)
    else:
        sep = "\t" if path.suffix == ".tsv" else ","
        pd.DataFrame(rows).to_csv(path, index=False, sep=sep)
    return path


def _tickets(path: Path, **options: object) -> list[Ticket]:
    mapping = detect_mapping(read_columns(path, **options), source=str(path))  # type: ignore[arg-type]
    guard = DuplicateIdGuard(path)
    tickets: list[Ticket] = []
    for frame in iter_export(path, chunk_rows=2, **options):  # type: ignore[arg-type]
        chunk = tickets_from_frame(frame, mapping, source=str(path), first_row=len(tickets) + 1)
        guard.check(chunk, first_row=len(tickets) + 1)
        tickets.extend(chunk)
    return tickets


def test_csv_jsonl_and_parquet_give_the_same_tickets(tmp_path: Path) -> None:
    from_csv = _tickets(_write(tmp_path / "t.csv", ROWS))
    assert _tickets(_write(tmp_path / "t.jsonl", ROWS)) == from_csv
    assert _tickets(_write(tmp_path / "t.parquet", ROWS)) == from_csv
    assert [t.id for t in from_csv] == ["T-1", "T-2", "T-3"]
    assert from_csv[1].body == "Login loops back;\nthen shows a blank page"
    assert from_csv[0].labels == {"category": "billing"}
    assert from_csv[0].metadata == {"csat": 4.0}


@pytest.mark.parametrize(("suffix", "sep"), [(".csv", ";"), (".csv", "|"), (".tsv", "\t")])
def test_delimiter_is_sniffed(tmp_path: Path, suffix: str, sep: str) -> None:
    path = tmp_path / f"export{suffix}"
    pd.DataFrame(ROWS).to_csv(path, index=False, sep=sep)
    assert read_columns(path) == list(ROWS[0])
    assert [t.subject for t in _tickets(path)] == ["Charged twice", "SSO broken", "Export"]


def test_forcing_the_wrong_delimiter_says_which_one_it_looks_like(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    pd.DataFrame(ROWS).to_csv(path, index=False, sep=";")
    with pytest.raises(ExportFormatError, match="looks like ';'-delimited") as caught:
        list(iter_export(path, delimiter=","))
    assert "delimiter=';'" in str(caught.value)


def test_a_header_that_cannot_be_split_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text('"id;subject;body"\n"1;a;b"\n', encoding="utf-8")
    with pytest.raises(ExportFormatError, match="looks like ';'-delimited"):
        read_columns(path)


def test_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffid,subject\n1,Hello\n".encode())
    assert read_columns(path) == ["id", "subject"]


def test_missing_file_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ExportFormatError, match="file not found"):
        list(iter_export(tmp_path / "nope.csv"))
    odd = tmp_path / "export.numbers"
    odd.write_bytes(b"PK")
    with pytest.raises(ExportFormatError, match=r"unsupported file type.*\.csv.*\.parquet"):
        read_columns(odd)
    broken = tmp_path / "export.xlsx"
    broken.write_bytes(b"PK")
    with pytest.raises(ExportFormatError, match="not a readable Excel workbook"):
        read_columns(broken)


@pytest.mark.parametrize("name", ["empty.csv", "empty.jsonl", "empty.parquet"])
def test_empty_file_has_no_tickets(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(ExportFormatError, match="no tickets") as caught:
        list(iter_export(path))
    assert caught.value.file == str(path)


def test_header_only_file_has_no_tickets(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("id,subject,body\n", encoding="utf-8")
    assert read_columns(path) == ["id", "subject", "body"]
    assert count_rows(path) == 0
    with pytest.raises(ExportFormatError, match="no tickets"):
        list(iter_export(path))


def test_non_utf8_csv_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,subject\n1,ok\n2,caf\xe9 au lait\n3,ok\n".encode("latin-1"))
    with pytest.raises(ExportFormatError, match="0xe9 is not valid utf-8") as caught:
        list(iter_export(path, encoding="utf-8"))
    assert (caught.value.row, caught.value.field) == (2, "subject")
    assert "--encoding" in str(caught.value)
    latin = [frame for frame in iter_export(path, encoding="latin-1")]
    assert latin[0]["subject"].tolist()[1] == "café au lait"


def test_non_utf8_jsonl_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "1", "body": "ok"}\n{"id": "2", "body": "caf\xe9"}\n')
    with pytest.raises(ExportFormatError, match="line 2") as caught:
        list(iter_export(path, encoding="utf-8"))
    assert caught.value.row == 2


def test_a_legacy_encoding_is_detected_and_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes("id,subject\n1,caf\xe9 \u2013 d\xe9j\xe0 vu\n".encode("cp1252"))
    with caplog.at_level("WARNING"):
        frames = list(iter_export(path))
    assert frames[0]["subject"].tolist() == ["caf\xe9 \u2013 d\xe9j\xe0 vu"]
    assert "read as cp1252" in caplog.text and "--encoding" in caplog.text


def test_json_array_and_xlsx_read_like_csv(tmp_path: Path) -> None:
    rows = [{"id": 4713, "subject": "Refund", "via": {"channel": "email"}}, {"id": 4714}]
    array = tmp_path / "tickets.json"
    array.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    assert read_columns(array) == ["id", "subject", "via.channel"]
    frame = next(iter_export(array))
    assert frame.to_dict("records") == [
        {"id": "4713", "subject": "Refund", "via.channel": "email"},
        {"id": "4714", "subject": "", "via.channel": ""},
    ]
    assert count_rows(array) == 2
    lines = tmp_path / "lines.json"
    lines.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert next(iter_export(lines))["id"].tolist() == ["4713", "4714"]
    pytest.importorskip("openpyxl")
    book = tmp_path / "tickets.xlsx"
    pd.DataFrame({"id": [4713, 4714], "subject": ["Refund", None]}).to_excel(book, index=False)
    assert read_columns(book) == ["id", "subject"]
    chunks = list(iter_export(book, chunk_rows=1))
    assert [c["id"].tolist() for c in chunks] == [["4713"], ["4714"]]
    assert chunks[1]["subject"].tolist() == [""] and chunks[1].index[0] == 1
    assert count_rows(book) == 2


def test_malformed_jsonl_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "1", "body": "a"}\n\n{"id": "2", "body": "b"\n', encoding="utf-8")
    with pytest.raises(ExportFormatError, match="line 3 is not valid JSON") as caught:
        list(iter_export(path))
    assert caught.value.row == 2  # the blank line is not a record


def test_jsonl_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "list.jsonl"
    path.write_text('["id", "body"]\n', encoding="utf-8")
    with pytest.raises(ExportFormatError, match="line 1 is a JSON list"):
        list(iter_export(path))


def test_ragged_csv_row_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("id,subject\n1,a\n2,b\n3,c,extra\n", encoding="utf-8")
    with pytest.raises(ExportFormatError, match="line 4 has 3 fields but the header has 2") as e:
        list(iter_export(path))
    assert e.value.row == 3


def test_duplicate_ids_across_chunks_name_both_rows(tmp_path: Path) -> None:
    rows = [{"id": f"T-{i}", "body": "x"} for i in range(5)] + [{"id": "T-1", "body": "y"}]
    path = _write(tmp_path / "dupes.csv", rows)
    with pytest.raises(ExportFormatError, match="'T-1' in rows 2 and 6") as caught:
        _tickets(path)
    assert caught.value.row == 6


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_chunks_are_deterministic_and_sized(tmp_path: Path, suffix: str) -> None:
    rows = [{"id": str(i), "body": f"text {i}"} for i in range(10)]
    path = _write(tmp_path / f"t{suffix}", rows)  # Parquet row groups of 2 get re-batched
    first = list(iter_export(path, chunk_rows=4))
    again = list(iter_export(path, chunk_rows=4))
    assert [len(frame) for frame in first] == [4, 4, 2]
    assert all(a.equals(b) for a, b in zip(first, again, strict=True))
    assert [frame.index[0] for frame in first] == [0, 4, 8]
    assert pd.concat(first)["id"].tolist() == [str(i) for i in range(10)]
    assert count_rows(path) == 10


def test_cells_are_strings_with_empty_for_missing(tmp_path: Path) -> None:
    path = tmp_path / "typed.jsonl"
    lines = ['{"id": 7, "csat": 4.5}', '{"id": 8, "vip": true, "via": {"channel": "email"}}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read_columns(path) == ["id", "csat", "vip", "via.channel"]
    (frame,) = iter_export(path)
    assert frame.to_dict("records") == [
        {"id": "7", "csat": "4.5", "vip": "", "via.channel": ""},
        {"id": "8", "csat": "", "vip": "true", "via.channel": "email"},
    ]
    table = pa.Table.from_pylist([{"id": 7, "via": {"channel": "email"}}, {"id": None}])
    pq.write_table(table, tmp_path / "typed.parquet")
    assert read_columns(tmp_path / "typed.parquet") == ["id", "via.channel"]
    (frame,) = iter_export(tmp_path / "typed.parquet")
    assert frame.to_dict("records") == [
        {"id": "7", "via.channel": "email"},
        {"id": "", "via.channel": ""},
    ]


def test_count_rows_counts_records_not_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", ROWS)  # row 2's body spans two lines
    assert count_rows(path) == 3
    assert count_rows(_write(tmp_path / "t.jsonl", ROWS)) == 3
    assert count_rows(_write(tmp_path / "t.parquet", ROWS)) == 3


def test_a_lone_surrogate_in_json_lines_is_replaced_and_named_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [
        {**ROWS[0], "body": "refund \ud800 please"},
        {**ROWS[1], "subject": "smile \U0001f600"},  # an escaped pair (\ud83d\ude00) is valid
        {**ROWS[2], "body": "\udfff"},
    ]
    path = _write(tmp_path / "t.jsonl", rows)  # json.dumps writes the \uXXXX escapes
    assert "\\ud800" in path.read_text()
    with caplog.at_level("WARNING", logger="training.io.formats.jsonl"):
        assert "body" in read_columns(path)
        (frame,) = iter_export(path)
    assert frame["body"].tolist()[::2] == ["refund \ufffd please", "\ufffd"]
    assert frame["subject"][1] == "smile \U0001f600"
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert f"{path}, row 1, field 'body'" in warnings[0] and "U+FFFD" in warnings[0]
    frame.to_csv(tmp_path / "out.csv")  # every output format can now store the text
    frame.to_parquet(tmp_path / "out.parquet")
