"""`ticketlens discover`: topics in an export; with a model, candidate new categories."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from training.cli.coldstart import ModelOption, _model_and_embedder, _texts_and_vectors
from training.cli.common import CacheOption, NoCacheOption, console, friendly_errors
from training.cli.options import NO_COLUMN_FLAGS, ExportColumns, option_groups

if TYPE_CHECKING:
    from training.coldstart.candidates import CandidateFile
    from training.coldstart.discover import Cluster

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>ticketlens discover</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}td,th{padding:.2rem .5rem;
text-align:left;vertical-align:top}li{margin:.2rem 0}</style></head><body>
<h1>{% if candidates %}Candidate new categories{% else %}Topics{% endif %} in {{ source }}</h1>
{% if signal %}<p>{{ signal }}</p>{% endif %}
<p>{{ total }} tickets clustered, {{ noise }} in no cluster.{% if candidates %} A candidate new
category is a cluster of flagged tickets whose nearest tickets are mostly flagged too (or a
cluster of the export at least a third flagged), seen in two weeks or more.
{% endif %}</p>{% if candidates and not clusters %}<p>No candidate new categories in this export.
</p>{% endif %}
{% for c in clusters %}<h2>{{ c.name }}{% if candidates %} (candidate new category){% endif %}</h2>
<p>{{ c.size }} tickets ({{ '%.1f' % c.share }} %){% if c.flagged is not none %}, {{ c.flagged
}} flagged{% endif %}, {{ c.weeks }} weeks, {{ c.accounts }} accounts;
terms: {{ c.terms | join(', ') }}</p>
<p>weekly: {% for w, n in c.weekly.items() %}{{ w }}: {{ n }}{% if not loop.last %}, {% endif
%}{% endfor %}</p>
<ul>{% for id, text in c.pairs %}<li><b>{{ id }}</b> {{ text[:300] }}</li>{% endfor %}</ul>
{% endfor %}{% if duplicates %}<h2>Possible duplicate labels</h2><ul>{% for f, a, b, s in
duplicates %}<li>{{ f }}: {{ a }} / {{ b }} ({{ '%.0f' % (100 * s) }} % overlap)</li>{% endfor %}
</ul>{% endif %}</body></html>"""


def _table(title: str, clusters: list[Cluster], flagged: bool) -> Table:
    table = Table(title=title)
    columns = ["name", "tickets", *(["flagged"] if flagged else []), "share %", "weeks"]
    for column in [*columns, "accounts", "top terms"]:
        table.add_column(column, justify="left" if column in ("name", "top terms") else "right")
    for c in clusters:
        table.add_row(
            escape(c.name),
            str(c.size),
            *([str(c.flagged)] if flagged else []),
            f"{c.share:.1f}",
            str(c.weeks),
            str(c.accounts),
            escape(", ".join(c.terms[:6])),
        )
    return table


def candidates_table(found: CandidateFile) -> Table:
    """`report --candidates`: the candidate new categories of a `discover --json` file."""
    from training.reports.candidate_sections import HEADERS, candidate_rows

    table = Table(title=f"candidate new categories ({found.source}, discover --model)")
    for column in HEADERS:
        table.add_column(
            column, justify="right" if column in ("tickets", "weeks", "accounts") else "left"
        )
    for row in candidate_rows(found):
        table.add_row(*(escape(str(cell)) for cell in row))
    if not found.candidates:
        table.caption = "none: every topic of that export is one the model knows"
    return table


def _page(clusters: list[Cluster], **context: Any) -> str:
    import jinja2

    page = jinja2.Environment(autoescape=True).from_string(_PAGE)
    rows = [
        {
            **c.__dict__,
            "weeks": c.weeks,
            "pairs": list(zip(c.representatives, c.examples, strict=True)),
        }
        for c in clusters
    ]
    return page.render(clusters=rows, **context)


