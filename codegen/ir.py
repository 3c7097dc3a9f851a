"""The intermediate representation: what the database holds, and nothing about Python.

Frozen, sorted dataclasses, so that two introspections of the same database compare
equal and dump to the same JSON (`python -m codegen dump-ir`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

RelationKind = Literal["table", "partitioned table", "view", "materialized view"]
TypeKind = Literal["base", "enum", "domain", "composite", "range", "multirange", "pseudo"]


@dataclass(frozen=True)
class TypeRef:
    """A column's type: `name` is the element type for arrays (`dims` > 0)."""

    schema: str
    name: str
    kind: TypeKind
    dims: int = 0
    length: int | None = None  # varchar(n), char(n), bit(n)
    precision: int | None = None  # numeric(p, s), time(p)
    scale: int | None = None
    sql: str = ""  # format_type(), as PostgreSQL prints it

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Check:
    name: str
    expression: str  # pg_get_constraintdef(): "CHECK ((price > (0)::numeric))"
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Column:
    name: str
    position: int
    type: TypeRef
    nullable: bool
    default: str | None = None
    identity: Literal["", "always", "by default"] = ""
    generated: str | None = None  # the expression of GENERATED ALWAYS AS (expr) STORED
    comment: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]
    on_update: str
    on_delete: str
    deferrable: bool = False
    initially_deferred: bool = False


@dataclass(frozen=True)
class IndexKey:
    sql: str  # the key's SQL (pg_get_indexdef(index, n, true)): a quoted name where one needs quoting
    column: str | None  # a plain column's name, as it is (never quoted); None: an expression
    opclass: str | None = None  # a non-default operator class
    descending: bool = False
    nulls_first: bool | None = None  # None: the default for the direction
    collation: str | None = None  # COLLATE of the key where it is not the column's (quoted SQL)

    @property
    def suffix(self) -> str:
        """What follows the key in CREATE INDEX: COLLATE, operator class, order, NULLS."""
        parts = [f"COLLATE {self.collation}" if self.collation else "", self.opclass or ""]
        parts += ["DESC" if self.descending else ""]
        if self.nulls_first is not None:
            parts.append("NULLS FIRST" if self.nulls_first else "NULLS LAST")
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Index:
    name: str
    unique: bool
    definition: str  # pg_get_indexdef(), for the docs
    keys: tuple[IndexKey, ...] = ()
    method: str = "btree"
    include: tuple[str, ...] = ()  # INCLUDE (...) columns
    predicate: str | None = None  # a partial index's WHERE
    constraint: bool = False  # the index of a UNIQUE constraint (not a CREATE INDEX)
    nulls_not_distinct: bool = False  # UNIQUE NULLS NOT DISTINCT (PostgreSQL 15+)
    exclusion: tuple[str, ...] = ()  # the index of an EXCLUDE constraint: its operator per key
    deferrable: bool = False  # of the UNIQUE or EXCLUDE constraint that owns the index
    initially_deferred: bool = False
    storage: tuple[str, ...] = ()  # WITH (...) storage parameters, as "name=value"


@dataclass(frozen=True)
class Partitioning:
    """How a partitioned table spreads its rows: PARTITION BY strategy (columns)."""

    strategy: Literal["range", "list", "hash"]
    columns: tuple[str, ...]  # the key's columns ("" for an expression)
    bounds: tuple[str, ...]  # each partition's FOR VALUES ... / DEFAULT (pg_get_expr), sorted


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    primary_key_name: str = ""
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    checks: tuple[Check, ...] = ()
    comment: str | None = None
    kind: RelationKind = "table"
    partitioning: Partitioning | None = None  # a partitioned table's key and its partitions' bounds

    @property
    def partitioned(self) -> bool:
        return self.kind == "partitioned table"

    @property
    def view(self) -> bool:
        """A view or materialized view: read-only rows, no Insert or Update model."""
        return self.kind in ("view", "materialized view")

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.qualified} has no column {name!r}")


@dataclass(frozen=True)
class Enum:
    schema: str
    name: str
    labels: tuple[str, ...]
    comment: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Domain:
    schema: str
    name: str
    base: TypeRef
    not_null: bool
    default: str | None = None
    checks: tuple[Check, ...] = ()
    comment: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Attribute:
    name: str
    type: TypeRef


@dataclass(frozen=True)
class Composite:
    schema: str
    name: str
    attributes: tuple[Attribute, ...]
    comment: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Unsupported:
    """An object the generator does not turn into Python (views, functions, ...)."""

    kind: str
    name: str  # schema-qualified
    reason: str

    def line(self) -> str:
        return f"{self.kind} {self.name}: {self.reason}"


@dataclass(frozen=True)
class Catalog:
    tables: tuple[Table, ...]
    enums: tuple[Enum, ...] = ()
    domains: tuple[Domain, ...] = ()
    composites: tuple[Composite, ...] = ()
    unsupported: tuple[Unsupported, ...] = ()
    server_version: str = ""
    migration_version: str | None = None  # newest applied Atlas revision, if any
    migrations: tuple[str, ...] = ()  # every applied Atlas revision, oldest first
    # (schema, table, column, type, not null) per column and (schema, enum, "", "enum", labels)
    # per enum, read with codegen/render/runtime/schema_check.py's queries: the package's deep check
    # reads the live database with the same ones.
    shape: tuple[tuple[str, str, str, str, bool | str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> str:
        """The catalog as readable JSON (`python -m codegen dump-ir`)."""
        return json.dumps(self._data(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def digest(self) -> str:
        """A digest of what the database holds, not of the server it ran on."""
        data = self._data()
        del data["server_version"]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))  # no indent: json's C encoder
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def _data(self) -> dict[str, Any]:
        data: dict[str, Any] = _plain(self)
        del data["extra"]
        return data


@dataclass(frozen=True)
class ResultField:
    """One column of a prepared query's result, as PostgreSQL describes it."""

    name: str
    type: TypeRef
    table: str = ""  # schema.table when the column is a table's column, passed through (ftable)
    column: str = ""  # that column's name (ftablecol)
    not_null: bool = False  # that column is NOT NULL


@dataclass(frozen=True)
class Described:
    """What PostgreSQL says about one prepared query: parameter and result types."""

    params: tuple[TypeRef, ...]
    fields: tuple[ResultField, ...]
    returns_rows: bool  # false for a statement without a result (INSERT without RETURNING)


def _plain(value: Any) -> Any:
    """dataclasses.asdict without its deep copies (8x faster at 500 tables)."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None:
        return {name: _plain(getattr(value, name)) for name in fields}
    return value
