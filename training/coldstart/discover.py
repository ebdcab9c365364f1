"""Discovery: cluster an export's tickets, name each cluster from its terms, draft a taxonomy.

Clustering is scikit-learn's HDBSCAN on the embeddings reduced by PCA: it needs no number of
clusters (a team starting out does not know it), finds clusters of different densities, and
leaves tickets that belong to no topic as noise instead of forcing them into one. PCA first
keeps its neighbour searches fast on 20,000 tickets. Terms are class-based TF-IDF (BERTopic's
c-TF-IDF): a cluster's term frequency times log(1 + average cluster size / term frequency).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import yaml
from sklearn.cluster import HDBSCAN
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.neighbors import NearestNeighbors

from classifier.errors import TicketlensError
from classifier.records import Ticket

MIN_TICKETS = 20


@dataclass(frozen=True)
class DiscoverConfig:
    min_cluster_size: int | None = None
    """Default: 1 % of the tickets, at least 5."""
    dimensions: int = 32
    terms: int = 8
    representatives: int = 5
    seed: int = 0
    leaf: bool = False
    """HDBSCAN's leaf clusters (the finest) rather than its most stable ones ("eom")."""


@dataclass(frozen=True)
class Cluster:
    id: int
    size: int
    share: float
    """Share (%) of the clustered tickets (noise included in the total)."""
    terms: list[str]
    representatives: list[str]
    """Ids of the tickets nearest the cluster's centre, nearest first."""
    examples: list[str]
    """Their text (shown to the person editing the draft; never stored in a bundle)."""
    weekly: dict[str, int]
    """ISO week (YYYY-Www) → tickets, for tickets with a creation date."""
    accounts: int
    name: str
    rows: list[int]
    """Its tickets' positions in the export."""
    flagged: int | None = None
    """With a model: its tickets the model is unsure of or finds far from every label."""

    @property
    def weeks(self) -> int:
        """ISO weeks with at least one of its tickets."""
        return sum(1 for n in self.weekly.values() if n)


@dataclass(frozen=True)
class Discovery:
    clusters: list[Cluster]
    labels: np.ndarray
    """Cluster id per ticket, -1 for noise."""
    noise: int
    tickets: Sequence[Ticket]
    texts: Sequence[str]
    vectors: np.ndarray
    config: DiscoverConfig


