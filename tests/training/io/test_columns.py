"""Column mapping: presets, detection, overrides, and turning rows into tickets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from classifier.errors import ExportFormatError
from training.io.columns import ColumnMapping, detect_mapping, load_mapping_file
from training.io.tickets import tickets_from_frame

ZENDESK_CSV = [
    "Id", "Requester", "Requester id", "Subject", "Description", "Status", "Priority", "Via",
    "Ticket type", "Created at", "Updated at", "Organization", "Satisfaction Score", "Group",
]  # fmt: skip
FRESHDESK_CSV = [
    "Ticket ID", "Subject", "Description", "Status", "Priority", "Source", "Type", "Agent",
    "Group", "Created time", "Resolved time", "Resolution time (in hrs)", "Company Name",
    "Contact ID",
]  # fmt: skip
JIRA_CSV = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority", "Reporter",
    "Created", "Updated", "Description", "Custom field (Organizations)",
    "Custom field (Customer Request Type)",
]  # fmt: skip


def _frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, dtype=str).fillna("")


def test_zendesk_preset() -> None:
    mapping = detect_mapping(ZENDESK_CSV, overrides={"preset": "zendesk"})
    assert (mapping.id, mapping.subject, mapping.body) == ("Id", "Subject", "Description")
    assert (mapping.created_at, mapping.account_id) == ("Created at", "Organization")
    assert mapping.metadata == {
        "type": "Ticket type",
        "priority": "Priority",
        "status": "Status",
        "channel": "Via",
        "group": "Group",
        "csat": "Satisfaction Score",
    }


def test_zendesk_preset_reads_api_json_field_names() -> None:
    columns = ["id", "subject", "description", "created_at", "requester_id", "via.channel"]
    mapping = detect_mapping(columns, overrides={"preset": "zendesk"})
    assert (mapping.id, mapping.body, mapping.account_id) == ("id", "description", "requester_id")
    assert mapping.metadata["channel"] == "via.channel"


def test_freshdesk_preset() -> None:
    mapping = detect_mapping(FRESHDESK_CSV, overrides={"preset": "freshdesk"})
    assert (mapping.id, mapping.subject, mapping.body) == ("Ticket ID", "Subject", "Description")
    assert (mapping.created_at, mapping.account_id) == ("Created time", "Company Name")
    assert mapping.metadata["channel"] == "Source"
    assert mapping.metadata["resolution_hours"] == "Resolution time (in hrs)"
    assert mapping.metadata["type"] == "Type"


def test_jira_preset() -> None:
    mapping = detect_mapping(JIRA_CSV, overrides={"preset": "jira"})
    assert (mapping.id, mapping.subject, mapping.body) == ("Issue key", "Summary", "Description")
    assert (mapping.created_at, mapping.account_id) == ("Created", "Custom field (Organizations)")
    assert mapping.metadata["type"] == "Issue Type"
    assert mapping.metadata["request_type"] == "Custom field (Customer Request Type)"


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(ExportFormatError, match=r"unknown preset 'helpscout'.*freshdesk"):
        detect_mapping(ZENDESK_CSV, overrides={"preset": "helpscout"})


def test_detection_ignores_case_spaces_and_underscores() -> None:
    columns = ["Ticket ID", "Title", "Message", "Created", "Customer_ID", "Category", "FEATURE"]
    columns += ["Tier", "CSAT", "Resolution Hours", "notes"]
    mapping = detect_mapping(columns)
    assert mapping.model_dump(exclude={"date_format", "preset"}) == {
        "id": "Ticket ID",
        "subject": "Title",
        "body": "Message",
        "text": None,
        "created_at": "Created",
        "account_id": "Customer_ID",
        "labels": {"category": "Category", "feature": "FEATURE"},
        "metadata": {"tier": "Tier", "csat": "CSAT", "resolution_hours": "Resolution Hours"},
    }


def test_single_text_column_fills_the_body() -> None:
    mapping = detect_mapping(["text", "category"])
    assert (mapping.id, mapping.subject, mapping.body, mapping.text) == (None, None, None, "text")
    (ticket,) = tickets_from_frame(
        _frame([{"text": "refund please", "category": "billing"}]),
        mapping,
        source="x.csv",
        first_row=1,
    )
    assert (ticket.id, ticket.body, ticket.labels) == (
        "row-1",
        "refund please",
        {"category": "billing"},
    )


def test_overrides_win_over_detection() -> None:
    columns = ["id", "ticket_number", "subject", "body", "notes", "Ticket type", "tier"]
    mapping = detect_mapping(
        columns,
        overrides={
            "columns": {"id": "ticket_number", "subject": None},
            "body": "notes",  # flat shorthand, as the CLI passes it
            "labels": {"category": "Ticket type"},
            "metadata": ["tier", "body"],
        },
    )
    assert (mapping.id, mapping.subject, mapping.body) == ("ticket_number", None, "notes")
    assert mapping.labels == {"category": "Ticket type"}
    assert mapping.metadata == {"tier": "tier", "body": "body"}


def test_override_naming_a_missing_column_lists_the_available_ones() -> None:
    with pytest.raises(
        ExportFormatError, match=r"'Descripton'.*available columns: id, Description"
    ):
        detect_mapping(["id", "Description"], overrides={"body": "Descripton"}, source="e.csv")


def test_requested_label_field_must_exist() -> None:
    with pytest.raises(ExportFormatError, match="label column 'intent' not found") as caught:
        detect_mapping(["id", "body", "category"], ["intent"], source="export.csv")
    assert "available columns: id, body, category" in str(caught.value)
    assert caught.value.file == "export.csv"
    assert detect_mapping(["id", "body"]).labels == {}  # default label fields are optional


def test_requested_label_fields_replace_the_defaults() -> None:
    mapping = detect_mapping(["body", "category", "feature", "Intent"], ["intent"])
    assert mapping.labels == {"intent": "Intent"}


def test_no_text_column_names_file_and_columns() -> None:
    with pytest.raises(ExportFormatError, match="no text column") as caught:
        detect_mapping(["id", "created_at", "category"], source="export.csv")
    message = str(caught.value)
    assert message.startswith("export.csv: ")
    assert "description" in message
    assert message.endswith("found: id, created_at, category")


def test_load_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text(
        "preset: zendesk\ncolumns:\n  body: Notes\nlabels:\n  category: Ticket type\n"
        "metadata: [Priority]\n",
        encoding="utf-8",
    )
    overrides = load_mapping_file(path)
    mapping = detect_mapping(["Id", "Subject", "Notes", "Ticket type", "Priority"], [], overrides)
    assert (mapping.id, mapping.body) == ("Id", "Notes")
    assert mapping.labels == {"category": "Ticket type"}
    assert mapping.metadata == {"priority": "Priority"}


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("colums:\n  body: Notes\n", "colums"),
        ("columns:\n  bdy: Notes\n", "bdy"),
        ("preset: zendesk\ncolumns: [oops\n", "not a readable YAML file"),
    ],
)
def test_mapping_file_mistakes_name_the_file(tmp_path: Path, text: str, complaint: str) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExportFormatError, match=complaint) as caught:
        load_mapping_file(path)
    assert caught.value.file == str(path)


def test_mapping_file_with_empty_sections_and_a_switched_off_field(tmp_path: Path) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text("columns:\nlabels:\nid: null\n", encoding="utf-8")
    mapping = detect_mapping(["id", "body"], overrides=load_mapping_file(path))
    assert (mapping.id, mapping.body) == (None, "body")  # ids will be generated: row-1, …


def test_metadata_named_in_a_mapping_file_keeps_the_others_detected(tmp_path: Path) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text("metadata:\n  tier: Plan\n  channel: null\n", encoding="utf-8")
    columns = ["id", "body", "Plan", "channel", "CSAT", "Resolution time (in hrs)"]
    mapping = detect_mapping(columns, overrides=load_mapping_file(path))
    # tier from the file; CSAT and resolution still detected (the report reads both); channel off
    assert mapping.metadata == {
        "tier": "Plan",
        "csat": "CSAT",
        "resolution_hours": "Resolution time (in hrs)",
    }


def test_metadata_given_as_a_list_is_keyed_by_snake_case() -> None:
    mapping = ColumnMapping.model_validate({"body": "b", "metadata": ["Plan Tier", "CSAT"]})
    assert mapping.metadata == {"plan_tier": "Plan Tier", "csat": "CSAT"}


def test_body_and_text_cannot_both_be_mapped() -> None:
    with pytest.raises(ValidationError, match="either body or text"):
        ColumnMapping(body="body", text="text")


FULL = ColumnMapping(
    id="id",
    subject="subject",
    body="body",
    created_at="created",
    account_id="account",
    labels={"category": "category", "feature": "feature"},
    metadata={"tier": "tier", "csat": "csat", "resolution_hours": "resolution_hours"},
)


def test_rows_become_tickets() -> None:
    rows = [
        {"id": "A1", "subject": " Hi ", "body": "Refund", "created": "2024-03-01T09:30:00+01:00"},
        {"id": "A2", "subject": "", "body": "SSO", "created": "03/02/2024 14:00"},
        {"id": "A3", "subject": "x", "body": "", "created": ""},
    ]
    extra = [
        {"account": "ACC-1", "category": "billing", "feature": "", "tier": "pro", "csat": "4"},
        {"account": "", "category": "", "feature": "sso", "tier": "", "csat": "n/a"},
        {"account": "", "category": "", "feature": "", "tier": "", "csat": ""},
    ]
    frame = _frame(
        [{**row, **more, "resolution_hours": "1.5"} for row, more in zip(rows, extra, strict=True)]
    )
    # One mm/dd date settles nothing: the order comes from the mapping (train settles it per file).
    month_first = FULL.model_copy(update={"date_format": "month-first"})
    first, second, third = tickets_from_frame(frame, month_first, source="e.csv", first_row=1)
    assert first.subject == "Hi"
    assert first.created_at == datetime(2024, 3, 1, 8, 30, tzinfo=UTC)
    assert first.labels == {"category": "billing"}
    assert first.metadata == {"tier": "pro", "csat": 4.0, "resolution_hours": 1.5}
    assert second.created_at == datetime(2024, 3, 2, 14, 0, tzinfo=UTC)
    assert (second.account_id, second.labels) == (None, {"feature": "sso"})
    assert second.metadata == {"csat": "n/a", "resolution_hours": 1.5}
    assert (third.created_at, third.labels) == (None, {})


def test_bad_created_at_names_row_and_field() -> None:
    frame = _frame([{"id": str(i), "body": "b", "created": f"2024-01-0{i}"} for i in (1, 2)])
    frame.loc[1, "created"] = "next tuesday"
    with pytest.raises(ExportFormatError, match="'next tuesday' as a date") as caught:
        tickets_from_frame(frame, FULL, source="e.csv", first_row=101)
    assert (caught.value.row, caught.value.field) == (102, "created")


def test_missing_ids_are_generated_from_row_numbers() -> None:
    frame = _frame([{"body": "a"}, {"body": "b"}])
    tickets = tickets_from_frame(frame, ColumnMapping(body="body"), source="e.csv", first_row=17)
    assert [t.id for t in tickets] == ["row-17", "row-18"]


def test_empty_id_cell_is_an_error() -> None:
    frame = _frame([{"id": "A", "body": "a"}, {"id": " ", "body": "b"}])
    with pytest.raises(ExportFormatError, match="empty ticket id") as caught:
        tickets_from_frame(frame, FULL, source="e.csv", first_row=1)
    assert caught.value.row == 2
