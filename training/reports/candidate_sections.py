"""The report page's "Candidate new categories" section, from a `discover --model --json` file
(`ticketlens report --candidates FILE`)."""

from __future__ import annotations

from training.coldstart.candidates import CandidateFile
from training.reports.charts import Table
from training.reports.html import Section

HEADERS = ["name", "tickets", "weeks", "accounts", "top terms", "example ids"]


def candidate_rows(found: CandidateFile) -> list[list[object]]:
    """One row per candidate, in the file's order (largest first), for the page and terminal."""
    return [
        [c.name, c.size, c.weeks, c.accounts, ", ".join(c.terms[:6]), ", ".join(c.example_ids)]
        for c in found.candidates
    ]


def candidates_section(found: CandidateFile, path: str) -> Section:
    return Section(
        "report_candidates.html.j2",
        {
            "path": path,
            "source": found.source,
            "model": found.model,
            "signal": found.signal,
            "found": Table(HEADERS, candidate_rows(found), digits=0),
        },
    )
