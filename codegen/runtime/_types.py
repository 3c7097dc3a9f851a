"""Base classes and helpers the generated models build on."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, PlainValidator


class _Unset:
    """The value of a field that was not given (as opposed to one set to None)."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


# Typed as Any so that `name: str = UNSET` type-checks; `to_db()` never emits it.
UNSET: Any = _Unset()


def is_unset(value: object) -> bool:
    """True for a field that was not given."""
    return value is UNSET


class Row(BaseModel):
    """A row as the database returns it: every column, keyed by column name."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)


class Changes(Row):
    """An Insert or Update shape: only the fields that were given reach the database."""

    def to_db(self) -> dict[str, Any]:
        """{column name: value} for the fields that were set; None means SQL NULL."""
        return self.model_dump(exclude_unset=True, by_alias=True)


def psycopg_value(cls: type[Any]) -> PlainValidator:
    """Accept instances of a psycopg value class (Range, Multirange) as they are."""

    def check(value: object) -> object:
        if not isinstance(value, cls):
            raise ValueError(f"expected a psycopg {cls.__name__}, got {type(value).__name__}")
        return value

    return PlainValidator(check)
