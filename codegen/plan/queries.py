"""The checked queries' decisions (chatmaps_db.queries): per queries/*.sql file a module, per
query a method of `db.queries` with typed keyword parameters, its result type (a table's row
model when the columns are exactly that row, else a generated `<Name>Row`), and the QuerySpec
literal the runtime (render/runtime/_access_async.py, AsyncQueryRunner) executes.

Types come from PostgreSQL's description of each prepared query (introspect/queries.py)
through the models' own type table; a column passed through from a table takes that column's
annotation (its enum, domain or CHECK Literal) and secrecy. Nullability: plan/nullability.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen import ir, sqlfile
from codegen.errors import QueryError
from codegen.plan import names, nullability
from codegen.plan.access import Method
from codegen.plan.models import SECRET_TAG, ClassPlan, ColumnPlan, ModelsPlan, TablePlan, TypeNamer, docstring
from codegen.plan.sqltext import sql_name
from codegen.plan.typemap import PyType

# The methods' own parameters: a query parameter named like one gets a trailing _.
_RESERVED = frozenset({"self", "validate", "rows"})
_VALIDATE = "validate: bool | None = None"
_RETURNS = {"one": "{row} | None", "many": "builtins.list[{row}]", "exec": "None", "execrows": "int"}
_WHAT = {
    "one": "The first row, or None.",
    "many": "Every row.",
    "exec": "Runs the statement.",
    "execrows": "How many rows the statement changed.",
    "copyfrom": "Inserts every row with COPY (binary where every column's type allows); how many.",
}


@dataclass(frozen=True)
class QueryModule:
    """chatmaps_db.queries.<module>: the queries of one file."""

    module: str
    source: str  # queries/sessions.sql
    sync_class: str  # SessionsQueries
    async_class: str
    imports: tuple[str, ...]  # ready import lines
    classes: tuple[ClassPlan, ...]  # the <Name>Row and <Name>Params classes
    specs: tuple[tuple[str, str], ...]  # (constant, ready QuerySpec(...) expression)
    methods: tuple[Method, ...]

    @property
    def exports(self) -> tuple[str, ...]:
        return tuple(sorted([self.async_class, self.sync_class, *(c.name for c in self.classes)]))


@dataclass(frozen=True)
class QueryDoc:
    """One row of docs/SCHEMA.md's query list."""

    name: str
    method: str
    kind: str
    where: str  # queries/sessions.sql:3
    params: str  # `token: str`
    returns: str
    doc: str


@dataclass(frozen=True)
class QueriesPlan:
    modules: tuple[QueryModule, ...]
    docs: tuple[QueryDoc, ...]


def plan(
    catalog: ir.Catalog,
    models: ModelsPlan,
    queries: tuple[sqlfile.Query, ...],
    described: tuple[ir.Described, ...],
    overrides: dict[str, PyType] | None = None,
    class_names: dict[str, str] | None = None,
    secret_columns: tuple[str, ...] = (),
    *,
    not_null_array_elements: bool = False,
) -> QueriesPlan:
    types = TypeNamer(catalog, overrides or {}, class_names or {})
    types.nullable_elements = not not_null_array_elements
    q = _Queries(catalog, models, types, frozenset(secret_columns))
    by_file: dict[tuple[str, str], list[tuple[sqlfile.Query, ir.Described]]] = {}
    for query, d in zip(queries, described, strict=True):
        by_file.setdefault((query.file, query.relative or query.file), []).append((query, d))
    modules: list[QueryModule] = []
    docs: list[QueryDoc] = []
    used: set[str] = set()
    problems: list[str] = []
    for (file, relative), items in by_file.items():
        stem = relative.removesuffix(".sql").replace("/", "_")
        module = names.module_name("public", stem, "queries")
        while module in used:
            module += "_"
        used.add(module)
        try:
            planned, documented = q.module(module, file, items)
        except QueryError as exc:
            problems.append(str(exc))
            continue
        modules.append(planned)
        docs += documented
    if problems:
        raise QueryError("\n".join(problems))
    return QueriesPlan(tuple(modules), tuple(sorted(docs, key=lambda d: d.name)))


