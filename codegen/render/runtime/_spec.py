"""What the table layer knows about one table, and the parts of it that are neither sync nor async:
SQL text (built once per call shape, then cached), row construction, constraint errors.

A `Spec` is printed by the generator into each chatmaps_db.access.<table> module: quoted
names, the select list, keys, and which columns psycopg returns in the model's own types.
A `QuerySpec` is printed into chatmaps_db.queries.<file> for each checked query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import psycopg.errors as pe
from psycopg.abc import AdaptContext
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq import Format
from psycopg.types.json import Json, Jsonb
from pydantic import BaseModel, TypeAdapter

from chatmaps_db._types import UNSET, Row, json_param
from chatmaps_db.errors import (
    CheckViolation,
    ConstraintViolation,
    ExclusionViolation,
    ForeignKeyViolation,
    NotNullViolation,
    UniqueViolation,
)

RowMaker = Callable[[Sequence[Any]], Any]
_setattr = object.__setattr__


@dataclass(frozen=True)
class Key:
    """A primary key or unique key: `get`/`get_by_<name>` look rows up by it, `upsert(on=name)` infers it."""

    name: str  # "id", "email", "provider_id_account_id"
    sql: tuple[str, ...]  # each part as the index has it: '"id"', 'lower("email")'
    params: tuple[str, ...]  # the placeholder each part compares with: '%s::"pg_catalog"."uuid"', 'lower(%s::...)'
    columns: tuple[str, ...]  # the columns it is made of


@dataclass(frozen=True)
class Spec:
    table: str  # schema.table, for messages
    from_sql: str  # '"public"."users"'
    columns: tuple[str, ...]  # column names, in table order
    fields: tuple[str, ...]  # the row model's field names, same order
    quoted: tuple[str, ...]  # '"email_verified"', same order
    types: tuple[str, ...]  # the type each column's values are sent as ('"pg_catalog"."int4"[]'), same order
    json: tuple[tuple[int, str], ...]  # (column, "json" | "jsonb" | "jsonb[]" ...): values wrapped for psycopg
    binary: bool  # every column has a binary loader: results come in PostgreSQL's binary format
    untrusted: tuple[int, ...] = ()  # columns whose loaded value the model must still convert (money, overrides)
    keys: tuple[Key, ...] = ()  # keys[0] is the primary key when there is one
    filters: tuple[int, ...] = ()  # the columns list()/count() filter on, in their keyword order
    listable: frozenset[int] = frozenset()  # filters where a Python list means IN (not an array column)
    orderable: tuple[int, ...] = ()  # columns order_by may name
    primary: tuple[int, ...] = ()  # primary key columns (keyset paging's tie-breaker)
    not_null: frozenset[int] = frozenset()  # NOT NULL columns: keyset paging over them is a row comparison
    # Per column, the schema of its type's operators when not pg_catalog's (an extension's type, whose schema
    # may be off the search_path): '"extensions"'. () when every column uses pg_catalog's.
    operators: tuple[str, ...] = ()
    select: str = field(init=False)
    param: tuple[str, ...] = field(init=False, repr=False)  # '%s::"pg_catalog"."int4"': a value as its column's type
    any_param: tuple[str, ...] = field(init=False, repr=False)  # '%s::"pg_catalog"."int4"[]': a list filter's
    by_column: dict[str, int] = field(init=False, repr=False)
    key_named: dict[str, int] = field(init=False, repr=False)  # upsert(on=name) -> its index in keys
    key_json: tuple[tuple[tuple[int, str], ...], ...] = field(init=False, repr=False)  # per key: its json parts
    order: dict[str, tuple[int, bool]] = field(init=False, repr=False)
    cache: dict[Any, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _setattr(self, "select", ", ".join(self.quoted))
        # psycopg sends a Python value as the type it picks (a list[int] as smallint[] or bigint[] by its
        # largest element), and `integer[] = smallint[]` has no operator: every value says its column's type.
        _setattr(self, "param", tuple(f"%s::{t}" for t in self.types))
        _setattr(self, "any_param", tuple("" if t.endswith("]") else f"%s::{t}[]" for t in self.types))
        _setattr(self, "by_column", {c: i for i, c in enumerate(self.columns)})
        _setattr(self, "key_named", {k.name: i for i, k in enumerate(self.keys)})
        kinds = dict(self.json)
        _setattr(
            self,
            "key_json",
            tuple(
                tuple((j, kinds[i]) for j, c in enumerate(k.columns) if (i := self.by_column[c]) in kinds)
                for k in self.keys
            ),
        )
        order = {}
        for i in self.orderable:
            order[self.fields[i]] = (i, False)
            order["-" + self.fields[i]] = (i, True)
        _setattr(self, "order", order)
        _setattr(self, "cache", {})

    def op(self, column: int, symbol: str) -> str:
        """`=`, or `OPERATOR("extensions".=)` for a column whose type's operators are in its own schema."""
        schema = self.operators[column] if self.operators else ""
        return f"OPERATOR({schema}.{symbol})" if schema else symbol

    # -- SQL, built per call shape and cached: psycopg prepares a statement it sees often ---------

    def key_where(self, key: int) -> str:
        """`"id" = %s`, `lower("email") = lower(%s)`: the condition that finds a row by keys[key]."""
        found = self.cache.get(("key", key))
        if found is None:
            k = self.keys[key]
            found = self.cache[("key", key)] = " AND ".join(
                f"{s} {self.op(self.by_column[c], '=') if s.startswith(chr(34)) else '='} {p}"  # a column, or lower(...)
                for s, p, c in zip(k.sql, k.params, k.columns, strict=True)
            )
        return found

    def plain_key(self, key: int) -> tuple[str, ...]:
        """The fields keys[key] is made of when every part is a column compared as it is (`"id"`, not
        `lower("email")`, not json): the row found has the values looked up. Else ()."""
        k = self.keys[key]
        at = [self.columns.index(c) for c in k.columns]
        if self.key_json[key] or any(k.sql[j] != self.quoted[i] for j, i in enumerate(at)):
            return ()
        return tuple(self.fields[i] for i in at)

    def key_values(self, key: int, values: Sequence[Any]) -> Sequence[Any]:
        """The values of keys[key] as psycopg sends them: a json or jsonb one wrapped."""
        wrap = self.key_json[key]
        if not wrap:
            return values
        out = list(values)
        for j, kind in wrap:
            out[j] = json_param(kind, out[j])
        return out

    def select_by_key(self, key: int) -> str:
        found = self.cache.get(("get", key))
        if found is None:
            found = self.cache[("get", key)] = f"SELECT {self.select} FROM {self.from_sql} WHERE {self.key_where(key)}"
        return found

    def where(self, values: Sequence[Any], params: list[Any]) -> tuple[Any, str]:
        """The WHERE clause for list()/count() filters (UNSET: not filtered), its cache key, and params."""
        shape: list[Any] = []
        parts: list[str] = []
        for position, value in enumerate(values):
            if value is UNSET:
                continue
            column = self.filters[position]
            name = self.quoted[column]
            if type(value) is tuple:  # psycopg would send it as text, '(Ada,Bob)', which matches nothing
                raise TypeError(
                    f"{self.table}: a filter of several values is a list, not a tuple ({self.fields[column]}=)"
                )
            if value is None:
                shape.append((position, "null"))
                parts.append(f"{name} IS NULL")
            elif type(value) is list and column in self.listable:
                shape.append((position, "in"))
                parts.append(f"{name} {self.op(column, '=')} ANY({self.any_param[column]})")
                params.append(value)
            else:
                shape.append(position)
                parts.append(f"{name} {self.op(column, '=')} {self.param[column]}")
                params.append(value)
        return tuple(shape), (" WHERE " + " AND ".join(parts)) if parts else ""

    def order_key(self, order_by: str | Sequence[str], paging: bool) -> tuple[tuple[int, bool], ...]:
        """(column, descending) per order_by entry, then the primary key's columns (in the last entry's
        direction): ties in a stable order."""
        if not isinstance(order_by, str | list | tuple) or not all(isinstance(n, str) for n in order_by):
            raise TypeError(
                f"{self.table}: order_by takes a column's field name ('-name': descending) or a list of them, "
                f"not {type(order_by).__name__}"
            )
        names = (order_by,) if isinstance(order_by, str) else tuple(order_by)
        out: list[tuple[int, bool]] = []
        for name in names:
            found = self.order.get(name)
            if found is None:
                raise ValueError(
                    f"{self.table}: cannot order by {name!r}: name a column ({', '.join(sorted(self.order)[:6])}, ...)"
                )
            out.append(found)
        if paging and not self.primary:
            raise ValueError(f"{self.table} has no primary key: list(after=...) needs one to page by")
        # Always, not only when paging: the first page (no after=) must be in the order the next ones assume.
        # The tie-breaker goes the way the last column does, so that a one-way order ("-created_at") stays
        # one way: a row comparison an index on (created_at, id) answers, read backwards.
        last = out[-1][1] if out else False
        out += [(i, last) for i in self.primary if i not in {c for c, _ in out}]
        return tuple(out)

    def after(self, order: tuple[tuple[int, bool], ...], row: Row, params: list[Any]) -> tuple[Any, str]:
        """Keyset paging: rows strictly after `row` in this order (NULLs last ascending, first descending,
        as PostgreSQL sorts them). Its shape (which values are NULL) is part of the cache key."""
        data = row.__dict__
        values = [data[self.fields[c]] for c, _ in order]
        descending = {desc for _, desc in order}
        if len(descending) == 1 and all(c in self.not_null for c, _ in order) and None not in values:
            # One direction over NOT NULL columns: `(a, b) > (x, y)`, which a btree index on (a, b)
            # answers by starting at (x, y); the chain below is for NULLs and mixed directions.
            columns = ", ".join(self.quoted[c] for c, _ in order)
            placeholders = ", ".join(self.param[c] for c, _ in order)
            params.extend(values)
            return "row", f"({columns}) {'<' if descending.pop() else '>'} ({placeholders})"
        clause = "FALSE"
        # Built from the last key to the first: k1 beyond OR (k1 level AND (k2 beyond OR ...)).
        for (column, desc), value in reversed(list(zip(order, values, strict=True))):
            name = self.quoted[column]
            if value is None:
                beyond = f"{name} IS NOT NULL" if desc else "FALSE"
                level = f"{name} IS NULL"
            else:
                param = self.param[column]
                beyond = f"{name} {'<' if desc else '>'} {param}" + ("" if desc else f" OR {name} IS NULL")
                level = f"{name} = {param}"
            clause = f"({beyond}) OR ({level} AND ({clause}))"
        for value in values:  # the placeholders, in the order they appear: beyond, then level, per key
            if value is not None:
                params.extend((value, value))
        return tuple(v is None for v in values), clause

    def order_sql(self, order: tuple[tuple[int, bool], ...]) -> str:
        return ", ".join(self.quoted[c] + (" DESC" if desc else "") for c, desc in order)


