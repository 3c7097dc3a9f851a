"""Every Python decision, made once: class and field names, aliases, annotations,
which fields an Insert may omit, and which constraints become Field(...) arguments.

The templates print what this module computes; they decide nothing.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from codegen import ir
from codegen.errors import UnsupportedSchema
from codegen.plan import checks, names
from codegen.plan.sqltext import quote, sql_name
from codegen.plan.typemap import PG_TYPES, Filter, PyType, lookup
from codegen.render.runtime import schema_check

# Enums, domains and composite types: the module every table's module imports them from.
SHARED_MODULE = "chatmaps_db.models._shared"
# Names a models module imports besides the type table's (see templates/models/).
_MODULE_NAMES = (
    "Annotated",
    "ClassVar",
    "Field",
    "Literal",
    "NamedTuple",
    "StrEnum",
    "UNSET",
    "unset",
    "Changes",
    "Row",
    "SecretChanges",
    "SecretRow",
    "Input",
    "SecretInput",
)
# Class names no table may take, beside _MODULE_NAMES: what the table layer's modules
# (chatmaps_db.access.<table>) import beside a table's models, and Python's own constants
# (`class None(Row)` does not parse). A column may still be named so: fields do not shadow them.
_CLASS_ONLY = (
    "Key",
    "Spec",
    "Table",
    "AsyncTable",
    "Relation",
    "AsyncRelation",
    "Awaitable",
    "Sequence",
    "None",
    "True",
    "False",
)
# Builtins an annotation may use: a field named `list` would hide list[...] from the
# annotations after it in its class.
_BUILTINS = ("str", "int", "float", "bool", "bytes", "list", "dict", "object", "type", "tuple", "set", "frozenset")
# A column whose comment holds this tag is secret, like one listed in [tool.codegen] secret_columns.
SECRET_TAG = "@secret"
# A column whose comment holds this tag is the server's, like one listed in [tool.codegen] server_columns.
SERVER_TAG = "@server"
_T = TypeVar("_T")
_P = TypeVar("_P")
_ARG_ORDER = ("max_length", "min_length", "max_digits", "decimal_places", "gt", "ge", "lt", "le", "pattern")


@dataclass(frozen=True)
class ClassPlan:
    name: str
    base: str
    doc: str  # a ready docstring literal, quotes included
    fields: tuple[str, ...]  # ready `name: annotation = Field(...)` lines
    classvars: tuple[str, ...] = ()  # ready `_name: ClassVar[...] = ...` lines
    kind: str = "class"
    methods: tuple[str, ...] = ()  # ready method definitions, each one or more lines


@dataclass(frozen=True)
class EnumPlan:
    name: str
    pg_name: str
    doc: str
    members: tuple[str, ...]  # ready `MEMBER = "label"` lines


@dataclass(frozen=True)
class AliasPlan:
    name: str
    pg_name: str
    comment: str
    line: str  # `Name = Annotated[...]`
    kind: str = "alias"


@dataclass(frozen=True)
class ColumnPlan:
    """One column as the table layer (plan/access.py) needs it."""

    name: str  # the column's name in the database
    field: str  # the models' field name
    annotation: str  # its Python type, not null, spelled for chatmaps_db.access (builtins.list)
    imports: frozenset[tuple[str, str]]  # what the annotation needs
    nullable: bool
    dims: int
    binary: bool  # see typemap.PyType
    trusted: bool
    filter: Filter
    insertable: bool  # in the Insert model (not generated, not identity ALWAYS)
    sql_type: str = ""  # what its values are sent as (param_type): '"pg_catalog"."int4"[]'
    json: str = ""  # json_kind(): "jsonb", "json[]", ...: its values are wrapped for psycopg
    # The operators of a where= condition on it (chatmaps_db._where): "none" (null tests only), "eq",
    # "order", "text", "array", "jsonb", "range"; `element` annotates an array's element or a range's
    # subtype, `subtype` is the range subtype's SQL type.
    family: str = "none"
    element: str = ""
    subtype: str = ""
    # The schema of its type's operators when they are not pg_catalog's (an extension's base type, whose
    # schema may be off the search_path: isn's isbn in "extensions"): compared with OPERATOR(schema.=).
    operator_schema: str = ""


@dataclass(frozen=True)
class TablePlan:
    qualified: str
    row: ClassPlan
    insert: ClassPlan | None  # None for views and materialized views: read-only
    update: ClassPlan | None
    module: str = ""  # its module in chatmaps_db.models (one per table: imported on first use)
    imports: tuple[str, ...] = ()  # ready `from x import y` lines that module needs
    stem: str = ""  # User for users: Insert, Update and the table layer's classes are named from it
    columns: tuple[ColumnPlan, ...] = ()
    inputs: tuple[ClassPlan, ...] = ()  # <Row>Create and <Row>Patch, where it has server columns

    @property
    def classes(self) -> tuple[ClassPlan, ...]:
        return tuple(c for c in (self.row, self.insert, self.update, *self.inputs) if c is not None)

    @property
    def class_names(self) -> str:
        """`User, UserInsert, UserUpdate`: what its module defines, for an import line."""
        return ", ".join(c.name for c in self.classes)


@dataclass(frozen=True)
class ModelsPlan:
    imports: tuple[str, ...]  # what models/_shared.py (enums, domains, composite types) imports
    enums: tuple[EnumPlan, ...]
    type_defs: tuple[AliasPlan | ClassPlan, ...]  # aliases and composites, dependencies first
    tables: tuple[TablePlan, ...]
    pg_enums: tuple[tuple[str, str], ...]  # (schema.name, class)
    pg_composites: tuple[tuple[str, str], ...]
    pg_hstore: tuple[str, ...]  # hstore types in use (schema.hstore): the pool registers their adapter
    # Element types whose arrays psycopg does not know (a domain, an extension's type), quoted, and
    # the type their elements load as (a domain's base type): ready `'"public"."percent"': '...',` lines.
    pg_arrays: tuple[str, ...]
    schema_hash: str
    migration_version: str | None
    migrations: tuple[str, ...]  # every migration the package was generated from, oldest first
    table_names: tuple[str, ...]  # schema.table of every modelled table
    shape_hash: str  # schema_check.shape_hash of catalog.shape
    shape_rows: tuple[str, ...]  # catalog.shape, each row as a Python literal

    @property
    def shared_names(self) -> tuple[str, ...]:
        """What models/_shared.py defines, sorted."""
        return tuple(sorted([e.name for e in self.enums] + [t.name for t in self.type_defs]))

    @property
    def exports(self) -> tuple[str, ...]:
        """Every name the models package defines, sorted (its __all__, after UNSET)."""
        return tuple(sorted([*self.shared_names, *(c.name for t in self.tables for c in t.classes)]))

    @property
    def shared_import(self) -> str:
        """The facade's import of everything in models/_shared.py; empty when it defines nothing."""
        names = self.shared_names
        return f"from chatmaps_db.models._shared import {', '.join(names)}" if names else ""


