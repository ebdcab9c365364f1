"""Map a helpdesk export's columns onto `Ticket` fields: detection, overrides, mapping files.

Presets and the generic header names live in `training.io.presets`; turning a chunk into tickets
through the mapping is `training.io.tickets`. Row numbers in errors are 1-based data record
numbers: the first ticket in the file is row 1 (in a CSV that is the line after the header).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from classifier.errors import ExportFormatError
from training.io.dates import ORDERS
from training.io.presets import GENERIC, GENERIC_METADATA, PRESETS, Preset

logger = logging.getLogger(__name__)

TicketField = Literal["id", "subject", "body", "text", "created_at", "account_id"]
TICKET_FIELDS: tuple[str, ...] = get_args(TicketField)
DEFAULT_LABEL_FIELDS = ("category", "feature")


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.casefold())


def snake_case(name: str) -> str:
    """How a column named in a list of metadata columns (or `--feature-column`) is keyed in
    `Ticket.metadata`."""
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_") or name


def named_metadata(
    metadata: list[str] | tuple[str, ...] | dict[str, str | None] | None,
) -> dict[str, str | None]:
    """A mapping's `metadata` as `{key: COLUMN}`: a plain list of columns keys each by its
    snake_case name; None is none."""
    if metadata is None:
        return {}
    if isinstance(metadata, list | tuple):
        return {snake_case(str(column)): str(column) for column in metadata}
    return dict(metadata)


class ColumnMapping(BaseModel):
    """Which export column feeds which `Ticket` field; `None` means the export has none.

    `text` is a single text column for exports without subject/body; it fills `Ticket.body`.
    `labels` maps a label field (category, feature, …) to its column; `metadata` maps a
    `Ticket.metadata` key to its column (a plain list of columns keys them by snake_case name).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None = None
    subject: str | None = None
    body: str | None = None
    text: str | None = None
    created_at: str | None = None
    account_id: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    metadata: dict[str, str] = Field(default_factory=dict)
    date_format: str | None = None
    """`day-first`, `month-first` or a strftime format; None: settled from the data."""
    preset: str | None = None

    @field_validator("metadata", mode="before")
    @classmethod
    def _metadata_from_list(cls, value: Any) -> Any:
        return named_metadata(value) if isinstance(value, list | tuple) else value

    @model_validator(mode="after")
    def _one_text_source(self) -> ColumnMapping:
        if self.body is not None and self.text is not None:
            raise ValueError("map either body or text, not both (text fills the ticket body)")
        if self.subject is None and self.body is None and self.text is None:
            raise ValueError("no text column: map at least one of subject, body or text")
        return self


class _Overrides(BaseModel):
    """The shape shared by CLI overrides and mapping files."""

    model_config = ConfigDict(extra="forbid")

    preset: str | None = None
    columns: dict[TicketField, str | None] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    metadata: list[str] | dict[str, str | None] | None = None
    """Named on top of the detected ones; a key mapped to null is not detected."""
    date_format: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _flat_fields(cls, value: Any) -> Any:
        """`{"body": "X"}` means `{"columns": {"body": "X"}}`; an empty YAML section is unset."""
        if isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if v is not None or k in TICKET_FIELDS}
            flat = {key: value.pop(key) for key in TICKET_FIELDS if key in value}
            if flat:
                value["columns"] = {**dict(value.get("columns") or {}), **flat}
        return value

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str | None) -> str | None:
        if value is not None and value not in PRESETS:
            raise ValueError(f"unknown preset '{value}'; expected one of {sorted(PRESETS)}")
        return value

    @field_validator("date_format")
    @classmethod
    def _known_date_format(cls, value: str | None) -> str | None:
        if value is not None and value not in ORDERS and "%" not in value:
            raise ValueError(
                f"date_format '{value}' is not {' or '.join(ORDERS)} nor a strftime format"
            )
        return value


def date_format_for(overrides: Mapping[str, Any] | None) -> str | None:
    """The date format overrides give (`date_format`, else their preset's), or None."""
    wanted = _Overrides.model_validate(dict(overrides or {}))
    if wanted.date_format is not None:
        return wanted.date_format
    return PRESETS[wanted.preset].date_format if wanted.preset else None


def _listing(columns: Sequence[str], limit: int = 30) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f", … ({len(columns) - limit} more)" if len(columns) > limit else "")


class _Finder:
    """Finds columns by name (exact first, then normalised), never handing one out twice."""

    def __init__(self, columns: Sequence[str], source: str | Path | None) -> None:
        self.columns = list(columns)
        self.source = source
        self.used: set[str] = set()
        self._by_norm: dict[str, str] = {}
        for column in self.columns:
            self._by_norm.setdefault(_norm(column), column)

    def find(self, candidates: Sequence[str]) -> str | None:
        for candidate in candidates:
            column = candidate if candidate in self.columns else self._by_norm.get(_norm(candidate))
            if column is not None and column not in self.used:
                self.used.add(column)
                return column
        return None

    def require(self, column: str, what: str) -> str:
        found = column if column in self.columns else self._by_norm.get(_norm(column))
        if found is None:
            raise ExportFormatError(
                f"column '{column}' for {what} is not in the export; "
                f"available columns: {_listing(self.columns)}",
                file=self.source,
                field=column,
            )
        self.used.add(found)
        return found


