"""What every helpdesk payload model shares: blanks read as missing, extra keys kept."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, field_validator

from classifier.records import MetadataValue
from serve.lenient import DropsUnparsable


def blank_to_none(value: Any) -> Any:
    # Helpdesk placeholders render missing values as "" (or "null" text).
    if isinstance(value, str) and value.strip() in ("", "null", "None"):
        return None
    return value


class Incoming(DropsUnparsable):
    """A helpdesk's ticket object; its `lenient_dates` that do not parse are dropped, warned."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blanks(cls, value: Any) -> Any:
        return blank_to_none(value)


def metadata_of(values: dict[str, Any]) -> dict[str, MetadataValue]:
    return {k: v for k, v in values.items() if v is not None and isinstance(v, str | int | float)}
