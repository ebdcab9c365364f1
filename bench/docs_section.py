"""Put one benchmark's section into docs/benchmarks.md, between its own markers."""

from __future__ import annotations

from pathlib import Path

REPORT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_section(
    name: str, body: str, *, heading: str = "", after: str = "", report: Path = REPORT
) -> None:
    """Replace the text between `<!-- name:begin -->` and `<!-- name:end -->` with `body`.

    Without the markers the section (after `heading` when one is given) goes right after the
    first line `after` where the report has one (another section's end marker), else at the end.
    """
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    section = f"{begin}\n{body.strip(chr(10))}\n{end}"
    text = report.read_text() if report.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        lead = f"{heading}\n\n" if heading else ""
        anchor = f"\n{after}\n"
        if after and anchor in text:
            head, rest = text.split(anchor, 1)
            text = f"{head}{anchor}\n{lead}{section}\n{rest}"
        else:
            text = text.rstrip("\n") + "\n\n" + lead + section + "\n"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(text)
