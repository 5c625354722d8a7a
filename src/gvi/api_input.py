"""The base of every API input schema: what Django's forms refuse, the API refuses too (a 422, never a
database error): NUL characters in text, datetimes outside any plausible range, and explicit nulls in a
PATCH for fields that cannot be empty."""

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from ninja import Schema
from pydantic import field_validator, model_validator

EARLIEST_YEAR = 1900
LATEST_YEAR = 2200


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(item) for item in value)
    return False


class InputSchema(Schema):
    @field_validator("*", mode="before")
    @classmethod
    def refuse_nul_characters(cls, value: Any) -> Any:
        if _contains_nul(value):
            raise ValueError("Texten får inte innehålla NUL-tecken (\\x00).")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def plausible_dates_in_utc(cls, value: Any) -> Any:
        # PostgreSQL refuses UTC offsets beyond ±15:59 that ISO 8601 allows: store every instant in UTC.
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC)
        if isinstance(value, date) and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValueError(f"Datumet måste ligga mellan år {EARLIEST_YEAR} och {LATEST_YEAR}.")
        return value


class PatchSchema(InputSchema):
    """A partial update: a field left out is unchanged; an explicit null is only allowed for the fields
    listed in `clearable` (nullable in the model)."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def refuse_null_for_required_fields(self):
        refused = sorted(
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name not in self.clearable
        )
        if refused:
            raise ValueError(f"Fälten får inte vara tomma (null): {', '.join(refused)}.")
        return self


# The largest id a database integer column holds: larger filter values are a 422, not an overflow.
ID_MAX = 2**63 - 1
