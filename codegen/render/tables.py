"""tables.py: sqlacodegen's declarative generator, run in process on a SQLAlchemy MetaData.

`Generator` subclasses sqlacodegen 4.0.4's DeclarativeGenerator where its output is wrong
(each found on a real schema; remove an override when sqlacodegen fixes it):

- render_index: an index over expressions keeps them (`text("lower(email)")`); the base
  class renders only plain columns, so `Index("x", postgresql_using="gin")` indexed nothing.
- generate_column_attr_name, generate_model_name: a column or table named like a name the
  module uses (`object`, `str`, `list`, `datetime`, `Mapped`, `Optional`, `Base`, `text`,
  ...) gets a trailing `_`.
- render_relationship_arguments: a join over a composite key is `lambda: and_(a, b)`, not
  `and_(lambda: a, lambda: b)`.
- render_constraint: an EXCLUDE constraint is an ExcludeConstraint (the base raised a
  TypeError), and a UNIQUE constraint keeps DEFERRABLE, INITIALLY, NULLS NOT DISTINCT and
  INCLUDE (the base printed its columns and name only).
- render_column_type: a DOMAIN's collation is a keyword (SQLAlchemy 2 declares it so);
  HSTORE is written without `Text()`, which it did not import.
- render_column_python_type: a type SQLAlchemy cannot name in Python (xml, geometric types,
  extension types) is `str`, as psycopg returns it, never `object`/`Any`; an array's
  elements (and inner arrays) are Optional, as in the models.
- render_models: `t_x: Table = Table(...)`, so that a relationship's lambda that uses a
  table defined further down still types under mypy. Views and materialized views are
  Tables on `views_metadata`, so Base.metadata.create_all() never makes them tables.
- add_import: the package's own column type (`PgType`, for types SQLAlchemy lacks) is
  imported from the package, not from the generator.

Warnings that SQLAlchemy or sqlacodegen raise while generating are returned, one line each.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlacodegen import generators
from sqlacodegen.generators import DeclarativeGenerator
from sqlacodegen.models import ColumnAttribute, Model, ModelClass, RelationshipAttribute
from sqlacodegen.utils import get_constraint_sort_key as _base_constraint_sort_key
from sqlacodegen.utils import render_callable
from sqlacodegen.utils import uses_default_name as _base_uses_default_name
from sqlalchemy import Column, Engine, Index, MetaData, Table, UniqueConstraint, create_engine
from sqlalchemy.dialects.postgresql import ARRAY, DOMAIN, HSTORE, ExcludeConstraint
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import NullType, TypeEngine

from codegen import fmt, ir
from codegen.plan import sqla
from codegen.render import HEADER, PACKAGE

# Names a column attribute must not take: the builtins annotations use, the modules they
# import, and what the module imports from SQLAlchemy and typing (whatever this schema needs).
_RESERVED = frozenset(
    {"str", "int", "float", "bool", "bytes", "list", "dict", "object", "type", "set", "tuple", "Any"}
    | {"datetime", "decimal", "uuid", "ipaddress", "enum", "typing", "sqlalchemy"}
    | {"Mapped", "Optional", "mapped_column", "relationship", "DeclarativeBase", "MetaData", "Base"}
    | {"Column", "Table", "Index", "text", "and_", "Computed", "Identity", "ForeignKey"}
    | {"ForeignKeyConstraint", "PrimaryKeyConstraint", "UniqueConstraint", "CheckConstraint"}
)
_RUNTIME = "codegen.render.runtime"
_VIEWS = "views_metadata"


def _python_type_known(t: TypeEngine[Any]) -> bool:
    try:
        t.python_type  # noqa: B018 (the property raises for types without one)
    except NotImplementedError:
        return False
    return not isinstance(t, NullType)


class Generator(DeclarativeGenerator):
    """sqlacodegen's DeclarativeGenerator, repaired (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # plan/sqla.py gives columns of one type one type object, so adapting and rendering
        # (inspect.signature per call in the base) happens once per type, not per column.
        # Each entry keeps its type object alive, so its id() is never reused.
        self._adapted: dict[int, tuple[TypeEngine[Any], TypeEngine[Any]]] = {}
        self._rendered: dict[tuple[int, str | None], tuple[TypeEngine[Any], str]] = {}
        self.nullable_elements = True  # [tool.codegen] not_null_array_elements = true: False

    def get_adapted_type(self, coltype: Any) -> Any:
        hit = self._adapted.get(id(coltype))
        if hit is None:
            hit = self._adapted[id(coltype)] = (coltype, super().get_adapted_type(coltype))
        return hit[1]

    def generate_column_attr_name(
        self, column_attr: ColumnAttribute, global_names: set[str], local_names: set[str]
    ) -> None:
        super().generate_column_attr_name(column_attr, global_names | _RESERVED, local_names)

    def generate_model_name(self, model: Model, global_names: set[str]) -> None:
        # The base reserves only the imports collected so far (Optional, text, ... come later).
        super().generate_model_name(model, global_names | _RESERVED)

    def render_index(self, index: Index) -> str:
        keys = [
            repr(expr.name) if isinstance(expr, Column) else self._text(expr)
            for expr in index.expressions
            if isinstance(expr, Column | ClauseElement | str)
        ]
        kwargs = {
            k: self._text(v) if isinstance(v, ClauseElement) else repr(v) if isinstance(v, str) else v
            for k, v in sorted(index.kwargs.items())
            if v not in ([], {})
        }
        if index.unique:
            kwargs["unique"] = True
        args = ", ".join([repr(index.name), *keys, *(f"{k}={v}" for k, v in kwargs.items())])
        return f"Index({args})"

    def _text(self, expr: Any) -> str:
        self.add_literal_import("sqlalchemy", "text")
        sql = expr if isinstance(expr, str) else str(expr.compile(dialect=self.bind.dialect))
        return f"text({sql!r})"

    def render_constraint(self, constraint: Any) -> str:
        # The base renders neither EXCLUDE constraints (a TypeError) nor a UNIQUE constraint's
        # DEFERRABLE, INITIALLY and PostgreSQL options (NULLS NOT DISTINCT, INCLUDE).
        if isinstance(constraint, ExcludeConstraint):
            self.add_import(ExcludeConstraint)
            elements = [f"({self._text(expr)}, {op!r})" for expr, _, op in constraint._render_exprs]
            kwargs = {"name": repr(constraint.name), "using": repr(constraint.using)}
            if constraint.where is not None:
                kwargs["where"] = self._text(constraint.where)
            return render_callable("ExcludeConstraint", *elements, kwargs=kwargs | self._deferrability(constraint))
        if not isinstance(constraint, UniqueConstraint):
            return super().render_constraint(constraint)
        kwargs = {"name": repr(constraint.name)} | self._deferrability(constraint)
        kwargs |= {k: repr(v) for k, v in sorted(constraint.kwargs.items())}
        return render_callable("UniqueConstraint", *(repr(c.name) for c in constraint.columns), kwargs=kwargs)

    @staticmethod
    def _deferrability(constraint: Any) -> dict[str, str]:
        return {k: repr(getattr(constraint, k)) for k in ("deferrable", "initially") if getattr(constraint, k)}

    def render_relationship_arguments(self, relationship: RelationshipAttribute) -> Mapping[str, Any]:
        kwargs = dict(super().render_relationship_arguments(relationship))
        for key, terms in (("primaryjoin", relationship.primaryjoin), ("secondaryjoin", relationship.secondaryjoin)):
            if terms and len(terms) > 1:
                self.add_literal_import("sqlalchemy", "and_")
                parts = [
                    f"{source.name}.{source_col} == {target.name}.{'c.' if target.__class__ is Model else ''}{target_col}"
                    for source, source_col, target, target_col in terms
                ]
                kwargs[key] = f"lambda: and_({', '.join(parts)})"
        return kwargs

    def render_column_type(self, column: Column[Any]) -> str:
        # The base renders an enum column by the Python enum class it made for that column.
        key = (id(column.type), self.enum_classes.get((column.table.name, column.name)))
        hit = self._rendered.get(key)
        if hit is None:
            hit = self._rendered[key] = (column.type, self._render_column_type(column))
        return hit[1]

    def _render_column_type(self, column: Column[Any]) -> str:
        t = column.type
        if isinstance(t, HSTORE):
            # The base writes HSTORE(Text()) without importing Text; Text() is HSTORE's default.
            self.add_import(HSTORE)
            return "HSTORE"
        if isinstance(t, DOMAIN):
            # The base renders DOMAIN's collation as a third positional argument (a TypeError)
            # and passes metadata=MetaData(): name, type and the constraints are what matter.
            self.add_import(DOMAIN)
            inner = Column(column.name, t.data_type)
            kwargs = {
                "collation": repr(t.collation) if t.collation else None,
                "default": self._text(t.default) if t.default is not None else None,
                "constraint_name": repr(t.constraint_name) if t.constraint_name else None,
                "not_null": "True" if t.not_null else None,
                "check": self._text(t.check) if t.check is not None else None,
                "schema": repr(t.schema) if t.schema else None,
                "create_type": "False",
            }
            args = [repr(t.name), self._render_column_type(inner)]
            args += [f"{k}={v}" for k, v in kwargs.items() if v is not None]
            return f"DOMAIN({', '.join(args)})"
        return super().render_column_type(column)

    def render_column_python_type(self, column: Column[Any]) -> str:
        t = column.type
        if isinstance(t, ARRAY) and self.nullable_elements:
            # As in models: an element may be NULL, and so may an inner array.
            saved = column.type, column.nullable
            column.type, column.nullable = t.item_type, False  # the element's own annotation
            try:
                annotation = self.render_column_python_type(column)
            finally:
                column.type, column.nullable = saved
            self.add_literal_import("typing", "Optional")
            for _ in range(t.dimensions or 1):
                annotation = f"list[Optional[{annotation}]]"
            return f"Optional[{annotation}]" if column.nullable else annotation
        inner = getattr(column.type, "item_type", column.type)
        inner = getattr(inner, "data_type", inner)
        if _python_type_known(inner):
            return super().render_column_python_type(column)
        dims = getattr(column.type, "dimensions", None) or (1 if hasattr(column.type, "item_type") else 0)
        annotation = "list[" * dims + "str" + "]" * dims
        if column.nullable:
            self.add_literal_import("typing", "Optional")
            annotation = f"Optional[{annotation}]"
        return annotation

    def add_import(self, obj: Any) -> None:
        cls = obj if isinstance(obj, type) else type(obj)
        if cls.__module__.startswith(_RUNTIME):
            self.add_literal_import(PACKAGE + cls.__module__.removeprefix(_RUNTIME), cls.__name__)
        else:
            super().add_import(obj)

    def render_module_variables(self, models: list[Model]) -> str:
        variables = super().render_module_variables(models)
        if any(_is_view(m.table) for m in models):
            self.add_literal_import("sqlalchemy", "MetaData")
            views = "# Views and materialized views: read-only, and never created by Base.metadata.create_all().\n"
            views += f"{_VIEWS} = MetaData()"
            variables = f"{variables}\n\n{views}" if variables else views
        return variables

    def render_table(self, table: Table) -> str:
        if not _is_view(table):
            return super().render_table(table)
        saved, self.base.metadata_ref = self.base.metadata_ref, _VIEWS
        try:
            return super().render_table(table)
        finally:
            self.base.metadata_ref = saved

    def render_models(self, models: list[Model]) -> str:
        rendered = []
        for model in models:
            if isinstance(model, ModelClass):
                rendered.append(self.render_class(model))
            else:
                self.add_literal_import("sqlalchemy", "Table")
                rendered.append(f"{model.name}: Table = {self.render_table(model.table)}")
        return "\n\n\n".join(rendered)


