"""Cold start: `train --zero-shot` / `--labeled` (called by `train`), `suggest`, `discover`,
`similar`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from classifier.embedders.base import DEFAULT_MAX_TOKENS, DEFAULT_MAX_WINDOWS, DEFAULT_MODEL
from classifier.errors import TicketlensError
from training.cli.common import CacheOption, NoCacheOption, console, friendly_errors, make_embedder
from training.cli.options import NO_COLUMN_FLAGS, ExportColumns, option_groups

if TYPE_CHECKING:
    import numpy as np

    from classifier.embedders.base import Embedder
    from classifier.predictor import TicketClassifier
    from classifier.records import Ticket

ModelOption = Annotated[
    Path | None, typer.Option("--model", help="Bundle folder (e.g. models/current).")
]
LabeledOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--labeled",
        help="Filled to_label.csv from `ticketlens suggest`; repeatable, later files win.",
    ),
]


def _texts_and_vectors(
    tickets: list[Ticket], embedder: Embedder
) -> tuple[list[Ticket], list[str], np.ndarray]:
    import numpy as np

    from classifier.text import prepare_text

    kept = [(t, prepare_text(t).text) for t in tickets]
    kept = [(t, text) for t, text in kept if text]
    texts = [text for _, text in kept]
    vectors = np.asarray(embedder.encode(texts)) if texts else np.zeros((0, 1))
    return [t for t, _ in kept], texts, vectors


def merge_labeled(
    tickets: list[Ticket], files: list[Path], fields: list[str], taxonomy: Any
) -> list[Ticket]:
    """The export's tickets with the labels of filled to_label files (matched by ticket id)."""
    from training.io.export import read_tickets
    from training.io.taxonomy import check_labels, raise_for_unknown

    labels: dict[str, dict[str, str]] = {}
    for path in files:
        filled, _ = read_tickets(path, fields)
        raise_for_unknown(
            check_labels(filled, taxonomy, fields, source=str(path)), source=str(path)
        )
        for ticket in filled:
            if ticket.labels:
                labels.setdefault(ticket.id, {}).update(ticket.labels)
    known = {t.id for t in tickets}
    missing = [i for i in labels if i not in known]
    if missing:
        raise TicketlensError(
            f"{len(missing)} labeled ticket id(s) are not in the export, e.g. '{missing[0]}' "
            "(pass the export the file was suggested from)",
            file=files[-1],
        )
    return [t.model_copy(update={"labels": labels.get(t.id, {})}) for t in tickets]


def add_similar_index(
    bundle_path: Path, tickets: list[Ticket], embedder: Embedder, fields: list[str]
) -> int:
    """Keep the training tickets' vectors, ids and labels in the bundle (no text)."""
    from classifier.similar import SimilarIndex, write_index

    kept, _, vectors = _texts_and_vectors(tickets, embedder)
    labels = {f: [t.labels.get(f, "") for t in kept] for f in fields}
    index = SimilarIndex.build(vectors, [t.id for t in kept], labels)
    return write_index(bundle_path, index).count


def cold_start_train(
    export: Path,
    *,
    taxonomy_path: Path | None,
    fields: list[str],
    labeled: list[Path],
    overrides: dict[str, Any],
    threshold: float,
    models_dir: Path,
    name: str | None,
    make_current: bool,
    similar_index: bool,
    cache_dir: Path | None,
    no_cache: bool,
) -> None:
    """`ticketlens train --zero-shot` / `--labeled`: a bundle from the taxonomy's descriptions,
    the export's unlabeled tickets and any filled to_label files."""
    from training.coldstart.model import ColdStartConfig, ColdStartModel
    from training.io.export import read_tickets
    from training.io.taxonomy import load_taxonomy

    if taxonomy_path is None:
        raise TicketlensError(
            "--zero-shot and --labeled need the labels' descriptions: pass --taxonomy"
        )
    taxonomy = load_taxonomy(taxonomy_path)
    fields = (
        fields
        or [f for f in ("category", "feature") if f in taxonomy.fields]
        or list(taxonomy.fields)
    )
    tickets, _ = read_tickets(export, [], overrides)
    if labeled:
        tickets = merge_labeled(tickets, labeled, fields, taxonomy)
    embedder = make_embedder(
        DEFAULT_MODEL, DEFAULT_MAX_TOKENS, DEFAULT_MAX_WINDOWS, cache_dir, no_cache
    )
    config = ColdStartConfig(
        fields=tuple(fields), threshold=threshold, name=name, make_current=make_current
    )
    with console.status(f"embedding {len(tickets)} tickets and fitting {', '.join(fields)}…"):
        model = ColdStartModel(embedder, taxonomy, config).fit(tickets, source=str(export))
        path = model.classifier_.save(models_dir, make_current=make_current)
    if similar_index:
        add_similar_index(path, tickets, embedder, fields)
    table = Table(title=f"{model.classifier_.manifest.training_kind.replace('_', '-')} bundle")
    for column in ("field", "labels", "labeled tickets", "pseudo-labeled", "agreement"):
        table.add_column(column, justify="left" if column == "field" else "right")
    for field, report in model.report_.items():
        classes = len(model.classifier_.manifest.fields[field].classes)
        table.add_row(
            field,
            str(classes),
            str(report.labeled),
            str(report.pseudo_labeled),
            f"{report.agreement:.3f}",
        )
    console.print(table)
    console.print(
        f"bundle [bold]{model.classifier_.version}[/] saved to {path} (agreement: head vs. the "
        "refined descriptions on the export, not accuracy; `ticketlens suggest` picks tickets "
        "to label)"
    )


