"""Base classes and helpers the generated models build on."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

from psycopg.types.json import Json, Jsonb
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainValidator


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

    # json/jsonb columns by database name; psycopg needs their values wrapped.
    _json_columns: ClassVar[dict[str, str]] = {}

    def to_db(self) -> dict[str, Any]:
        """{column name: value} for the fields that were set, ready as psycopg parameters.

        None means SQL NULL; JSON values are wrapped in psycopg's Json/Jsonb.
        """
        data = self.model_dump(exclude_unset=True, by_alias=True)
        for column, kind in self._json_columns.items():
            if data.get(column) is not None:
                data[column] = (Jsonb if kind == "jsonb" else Json)(data[column])
        return data


def psycopg_value(cls: type[Any]) -> PlainValidator:
    """Accept instances of a psycopg value class (Range, Multirange) as they are."""

    def check(value: object) -> object:
        if not isinstance(value, cls):
            raise ValueError(f"expected a psycopg {cls.__name__}, got {type(value).__name__}")
        return value

    return PlainValidator(check)


_MONEY = re.compile(r"(-?)\$?(-?)([0-9,]+(?:\.[0-9]+)?)")


def money_value() -> BeforeValidator:
    """Accept PostgreSQL's text form of money ("$1,234.56", "-$0.50") as well as numbers.

    psycopg returns money as the server's text, formatted by lc_monetary; the C and
    English locales print it as above. Other locales fail with a clear message.
    """

    def parse(value: object) -> object:
        if not isinstance(value, str):
            return value
        match = _MONEY.fullmatch(value.strip())
        if match is None:
            raise ValueError(
                f"money {value!r} is not in the form $1,234.56: set lc_monetary = 'C' on the server "
                "or select the column as numeric (column::numeric)"
            )
        sign = "-" if match[1] or match[2] else ""
        return Decimal(sign + match[3].replace(",", ""))

    return BeforeValidator(parse)