def cluster_size(n: int, config: DiscoverConfig) -> int:
    """The smallest cluster among `n` tickets."""
    return config.min_cluster_size or max(5, n // 100)


def tickets_needed(n: int, config: DiscoverConfig) -> int:
    """How many tickets clustering `n` of them needs (more than `n`: too few)."""
    return max(MIN_TICKETS, 2 * cluster_size(n, config))


def cluster_vectors(vectors: np.ndarray, config: DiscoverConfig) -> np.ndarray:
    """HDBSCAN cluster ids (-1: noise) of the rows of `vectors`."""
    n = len(vectors)
    size = cluster_size(n, config)
    if n < tickets_needed(n, config):
        raise TicketlensError(
            f"{n} tickets are too few to cluster: discovery needs at least "
            f"{tickets_needed(n, config)} (a cluster holds at least {size}; lower it with "
            "--min-cluster-size)"
        )
    dims = min(config.dimensions, vectors.shape[1], n - 1)
    reduced = PCA(n_components=dims, random_state=config.seed).fit_transform(vectors)
    reduced /= np.maximum(np.linalg.norm(reduced, axis=1, keepdims=True), 1e-12)
    found: np.ndarray = HDBSCAN(
        min_cluster_size=size,
        min_samples=min(size, 5),
        cluster_selection_method="leaf" if config.leaf else "eom",
        copy=True,
    ).fit_predict(reduced)
    return found


def class_terms(texts: Sequence[str], labels: np.ndarray, n_terms: int) -> dict[int, list[str]]:
    """c-TF-IDF's top terms per cluster id (noise left out)."""
    ids = sorted(int(c) for c in set(labels.tolist()) if c >= 0)
    if not ids:
        return {}
    docs = [" ".join(t for t, c in zip(texts, labels, strict=True) if c == i) for i in ids]
    vectorizer = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][\w-]+\b")
    counts = vectorizer.fit_transform(docs).toarray().astype(float)
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    idf = np.log(1 + counts.sum(axis=1).mean() / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf
    vocabulary = vectorizer.get_feature_names_out()
    return {
        i: [str(vocabulary[j]) for j in np.argsort(-scores[k])[:n_terms] if scores[k, j] > 0]
        for k, i in enumerate(ids)
    }


def _name(terms: list[str], taken: set[str], cluster: int) -> str:
    base = "_".join(terms[:2]) or f"topic_{cluster}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def discover(
    tickets: Sequence[Ticket],
    texts: Sequence[str],
    vectors: np.ndarray,
    config: DiscoverConfig | None = None,
) -> Discovery:
    """Cluster the tickets (their prepared `texts` and embeddings) and describe every cluster."""
    config = config or DiscoverConfig()
    labels = cluster_vectors(vectors, config)
    terms = class_terms(texts, labels, config.terms)
    taken: set[str] = set()
    clusters = []
    for cluster, cluster_terms in terms.items():
        members = np.flatnonzero(labels == cluster)
        centre = vectors[members].mean(axis=0)
        nearest = members[np.argsort(-(vectors[members] @ centre))[: config.representatives]]
        weekly = Counter(
            f"{t.created_at.isocalendar().year}-W{t.created_at.isocalendar().week:02d}"
            for t in (tickets[i] for i in members.tolist())
            if t.created_at is not None
        )
        clusters.append(
            Cluster(
                id=cluster,
                size=len(members),
                share=100.0 * len(members) / len(labels),
                terms=cluster_terms,
                representatives=[tickets[i].id for i in nearest.tolist()],
                examples=[texts[i] for i in nearest.tolist()],
                weekly=dict(sorted(weekly.items())),
                accounts=len(
                    {tickets[i].account_id for i in members.tolist() if tickets[i].account_id}
                ),
                name=_name(cluster_terms, taken, cluster),
                rows=members.tolist(),
            )
        )
    clusters.sort(key=lambda c: -c.size)
    return Discovery(
        clusters=clusters,
        labels=labels,
        noise=int((labels < 0).sum()),
        tickets=tickets,
        texts=texts,
        vectors=vectors,
        config=config,
    )


NEIGHBOURS = 20
CANDIDATE_SHARE = 0.5
"""Least mean flagged share of a candidate's tickets' `NEIGHBOURS` nearest in the export."""
CLUSTER_SHARE = 1 / 3
"""Least flagged share of a whole-export cluster to be a candidate (sample export, MiniLM, one
category held out at a time: 42-48 % in the held-out category's cluster, known ones ≤ 20 %)."""


