"""Turn a ticket into the text the embedding model sees.

Helpdesk text carries a lot that says nothing about the ticket's topic: HTML markup, the quoted
thread of earlier replies, signatures and phone footers. They are removed before embedding so the
model's short window is spent on the customer's own words.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup

from classifier.records import Ticket
from classifier.text_structure import strip_structure

_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
_BLOCK_TAGS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)

# The first line of a quoted earlier message; everything from it on is dropped.
_QUOTE_HEADERS = [
    re.compile(r"^\s*On .{3,200}wrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Am .{3,200}schrieb.*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le .{3,200}a écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message)\s*-{2,}", re.IGNORECASE),
    re.compile(r"^\s*From:\s.+$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),
]
# The first line of a signature; everything from it on is dropped.
_SIGNATURE_STARTS = [
    re.compile(r"^--\s*$"),
    re.compile(r"^\s*Sent from my \w+", re.IGNORECASE),
    re.compile(
        r"^\s*(best|kind|warm)?\s*(regards|wishes|cheers|thanks|thank you|many thanks|"
        r"best|sincerely|br|thx)\s*[,!.]?\s*$",
        re.IGNORECASE,
    ),
]
_CUT_LINES = _QUOTE_HEADERS + _SIGNATURE_STARTS
# All of them as one expression (each keeps its own flags): one match call per line, not nine.
_CUT_LINE = re.compile(
    "|".join(
        f"(?i:{p.pattern})" if p.flags & re.IGNORECASE else f"(?:{p.pattern})" for p in _CUT_LINES
    )
)
_QUOTED_LINE = re.compile(r"^\s*>")
_WHITESPACE = re.compile(r"[ \t\r\f\v]+")
_BLANKS_TO_SPACES = str.maketrans("\t\r\f\v", "    ")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class PreparedText:
    """The cleaned text of one ticket; `text` is empty when nothing is left to classify."""

    text: str

    @property
    def is_empty(self) -> bool:
        return not self.text


def strip_html(text: str) -> str:
    """Remove markup and decode entities, keeping line breaks where blocks ended."""
    if not _HTML_TAG.search(text):
        return html.unescape(text)
    text = _BLOCK_TAGS.sub(lambda m: m.group(0) + "\n", text)
    return BeautifulSoup(text, "html.parser").get_text()


def collapse_whitespace(text: str) -> str:
    """`_WHITESPACE.sub(" ", text)`: each run of spaces, tabs, CR, FF and VT becomes one space.

    The expression visits every single space of a text, though nearly all of them stay as they
    are; string methods find the tabs and the runs directly (tested against the expression).
    """
    if "\t" in text or "\r" in text or "\f" in text or "\v" in text:
        text = text.translate(_BLANKS_TO_SPACES)
    while "  " in text:
        text = text.replace("  ", " ")
    return text


def strip_quotes_and_signature(text: str) -> str:
    """Cut the text at the first quoted-reply header or signature line; drop `>` lines."""
    kept: list[str] = []
    for line in text.split("\n"):
        # A ticket that *starts* with "Thanks," is not a signature: only cut after some text.
        if kept and _CUT_LINE.match(line):
            break
        if _QUOTED_LINE.match(line):
            continue
        kept.append(line)
    return "\n".join(kept)


def clean_body(body: str, structure: bool = False) -> str:
    """Strip HTML, quoted replies, signatures and redundant whitespace from a ticket body.

    With `structure`, code blocks, stack traces, log dumps and issue-template scaffolding go too
    (`classifier.text_structure.strip_structure`), before whitespace loses the indentation.
    """
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    text = strip_html(strip_structure(body) if structure else body)
    text = strip_quotes_and_signature(text)
    text = collapse_whitespace(text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def prepare_subject(ticket: Ticket) -> str:
    """The subject line alone, as `prepare_text` puts it first (the subject block's text)."""
    return collapse_whitespace(strip_html(ticket.subject)).strip()


def prepare_text(ticket: Ticket, max_chars: int = 4000, structure: bool = False) -> PreparedText:
    """Join subject and cleaned body into the text to embed.

    `max_chars` is a cheap pre-cut so a 1 MB pasted log never reaches the tokenizer; the exact cut
    to the model's token window happens in the embedder, which also reports it. `structure`
    (off unless a bundle's manifest records `text_structure`) also strips code, traces, logs and
    templates from the body.
    """
    subject = prepare_subject(ticket)
    body = clean_body(ticket.body, structure)
    if subject and body.startswith(subject):
        body = body[len(subject) :].lstrip()
    text = f"{subject}\n{body}".strip() if subject else body
    return PreparedText(text=text[:max_chars])
