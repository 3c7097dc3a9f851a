"""Base classes and helpers the generated models build on."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from pydantic_core import to_jsonable_python


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


def unset() -> Any:
    """The default factory of a field that may be left out (`Field(default_factory=unset)`): UNSET.

    A factory rather than `default=UNSET`, so that JSON Schema shows the field as optional with
    no default (UNSET has no JSON form) and FastAPI builds its OpenAPI document without a warning.
    """
    return UNSET


def is_unset(value: object) -> bool:
    """True for a field that was not given."""
    return value is UNSET


class Row(BaseModel):
    """A row as the database returns it: every column, keyed by column name."""

    # defer_build: a model builds its validator when first used, not when its module is imported.
    # protected_namespaces=(): a column named model_dump is the field model_dump_ (names.field_name
    # keeps every field off BaseModel's own attributes), which pydantic would warn about at import.
    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        defer_build=True,
        protected_namespaces=(),
    )


class Changes(Row):
    """An Insert or Update shape: only the fields that were given reach the database."""

    # Built when its table's module is imported (about 1 ms a model), not deferred: FastAPI makes
    # a deferred model a request body in a way pydantic warns about ("The 'alias' attribute with
    # value 'body' was provided to the `Field()` function") when it builds the OpenAPI document.
    model_config = ConfigDict(defer_build=False)

    # json/jsonb columns by database name; psycopg needs their values wrapped.
    _json_columns: ClassVar[dict[str, str]] = {}

    # A field left out has no value (UNSET, which JSON cannot say): model_dump() and
    # model_dump_json() leave it out unless exclude_unset=False is asked for.
    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("exclude_unset", True)
        return super().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("exclude_unset", True)
        return super().model_dump_json(**kwargs)

    def to_db(self) -> dict[str, Any]:
        """{column name: value} for the fields that were set, ready as psycopg parameters.

        None means SQL NULL; JSON values are wrapped in psycopg's Json/Jsonb; secret
        columns are included (they are the point of an insert).
        """
        data = self.model_dump(exclude_unset=True, by_alias=True, context={"reveal": "*"})
        for column, kind in self._json_columns.items():
            if data.get(column) is not None:
                data[column] = json_param(kind, data[column])
        return data


def json_param(kind: str, value: Any) -> Any:
    """`value` of a json or jsonb column (`kind`; "jsonb[]": an array of them) wrapped for psycopg,
    which otherwise sends a dict as hstore or fails, a list as an array, and a str as text."""
    # Imported here: importing the models need not import psycopg (0.1 s).
    from psycopg.types.json import Json, Jsonb

    if value is None:
        return None
    if kind.endswith("[]"):
        return [json_param(kind[:-2], item) for item in value]
    return (Jsonb if kind == "jsonb" else Json)(value)


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


def _with_secrets(model: BaseModel, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
    """model_dump() as usual, plus the secret fields named in context={"reveal": [...]} ("*" for all)."""
    data = handler(model)
    context = info.context
    reveal = context.get("reveal") if isinstance(context, dict) else None
    if not reveal or not isinstance(data, dict):
        return data
    fields = type(model).model_fields
    for name in model._secret_fields:  # type: ignore[attr-defined]
        alias = fields[name].serialization_alias
        if reveal != "*" and name not in reveal and alias not in reveal:
            continue
        if (info.exclude_unset and name not in model.model_fields_set) or (
            info.include is not None and name not in info.include
        ):
            continue
        value = getattr(model, name)
        data[alias if info.by_alias and alias else name] = to_jsonable_python(value) if info.mode == "json" else value
    return data


class SecretRow(Row):
    """A row with secret columns (a password hash, a token): they stay readable as attributes, but
    repr() leaves them out, and so do model_dump() and JSON unless revealed by name, like Prisma's
    `omit`: `account.model_dump(context={"reveal": ["password"]})`."""

    _secret_fields: ClassVar[frozenset[str]] = frozenset()

    # No return annotation, on purpose: pydantic then describes the serialized form by the model's
    # own fields (JSON Schema, FastAPI's OpenAPI, the secret ones left out); `-> Any` would make it {}.
    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo):  # type: ignore[no-untyped-def]
        return _with_secrets(self, handler, info)


class SecretChanges(Changes):
    """An Insert or Update shape with secret columns: hidden as in SecretRow; to_db() includes them."""

    _secret_fields: ClassVar[frozenset[str]] = frozenset()

    # No return annotation, on purpose: pydantic then describes the serialized form by the model's
    # own fields (JSON Schema, FastAPI's OpenAPI, the secret ones left out); `-> Any` would make it {}.
    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo):  # type: ignore[no-untyped-def]
        return _with_secrets(self, handler, info)


class Input(Changes):
    """A request body: a table's Insert or Update model without the columns the server sets
    ([tool.codegen] server_columns, or @server in a column's comment). A field it does not have
    is refused (extra="forbid": FastAPI answers 422 naming it); to_insert()/to_update() make the
    model the table layer takes."""

    model_config = ConfigDict(extra="forbid")

    def given(self) -> dict[str, Any]:
        """The fields given, by column name, secret ones included."""
        return self.model_dump(exclude_unset=True, by_alias=True, context={"reveal": "*"})


class SecretInput(Input):
    """An Input with secret columns: hidden as in SecretRow; given() includes them."""

    _secret_fields: ClassVar[frozenset[str]] = frozenset()

    # No return annotation, on purpose: see SecretRow.
    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo):  # type: ignore[no-untyped-def]
        return _with_secrets(self, handler, info)


# A transaction's isolation level, as db.transaction(isolation=...) takes it.
Isolation = Literal["read committed", "repeatable read", "serializable"]


def set_transaction(isolation: Isolation | None, read_only: bool, deferrable: bool) -> str:
    """The SET TRANSACTION a transaction with these options begins with ("" for the defaults);
    a wrong value is refused here, before BEGIN."""
    if isolation is not None and isolation not in get_args(Isolation):
        raise ValueError(f"isolation is one of {', '.join(repr(i) for i in get_args(Isolation))} (got {isolation!r})")
    if deferrable and (isolation != "serializable" or not read_only):
        # PostgreSQL ignores DEFERRABLE elsewhere: say so rather than let it do nothing.
        raise ValueError('deferrable=True needs isolation="serializable" and read_only=True')
    parts = [f"ISOLATION LEVEL {isolation.upper()}"] if isolation else []
    parts += ["READ ONLY"] if read_only else []
    parts += ["DEFERRABLE"] if deferrable else []
    return f"SET TRANSACTION {' '.join(parts)}" if parts else ""