def docstring(*paragraphs: str) -> str:
    text = "\n\n".join(p.strip() for p in paragraphs if p and p.strip())
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if text.endswith('"'):
        text += " "
    return f'"""{text}"""' if "\n" not in text else f'"""{text}\n"""'


class _Planner:
    def __init__(self, catalog: ir.Catalog, overrides: dict[str, PyType], class_names: dict[str, str]) -> None:
        self.catalog = catalog
        self.overrides = overrides
        self.class_names = class_names  # [tool.codegen.names]: "schema.table" -> class name
        self.secret_columns: frozenset[str] = frozenset()  # [tool.codegen] secret_columns: schema.table.column
        self.server_columns: frozenset[str] = frozenset()  # [tool.codegen] server_columns: schema.table.column
        self.nullable_elements = True  # [tool.codegen] not_null_array_elements = true turns it off
        self.config_file = "pyproject.toml"  # where [tool.codegen] came from, for the messages
        self.imports: set[tuple[str, str]] = {("pydantic", "Field")}
        self.taken: dict[str, str] = {}  # Python class name -> the object that took it
        self.hstore: set[str] = set()
        self.arrays: dict[str, str] = {}  # see ModelsPlan.pg_arrays
        imported = {n for py in (*PG_TYPES.values(), *overrides.values()) for _, n in py.imports} | set(_MODULE_NAMES)
        # What a models module or the models package imports: no class may take these names.
        self.reserved = frozenset(imported | {"Any", "TYPE_CHECKING"} | set(_CLASS_ONLY))
        self.enum_names = {
            e.qualified: self._claim(
                names.class_name(e.name, "Enum"), f"enum {e.qualified}", e.schema, e.qualified, clash="Enum"
            )
            for e in catalog.enums
        }
        self.domain_names = {
            d.qualified: self._claim(
                names.class_name(d.name, "Domain"), f"domain {d.qualified}", d.schema, d.qualified, clash="Type"
            )
            for d in catalog.domains
        }
        self.composite_names = {
            c.qualified: self._claim(
                names.class_name(c.name, "Composite"), f"composite type {c.qualified}", c.schema, c.qualified, "Type"
            )
            for c in catalog.composites
        }
        self.domains = {d.qualified: d for d in catalog.domains}
        self.composites = {c.qualified: c for c in catalog.composites}
        self.table_bases = self._table_base_names()
        # Every name an annotation may use; a field must not shadow one.
        self.module_names = frozenset(imported | set(_BUILTINS) | set(self.taken))

    def _claim(self, name: str, owner: str, schema: str, qualified: str | None = None, clash: str = "") -> str:
        """The class name for `owner` (see _name and _take)."""
        return self._take(self._name(name, schema, qualified), owner, qualified, clash)

    def _name(self, name: str, schema: str, qualified: str | None) -> str:
        """`name` as configured under [tool.codegen.names], else prefixed by a schema other than public."""
        if qualified is not None and qualified in self.class_names:
            configured = self.class_names[qualified]
            if configured in self.reserved:
                raise UnsupportedSchema(
                    f'{self.config_file}: [tool.codegen.names] "{qualified}" = "{configured}" is a name the models '
                    "import: choose another"
                )
            return configured
        return name if schema == "public" else names.class_name(schema, "S") + name

    def _take(self, name: str, owner: str, qualified: str | None, clash: str = "") -> str:
        """Record `name` for `owner`, so that no other object takes it. A name the models
        modules import (Field, Row, Decimal, Point, Any, ...) gets `clash` appended: table
        decimal -> DecimalRow (its Insert and Update stay DecimalInsert, DecimalUpdate)."""
        if name in self.reserved:
            name += clash
        if name in self.taken:
            raise UnsupportedSchema(
                f"{owner} and {self.taken[name]} both become the Python class {name}: rename one of them, "
                f'or name one under [tool.codegen.names] in pyproject.toml ("{qualified or owner}" = "OtherName")'
            )
        self.taken[name] = owner
        return name

    def _table_base_names(self) -> dict[str, str]:
        """Singular class names (users -> User), unless two tables would share one (client,
        clients): then a table whose name was plural keeps it (Clients)."""
        singular = {t.qualified: names.class_name(names.singular(t.name), "Table") for t in self.catalog.tables}
        counts = Counter((t.schema, singular[t.qualified]) for t in self.catalog.tables)
        return {
            t.qualified: singular[t.qualified]
            if counts[(t.schema, singular[t.qualified])] == 1
            else names.class_name(t.name, "Table")
            for t in self.catalog.tables
        }

    # -- types ---------------------------------------------------------------
    def annotation(
        self, ref: ir.TypeRef, where: str, list_name: str = "list", into: set[tuple[str, str]] | None = None
    ) -> str:
        """The annotation of a column of type `ref`; what it imports is added to `into` (self.imports)."""
        imports = self.imports if into is None else into
        if ref.kind == "enum":
            base = self.enum_names[ref.qualified]
        elif ref.kind == "domain":
            base = self.domain_names[ref.qualified]
        elif ref.kind == "composite" and ref.qualified in self.composite_names:
            base = self.composite_names[ref.qualified]
        else:
            base = ""
        if base:
            imports.add((SHARED_MODULE, base))
        else:
            py = lookup(ref, where, self.overrides, nullable_elements=self.nullable_elements, list_name=list_name)
            imports |= py.imports
            if ref.name == "hstore" and ref.kind == "base":
                self.hstore.add(ref.qualified)
            return py.annotation
        return PyType(base).list_of(ref.dims, nullable_elements=self.nullable_elements, list_name=list_name).annotation

    def access_flags(self, ref: ir.TypeRef) -> tuple[bool, bool, Filter]:
        """(binary, trusted, filter) of a type, as typemap.PyType has them: enums load in binary and
        compare; a domain is its base type; a composite is as good as its worst attribute."""
        if ref.kind == "enum":
            return True, True, "order"
        if ref.kind == "domain" and ref.qualified in self.domains:
            return self.access_flags(self.domains[ref.qualified].base)
        if ref.kind == "composite" and ref.qualified in self.composites:
            flags = [self.access_flags(a.type) for a in self.composites[ref.qualified].attributes]
            # Compared and ordered attribute by attribute: as well as its least comparable attribute.
            filters: list[Filter] = ["none", "eq", "order"]
            least = min((filters.index(f[2]) for f in flags), default=0)
            return all(f[0] for f in flags), all(f[1] for f in flags), filters[least]
        py = lookup(ref, ref.qualified, self.overrides)
        return py.binary, py.trusted, py.filter

    def operator_schema(self, ref: ir.TypeRef) -> str:
        """`"extensions"` for a scalar of an extension's base type (its operators are in its schema),
        "" otherwise (built-in types; enums, composites and arrays compare with pg_catalog's operators)."""
        base, dims = self.base_of(ref)
        if dims or base.kind != "base" or base.schema == "pg_catalog":
            return ""
        return sql_name(base.schema)

    def where_ops(
        self, ref: ir.TypeRef, filter_: Filter, where: str, into: set[tuple[str, str]]
    ) -> tuple[str, str, str]:
        """(family, element, subtype) of a column of type `ref` for ColumnPlan: which operators a
        where= condition offers on it. An array compares by its elements' `=`; a domain is its base."""
        if ref.dims:
            inner = dataclasses.replace(ref, dims=ref.dims - 1)
            if self.where_ops(inner, filter_, where, set())[0] == "none":  # elements without `=` (json, point)
                return "none", "", ""
            element = self.annotation(inner, where, "builtins.list", into)
            return "array", f"{element} | None" if self.nullable_elements else element, ""
        base, dims = self.base_of(ref)
        py = None if dims or base.kind not in ("base", "range", "multirange") else PG_TYPES.get(base.name)
        if (
            py is None
            or base.qualified in self.overrides
            or base.name in self.overrides
            or (filter_ == "none" and not py.family)
        ):
            return filter_, "", ""
        if py.family == "range":
            into |= py.imports
            return "range", py.element, f'"pg_catalog".{sql_name(py.subtype)}'
        return py.family or filter_, "", ""

    def base_of(self, ref: ir.TypeRef) -> tuple[ir.TypeRef, int]:
        """(the type under `ref`'s domains, the array dimensions along the way): percent[] ->
        (numeric, 1); a type that is no domain is its own base."""
        dims = ref.dims
        while ref.kind == "domain" and ref.qualified in self.domains:
            ref = self.domains[ref.qualified].base
            dims = max(dims, ref.dims)
        return ref, dims

    def json_kind(self, ref: ir.TypeRef) -> str:
        """ "json", "jsonb", "jsonb[]" (an array of them; a domain is its base): how a value of this
        type is wrapped for psycopg (_types.json_param), or "" for another type."""
        base, dims = self.base_of(ref)
        if base.kind == "base" and base.schema == "pg_catalog" and base.name in ("json", "jsonb"):
            return base.name + "[]" * dims
        return ""

    def param_type(self, ref: ir.TypeRef) -> str:
        """The type a value for a column of type `ref` is sent as, quoted: the column's own type, a
        domain's base type (a filter value is compared, not checked, as PostgreSQL does for a
        literal), without modifiers (a cast to varchar(8) or char(4) would cut the value).
        Arrays of types psycopg does not know are noted for the pool to register (pg_arrays)."""
        base, dims = self.base_of(ref)
        if ref.dims:  # an array of a domain stays one: PostgreSQL has no `percent[] = numeric[]`
            if ref.kind == "domain" or (ref.kind == "base" and ref.schema != "pg_catalog"):
                self.arrays[_quoted(ref)] = _quoted(base)
            return f"{sql_name(ref.schema)}.{sql_name(ref.name)}[]"
        return f"{sql_name(base.schema)}.{sql_name(base.name)}" + ("[]" if dims else "")

    def constraints(
        self, ref: ir.TypeRef, column_checks: list[ir.Check], column: str
    ) -> tuple[dict[str, object], tuple[str, ...], list[ir.Check], list[str]]:
        """Field kwargs from the type's modifiers and the CHECKs that touch only this column; the
        CHECKs not understood; and notes on the terms only the database checks (a regex that
        means something else in pydantic's engine)."""
        kwargs: dict[str, object] = {}
        literals: tuple[str, ...] = ()
        unparsed: list[ir.Check] = []
        database_only: list[str] = []
        if ref.dims == 0:
            if ref.name in ("varchar", "bpchar") and ref.length:
                kwargs["max_length"] = ref.length
            if ref.name == "numeric" and ref.precision:
                kwargs["max_digits"], kwargs["decimal_places"] = ref.precision, ref.scale or 0
            if ref.name == "bit" and ref.length:
                kwargs["pattern"] = f"^[01]{{{ref.length}}}$"
            if ref.name == "varbit" and ref.length:
                kwargs["max_length"] = ref.length
        for check in column_checks:
            parsed = checks.parse(check.expression, column) if ref.dims == 0 else None
            if parsed is None:
                unparsed.append(check)
                continue
            kwargs.update(parsed.kwargs)
            literals = parsed.literals or literals
            database_only += [f"{check.name}: checked by the database only: {term}" for term in parsed.database_only]
        return kwargs, literals, unparsed, database_only

    # -- fields --------------------------------------------------------------
    @staticmethod
    def field_line(
        name: str,
        annotation: str,
        *,
        default: str | None,
        alias: str | None,
        kwargs: dict[str, object],
        description: str | None,
        secret: bool = False,
    ) -> str:
        # A field that may be left out defaults to UNSET through a factory: JSON Schema (and so
        # FastAPI's OpenAPI document) then shows it as optional with no default, instead of
        # warning that UNSET is not JSON serializable.
        args = ["default_factory=unset" if default == "UNSET" else f"default={default}"] if default is not None else []
        if alias is not None:
            args += [f"validation_alias={alias!r}", f"serialization_alias={alias!r}"]
        args += [f"{k}={kwargs[k]!r}" for k in _ARG_ORDER if k in kwargs]
        if description:
            args.append(f"description={description!r}")
        if secret:
            # Out of repr() and of model_dump()/JSON unless asked for by name (see _types.SecretRow).
            args += ["repr=False", "exclude=True"]
        return f"{name}: {annotation}" + (f" = Field({', '.join(args)})" if args else "")

    def table(self, table: ir.Table) -> TablePlan:
        kind = table.kind if table.view else "table"
        stem = self._name(self.table_bases[table.qualified], table.schema, table.qualified)
        cls = self._take(stem, f"{kind} {table.qualified}", table.qualified, clash="Row")
        for suffix in () if table.view else ("Insert", "Update"):
            self._claim(stem + suffix, f"table {table.qualified} ({suffix})", "public")

        py_of: dict[str, str] = {}  # column -> Python field name
        for col in table.columns:
            py = names.field_name(col.name, f"column_{col.position}", self.module_names)
            taken_by = next((c for c, p in py_of.items() if p == py), None)
            if taken_by is not None:
                raise UnsupportedSchema(
                    f"{table.qualified}: columns {taken_by!r} and {col.name!r} both become the Python name "
                    f"{py!r}: rename one of them"
                )
            py_of[col.name] = py

        single: dict[str, list[ir.Check]] = {}
        table_checks: list[ir.Check] = []
        for check in table.checks:
            if len(check.columns) == 1:
                single.setdefault(check.columns[0], []).append(check)
            else:
                table_checks.append(check)

        row, insert, update = [], [], []
        insert_fields: list[str] = []  # the field of each Insert line, and of each Update line
        update_fields: list[str] = []
        server: set[str] = set()  # fields of server columns: left out of <Row>Create and <Row>Patch
        columns: list[ColumnPlan] = []
        json_columns: dict[str, str] = {}  # column -> json, jsonb[], ...: to_db() wraps these for psycopg
        secrets: list[str] = []  # Python names of the secret columns
        unmapped: list[str] = []  # every column without a Python type, not just the first
        for col in table.columns:
            where = f"{table.qualified}.{col.name}"
            py = py_of[col.name]
            secret = where in self.secret_columns or SECRET_TAG in (col.comment or "")
            if secret:
                secrets.append(py)
            alias = None if py == col.name else col.name
            try:
                ann = self.annotation(col.type, where)
            except UnsupportedSchema as exc:
                unmapped.append(str(exc))
                continue
            kwargs, literals, unparsed, database_only = self.constraints(col.type, single.get(col.name, []), col.name)
            access_imports: set[tuple[str, str]] = set()
            access_ann = self.annotation(col.type, where, "builtins.list", access_imports)
            if literals and ann == "str":
                self.imports.add(("typing", "Literal"))
                ann = access_ann = f"Literal[{', '.join(repr(v) for v in literals)}]"
                access_imports.add(("typing", "Literal"))
            binary, trusted, filter_ = self.access_flags(col.type)
            family, element, subtype = self.where_ops(col.type, filter_, where, access_imports)
            columns.append(
                ColumnPlan(
                    col.name,
                    py,
                    access_ann,
                    frozenset(access_imports),
                    col.nullable,
                    col.type.dims,
                    binary,
                    trusted,
                    filter_,
                    insertable=not (col.generated or col.identity == "always"),
                    sql_type=self.param_type(col.type),
                    json=self.json_kind(col.type),
                    family=family,
                    element=element,
                    subtype=subtype,
                    operator_schema=self.operator_schema(col.type),
                )
            )
            table_checks.extend(unparsed)
            nullable_ann = f"{ann} | None" if col.nullable else ann
            desc = "\n".join(filter(None, [col.comment, *database_only])) or None
            row.append(
                self.field_line(
                    py, nullable_ann, default=None, alias=alias, kwargs=kwargs, description=desc, secret=secret
                )
            )
            if col.generated or col.identity == "always":
                continue  # the database computes these; PostgreSQL refuses a value
            if where in self.server_columns or SERVER_TAG in (col.comment or ""):
                server.add(py)
            if json := self.json_kind(col.type):
                json_columns[col.name] = json
            domain = self.domains.get(col.type.qualified) if col.type.kind == "domain" else None
            has_default = bool(col.default or col.identity or (domain and domain.default))
            ins_default = "UNSET" if has_default else ("None" if col.nullable else None)
            insert.append(
                self.field_line(
                    py, nullable_ann, default=ins_default, alias=alias, kwargs=kwargs, description=desc, secret=secret
                )
            )
            insert_fields.append(py)
            if col.name in table.primary_key:
                continue
            update.append(
                self.field_line(
                    py, nullable_ann, default="UNSET", alias=alias, kwargs=kwargs, description=desc, secret=secret
                )
            )
            update_fields.append(py)

        if unmapped:
            raise UnsupportedSchema("\n".join(unmapped))
        notes = [f"{kind.capitalize()} {table.qualified}" + (": read-only rows." if table.view else ".")]
        if table.primary_key:
            notes.append(f"Primary key: {', '.join(table.primary_key)}.")
        if table_checks:
            notes.append(
                "Checked by the database only:\n" + "\n".join(f"- {c.name}: {c.expression}" for c in table_checks)
            )
        comment = table.comment or ""
        classvars: tuple[str, ...] = ()
        if json_columns:
            self.imports.add(("typing", "ClassVar"))
            classvars = (f"_json_columns: ClassVar[dict[str, str]] = {json_columns!r}",)
        secret_vars: tuple[str, ...] = ()
        if secrets:
            self.imports.add(("typing", "ClassVar"))
            secret_vars = (f"_secret_fields: ClassVar[frozenset[str]] = frozenset({sorted(secrets)!r})",)
            notes.append(f"Secret, left out of repr() and model_dump() unless revealed: {', '.join(secrets)}.")
        row_base, changes_base = ("SecretRow", "SecretChanges") if secrets else ("Row", "Changes")
        row_class = ClassPlan(cls, row_base, docstring(comment, *notes), tuple(row), secret_vars)
        if table.view:
            return TablePlan(table.qualified, row_class, None, None, stem=stem, columns=tuple(columns))
        inputs: tuple[ClassPlan, ...] = ()
        if server:
            creates = tuple(line for f, line in zip(insert_fields, insert, strict=True) if f not in server)
            patches = tuple(line for f, line in zip(update_fields, update, strict=True) if f not in server)
            left_out = ", ".join(f for f in insert_fields if f in server)
            base = "SecretInput" if secrets else "Input"
            inputs = (
                ClassPlan(
                    stem + "Create",
                    base,
                    docstring(
                        f"A new {table.qualified} row as a client gives it: {stem}Insert without the columns "
                        f"the server sets ({left_out}); a body that gives one is refused."
                    ),
                    creates,
                    classvars + secret_vars,
                    methods=(_to_model("to_insert", stem + "Insert", "the server's columns take their defaults"),),
                ),
                ClassPlan(
                    stem + "Patch",
                    base,
                    docstring(
                        f"Changes to a {table.qualified} row as a client gives them: {stem}Update without the "
                        f"columns the server sets ({left_out}); a body that gives one is refused."
                    ),
                    patches,
                    classvars + secret_vars,
                    methods=(_to_model("to_update", stem + "Update", "only the fields given are written"),),
                ),
            )
        return TablePlan(
            table.qualified,
            row_class,
            ClassPlan(
                stem + "Insert",
                changes_base,
                docstring(f"A new {table.qualified} row: fields with a database default may be left out."),
                tuple(insert),
                classvars + secret_vars,
            ),
            ClassPlan(
                stem + "Update",
                changes_base,
                docstring(
                    f"Changes to a {table.qualified} row: only the fields you set are written; None writes NULL."
                ),
                tuple(update),
                classvars + secret_vars,
            ),
            stem=stem,
            columns=tuple(columns),
            inputs=inputs,
        )

    def enum(self, enum: ir.Enum) -> EnumPlan:
        members, seen = [], set()
        for i, label in enumerate(enum.labels):
            member = names.enum_member(label, f"VALUE_{i}")
            if member in seen:
                raise UnsupportedSchema(f"enum {enum.qualified}: labels both become the member {member}: rename one")
            seen.add(member)
            members.append(f"{member} = {label!r}")
        doc = docstring(enum.comment or "", f"Enum {enum.qualified}.")
        return EnumPlan(self.enum_names[enum.qualified], enum.qualified, doc, tuple(members))

    def domain(self, domain: ir.Domain) -> AliasPlan:
        where = f"domain {domain.qualified}"
        ann = self.annotation(domain.base, where)
        kwargs, literals, unparsed, database_only = self.constraints(domain.base, list(domain.checks), "VALUE")
        if literals and ann == "str":
            self.imports.add(("typing", "Literal"))
            ann = f"Literal[{', '.join(repr(v) for v in literals)}]"
        comment = f"Domain {domain.qualified}" + (f": {domain.comment}" if domain.comment else "")
        if unparsed:
            comment += "; checked by the database only: " + "; ".join(c.expression for c in unparsed)
        if database_only:
            comment += "; " + "; ".join(database_only)
        name = self.domain_names[domain.qualified]
        if kwargs:
            self.imports.add(("typing", "Annotated"))
            args = ", ".join(f"{k}={kwargs[k]!r}" for k in _ARG_ORDER if k in kwargs)
            return AliasPlan(name, domain.qualified, comment, f"{name} = Annotated[{ann}, Field({args})]")
        return AliasPlan(name, domain.qualified, comment, f"{name} = {ann}")

    def type_def(self, item: ir.Domain | ir.Composite) -> AliasPlan | ClassPlan:
        return self.domain(item) if isinstance(item, ir.Domain) else self.composite(item)

    def composite(self, comp: ir.Composite) -> ClassPlan:
        fields = []
        for i, attr in enumerate(comp.attributes):
            py = names.field_name(attr.name, f"field_{i}", self.module_names)
            fields.append(f"{py}: {self.annotation(attr.type, f'{comp.qualified}.{attr.name}')} | None")
        return ClassPlan(
            self.composite_names[comp.qualified],
            "NamedTuple",
            docstring(comp.comment or "", f"Composite type {comp.qualified}."),
            tuple(fields),
        )