@friendly_errors
@option_groups
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
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the clusters as JSON (`report --candidates`)."),
    ] = None,
    min_cluster_size: Annotated[
        int | None, typer.Option(min=2, help="Smallest cluster.", show_default="1 % of tickets")
    ] = None,
    column_flags: ExportColumns = NO_COLUMN_FLAGS,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Cluster the export's tickets, name each cluster from its terms, write a draft taxonomy.

    With --model, tickets it sends to review or finds far from every label it knows are flagged
    (training.coldstart.novelty); clusters of flagged tickets whose nearest tickets are mostly
    flagged as well, seen in two weeks or more, are candidate new categories
    (training.coldstart.discover.candidate_clusters), and labels it keeps confusing are listed.
    """
    import numpy as np

    from training.coldstart.candidates import discovery_payload, write_discovery
    from training.coldstart.discover import (
        CANDIDATE_SHARE,
        CLUSTER_SHARE,
        NEIGHBOURS,
        DiscoverConfig,
        candidate_clusters,
        discover,
        draft_taxonomy,
        overlapping_labels,
    )
    from training.coldstart.novelty import novelty, references_of
    from training.io.export import read_tickets

    tickets, _ = read_tickets(export, [], column_flags.overrides())
    classifier, embedder = _model_and_embedder(model, cache_dir, no_cache)
    kept, texts, vectors = _texts_and_vectors(tickets, embedder)
    duplicates: list[tuple[str, str, str, float]] = []
    signal, flagged = None, None
    if classifier is not None:
        predictions = classifier.predict(kept)
        uncertain = np.asarray(
            [any(f.needs_review for f in p.fields.values()) for p in predictions], dtype=bool
        )
        found_novelty = novelty(np.asarray(vectors), uncertain, references_of(classifier.bundle))
        signal, flagged = found_novelty.signal, found_novelty.candidates
        # A ticket far from every label, torn between two, says nothing about their overlap.
        for name, proba in classifier.predict_proba(kept).items():
            classes = classifier.manifest.fields[name].classes
            near = proba[~found_novelty.far]
            duplicates += [(name, a, b, s) for a, b, s in overlapping_labels(near, classes)]
        console.print(f"novelty: {signal}")
    found = discover(
        kept, texts, np.asarray(vectors), DiscoverConfig(min_cluster_size=min_cluster_size)
    )
    candidates = candidate_clusters(found, flagged) if flagged is not None else None
    clusters = candidates if candidates is not None else found.clusters
    if candidates is None:
        title = f"topics: {len(kept)} tickets, {found.noise} in no cluster"
    else:
        title = f"candidate new categories: {len(candidates)} of {len(found.clusters)} clusters"
        console.print(
            f"a candidate new category is a cluster of flagged tickets whose {NEIGHBOURS} "
            f"nearest of the export's {len(kept)} are on average >= {CANDIDATE_SHARE:.0%} "
            f"flagged (or an export cluster >= {CLUSTER_SHARE:.0%} flagged), seen in two weeks "
            "or more"
        )
    console.print(_table(title, clusters, candidates is not None))
    for c in clusters:
        console.print(f"  {escape(c.name)}: e.g. {escape(', '.join(c.representatives))}")
    if candidates == []:
        console.print("no candidate new categories in this export")
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
        html.write_text(
            _page(
                clusters,
                source=export.name,
                signal=signal,
                total=len(kept),
                noise=found.noise,
                candidates=candidates is not None,
                duplicates=duplicates,
            )
        )
        console.print(f"page written to {html}")
    if json_out is not None:
        payload = discovery_payload(
            source=export.name,
            model=classifier.version if classifier is not None else None,
            signal=signal,
            tickets=len(kept),
            flagged=None if flagged is None else int(flagged.sum()),
            noise=found.noise,
            clusters=found.clusters,
            candidates=candidates,
            duplicates=duplicates,
        )
        write_discovery(json_out, payload)
        console.print(f"JSON written to {json_out}")


def register(app: typer.Typer) -> None:
    app.command("discover")(discover_command)
