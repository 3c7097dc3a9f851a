"""The IR as a SQLAlchemy MetaData, which sqlacodegen's generator renders into tables.py.

Pure: it builds objects from the IR and reads no database (its input is the one read).
Types come from the type table (typemap.PG_TYPES' `sqla` column) with the column's
modifiers; a type SQLAlchemy lacks becomes the package's `PgType("name")`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy
from sqlalchemy import (
    CheckConstraint,
    Column,
    Computed,
    ForeignKeyConstraint,
    Identity,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.types import TypeEngine

from codegen import ir
from codegen.errors import UnsupportedSchema
from codegen.plan import sqltext
from codegen.plan.typemap import PG_TYPES
from codegen.render.runtime.sqltypes import PgType

_NO_ACTION = "NO ACTION"


def _check_body(expression: str) -> str:
    """`CHECK ((price > 0))` -> `(price > 0)`: pg_get_constraintdef()'s text inside CHECK."""
    start = expression.find("(")
    body = sqltext.group_at(expression, start) if start >= 0 else None
    return body if body is not None else expression


class _Types:
    def __init__(self, catalog: ir.Catalog) -> None:
        self.enums = {e.qualified: e for e in catalog.enums}
        self.domains = {d.qualified: d for d in catalog.domains}
        self.made: dict[ir.TypeRef, TypeEngine[Any]] = {}

    def of(self, ref: ir.TypeRef) -> TypeEngine[Any]:
        """One type object per distinct type: columns share it (tables.py renders it once)."""
        hit = self.made.get(ref)
        if hit is None:
            element = self.element(ref)
            hit = postgresql.ARRAY(element, dimensions=ref.dims if ref.dims > 1 else None) if ref.dims else element
            self.made[ref] = hit
        return hit

    def element(self, ref: ir.TypeRef) -> TypeEngine[Any]:
        schema = None if ref.schema in ("public", "pg_catalog") else ref.schema
        if ref.kind == "enum" and ref.qualified in self.enums:
            return postgresql.ENUM(*self.enums[ref.qualified].labels, name=ref.name, schema=schema, create_type=False)
        if ref.kind == "domain" and ref.qualified in self.domains:
            d = self.domains[ref.qualified]
            check = d.checks[0] if d.checks else None
            return postgresql.DOMAIN(
                ref.name,
                self.of(d.base),
                default=d.default,
                not_null=d.not_null,
                constraint_name=check.name if check else None,
                check=_check_body(check.expression) if check else None,
                schema=schema,
                create_type=False,
            )
        entry = PG_TYPES.get(ref.name) if ref.kind in ("base", "range", "multirange") else None
        if entry is None or not entry.sqla:
            return PgType(ref.name if schema is None else f"{ref.schema}.{ref.name}")
        cls = getattr(postgresql, entry.sqla, None) or getattr(sqlalchemy, entry.sqla)
        name = ref.name
        if name in ("varchar", "bpchar"):
            return cls(ref.length) if ref.length else cls()  # type: ignore[no-any-return]
        if name == "numeric":
            return cls(ref.precision, ref.scale) if ref.precision else cls()  # type: ignore[no-any-return]
        if name in ("timestamp", "timestamptz", "time", "timetz"):
            return cls(timezone=name.endswith("tz"), precision=ref.precision)  # type: ignore[no-any-return]
        if name == "interval":
            return cls(precision=ref.precision)  # type: ignore[no-any-return]
        if name in ("bit", "varbit"):
            return cls(ref.length, varying=name == "varbit")  # type: ignore[no-any-return]
        if name == "float8":
            return cls(precision=53)  # type: ignore[no-any-return]
        return cls()  # type: ignore[no-any-return]


def _deferrability(deferrable: bool, initially_deferred: bool) -> dict[str, Any]:
    """DEFERRABLE [INITIALLY DEFERRED] as SQLAlchemy's constraint keywords."""
    return {"deferrable": True, "initially": "DEFERRED" if initially_deferred else None} if deferrable else {}


def _key(key: ir.IndexKey, columns: dict[str, Column[Any]]) -> Any:
    """A plain column stays a Column (by its name: key.sql is quoted where the name needs it);
    a key with an expression, collation, opclass or ordering is its SQL text."""
    if key.column in columns and not key.suffix:
        return columns[key.column]
    return _key_text(key)