@dataclass(frozen=True)
class QuerySpec:
    """One checked query of queries/*.sql, as prepared and described at generate time."""

    name: str  # GetSessionWithUser, for messages
    sql: str  # PostgreSQL's own placeholders ($1, $2): run through psycopg's RawCursor
    columns: tuple[str, ...] = ()  # result column names (validate=True validates by these)
    fields: tuple[str, ...] = ()  # the row model's field names, same order
    binary: bool = True  # every result column has a binary loader
    untrusted: tuple[int, ...] = ()  # columns the model must still convert (see Spec)
    json: tuple[tuple[int, str], ...] = ()  # (parameter index, "json" | "jsonb"): wrapped for psycopg
    copy: tuple[str, tuple[str, ...]] | None = None  # :copyfrom: (table, columns), quoted
    read: bool = False  # a plain SELECT (no FOR UPDATE, no data-modifying WITH): a read replica may run it
    call: str = ""  # queries.get_session_with_user: what query events name it
    makers: dict[tuple[type[Row], bool], RowMaker] = field(default_factory=dict, init=False, repr=False, compare=False)


# -- rows --------------------------------------------------------------------------------------


def row_maker(cls: type[Row], spec: Spec | QuerySpec, *, validate: bool) -> RowMaker:
    """A psycopg row maker that builds `cls` from a result in the spec's column order.

    Trusted (the default): what psycopg decoded from PostgreSQL's typed result is already the
    model's type, so the instance is built as model_construct() does, without validating
    again; only `spec.untrusted` columns (money as text, [tool.codegen.types] overrides) go
    through their field's validator. validate=True runs model_validate on every row.
    """
    if validate:
        columns = spec.columns

        def validated(values: Sequence[Any]) -> Any:
            return cls.model_validate(dict(zip(columns, values, strict=True)))

        return validated
    names = spec.fields
    build = _builder(cls, names)
    fixes = [(i, _field_validator(cls, names[i])) for i in spec.untrusted]
    if not fixes:
        return build

    def fixed(values: Sequence[Any]) -> Any:
        values = list(values)
        for i, fix in fixes:
            if values[i] is not None:
                values[i] = fix(values[i])
        return build(values)

    return fixed