class _Queries:
    def __init__(self, catalog: ir.Catalog, models: ModelsPlan, types: TypeNamer, secrets: frozenset[str]) -> None:
        self.catalog = catalog
        self.types = types
        self.secrets = secrets
        self.tables = {t.qualified: t for t in catalog.tables}
        self.named = nullability.Tables(catalog)
        self.plans = {t.qualified: t for t in models.tables}
        self.columns = {(t.qualified, c.name): c for t in models.tables for c in t.columns}

    def secret(self, table: str, column: str) -> bool:
        found = self.tables.get(table)
        col = next((c for c in found.columns if c.name == column), None) if found else None
        return f"{table}.{column}" in self.secrets or bool(col and SECRET_TAG in (col.comment or ""))

    def column_of(self, schema: str, table: str, column: str) -> tuple[str, ColumnPlan] | None:
        """(schema.table, column plan) for a table named as SQL names it (nullability.Tables.named)."""
        found = self.named.named(schema, table)
        plan = self.columns.get((found.qualified, column)) if found else None
        return (found.qualified, plan) if found and plan else None

    def annotation(self, ref: ir.TypeRef, where: str, imports: set[tuple[str, str]]) -> tuple[str, bool, bool]:
        """(annotation, binary, trusted) of a type no table column gives: the models' type table."""
        ann = self.types.annotation(ref, where, "builtins.list", imports)
        binary, trusted, _ = self.types.access_flags(ref)
        return ann, binary, trusted

    def module(
        self, module: str, file: str, items: list[tuple[sqlfile.Query, ir.Described]]
    ) -> tuple[QueryModule, list[QueryDoc]]:
        imports: set[tuple[str, str]] = set()
        classes: list[ClassPlan] = []
        specs: list[tuple[str, str]] = []
        methods: list[Method] = []
        docs: list[QueryDoc] = []
        problems: list[str] = []
        for query, d in items:
            try:
                method, spec, made, doc = self.query(query, d, imports)
            except QueryError as exc:
                problems.append(str(exc))
                continue
            methods.append(method)
            specs.append(spec)
            classes += made
            docs.append(doc)
        if problems:
            raise QueryError("\n".join(problems))
        base = names.class_name(module, "Module") + "Queries"
        lines = sorted(f"from {m} import {n}" for m, n in imports)
        return QueryModule(
            module, file, base, "Async" + base, tuple(lines), tuple(classes), tuple(specs), tuple(methods)
        ), docs

    def query(
        self, query: sqlfile.Query, d: ir.Described, imports: set[tuple[str, str]]
    ) -> tuple[Method, tuple[str, str], list[ClassPlan], QueryDoc]:
        where = f"{query.file}:{query.line}"
        method = sqlfile.snake(query.name)
        constant = "_" + method.upper()
        decls, values, json, param_docs = self.params(query, d, imports)
        classes: list[ClassPlan] = []
        spec_args = [repr(query.name), _sql_literal(query.sql)]
        if query.kind == "copyfrom":
            assert query.copy is not None
            schema, table, columns = query.copy
            found = self.named.named(schema, table)
            target = f"{sql_name(found.schema)}.{sql_name(found.name)}" if found else sql_name(table)
            params_class = query.name + "Params"
            classes.append(
                ClassPlan(
                    params_class,
                    "NamedTuple",
                    docstring(f"One row for {query.name} ({where}): {', '.join(columns)}."),
                    tuple(decls),
                )
            )
            imports.add(("typing", "NamedTuple"))
            imports.add(("collections.abc", "Iterable"))
            spec_args.append(f"copy=({target!r}, {tuple(sql_name(c) for c in columns)!r})")
            spec_args.append(f"json={json!r}")
            m = Method(method, f"rows: Iterable[{params_class}]", "int", f"return self._copyfrom({constant}, rows)", "")
            returns = "int"
        else:
            row, fields_spec, made = self.result(query, d, imports) if d.returns_rows else ("", "", [])
            classes += made
            if fields_spec:
                spec_args.append(fields_spec)
            if json:
                spec_args.append(f"json={json!r}")
            if query.read:
                spec_args.append("read=True")
            returns = _RETURNS[query.kind].format(row=row) if query.kind in _RETURNS else "int"
            if query.kind in ("exec", "execrows"):
                signature = "*, " + ", ".join(decls) if decls else ""
                args = f"{constant}, {values}"
            else:
                signature = "*, " + "".join(d + ", " for d in decls) + _VALIDATE
                args = f"{constant}, {row}, {values}, validate"
            m = Method(method, signature, returns, f"return self._{query.kind}({args})", "")
        doc = docstring(query.doc, f"{_WHAT[query.kind]} From {where} ({query.name}, :{query.kind}).")
        m = Method(m.name, m.params, m.returns, m.body, doc[3:-3].strip())
        spec_args.append(f'call="queries.{method}"')
        spec = "QuerySpec(\n    " + ",\n    ".join(spec_args) + ",\n)"
        shown = f"rows: Iterable[{query.name}Params]" if query.kind == "copyfrom" else ", ".join(param_docs)
        documented = QueryDoc(query.name, method, query.kind, where, shown, returns.replace("builtins.", ""), query.doc)
        return m, (constant, spec), classes, documented

    def params(
        self, query: sqlfile.Query, d: ir.Described, imports: set[tuple[str, str]]
    ) -> tuple[list[str], str, tuple[tuple[int, str], ...], list[str]]:
        """Keyword declarations, the tuple of values in $n order, json parameters, and docs."""
        decls: list[str] = []
        by_number: dict[int, str] = {}
        json: list[tuple[int, str]] = []
        shown: list[str] = []
        taken: set[str] = set()
        for p in sorted(query.params, key=lambda p: p.number):
            ref = d.params[p.number - 1]
            name = names.field_name(p.name, f"p{p.number}")
            if name in _RESERVED or name in taken:
                name += "_"
            taken.add(name)
            nullable = p.nullable
            column = self.column_of(*p.target) if p.target else None
            if column is not None and column[1].dims == ref.dims:
                ann = column[1].annotation
                imports.update(column[1].imports)
                nullable = nullable or column[1].nullable
            else:
                ann = self.annotation(ref, f"{query.file}:{query.line}: {query.name} parameter {p.spelled}", imports)[0]
            if kind := self.types.json_kind(ref):
                json.append((p.number - 1, kind))
            full = f"{ann} | None" if nullable else ann
            decls.append(f"{name}: {full}")
            by_number[p.number] = name
            shown.append(f"{name}: {full.replace('builtins.', '')}")
        values = [by_number[n] for n in sorted(by_number)]
        return decls, _tuple(values), tuple(json), shown

    def result(
        self, query: sqlfile.Query, d: ir.Described, imports: set[tuple[str, str]]
    ) -> tuple[str, str, list[ClassPlan]]:
        """The row type's name, the QuerySpec's result arguments, and the Row class when one is made."""
        where = f"{query.file}:{query.line}"
        inferred = nullability.result_nullable(query.sql, d.fields, self.catalog)
        columns: list[str] = []
        nullable: list[bool] = []
        for f, null in zip(d.fields, inferred, strict=True):
            name, declared = sqlfile.column_name(f.name)  # "total!": declared not null
            columns.append(name)
            nullable.append(null if declared is None else declared)
        exact = self.table_row(d, columns, nullable)
        if exact is not None:
            plan, model = exact
            imports.add((f"chatmaps_db.models.{plan.module}", plan.row.name))
            binary = all(c.binary for c in plan.columns)
            untrusted = tuple(i for i, c in enumerate(plan.columns) if not c.trusted)
            args = [
                f"columns={tuple(c.name for c in plan.columns)!r}",
                f"fields={tuple(c.field for c in plan.columns)!r}",
                f"binary={binary!r}",
                f"untrusted={untrusted!r}",
            ]
            return model, ",\n    ".join(args), []
        row = query.name + "Row"
        lines: list[str] = []
        fields: list[str] = []
        secrets: list[str] = []
        binary, converted = True, []
        module_names = self.types.module_names
        for i, (f, name, null) in enumerate(zip(d.fields, columns, nullable, strict=True)):
            field = names.field_name(name, f"column_{i + 1}", module_names)
            source = self.columns.get((f.table, f.column)) if f.table else None
            if source is not None and source.dims == f.type.dims:
                ann, loads_binary, trusted = source.annotation, source.binary, source.trusted
                imports.update(source.imports)
            else:
                ann, loads_binary, trusted = self.annotation(f.type, f"{where}: {query.name} column {name}", imports)
            secret = bool(f.table) and self.secret(f.table, f.column)
            if secret:
                secrets.append(field)
            binary = binary and loads_binary
            if not trusted:
                converted.append(i)
            fields.append(field)
            lines.append(
                self.types.field_line(
                    field,
                    f"{ann} | None" if null else ann,
                    default=None,
                    alias=None if field == name else name,
                    kwargs={},
                    description=None,
                    secret=secret,
                )
            )
        imports.add(("chatmaps_db._types", "SecretRow" if secrets else "Row"))
        if any("Field(" in line for line in lines):
            imports.add(("pydantic", "Field"))
        classvars: tuple[str, ...] = ()
        if secrets:
            imports.add(("typing", "ClassVar"))
            classvars = (f"_secret_fields: ClassVar[frozenset[str]] = frozenset({sorted(secrets)!r})",)
        doc = docstring(f"A row of {query.name} ({where}).")
        args = [
            f"columns={tuple(columns)!r}",
            f"fields={tuple(fields)!r}",
            f"binary={binary!r}",
            f"untrusted={tuple(converted)!r}",
        ]
        cls = ClassPlan(row, "SecretRow" if secrets else "Row", doc, tuple(lines), classvars)
        return row, ",\n    ".join(args), [cls]

    def table_row(self, d: ir.Described, columns: list[str], nullable: list[bool]) -> tuple[TablePlan, str] | None:
        """The table whose row the result is, column for column with its nullability, if any."""
        tables = {f.table for f in d.fields}
        if len(tables) != 1:
            return None
        qualified = tables.pop()
        plan = self.plans.get(qualified)
        if not qualified or plan is None:
            return None
        expected = [(c.name, c.nullable) for c in plan.columns]
        actual = [(f.column, null) for f, null in zip(d.fields, nullable, strict=True)]
        if actual != expected or columns != [c.name for c in plan.columns]:
            return None
        return plan, plan.row.name


def _tuple(names: list[str]) -> str:
    return "()" if not names else f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"


def _sql_literal(sql: str) -> str:
    """The SQL as a readable Python literal: triple-quoted when it can be, else repr()."""
    if "\n" in sql and '"""' not in sql and "\\" not in sql and not sql.endswith('"'):
        return '"""' + sql + '"""'
    return repr(sql)
