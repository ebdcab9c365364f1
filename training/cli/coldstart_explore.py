"""`ticketlens discover` and `ticketlens similar`: topics in an export, nearest past tickets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from classifier.embedders.base import DEFAULT_MAX_TOKENS, DEFAULT_MAX_WINDOWS, DEFAULT_MODEL
from classifier.errors import TicketlensError
from training.cli.coldstart import ModelOption, _load_model, _texts_and_vectors
from training.cli.common import (
    CacheOption,
    ColumnsOption,
    IdColumnOption,
    NoCacheOption,
    PresetOption,
    TextColumnOption,
    console,
    friendly_errors,
    make_embedder,
    mapping_overrides,
)

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>ticketlens discover</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}td,th{padding:.2rem .5rem;
text-align:left;vertical-align:top}li{margin:.2rem 0}</style></head><body>
<h1>Topics in {{ source }}</h1><p>{{ total }} tickets, {{ noise }} in no cluster.</p>
{% for c in clusters %}<h2>{{ c.name }}{% if candidates %} (candidate new category){% endif %}</h2>
<p>{{ c.size }} tickets ({{ '%.1f' % c.share }} %), {{ c.accounts }} accounts;
terms: {{ c.terms | join(', ') }}</p><p>weekly: {% for w, n in c.weekly.items() %}{{ w }}: {{ n
}}{% if not loop.last %}, {% endif %}{% endfor %}</p>
<ul>{% for id, text in c.pairs %}<li><b>{{ id }}</b> {{ text[:300] }}</li>{% endfor %}</ul>
{% endfor %}{% if duplicates %}<h2>Possible duplicate labels</h2><ul>{% for f, a, b, s in
duplicates %}<li>{{ f }}: {{ a }} / {{ b }} ({{ '%.0f' % (100 * s) }} % overlap)</li>{% endfor %}
</ul>{% endif %}</body></html>"""