# The annotation of any PostgreSQL type, named as the models name it: the checked queries'
# parameters and computed columns use the same names and type table (plan/queries.py).
TypeNamer = _Planner


def plan(
    catalog: ir.Catalog,
    overrides: dict[str, PyType] | None = None,
    class_names: dict[str, str] | None = None,
    secret_columns: tuple[str, ...] = (),
    *,
    not_null_array_elements: bool = False,
    config_file: str = "pyproject.toml",
    server_columns: tuple[str, ...] = (),
) -> ModelsPlan:
    """Turn the IR into ready-to-print model code (`config_file` names the [tool.codegen] source)."""
    p = _Planner(catalog, overrides or {}, class_names or {})
    p.config_file = config_file
    p.secret_columns = frozenset(secret_columns)
    p.server_columns = frozenset(server_columns)
    p.nullable_elements = not not_null_array_elements
    problems: list[str] = []  # every problem is reported, one line each, not just the first
    known = {f"{t.qualified}.{c.name}" for t in catalog.tables for c in t.columns}
    for setting, entries in (("secret_columns", secret_columns), ("server_columns", server_columns)):
        for entry in entries:
            if entry not in known:
                problems.append(
                    f"{config_file}: [tool.codegen] {setting} lists {entry!r}, which is not a column: "
                    "write schema.table.column as in docs/SCHEMA.md"
                )

    def each(make: Callable[[_T], _P], items: Iterable[_T]) -> tuple[_P, ...]:
        planned = []
        for item in items:
            try:
                planned.append(make(item))
            except UnsupportedSchema as exc:
                problems.append(str(exc))
        return tuple(planned)

    enums = each(p.enum, catalog.enums)
    type_defs = each(p.type_def, _types_in_order(catalog.domains, catalog.composites))
    if enums:
        p.imports.add(("enum", "StrEnum"))
    if any(t.kind == "class" for t in type_defs):
        p.imports.add(("typing", "NamedTuple"))
    shared_imports = _import_lines({i for i in p.imports if i[0] != SHARED_MODULE})
    modules = _module_names(catalog.tables)

    def table(t: ir.Table) -> TablePlan:
        p.imports = {("pydantic", "Field")}  # each table's module imports what it uses
        planned = p.table(t)
        return dataclasses.replace(planned, module=modules[t.qualified], imports=_import_lines(p.imports))

    tables = each(table, catalog.tables)
    if problems:
        raise UnsupportedSchema("\n".join(problems))
    return ModelsPlan(
        imports=shared_imports,
        enums=enums,
        type_defs=type_defs,
        tables=tables,
        pg_enums=tuple((e.pg_name, e.name) for e in enums),
        pg_composites=tuple((c.qualified, p.composite_names[c.qualified]) for c in catalog.composites),
        pg_hstore=tuple(sorted(p.hstore)),
        pg_arrays=tuple(f"{name!r}: {base!r}," for name, base in sorted(p.arrays.items())),
        schema_hash=catalog.digest(),
        migration_version=catalog.migration_version,
        migrations=catalog.migrations,
        table_names=tuple(t.qualified for t in catalog.tables),
        shape_hash=schema_check.shape_hash(catalog.shape),
        shape_rows=tuple(repr(row) for row in catalog.shape),
    )


