"""Any JSON body → `Ticket`, following a mapping of attributes to dotted paths."""

from __future__ import annotations

from typing import Any

from classifier.records import Ticket
from serve.adapters.base import blank_to_none

_MISSING = object()


def _lookup(payload: Any, path: str) -> Any:
    value = payload
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


class GenericFieldError(ValueError):
    """A mapped field is missing or has the wrong type; `loc` is its path in the body."""

    def __init__(self, loc: list[str], message: str) -> None:
        super().__init__(message)
        self.loc = loc


_TICKET_ATTRIBUTES = {"id", "subject", "body", "created_at", "account_id"}


def generic_ticket(payload: Any, fields: dict[str, str]) -> Ticket:
    """A `Ticket` from any JSON, following `fields` (attribute → dotted path in the body).

    Attributes other than id, subject, body, created_at and account_id land in `metadata`.
    """
    values: dict[str, Any] = {}
    for attribute, path in fields.items():
        found = _lookup(payload, path)
        if found is _MISSING or blank_to_none(found) is None:
            continue
        if isinstance(found, dict | list):
            raise GenericFieldError(path.split("."), f"'{path}' must be a string, not an object")
        values[attribute] = found if attribute == "created_at" else str(found)
    if "id" not in values:
        path = fields.get("id", "id")
        raise GenericFieldError(path.split("."), f"the ticket id ('{path}') is missing")
    own = {k: v for k, v in values.items() if k in _TICKET_ATTRIBUTES}
    extra = {k: v for k, v in values.items() if k not in _TICKET_ATTRIBUTES}
    return Ticket.model_validate({**own, "metadata": extra})