def flagged_nearby(vectors: np.ndarray, flagged: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per ticket of `rows`: the flagged share of its `NEIGHBOURS` nearest others (cosine)."""
    k = min(NEIGHBOURS, len(vectors) - 1)
    search = NearestNeighbors(n_neighbors=k + 1, metric="cosine", algorithm="brute")
    nearest = search.fit(vectors).kneighbors(vectors[rows], return_distance=False)
    share: np.ndarray = flagged[nearest[:, 1:]].mean(axis=1)  # the first is the ticket itself
    return share


def _among_flagged(
    discovery: Discovery, flagged: np.ndarray, share: float, min_weeks: int
) -> tuple[list[Cluster], np.ndarray]:
    """The leaf clusters of the flagged tickets among flagged neighbours, and their rows."""
    rows = np.flatnonzero(flagged)
    config = replace(discovery.config, leaf=True)
    taken = np.zeros(len(flagged), dtype=bool)
    if len(rows) < tickets_needed(len(rows), config):
        return [], taken
    picked = rows.tolist()
    subset = [discovery.tickets[i] for i in picked], [discovery.texts[i] for i in picked]
    among = discover(*subset, discovery.vectors[rows], config)
    nearby = flagged_nearby(discovery.vectors, flagged, rows)
    found = []
    for c in among.clusters:
        if c.weeks >= min_weeks and nearby[c.rows].mean() >= share:
            mine = rows[c.rows].tolist()
            found.append(replace(c, share=100 * c.size / len(flagged), flagged=c.size, rows=mine))
            taken[mine] = True
    return found, taken


def candidate_clusters(
    discovery: Discovery,
    flagged: np.ndarray,
    share: float = CANDIDATE_SHARE,
    min_weeks: int = 2,
) -> list[Cluster]:
    """Candidate new categories among the `flagged` tickets (training.coldstart.novelty's
    candidates), each seen in `min_weeks` ISO weeks or more (a topic, not one incident):

    - HDBSCAN's leaf clusters of the flagged tickets alone (smallest cluster 1 % of them, at
      least 5, or --min-cluster-size) where, on average, at least `share` of their tickets'
      `NEIGHBOURS` nearest tickets in the whole export are flagged too;
    - then the export's own clusters at least `CLUSTER_SHARE` flagged, unless half their
      flagged tickets are in a candidate already (HDBSCAN never returns its root, so flagged
      tickets that are one topic and a few strays form no cluster by themselves).

    Why. A known label's stray tickets sit next to its unflagged ones; a new topic's flagged
    tickets sit among its other tickets, flagged as well. The export's clusters alone miss new
    topics in a fine-grained taxonomy (banking77: none of 3 held-out intents); leaves, as the
    most stable clusters merged neighbouring intents. Measured in docs/benchmarks.md
    ("New-category test", `bench/coldstart.py --only newcat`).
    """
    flagged = np.asarray(flagged, dtype=bool)
    found, taken = _among_flagged(discovery, flagged, share, min_weeks)
    names = {c.name for c in found}
    for cluster in discovery.clusters:
        inside = (discovery.labels == cluster.id) & flagged
        count = int(inside.sum())
        known = cluster.weeks < min_weeks or count < max(1, CLUSTER_SHARE * cluster.size)
        if not known and taken[inside].mean() < 0.5:
            name = cluster.name if cluster.name not in names else _name(cluster.terms, names, 0)
            found.append(replace(cluster, flagged=count, name=name))
            names.add(name)
    return found


def draft_taxonomy(discovery: Discovery, field: str = "category") -> str:
    """A taxonomy YAML a person edits and passes to `ticketlens train --zero-shot`."""
    labels = {}
    for cluster in discovery.clusters:
        example = cluster.examples[0][:120].replace("\n", " ") if cluster.examples else ""
        labels[cluster.name] = {
            "description": f"Tickets about {', '.join(cluster.terms[:5])}.",
            "examples": [example] if example else [],
        }
    header = (
        "# Draft taxonomy from `ticketlens discover`: rename the labels, merge or drop clusters,\n"
        "# sharpen the descriptions, then `ticketlens train --zero-shot --taxonomy THIS EXPORT`.\n"
    )
    return header + yaml.safe_dump({"fields": {field: labels}}, sort_keys=False, allow_unicode=True)


def overlapping_labels(
    proba: np.ndarray, classes: Sequence[str], *, margin: float = 0.1, share: float = 0.3
) -> list[tuple[str, str, float]]:
    """Label pairs the model keeps confusing: of the tickets whose best label is one of the
    pair, the share whose second-best is the other within `margin`; pairs at or above `share`
    are possible duplicates, most overlapping first."""
    if proba.shape[1] < 2 or not len(proba):
        return []
    order = np.argsort(-proba, axis=1)
    best, second = order[:, 0], order[:, 1]
    close = proba[np.arange(len(proba)), best] - proba[np.arange(len(proba)), second] < margin
    counts = Counter(best.tolist())
    pairs = Counter(
        tuple(sorted((int(a), int(b)))) for a, b in zip(best[close], second[close], strict=True)
    )
    found = []
    for (a, b), n in pairs.items():
        smaller = min(counts[a], counts[b]) or max(counts[a], counts[b])
        if smaller and n / smaller >= share:
            found.append((str(classes[a]), str(classes[b]), n / smaller))
    return sorted(found, key=lambda pair: -pair[2])