def _to_model(method: str, target: str, note: str) -> str:
    """A ready `def to_insert(self) -> UserInsert:` of a <Row>Create (or to_update of a <Row>Patch)."""
    return (
        f"def {method}(self) -> {target}:\n"
        f'    """The {target} of the fields given: {note}."""\n'
        f"    return {target}.model_validate(self.given())"
    )


def _quoted(ref: ir.TypeRef) -> str:
    """`"public"."percent"`: a type's name as regtype reads it, whatever its case or characters."""
    return f"{quote(ref.schema)}.{quote(ref.name)}"


def _import_lines(imports: set[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(sorted(f"from {m} import {n}" for m, n in imports))


def _module_names(tables: tuple[ir.Table, ...]) -> dict[str, str]:
    """schema.table -> its module name, unique (`users`, `users_2` when two tables collide)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for t in sorted(tables, key=lambda t: t.qualified):
        base = names.module_name(t.schema, t.name, "table")
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        used.add(name)
        out[t.qualified] = name
    return out


def _types_in_order(
    domains: tuple[ir.Domain, ...], composites: tuple[ir.Composite, ...]
) -> list[ir.Domain | ir.Composite]:
    """Domains and composite types, each after the ones it is built from (a domain over a
    composite, a composite with a domain attribute): module-level names must exist first."""
    by_name: dict[str, ir.Domain | ir.Composite] = {d.qualified: d for d in domains}
    by_name |= {c.qualified: c for c in composites}
    out: list[ir.Domain | ir.Composite] = []

    def visit(item: ir.Domain | ir.Composite) -> None:
        if item in out:
            return
        refs = [item.base] if isinstance(item, ir.Domain) else [a.type for a in item.attributes]
        for ref in refs:  # PostgreSQL forbids cycles here
            if ref.kind in ("domain", "composite") and ref.qualified in by_name:
                visit(by_name[ref.qualified])
        out.append(item)

    every: list[ir.Domain | ir.Composite] = [*domains, *composites]
    for item in every:
        visit(item)
    return out