def _key_text(key: ir.IndexKey) -> Any:
    return text(f"{key.sql} {key.suffix}".rstrip())


def _index(index: ir.Index, columns: dict[str, Column[Any]]) -> Index | UniqueConstraint | ExcludeConstraint:
    options: dict[str, Any] = {"postgresql_nulls_not_distinct": True} if index.nulls_not_distinct else {}
    deferrability = _deferrability(index.deferrable, index.initially_deferred)
    if index.exclusion:
        return ExcludeConstraint(
            *((_key_text(k), op) for k, op in zip(index.keys, index.exclusion, strict=True)),
            name=index.name,
            using=index.method,
            where=text(index.predicate) if index.predicate else None,
            **deferrability,
        )
    if index.constraint and not index.storage and all(k.column and not k.suffix for k in index.keys):
        if index.include:
            options["postgresql_include"] = list(index.include)
        names = [k.column for k in index.keys if k.column]
        return UniqueConstraint(*names, name=index.name, **deferrability, **options)
    kwargs: dict[str, Any] = {"unique": index.unique, **options}
    if index.method != "btree":
        kwargs["postgresql_using"] = index.method
    if index.predicate:
        kwargs["postgresql_where"] = text(index.predicate)
    if index.include:
        kwargs["postgresql_include"] = list(index.include)
    if index.storage:
        kwargs["postgresql_with"] = dict(option.split("=", 1) for option in index.storage)
    return Index(index.name, *(_key(k, columns) for k in index.keys), **kwargs)


def _table(md: MetaData, t: ir.Table, types: _Types, known: set[str]) -> None:
    """`t` as a Table on `md` (its columns, keys, checks and indexes)."""
    columns: dict[str, Column[Any]] = {}
    for c in t.columns:
        extra: list[Any] = []
        if c.identity:
            extra.append(Identity(always=c.identity == "always"))
        if c.generated:
            extra.append(Computed(text(c.generated), persisted=True))
        columns[c.name] = Column(
            c.name,
            types.of(c.type),
            *extra,
            nullable=c.nullable,
            server_default=text(c.default) if c.default else None,
            comment=c.comment,
            autoincrement=False if not c.identity else "auto",
        )
    items: list[Any] = list(columns.values())
    if t.primary_key:
        items.append(PrimaryKeyConstraint(*t.primary_key, name=t.primary_key_name or None))
    for fk in t.foreign_keys:
        target = f"{fk.ref_schema}.{fk.ref_table}"
        if target not in known:
            continue  # a table this catalog lacks (another schema's): the database enforces it
        prefix = f"{fk.ref_table}" if fk.ref_schema == "public" else target
        items.append(
            ForeignKeyConstraint(
                list(fk.columns),
                [f"{prefix}.{col}" for col in fk.ref_columns],
                name=fk.name,
                ondelete=None if fk.on_delete == _NO_ACTION else fk.on_delete,
                onupdate=None if fk.on_update == _NO_ACTION else fk.on_update,
                **_deferrability(fk.deferrable, fk.initially_deferred),
            )
        )
    items += [CheckConstraint(text(_check_body(c.expression)), name=c.name) for c in t.checks]
    items += [_index(index, columns) for index in t.indexes]
    Table(
        t.name,
        md,
        *items,
        schema=None if t.schema == "public" else t.schema,
        comment=t.comment,
        info={"kind": t.kind},
    )


def metadata(catalog: ir.Catalog) -> MetaData:
    """Every table, view and materialized view of `catalog` as SQLAlchemy Tables (views carry
    info={"kind": ...}; tables.py keeps them off Base.metadata)."""
    md = MetaData()
    types = _Types(catalog)
    known = {t.qualified for t in catalog.tables if not t.view}
    for t in catalog.tables:
        try:
            _table(md, t, types, known)
        except (sqlalchemy.exc.SQLAlchemyError, ValueError, TypeError) as exc:
            # One line naming the table; --debug shows where it came from.
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UnsupportedSchema(f"{t.qualified}: tables.py cannot describe it: {detail}") from exc
    return md