def detect_mapping(
    columns: list[str],
    label_fields: list[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    source: str | Path | None = None,
) -> ColumnMapping:
    """Work out a `ColumnMapping` from an export's header.

    `overrides` has the shape `load_mapping_file` returns (`preset`, `columns`, `labels`,
    `metadata`; ticket fields may also be given at the top level) and wins over detection; a
    column override of `None` switches that field off. Label fields default to `category` and
    `feature` where such columns exist; fields named in `label_fields` must exist.
    Raises `ExportFormatError` (naming `source`) when a named column is missing or no text column
    can be found.
    """
    chosen, labels, metadata = _detect(columns, label_fields, overrides, source, need_text=True)
    try:
        mapping = ColumnMapping(
            **chosen,
            labels=labels,
            metadata=metadata,
            date_format=date_format_for(overrides),
            preset=(overrides or {}).get("preset"),
        )
    except ValidationError as exc:
        raise ExportFormatError(
            f"invalid column mapping: {_first_error(exc)}", file=source
        ) from exc
    logger.debug("column mapping for %s: %s", source, mapping)
    return mapping


def detect_columns(
    columns: Sequence[str],
    overrides: Mapping[str, Any] | None = None,
    *,
    source: str | Path | None = None,
) -> tuple[dict[str, str | None], dict[str, str]]:
    """`detect_mapping`'s ticket-field and metadata columns for a table that may hold no text
    (a labeled export read by analytics, a prediction log): `({"created_at": …, …}, metadata)`."""
    chosen, _, metadata = _detect(list(columns), [], overrides, source, need_text=False)
    return chosen, metadata


def _detect(
    columns: list[str],
    label_fields: list[str] | None,
    overrides: Mapping[str, Any] | None,
    source: str | Path | None,
    *,
    need_text: bool,
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    try:
        wanted = _Overrides.model_validate(dict(overrides or {}))
    except ValidationError as exc:
        raise ExportFormatError(
            f"invalid column mapping: {_first_error(exc)}", file=source
        ) from exc
    preset = PRESETS[wanted.preset] if wanted.preset else Preset(columns={})
    finder = _Finder(columns, source)
    chosen: dict[str, Any] = {
        field: None if column is None else finder.require(column, field)
        for field, column in wanted.columns.items()
    }
    labels = {
        field: finder.require(column, f"label '{field}'") for field, column in wanted.labels.items()
    }
    for field in TICKET_FIELDS:
        if field in chosen:
            continue
        if field == "text" and any(chosen.get(name) for name in ("subject", "body")):
            continue
        if field == "body" and chosen.get("text"):
            continue
        chosen[field] = finder.find(preset.columns.get(field, ()) + GENERIC[field])
    if need_text and not any(chosen.get(name) for name in ("subject", "body", "text")):
        names = "/".join(dict.fromkeys(GENERIC["subject"] + GENERIC["body"] + GENERIC["text"]))
        raise ExportFormatError(
            f"no text column: expected one of {names}; found: {_listing(columns)}", file=source
        )
    for field in label_fields if label_fields is not None else DEFAULT_LABEL_FIELDS:
        if field in labels:
            continue
        column = finder.find((field,))
        if column is not None:
            labels[field] = column
        elif label_fields is not None:
            raise ExportFormatError(
                f"label column '{field}' not found; available columns: {_listing(columns)} "
                f"(name it with --label {field}=COLUMN)",
                file=source,
                field=field,
            )
    named = named_metadata(wanted.metadata)
    metadata = {
        key: finder.require(column, "metadata")
        for key, column in named.items()
        if column is not None
    }
    for key in dict.fromkeys([*preset.metadata, *GENERIC_METADATA]):
        if key in named:  # named (or switched off with null) in the overrides
            continue
        column = finder.find(preset.metadata.get(key, ()) + GENERIC_METADATA.get(key, ()))
        if column is not None:
            metadata[key] = column
    return chosen, labels, metadata


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def load_mapping_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping file (`preset`, `columns`, `labels`, `metadata`) into overrides."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ExportFormatError("mapping file not found", file=path) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ExportFormatError(f"not a readable YAML file: {exc}", file=path) from exc
    try:
        return _Overrides.model_validate(raw or {}).model_dump(exclude_unset=True)
    except ValidationError as exc:
        raise ExportFormatError(f"invalid column mapping: {_first_error(exc)}", file=path) from exc
