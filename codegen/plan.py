"""Every Python decision, made once: class and field names, aliases, annotations,
which fields an Insert may omit, and which constraints become Field(...) arguments.

The templates print what this module computes; they decide nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from codegen import checks, ir, names
from codegen.errors import UnsupportedSchema
from codegen.typemap import PyType, lookup

_ARG_ORDER = ("max_length", "min_length", "max_digits", "decimal_places", "gt", "ge", "lt", "le", "pattern")


@dataclass(frozen=True)
class ClassPlan:
    name: str
    base: str
    doc: str  # a ready docstring literal, quotes included
    fields: tuple[str, ...]  # ready `name: annotation = Field(...)` lines
    classvars: tuple[str, ...] = ()  # ready `_name: ClassVar[...] = ...` lines


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


@dataclass(frozen=True)
class TablePlan:
    qualified: str
    row: ClassPlan
    insert: ClassPlan
    update: ClassPlan


@dataclass(frozen=True)
class ModelsPlan:
    imports: tuple[str, ...]
    enums: tuple[EnumPlan, ...]
    aliases: tuple[AliasPlan, ...]
    composites: tuple[ClassPlan, ...]
    tables: tuple[TablePlan, ...]
    pg_enums: tuple[tuple[str, str], ...]  # (schema.name, class)
    pg_composites: tuple[tuple[str, str], ...]
    schema_hash: str
    migration_version: str | None


def docstring(*paragraphs: str) -> str:
    text = "\n\n".join(p.strip() for p in paragraphs if p and p.strip())
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if text.endswith('"'):
        text += " "
    return f'"""{text}"""' if "\n" not in text else f'"""{text}\n"""'


def schema_hash(catalog: ir.Catalog) -> str:
    """A digest of what the database holds (not of the server it ran on)."""
    text = catalog.to_json().replace(f'"server_version": "{catalog.server_version}"', "")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _Planner:
    def __init__(self, catalog: ir.Catalog, overrides: dict[str, PyType]) -> None:
        self.catalog = catalog
        self.overrides = overrides
        self.imports: set[tuple[str, str]] = {("pydantic", "Field")}
        self.taken: dict[str, str] = {}  # Python class name -> the object that took it
        self.enum_names = {
            e.qualified: self._claim(names.class_name(e.name, "Enum"), f"enum {e.qualified}", e.schema)
            for e in catalog.enums
        }
        self.domain_names = {
            d.qualified: self._claim(names.class_name(d.name, "Domain"), f"domain {d.qualified}", d.schema)
            for d in catalog.domains
        }
        self.composite_names = {
            c.qualified: self._claim(names.class_name(c.name, "Composite"), f"composite type {c.qualified}", c.schema)
            for c in catalog.composites
        }
        self.domains = {d.qualified: d for d in catalog.domains}

    def _claim(self, name: str, owner: str, schema: str) -> str:
        if schema != "public":
            name = names.class_name(schema, "S") + name
        if name in self.taken:
            raise UnsupportedSchema(
                f"{owner} and {self.taken[name]} both become the Python class {name}: rename one of them"
            )
        self.taken[name] = owner
        return name

    # -- types ---------------------------------------------------------------
    def annotation(self, ref: ir.TypeRef, where: str) -> str:
        if ref.kind == "enum":
            base = self.enum_names[ref.qualified]
        elif ref.kind == "domain":
            base = self.domain_names[ref.qualified]
        elif ref.kind == "composite" and ref.qualified in self.composite_names:
            base = self.composite_names[ref.qualified]
        else:
            py = lookup(ref, where, self.overrides)
            self.imports |= py.imports
            return py.annotation
        return PyType(base).list_of(ref.dims).annotation

    def constraints(
        self, ref: ir.TypeRef, column_checks: list[ir.Check], column: str
    ) -> tuple[dict[str, object], tuple[str, ...], list[ir.Check]]:
        """Field kwargs from the type's modifiers and the CHECKs that touch only this column."""
        kwargs: dict[str, object] = {}
        literals: tuple[str, ...] = ()
        unparsed: list[ir.Check] = []
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
        return kwargs, literals, unparsed

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
    ) -> str:
        args = [f"default={default}"] if default is not None else []
        if alias is not None:
            args += [f"validation_alias={alias!r}", f"serialization_alias={alias!r}"]
        args += [f"{k}={kwargs[k]!r}" for k in _ARG_ORDER if k in kwargs]
        if description:
            args.append(f"description={description!r}")
        return f"{name}: {annotation}" + (f" = Field({', '.join(args)})" if args else "")

    def table(self, table: ir.Table) -> TablePlan:
        base = names.class_name(names.singular(table.name), "Table")
        cls = self._claim(base, f"table {table.qualified}", table.schema)
        for suffix in ("Insert", "Update"):
            self._claim(cls + suffix, f"table {table.qualified} ({suffix})", "public")

        py_names: dict[str, str] = {}
        for col in table.columns:
            py = names.field_name(col.name, f"column_{col.position}")
            if py in py_names:
                raise UnsupportedSchema(
                    f"{table.qualified}: columns {py_names[py]!r} and {col.name!r} both become the Python name "
                    f"{py!r}: rename one of them"
                )
            py_names[py] = col.name

        single: dict[str, list[ir.Check]] = {}
        table_checks: list[ir.Check] = []
        for check in table.checks:
            if len(check.columns) == 1:
                single.setdefault(check.columns[0], []).append(check)
            else:
                table_checks.append(check)

        row, insert, update = [], [], []
        json_columns: dict[str, str] = {}  # column -> json|jsonb: to_db() wraps these for psycopg
        for col in table.columns:
            where = f"{table.qualified}.{col.name}"
            py = names.field_name(col.name, f"column_{col.position}")
            alias = None if py == col.name else col.name
            ann = self.annotation(col.type, where)
            kwargs, literals, unparsed = self.constraints(col.type, single.get(col.name, []), col.name)
            if literals and ann == "str":
                self.imports.add(("typing", "Literal"))
                ann = f"Literal[{', '.join(repr(v) for v in literals)}]"
            table_checks.extend(unparsed)
            nullable_ann = f"{ann} | None" if col.nullable else ann
            desc = col.comment
            row.append(self.field_line(py, nullable_ann, default=None, alias=alias, kwargs=kwargs, description=desc))
            if col.generated or col.identity == "always":
                continue  # the database computes these; PostgreSQL refuses a value
            if col.type.kind == "base" and col.type.dims == 0 and col.type.name in ("json", "jsonb"):
                json_columns[col.name] = col.type.name
            domain = self.domains.get(col.type.qualified) if col.type.kind == "domain" else None
            has_default = bool(col.default or col.identity or (domain and domain.default))
            ins_default = "UNSET" if has_default else ("None" if col.nullable else None)
            insert.append(
                self.field_line(py, nullable_ann, default=ins_default, alias=alias, kwargs=kwargs, description=desc)
            )
            if col.name in table.primary_key:
                continue
            update.append(
                self.field_line(py, nullable_ann, default="UNSET", alias=alias, kwargs=kwargs, description=desc)
            )

        notes = [f"Table {table.qualified}."]
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
        return TablePlan(
            table.qualified,
            ClassPlan(cls, "Row", docstring(comment, *notes), tuple(row)),
            ClassPlan(
                cls + "Insert",
                "Changes",
                docstring(f"A new {table.qualified} row: fields with a database default may be left out."),
                tuple(insert),
                classvars,
            ),
            ClassPlan(
                cls + "Update",
                "Changes",
                docstring(
                    f"Changes to a {table.qualified} row: only the fields you set are written; None writes NULL."
                ),
                tuple(update),
                classvars,
            ),
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
        kwargs, literals, unparsed = self.constraints(domain.base, list(domain.checks), "VALUE")
        if literals and ann == "str":
            self.imports.add(("typing", "Literal"))
            ann = f"Literal[{', '.join(repr(v) for v in literals)}]"
        comment = f"Domain {domain.qualified}" + (f": {domain.comment}" if domain.comment else "")
        if unparsed:
            comment += "; checked by the database only: " + "; ".join(c.expression for c in unparsed)
        name = self.domain_names[domain.qualified]
        if kwargs:
            self.imports.add(("typing", "Annotated"))
            args = ", ".join(f"{k}={kwargs[k]!r}" for k in _ARG_ORDER if k in kwargs)
            return AliasPlan(name, domain.qualified, comment, f"{name} = Annotated[{ann}, Field({args})]")
        return AliasPlan(name, domain.qualified, comment, f"{name} = {ann}")

    def composite(self, comp: ir.Composite) -> ClassPlan:
        fields = []
        for i, attr in enumerate(comp.attributes):
            py = names.field_name(attr.name, f"field_{i}")
            fields.append(f"{py}: {self.annotation(attr.type, f'{comp.qualified}.{attr.name}')} | None")
        return ClassPlan(
            self.composite_names[comp.qualified],
            "NamedTuple",
            docstring(comp.comment or "", f"Composite type {comp.qualified}."),
            tuple(fields),
        )


def plan(catalog: ir.Catalog, overrides: dict[str, PyType] | None = None) -> ModelsPlan:
    """Turn the IR into ready-to-print model code."""
    p = _Planner(catalog, overrides or {})
    enums = tuple(p.enum(e) for e in catalog.enums)
    aliases = tuple(p.domain(d) for d in _domains_in_order(catalog.domains))
    composites = tuple(p.composite(c) for c in catalog.composites)
    tables = tuple(p.table(t) for t in catalog.tables)
    if enums:
        p.imports.add(("enum", "StrEnum"))
    if composites:
        p.imports.add(("typing", "NamedTuple"))
    imports = tuple(sorted(f"from {m} import {n}" for m, n in p.imports))
    return ModelsPlan(
        imports=imports,
        enums=enums,
        aliases=aliases,
        composites=composites,
        tables=tables,
        pg_enums=tuple((e.pg_name, e.name) for e in enums),
        pg_composites=tuple((c.qualified, p.composite_names[c.qualified]) for c in catalog.composites),
        schema_hash=schema_hash(catalog),
        migration_version=catalog.migration_version,
    )


def _domains_in_order(domains: tuple[ir.Domain, ...]) -> list[ir.Domain]:
    """Domains over other domains come after their base."""
    by_name = {d.qualified: d for d in domains}
    out: list[ir.Domain] = []

    def visit(d: ir.Domain) -> None:
        if d in out:
            return
        if d.base.kind == "domain" and d.base.qualified in by_name:
            visit(by_name[d.base.qualified])
        out.append(d)

    for d in domains:
        visit(d)
    return out
