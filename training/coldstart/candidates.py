"""`discover --json`: the clusters and candidate new categories as a file `report` reads back.

The file holds ticket ids, counts and terms, never ticket text. `candidate_new_categories` lists
the clusters of the model's novelty candidates whose nearest tickets are mostly candidates too,
seen in two ISO weeks or more (training.coldstart.discover.candidate_clusters); null when
discover ran without a model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.errors import TicketlensError
from training.coldstart.discover import Cluster

FORMAT = "ticketlens-discover/1"


@dataclass(frozen=True)
class CandidateCategory:
    name: str
    size: int
    weeks: int
    accounts: int
    terms: list[str]
    example_ids: list[str]


@dataclass(frozen=True)
class CandidateFile:
    source: str
    model: str
    signal: str
    candidates: list[CandidateCategory]


def cluster_record(cluster: Cluster) -> dict[str, Any]:
    return {
        "name": cluster.name,
        "size": cluster.size,
        "share": round(cluster.share, 2),
        "weeks": cluster.weeks,
        "weekly": cluster.weekly,
        "accounts": cluster.accounts,
        "terms": cluster.terms,
        "example_ids": cluster.representatives,
        "flagged": cluster.flagged,
    }


def discovery_payload(
    *,
    source: str,
    model: str | None,
    signal: str | None,
    tickets: int,
    flagged: int | None,
    noise: int,
    clusters: Sequence[Cluster],
    candidates: Sequence[Cluster] | None,
    duplicates: Sequence[tuple[str, str, str, float]] = (),
) -> dict[str, Any]:
    """The JSON document (see the module docstring); `flagged`: the novelty candidates."""
    return {
        "format": FORMAT,
        "source": source,
        "model": model,
        "novelty": signal,
        "tickets": tickets,
        "flagged": flagged,
        "noise": noise,
        "clusters": [cluster_record(c) for c in clusters],
        "candidate_new_categories": (
            None if candidates is None else [cluster_record(c) for c in candidates]
        ),
        "possible_duplicates": [
            {"field": f, "labels": [a, b], "overlap": round(s, 4)} for f, a, b, s in duplicates
        ],
    }


def write_discovery(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def read_candidates(path: Path) -> CandidateFile:
    """The candidate new categories of a `discover --model --json` file."""
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise TicketlensError(
            "no such file (write it with `ticketlens discover --json`)", file=path
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise TicketlensError(f"not a discover JSON file ({error})", file=path) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise TicketlensError(
            f"not a discover JSON file (expected format '{FORMAT}'; write it with "
            "`ticketlens discover EXPORT --model M --json PATH`)",
            file=path,
        )
    found = raw.get("candidate_new_categories")
    if found is None:
        raise TicketlensError(
            "this file lists topics, not candidate new categories: run "
            "`ticketlens discover EXPORT --model M --json PATH`",
            file=path,
        )
    try:
        candidates = [
            CandidateCategory(
                name=str(c["name"]),
                size=int(c["size"]),
                weeks=int(c["weeks"]),
                accounts=int(c["accounts"]),
                terms=[str(t) for t in c["terms"]],
                example_ids=[str(i) for i in c["example_ids"]],
            )
            for c in found
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise TicketlensError(f"a candidate entry is malformed ({error!r})", file=path) from None
    return CandidateFile(
        source=str(raw.get("source", "")),
        model=str(raw.get("model", "")),
        signal=str(raw.get("novelty") or ""),
        candidates=candidates,
    )
