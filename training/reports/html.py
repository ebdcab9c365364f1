"""Render self-contained HTML pages from the Jinja2 templates beside this module.

The pages carry their CSS and SVG charts inline and load nothing from the network, so one file
can be mailed or opened offline. Every value reaches the markup through autoescaping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup


@dataclass(frozen=True)
class Section:
    """One part of a page: the template that draws it and the data it is drawn from."""

    template: str
    data: Mapping[str, object] = field(default_factory=dict)


@cache
def environment() -> jinja2.Environment:
    """The one template environment, built on first use and kept."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("training.reports", "templates"),
        # The templates end in .j2, which the default list of extensions does not cover.
        autoescape=jinja2.select_autoescape(("html", "j2"), default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_section(section: Section) -> Markup:
    """One section's HTML, safe to place in the page as it is."""
    return Markup(environment().get_template(section.template).render(section.data))


def page(title: str, sections: Sequence[Section]) -> str:
    """A whole HTML document holding `sections`, in order."""
    return (
        environment()
        .get_template("page.html.j2")
        .render(
            title=title,
            stamp=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            sections=[render_section(s) for s in sections],
        )
    )


def write_page(path: Path, title: str, sections: Sequence[Section]) -> None:
    """Write the page atomically, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(page(title, sections), encoding="utf-8")
    temporary.replace(path)