# The slots pydantic keeps on every model instance, set through their descriptors (object.__setattr__
# looks each one up by name: twice the time).
_SLOTS = {name: vars(BaseModel)[name].__set__ for name in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")}  # fmt: skip
_BUILDERS: dict[tuple[type[Row], tuple[str, ...]], RowMaker] = {}


def _builder(cls: type[Row], names: tuple[str, ...]) -> RowMaker:
    """A function making a `cls` from values in `names` order as model_construct() would, without its
    per-field work: the instance dict is a dict display compiled once per model and column list (as
    dataclasses compile __init__), 0.7 us a row where zip() and object.__setattr__ took 1.7 us.
    One fields-set for every row: each row has every field set, so pydantic's add() on assignment
    changes nothing, and model_copy() copies it (a set per row cost 40% of the time, in GC)."""
    found = _BUILDERS.get((cls, names))
    if found is not None:
        return found
    items = ", ".join(f"{name!r}: v[{i}]" for i, name in enumerate(names))  # field names: identifiers
    source = (
        "def build(v):\n"
        "    obj = new(cls)\n"
        f"    set_dict(obj, {{{items}}})\n"
        "    set_fields(obj, every)\n"
        "    set_extra(obj, None)\n"
        "    set_private(obj, None)\n"
        "    return obj\n"
    )
    scope: dict[str, Any] = {
        "new": cls.__new__,
        "cls": cls,
        "every": set(names),
        "set_dict": _SLOTS["__dict__"],
        "set_fields": _SLOTS["__pydantic_fields_set__"],
        "set_extra": _SLOTS["__pydantic_extra__"],
        "set_private": _SLOTS["__pydantic_private__"],
    }
    exec(compile(source, f"<row builder of {cls.__name__}>", "exec"), scope)  # our own source, above
    build: RowMaker = scope["build"]
    _BUILDERS[(cls, names)] = build
    return build


def _field_validator(cls: type[Row], name: str) -> Callable[[Any], Any]:
    """The validator of one field, with its Annotated metadata (money_value(), psycopg_value(...))."""
    info = cls.model_fields[name]
    annotation: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(annotation).validate_python


# -- constraint errors -------------------------------------------------------------------------


def violation(exc: pe.IntegrityError) -> ConstraintViolation | None:
    """Our error for psycopg's integrity error `exc`: names the table, constraint and columns,
    never a value (psycopg's DETAIL holds the row, which may be personal data). `exc` is kept
    as its `pg_error`, not chained: a logged traceback prints the chain."""
    diag = exc.diag
    schema, table, name = diag.schema_name, diag.table_name, diag.constraint_name
    where = f"{schema}.{table}" if schema and table else None
    from chatmaps_db.access._constraints import CONSTRAINTS

    kind, columns, detail = CONSTRAINTS.get((schema or "", table or "", name or ""), ("", (), ""))
    cols = ", ".join(columns)
    cls: type[ConstraintViolation]
    still_referenced = False
    if isinstance(exc, pe.UniqueViolation):
        cls = UniqueViolation
        what = "primary key" if kind == "p" else "unique key"
        message = f"{where}: another row has the same {cols or 'key'} ({what} {name})"
    elif isinstance(exc, pe.ForeignKeyViolation | pe.RestrictViolation):  # RESTRICT: 23001, not 23503
        cls = ForeignKeyViolation
        still_referenced = (diag.message_primary or "").startswith("update or delete")
        if still_referenced:
            message = (
                f"{where} ({cols}) still refers to this row of {detail} (foreign key {name}): "
                "delete or change those rows first, or declare the foreign key ON DELETE CASCADE"
            )
        else:
            message = f"{where} ({cols}) refers to a row that {detail or 'the referenced table'} does not have (foreign key {name})"
    elif isinstance(exc, pe.NotNullViolation):
        cls = NotNullViolation
        column = diag.column_name
        columns = (column,) if column else ()
        message = (
            f"{where}.{column} is NOT NULL: give it a value"
            if where and column
            else (diag.message_primary or "a NOT NULL constraint is violated")
        )
    elif isinstance(exc, pe.CheckViolation):
        cls = CheckViolation
        message = (
            f"{where}: check constraint {name} is violated: {detail}"
            if where
            else (diag.message_primary or "a check constraint is violated")
        )
    elif isinstance(exc, pe.ExclusionViolation):
        cls = ExclusionViolation
        message = f"{where}: a row conflicting on {cols or 'its key'} exists (exclusion constraint {name})"
    else:
        return None
    ours = cls(message, table=where, constraint=name, columns=tuple(columns))
    ours.pg_error = exc
    if isinstance(ours, ForeignKeyViolation):
        ours.still_referenced = still_referenced
    return ours


def unwritable(
    conn: AdaptContext,
    table: str,
    columns: list[str],
    oids: list[int],
    row: Sequence[Any],
    n: int,
    binary: bool,
) -> TypeError | None:
    """The error for row `n` of a COPY whose value psycopg could not write: which column, what it got
    and what the column needs (never the value: it may be a secret). None if no value is to blame."""
    if len(row) != len(columns):
        where = table.replace("%%", "%").replace('"', "")
        return TypeError(f"{where}: row {n} has {len(row)} values for {len(columns)} columns; nothing was written")
    # The same dumpers COPY used (by column type in binary, by value in text), one value at a time.
    tx = Transformer(conn)
    fmt = PyFormat.BINARY if binary else PyFormat.TEXT
    if binary:
        tx.set_dumper_types(oids, Format.BINARY)
    for i, (column, oid, value) in enumerate(zip(columns, oids, row, strict=True)):
        if value is None:
            continue
        alone: list[Any] = [None] * len(row)
        alone[i] = value
        try:
            tx.dump_sequence(alone, [fmt] * len(row))
        except Exception:  # whatever psycopg's dumper raised for it: this is the value to name
            pass
        else:
            continue
        info = conn.adapters.types.get(oid)  # psycopg's registry: built-in types and those registered
        needs = "its column's type" if info is None else info.name + ("[]" if oid == info.array_oid else "")
        where = f"{table.replace('%%', '%')}.{column}".replace('"', "")
        if isinstance(value, Json | Jsonb):  # wrapped for psycopg: name what the caller gave
            value = value.obj
        if isinstance(value, datetime) and value.tzinfo is None:
            wrong = f"a naive datetime (no tzinfo) where {needs} needs an aware one, e.g. datetime.now(timezone.utc)"
        else:
            wrong = f"a value of type {type(value).__name__} where {needs} is needed"
        return TypeError(f"{where}, row {n}: {wrong}; nothing was written")
    return None