def _load_model(model: Path, cache_dir: Path | None) -> TicketClassifier:
    from classifier.predictor import TicketClassifier
    from training.cli.common import cache_dir_for

    return TicketClassifier.load(model, cache_dir=cache_dir_for(cache_dir))


def _model_and_embedder(
    model: Path | None, cache_dir: Path | None, no_cache: bool
) -> tuple[TicketClassifier | None, Embedder]:
    """The bundle at `model` and its embedder, or no bundle and the packaged embedding model."""
    classifier = _load_model(model, cache_dir) if model is not None else None
    if classifier is not None:
        return classifier, classifier.embedder
    embedder = make_embedder(
        DEFAULT_MODEL, DEFAULT_MAX_TOKENS, DEFAULT_MAX_WINDOWS, cache_dir, no_cache
    )
    return None, embedder


def _top3(prediction: Any) -> str:
    return "; ".join(f"{s.label} ({s.confidence:.2f})" for s in prediction.top)


@friendly_errors
@option_groups
def suggest_command(
    export: Annotated[Path, typer.Argument(help="Helpdesk export (CSV, JSONL, Parquet).")],
    model: ModelOption = None,
    n: Annotated[int, typer.Option("-n", min=1, help="How many tickets to suggest.")] = 200,
    output: Annotated[Path, typer.Option("-o", "--output", help="CSV to fill in.")] = Path(
        "to_label.csv"
    ),
    labeled: LabeledOption = None,
    column_flags: ExportColumns = NO_COLUMN_FLAGS,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Write the tickets whose labels would help most, with the model's guess prefilled."""
    import pandas as pd

    from classifier.records import Prediction
    from training.coldstart.select import select
    from training.io.export import read_tickets

    tickets, _ = read_tickets(export, [], column_flags.overrides())
    done: set[str] = set()
    for path in labeled or []:
        filled, _ = read_tickets(path, None)
        done |= {t.id for t in filled if t.labels}
    classifier, embedder = _model_and_embedder(model, cache_dir, no_cache)
    kept, _, vectors = _texts_and_vectors(tickets, embedder)
    exclude = [i for i, t in enumerate(kept) if t.id in done]
    predictions: list[Prediction] = []
    if classifier is not None:
        predictions = classifier.predict(kept)
        proba = classifier.predict_proba(kept)
        import numpy as np

        uncertain = np.asarray(
            [any(f.needs_review for f in p.fields.values()) for p in predictions]
        )
        picks = select(vectors, n, proba=proba, uncertain=uncertain, exclude=exclude)
    else:
        picks = select(vectors, n, exclude=exclude)
    rows = []
    for pick in picks:
        ticket = kept[pick.row]
        row: dict[str, object] = {
            "ticket_id": ticket.id,
            "subject": ticket.subject,
            "body": ticket.body,
        }
        if predictions:
            for field, guess in predictions[pick.row].fields.items():
                row[field] = guess.label or ""
                row[f"{field}_top3"] = _top3(guess)
        row["uncertainty"] = round(pick.uncertainty, 4)
        rows.append(row)
    pd.DataFrame(rows).to_csv(output, index=False)
    how = "most uncertain, spread over topics" if classifier else "cluster representatives"
    console.print(
        f"{len(rows)} tickets ({how}) written to {output}: fill in the label columns, then "
        f"`ticketlens train --taxonomy T --labeled {output} {export}`"
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ticketlens` app."""
    from training.cli import coldstart_explore

    app.command("suggest")(suggest_command)
    coldstart_explore.register(app)