def _is_view(table: Table) -> bool:
    return table.info.get("kind") in ("view", "materialized view")


def build(catalog: ir.Catalog, nullable_elements: bool = True) -> tuple[str, tuple[str, ...]]:
    """tables.py for `catalog`, formatted, and the generator's warnings (the worker's job)."""
    source, warnings = generate(sqla.metadata(catalog), nullable_elements)
    name = f"{PACKAGE}/tables.py"
    return fmt.format_files({name: HEADER + source})[name], warnings


@functools.cache
def _engine() -> Engine:
    return create_engine("postgresql+psycopg://")  # only its dialect is used: no connection


def warm() -> None:
    """Load the dialect (psycopg: 0.2 s) in the worker before the first job (codegen/worker.py)."""
    _engine()


_default_names: dict[int, tuple[Any, bool]] = {}  # id(constraint) -> (it, the answer), while generating


def _uses_default_name(constraint: Any) -> bool:
    """sqlacodegen's uses_default_name, asked once per constraint: the base asks it for every
    column of a table about every constraint of the table (O(columns x constraints), a third of
    tables.py's time at 500 tables). And it raises a TypeError for an EXCLUDE constraint, which
    always has a name of its own (so it is rendered, never folded into a column)."""
    hit = _default_names.get(id(constraint))
    if hit is None:
        answer = False if isinstance(constraint, ExcludeConstraint) else _base_uses_default_name(constraint)
        hit = _default_names[id(constraint)] = (constraint, answer)  # keeps it alive: its id stays its own
    return hit[1]