@friendly_errors
def discover_command(
    export: Annotated[Path, typer.Argument(help="Helpdesk export (CSV, JSONL, Parquet).")],
    model: ModelOption = None,
    taxonomy_out: Annotated[
        Path, typer.Option("--taxonomy-out", help="Where the draft taxonomy YAML is written.")
    ] = Path("taxonomy.draft.yaml"),
    field: Annotated[
        str, typer.Option(help="Label field the draft taxonomy defines.")
    ] = "category",
    html: Annotated[Path | None, typer.Option(help="Also write the clusters as a page.")] = None,
    min_cluster_size: Annotated[
        int | None, typer.Option(min=2, help="Smallest cluster.", show_default="1 % of tickets")
    ] = None,
    preset: PresetOption = None,
    columns: ColumnsOption = None,
    text_column: TextColumnOption = None,
    id_column: IdColumnOption = None,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Cluster the export's tickets, name each cluster from its terms, write a draft taxonomy.

    With --model, only the tickets it sends to review are clustered: clusters seen over several
    weeks are candidate new categories, and labels it keeps confusing are flagged.
    """
    import jinja2
    import numpy as np

    from training.coldstart.discover import (
        DiscoverConfig,
        discover,
        draft_taxonomy,
        overlapping_labels,
    )
    from training.io.export import read_tickets

    tickets, _ = read_tickets(
        export, [], mapping_overrides(preset, columns, text_column, id_column)
    )
    classifier = _load_model(model, cache_dir) if model is not None else None
    embedder = (
        classifier.embedder
        if classifier is not None
        else make_embedder(
            DEFAULT_MODEL, DEFAULT_MAX_TOKENS, DEFAULT_MAX_WINDOWS, cache_dir, no_cache
        )
    )
    kept, texts, vectors = _texts_and_vectors(tickets, embedder)
    duplicates: list[tuple[str, str, str, float]] = []
    if classifier is not None:
        predictions = classifier.predict(kept)
        for name, proba in classifier.predict_proba(kept).items():
            classes = classifier.manifest.fields[name].classes
            duplicates += [(name, a, b, s) for a, b, s in overlapping_labels(proba, classes)]
        rows = [
            i for i, p in enumerate(predictions) if any(f.needs_review for f in p.fields.values())
        ]
        if not rows:
            raise TicketlensError(
                "the model is confident on every ticket: nothing to discover among its "
                "abstentions (drop --model to cluster them all)",
                file=export,
            )
        kept, texts, vectors = [kept[i] for i in rows], [texts[i] for i in rows], vectors[rows]
    found = discover(
        kept, texts, np.asarray(vectors), DiscoverConfig(min_cluster_size=min_cluster_size)
    )
    clusters = [c for c in found.clusters if c.persistent] if classifier else found.clusters
    title = "candidate new categories (low-confidence, seen ≥ 2 weeks)" if classifier else "topics"
    table = Table(title=f"{title}: {len(kept)} tickets, {found.noise} in no cluster")
    for column in ("name", "tickets", "share %", "accounts", "weeks", "top terms"):
        table.add_column(column, justify="left" if column in ("name", "top terms") else "right")
    for c in clusters:
        weeks = sum(1 for n in c.weekly.values() if n)
        table.add_row(
            c.name,
            str(c.size),
            f"{c.share:.1f}",
            str(c.accounts),
            str(weeks),
            ", ".join(c.terms[:6]),
        )
    console.print(table)
    for f, a, b, s in duplicates:
        console.print(
            f"possible duplicates in {f}: {a} / {b} ({100 * s:.0f} % of tickets torn between them)"
        )
    if classifier is None:
        taxonomy_out.write_text(draft_taxonomy(found, field))
        console.print(
            f"draft taxonomy written to {taxonomy_out}: edit it, then "
            f"`ticketlens train --zero-shot --taxonomy {taxonomy_out} {export}`"
        )
    if html is not None:
        page = jinja2.Environment(autoescape=True).from_string(_PAGE)
        html.write_text(
            page.render(
                source=export.name,
                total=len(kept),
                noise=found.noise,
                candidates=classifier is not None,
                clusters=[
                    {**c.__dict__, "pairs": list(zip(c.representatives, c.examples, strict=True))}
                    for c in clusters
                ],
                duplicates=duplicates,
            )
        )
        console.print(f"page written to {html}")


@friendly_errors
def similar_command(
    text: Annotated[str | None, typer.Argument(help="Ticket text to match.")] = None,
    ticket_id: Annotated[str | None, typer.Option("--id", help="An indexed ticket's id.")] = None,
    model: Annotated[Path, typer.Option(help="Bundle with a similar-ticket index.")] = Path(
        "models/current"
    ),
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many tickets.")] = 5,
    cache_dir: CacheOption = None,
) -> None:
    """The nearest tickets of the bundle's training set, with their labels and similarity."""
    from classifier.records import Ticket
    from classifier.similar import read_index
    from classifier.text import prepare_text

    if (text is None) == (ticket_id is None):
        raise TicketlensError("give either a TEXT or --id ID")
    classifier = _load_model(model, cache_dir)
    index = read_index(classifier.bundle)
    if index is None:
        raise TicketlensError(
            "this bundle keeps no similar-ticket index (train it with --similar-index)", file=model
        )
    if ticket_id is not None:
        vector = index.vector_of(ticket_id)
        if vector is None:
            raise TicketlensError(f"ticket '{ticket_id}' is not in the index", file=model)
    else:
        vector = classifier.embedder.encode(
            [prepare_text(Ticket(id="query", body=text or "")).text]
        )[0]
    table = Table(title="similar tickets")
    for column in ("ticket", "similarity", "labels"):
        table.add_column(column)
    for n in index.query(vector, k, skip_id=ticket_id)[0]:
        table.add_row(n.id, f"{n.score:.3f}", ", ".join(f"{f}={v}" for f, v in n.labels.items()))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("discover")(discover_command)
    app.command("similar")(similar_command)
