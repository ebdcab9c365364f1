"""The column-mapping options every export-reading command shares, and the bundle's record."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from training.cli.common import label_fields, mapping_overrides

if TYPE_CHECKING:
    from classifier.bundle.manifest import ColumnMappingRecord, Manifest

DateFormatOption = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        metavar="ORDER|FORMAT",
        help="How to read dd/mm vs mm/dd dates: day-first, month-first or a strftime format "
        "(e.g. %d.%m.%Y).",
        show_default="settled from the data (or the model's record)",
    ),
]
EncodingOption = Annotated[
    str | None,
    typer.Option(
        help="Text encoding of a CSV/JSON export (e.g. cp1252).",
        show_default="UTF-8, or cp1252/latin-1 when the file is not UTF-8 (said)",
    ),
]
TzOption = Annotated[
    str | None,
    typer.Option("--tz", help="Cut weeks on this time zone's clock (e.g. Europe/Paris).",
                 show_default="UTC"),
]  # fmt: skip
LabelColumnsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--label",
        metavar="FIELD=COLUMN",
        help="Column holding a label field's true labels; repeatable.",
        show_default="the model's record, else a column named like the field",
    ),
]


def given_overrides(
    preset: str | None,
    columns: Path | None,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    labels: list[str] | None = None,
    date_format: str | None = None,
) -> dict[str, Any]:
    """What the command line says about the export's columns (flags and the `--columns` file)."""
    overrides = mapping_overrides(preset, columns, text_column, id_column)
    _, label_columns = label_fields(labels or [])
    if label_columns:
        overrides["labels"] = {**overrides.get("labels", {}), **label_columns}
    if date_format is not None:
        overrides["date_format"] = date_format
    return overrides


def model_manifest(model: Path | None) -> Manifest | None:
    """The manifest of the bundle at `model` (a cascade's: its accurate bundle's), verified;
    None when no bundle is there (the command's own bundle check says so, in its turn)."""
    if model is not None and (model / "cascade.json").is_file():
        model = model / "accurate"
    if model is None or not (model / "manifest.json").is_file():
        return None
    from training.cli.common import load_bundle

    return load_bundle(model).manifest


def bundle_record(model: Path | None) -> ColumnMappingRecord | None:
    """The column mapping a bundle recorded at `train`, or None (no bundle there, or an older
    bundle without one); a cascade's is its accurate bundle's."""
    manifest = model_manifest(model)
    return None if manifest is None else manifest.column_mapping


def export_overrides(
    export: Path | str, record: ColumnMappingRecord | None, given: dict[str, Any]
) -> dict[str, Any]:
    """The bundle's record for this export's columns, overridden by `given`."""
    from training.io.readers import read_columns
    from training.io.recorded import recorded_overrides

    if record is None:
        return given
    columns = read_columns(export) if Path(str(export)).is_file() else None
    return recorded_overrides(record, columns, given)


def require_head_columns(
    export: Path | str, manifest: Manifest | None, overrides: dict[str, Any]
) -> None:
    """Refuse an export that lacks a column the heads of `manifest` (`model_manifest`) read
    beside the text (`train --feature-column / --segment`): without it every ticket would be
    answered as if from an unknown segment, silently."""
    from classifier.errors import ExportFormatError
    from training.io.columns import named_metadata
    from training.io.readers import read_columns

    if manifest is None or manifest.metadata_features is None:
        return
    keys = manifest.metadata_features.read_keys()
    if not keys or not Path(str(export)).is_file():
        return
    recorded = manifest.column_mapping.metadata if manifest.column_mapping else {}
    named = {**recorded, **named_metadata(overrides.get("metadata"))}
    present = {column.casefold() for column in read_columns(export)}
    for key in keys:
        column = named.get(key) or key
        if column.casefold() not in present:
            raise ExportFormatError(
                f"the model reads column '{column}' beside the text (trained with "
                f"--feature-column or --segment) and this export has no such column; add it, or "
                f"name the export's column in a --columns file (metadata: {{{key}: COLUMN}})",
                file=str(export),
                field=key,
            )
