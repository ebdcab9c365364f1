"""Offline jobs: reading exports, training bundles, labeling exports, and the CLI."""

from training.columns import ColumnMapping, detect_mapping, load_mapping_file, tickets_from_frame
from training.export import read_tickets
from training.fit import TrainConfig, TrainResult, train
from training.labeling import LabelSummary, label_export
from training.readers import count_rows, iter_export, read_columns
from training.taxonomy import Taxonomy, check_labels, load_taxonomy

__all__ = [
    "ColumnMapping",
    "LabelSummary",
    "Taxonomy",
    "TrainConfig",
    "TrainResult",
    "check_labels",
    "count_rows",
    "detect_mapping",
    "iter_export",
    "label_export",
    "load_mapping_file",
    "load_taxonomy",
    "read_columns",
    "read_tickets",
    "tickets_from_frame",
    "train",
]
