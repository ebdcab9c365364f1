"""Optional fields that do not parse are dropped with a warning, not a failed ticket.

A helpdesk that sends `created_at: "18/05/2024 10:00"` still wants its ticket classified: the
date is optional, so it is left out and the answer's `warnings` says so. A date that parses but
is out of range (years outside 1970-2100) is still refused by `serve.edge.check_year`, and
required fields still fail as before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, PrivateAttr, TypeAdapter, ValidationError, model_validator
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


class DropsUnparsable(BaseModel):
    """A body whose `lenient_dates` fields are dropped (with a warning) when they do not parse."""

    lenient_dates: ClassVar[tuple[str, ...]] = ()
    _warnings: list[str] = PrivateAttr(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """One line per optional field that was dropped."""
        return list(self._warnings)

    @model_validator(mode="wrap")
    @classmethod
    def _drop_unparsable(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        dropped: list[str] = []
        if isinstance(data, dict):
            data = dict(data)
            for name in cls.lenient_dates:
                value = data.get(name)
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                try:
                    _DATETIME.validate_python(value)
                except ValidationError:
                    del data[name]
                    dropped.append(
                        f"{name}: {str(value)[:64]!r} is not an ISO 8601 date or Unix time; "
                        "the ticket was classified without it"
                    )
        model = handler(data)
        if isinstance(model, DropsUnparsable):
            model._warnings = dropped
        return model
