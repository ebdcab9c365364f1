"""Text checks at the HTTP edge, so one ticket's bytes can fail only that ticket.

Lone surrogates and NUL characters are refused (422 naming the field), not replaced: a changed id
or text would be stored under a value the helpdesk never sent. Dates outside 1970-2100 and ids
over 255 characters are refused too (the log cannot store them). Text made only of whitespace and
zero-width characters is treated as empty (the model abstains with reason `empty`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from classifier.records import Ticket

MAX_ID_LENGTH = 255
YEARS = (1970, 2100)
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad"


class EdgeError(ValueError):
    """A value the service will not take; `field` names it (`id`, `subject`, `metadata.tier`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def refuse_unencodable(value: str) -> str:
    """`value` unchanged, or ValueError for a NUL or a lone surrogate (not valid UTF-8 text)."""
    if "\x00" in value:
        raise ValueError("holds a NUL character (U+0000); remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(value[exc.start])
        raise ValueError(f"holds a lone surrogate (U+{code:04X}); send valid UTF-8") from exc
    return value


def printable(value: str) -> str:
    """`value` with anything that is not valid UTF-8 escaped, safe to echo in an answer."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def check_year(value: datetime | None) -> datetime | None:
    """`value` unchanged, or ValueError outside the years the service accepts."""
    if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
        raise ValueError(f"year {value.year} is outside {YEARS[0]}-{YEARS[1]}")
    return value


def blank_if_invisible(text: str) -> str:
    """'' for text of only whitespace and zero-width characters, else `text` unchanged."""
    return "" if not text.strip().strip(_INVISIBLE).strip() else text


def _check_string(field: str, value: Any, max_length: int | None = None) -> None:
    if not isinstance(value, str):
        return
    try:
        refuse_unencodable(value)
    except ValueError as exc:
        raise EdgeError(field, str(exc)) from exc
    if max_length is not None and len(value) > max_length:
        raise EdgeError(field, f"is {len(value)} characters, at most {max_length} are stored")


def checked_ticket(ticket: Ticket) -> Ticket:
    """`ticket` with invisible-only text blanked; `EdgeError` for a value it cannot serve."""
    if not ticket.id:
        raise EdgeError("id", "is empty")
    _check_string("id", ticket.id, MAX_ID_LENGTH)
    _check_string("account_id", ticket.account_id, MAX_ID_LENGTH)
    _check_string("subject", ticket.subject)
    _check_string("body", ticket.body)
    for key, value in {**ticket.metadata, **ticket.labels}.items():
        name = f"metadata.{printable(key)[:40]}"
        _check_string(name, key)
        _check_string(name, value)
    try:
        check_year(ticket.created_at)
    except ValueError as exc:
        raise EdgeError("created_at", str(exc)) from exc
    subject, body = blank_if_invisible(ticket.subject), blank_if_invisible(ticket.body)
    if (subject, body) == (ticket.subject, ticket.body):
        return ticket
    return ticket.model_copy(update={"subject": subject, "body": body})
