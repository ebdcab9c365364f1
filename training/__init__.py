"""Offline jobs: reading exports, training bundles, labeling exports, and the CLI."""

from typing import TYPE_CHECKING

from classifier.extras import lazy_exports

if TYPE_CHECKING:
    from training.fit.train import TrainConfig, TrainResult, train
    from training.io.columns import ColumnMapping, detect_mapping, load_mapping_file
    from training.io.export import read_tickets
    from training.io.readers import count_rows, iter_export, read_columns
    from training.io.taxonomy import Taxonomy, check_labels, load_taxonomy
    from training.io.tickets import tickets_from_frame
    from training.labeling.local import LabelSummary, label_export

# Loaded on first use: `ticketlens --help` imports training.cli and must not load the model stack.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "training.fit.train": ("TrainConfig", "TrainResult", "train"),
        "training.io.columns": ("ColumnMapping", "detect_mapping", "load_mapping_file"),
        "training.io.export": ("read_tickets",),
        "training.io.readers": ("count_rows", "iter_export", "read_columns"),
        "training.io.taxonomy": ("Taxonomy", "check_labels", "load_taxonomy"),
        "training.io.tickets": ("tickets_from_frame",),
        "training.labeling.local": ("LabelSummary", "label_export"),
    },
)

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