def _constraint_sort_key(constraint: Any) -> tuple[str, str]:
    """sqlacodegen's order of a table's constraints, ties broken by name: two EXCLUDE constraints
    over expressions (or two foreign keys on the same columns) tied, and came out in set order."""
    return _base_constraint_sort_key(constraint), str(constraint.name or "")


@contextmanager
def _knows_exclude_constraints() -> Iterator[None]:
    """While generating, sqlacodegen's table renderers (render_table, render_table_args, which
    would otherwise have to be copied whole) use _uses_default_name and _constraint_sort_key
    instead of their own module's functions."""
    replaced = {"uses_default_name": _uses_default_name, "get_constraint_sort_key": _constraint_sort_key}
    saved = {name: getattr(generators, name) for name in replaced}
    for name, function in replaced.items():
        setattr(generators, name, function)
    try:
        yield
    finally:
        _default_names.clear()
        for name, function in saved.items():
            setattr(generators, name, function)


def generate(metadata: MetaData, nullable_elements: bool = True) -> tuple[str, tuple[str, ...]]:
    """tables.py's source for `metadata`, and the warnings raised on the way, one line each."""
    generator = Generator(metadata, _engine(), ["nojoined"])
    generator.nullable_elements = nullable_elements
    with _knows_exclude_constraints(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source = generator.generate()
    return source, tuple(dict.fromkeys(f"warning: {w.message}" for w in caught))
