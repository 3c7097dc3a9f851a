"""The table layer's decisions (chatmaps_db.access): per table, its attribute on the database
(`db.users`), its classes, every method's signature and body, and the Spec literal the
runtime (render/runtime/_access_async.py) reads its SQL from.

Every signature is printed twice from one plan: the async class returns Awaitable[T]
(the coroutine of the runtime's async method), the sync class returns T. The methods have no
logic of their own: they hand their typed arguments to the runtime in a fixed order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codegen import ir
from codegen.errors import UnsupportedSchema
from codegen.plan.models import ColumnPlan, ModelsPlan, TablePlan
from codegen.plan.relations import RelationPlan
from codegen.plan.sqltext import sql_name

# Attributes of Database, AsyncDatabase and their connections (psycopg's Connection): a table
# attribute named like one gets a trailing _ (db.info_). tests/test_access.py checks this
# list against the classes themselves.
RESERVED_ATTRIBUTES = frozenset(
    {
        # Database / AsyncDatabase
        "settings", "from_env", "connection", "transaction", "run_in_transaction", "schema_version",
        "check_schema", "health", "live", "stats", "close", "queries", "read", "on_query", "node_stats",
        # psycopg.Connection / AsyncConnection, and ours
        "DataError", "DatabaseError", "Error", "IntegrityError", "InterfaceError", "InternalError",
        "NotSupportedError", "OperationalError", "ProgrammingError", "Warning", "adapters",
        "add_notice_handler", "add_notify_handler", "autocommit", "broken", "cancel", "cancel_safe",
        "closed", "commit", "connect", "cursor", "deferrable", "execute", "fileno", "info",
        "isolation_level", "notifies", "pipeline", "prepare_threshold", "prepared_max", "read_only",
        "remove_notice_handler", "remove_notify_handler", "rollback", "set_autocommit", "set_deferrable",
        "set_isolation_level", "set_read_only", "tpc_begin", "tpc_commit", "tpc_prepare", "tpc_recover",
        "tpc_rollback", "wait", "xid", "pgconn", "lock", "cursor_factory", "server_cursor_factory",
        "row_factory", "validate_rows",
    }
)  # fmt: skip
# The methods' own parameters: a column named like one gets a trailing _ as a keyword (limit_=).
_PARAMS = frozenset(
    {"self", "validate", "changes", "row", "rows", "on", "order_by", "limit", "offset", "after", "where", "batch"}
)
_VALIDATE = "validate: bool | None = None"
# A unique index on lower(col) or upper(col) is a key looked up with the same function (users' email).
_CASE_KEY = re.compile(r'(lower|upper)\(\(?"?([^"()]+)"?\)?(?:::text)?\)')


@dataclass(frozen=True)
class Method:
    name: str
    params: str  # ready parameter list after self
    returns: str  # the sync return annotation
    body: str  # ready `return self._...(...)` line
    doc: str
    async_returns: str = ""  # the async class's; default Awaitable[returns]
    overloads: tuple[tuple[str, str, str], ...] = ()  # (params, returns, async returns) of each @overload

    def __post_init__(self) -> None:
        if not self.async_returns:
            object.__setattr__(self, "async_returns", f"Awaitable[{self.returns}]")


@dataclass(frozen=True)
class TableAccess:
    qualified: str
    module: str  # chatmaps_db.access.<module>, as chatmaps_db.models.<module>
    attribute: str  # db.<attribute>
    sync_class: str
    async_class: str
    base: str  # the runtime class: Table (tables) or Relation (views); the async one is Async<base>
    generic: str  # its parameters: `User, UserInsert, UserUpdate` / `Foo`
    model_import: str  # `from chatmaps_db.models.users import User, UserInsert, UserUpdate`
    imports: tuple[str, ...]  # what the signatures' annotations need
    order_alias: str  # `UserOrder = Literal["id", "-id", ...]`, or ""
    field_alias: str  # `UserField = Literal["id", "name", ...]`: what upsert(update=) names, or ""
    spec: str  # the ready Spec(...) expression
    columns_class: str  # `UserColumns`: db.users.c, what where= conditions are built from
    column_lines: tuple[str, ...]  # its attributes: `email = _w.Text[User, str](_SPEC, 2)`, then its relations
    type_imports: tuple[str, ...]  # what the relations' annotations name, imported for type checkers only
    where_alias: str  # `UserWhere = _w.Condition[User] | Callable[[UserColumns], _w.Condition[User]]`
    classvars: tuple[str, ...]  # `_row = User`, ...
    methods: tuple[Method, ...]
    doc: str
    stem: str = ""  # User: <Stem>Load and <Stem>With, where the table has relations
    row: str = ""  # its row model
    condition: str = ""  # the where= union, spelled out
    order: str = "str"  # what a Load's order_by takes
    relations: tuple[tuple[str, str, str], ...] = ()  # (name, Load keyword's type, With property's type)
    counts: tuple[tuple[str, str], ...] = ()  # the to-many relations: (name, what <Stem>Count takes for it)
    count_names: str = ""  # `UserToMany`: what count= and <Stem>With.count_of name, its to-many relations
    count_method: str = "count_of"  # <Stem>With's reader of counts (count_of_ if a field has the name)


@dataclass(frozen=True)
class AccessPlan:
    tables: tuple[TableAccess, ...]
    constraints: tuple[str, ...]  # ready `(schema, table, name): (kind, columns, detail),` lines
    relations: tuple[RelationPlan, ...] = ()  # docs/SCHEMA.md lists them

    @property
    def renamed(self) -> str:
        """`info -> info_, ...`: the tables whose attribute got a trailing _."""
        return ", ".join(f"{t.attribute[:-1]} -> {t.attribute}" for t in self.tables if t.attribute != t.module)


def _tuple(names: list[str]) -> str:
    """A tuple expression: `()`, `(a,)`, `(a, b)`."""
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"


def _param(field: str) -> str:
    return field + "_" if field in _PARAMS else field


def _key_columns(index: ir.Index, by_name: dict[str, ColumnPlan]) -> list[tuple[ColumnPlan, str]]:
    """(column, function) per part of a unique index usable as a key; [] when it is not one."""
    parts: list[tuple[ColumnPlan, str]] = []
    for key in index.keys:
        if key.column is not None:
            if key.column not in by_name:
                return []
            parts.append((by_name[key.column], ""))
            continue
        match = _CASE_KEY.fullmatch(key.sql)
        if match is None or match[2] not in by_name or by_name[match[2]].annotation != "str":
            return []
        parts.append((by_name[match[2]], match[1]))
    return parts


class _Table:
    def __init__(self, table: ir.Table, plan: TablePlan) -> None:
        self.table = table
        self.plan = plan
        self.columns = plan.columns
        self.by_name = {c.name: c for c in self.columns}
        self.index = {c.name: i for i, c in enumerate(self.columns)}
        self.imports: set[tuple[str, str]] = set()

    def ann(self, col: ColumnPlan) -> str:
        self.imports |= col.imports
        return col.annotation

    def keys(self) -> list[tuple[str, list[tuple[ColumnPlan, str]], bool]]:
        """(name, parts, primary) for the primary key, then each unique key not the same columns."""
        out: list[tuple[str, list[tuple[ColumnPlan, str]], bool]] = []
        if self.table.primary_key and not self.table.view:
            parts = [(self.by_name[c], "") for c in self.table.primary_key]
            out.append(("_".join(c.field for c, _ in parts), parts, True))
        seen = {name for name, _, _ in out}
        for index in sorted(self.table.indexes, key=lambda i: i.name):
            if not index.unique or index.predicate or not index.keys:
                continue
            parts = _key_columns(index, self.by_name)
            name = "_".join(c.field for c, _ in parts)
            if not parts or name in seen:
                continue
            seen.add(name)
            out.append((name, parts, False))
        return out

    def key_params(self, parts: list[tuple[ColumnPlan, str]]) -> tuple[list[str], str]:
        """(parameter declarations, the tuple of their names) for a key's columns."""
        decls = [f"{_param(c.field)}: {self.ann(c)}" for c, _ in parts]
        return decls, _tuple([_param(c.field) for c, _ in parts])

    def filters(self) -> list[ColumnPlan]:
        return [c for c in self.columns if c.filter != "none"]

    def filter_param(self, col: ColumnPlan) -> str:
        ann = self.ann(col)
        if col.dims == 0:
            ann = f"{ann} | builtins.list[{ann}]"
        if col.nullable:
            ann += " | None"
        return f"{_param(col.field)}: {ann} = UNSET"


# The chatmaps_db._where class of each ColumnPlan.family, and how it is parameterized.
_WHERE_CLASS = {
    "none": "Nullable",
    "eq": "Column",
    "order": "Ordered",
    "text": "Text",
    "array": "Array",
    "jsonb": "Jsonb",
    "range": "Range",
}


def _column_line(t: _Table, col: ColumnPlan, row: str) -> str:
    """`field = _w.Text[User, str](_SPEC, 2)` for one column (_w: chatmaps_db._where, imported under a
    name no type of the schema can take)."""
    cls = "_w." + _WHERE_CLASS[col.family]
    i = t.index[col.name]
    if col.family == "none":
        return f"{col.field} = {cls}[{row}](_SPEC, {i})"
    if col.family == "array":
        return f"{col.field} = {cls}[{row}, {col.element}](_SPEC, {i})"
    if col.family == "range":
        return f"{col.field} = {cls}[{row}, {t.ann(col)}, {col.element}](_SPEC, {i}, {col.subtype!r})"
    return f"{col.field} = {cls}[{row}, {t.ann(col)}](_SPEC, {i})"


def _spec(t: _Table, keys: list[tuple[str, list[tuple[ColumnPlan, str]], bool]]) -> str:
    cols = t.columns
    key_lines = []
    for name, parts, _ in keys:
        sql = tuple(f"{fn}({sql_name(c.name)})" if fn else sql_name(c.name) for c, fn in parts)
        params = tuple(f"{fn}(%s::{c.sql_type})" if fn else f"%s::{c.sql_type}" for c, fn in parts)
        columns = tuple(c.name for c, _ in parts)
        key_lines.append(f"Key({name!r}, {sql!r}, {params!r}, {columns!r})")
    filters = [t.index[c.name] for c in t.filters()]
    listable = sorted(t.index[c.name] for c in t.filters() if c.dims == 0)
    orderable = [i for i, c in enumerate(cols) if c.filter == "order"]
    primary = [t.index[c] for c in t.table.primary_key] if not t.table.view else []
    args = [
        f"table={t.table.qualified!r}",
        f"from_sql={sql_name(t.table.schema) + '.' + sql_name(t.table.name)!r}",
        f"columns={tuple(c.name for c in cols)!r}",
        f"fields={tuple(c.field for c in cols)!r}",
        f"quoted={tuple(sql_name(c.name) for c in cols)!r}",
        f"types={tuple(c.sql_type for c in cols)!r}",
        f"json={tuple((i, c.json) for i, c in enumerate(cols) if c.json)!r}",
        f"binary={all(c.binary for c in cols)!r}",
        f"untrusted={tuple(i for i, c in enumerate(cols) if not c.trusted)!r}",
        f"keys=({''.join(k + ', ' for k in key_lines)})",
        f"filters={tuple(filters)!r}",
        f"listable=frozenset({listable!r})",
        f"orderable={tuple(orderable)!r}",
        f"primary={tuple(primary)!r}",
        f"not_null=frozenset({[i for i, c in enumerate(cols) if not c.nullable]!r})",
    ]
    if any(c.operator_schema for c in cols):
        args.append(f"operators={tuple(c.operator_schema for c in cols)!r}")
    return "Spec(\n    " + ",\n    ".join(args) + ",\n)"


def _relation_line(relation: RelationPlan, target: TablePlan, row: str) -> tuple[str, tuple[str, ...]]:
    """(`sessions = _w.ToMany[User, "Session", "SessionColumns"](_SPEC, ...)`, its TYPE_CHECKING imports)."""
    cls = "ToMany" if relation.many else "ToOne"
    quoted = tuple(sql_name(c) for c in relation.owner_columns), tuple(sql_name(c) for c in relation.target_columns)
    args = [f'"{target.module}.{target.stem}Columns"', repr(quoted[0]), repr(quoted[1])]
    if relation.through:
        schema, name = relation.through.split(".", 1)
        join = f"{sql_name(schema)}.{sql_name(name)}"  # sql_name doubles a % already
        ours = tuple(sql_name(c) for c in relation.through_owner)
        theirs = tuple(sql_name(c) for c in relation.through_target)
        args.append(repr((join, ours, theirs)))
    line = f'{relation.name} = _w.{cls}[{row}, "{target.row.name}", "{target.stem}Columns"](_SPEC, {", ".join(args)})'
    imports = (  # named in strings only (a runtime import would be circular): ruff would drop them
        f"from chatmaps_db.access.{target.module} import {target.stem}Columns, {target.stem}Load, {target.stem}With  # noqa: F401",
        f"from chatmaps_db.models.{target.module} import {target.row.name}  # noqa: F401",
    )
    return line, imports


def _with_load(method: Method, row: str, stem: str) -> Method:
    """get, get_by_*, list and iter of a table with relations take load=: typed by two overloads,
    the rows (load=None) or the <Stem>With rows with the relations asked for."""
    if not (method.name in ("get", "list", "iter") or method.name.startswith("get_by_")):
        return method
    loaded = {
        f"{row} | None": f"{stem}With | None",
        f"builtins.list[{row}]": f"builtins.list[{stem}With]",
        f"Iterator[{row}]": f"Iterator[{stem}With]",
    }[method.returns]
    loaded_async = f"AsyncIterator[{stem}With]" if method.name == "iter" else f"Awaitable[{loaded}]"
    # list's implementation returns either list (invariant); get's and iter's cover the With subclass already.
    returns = f"{method.returns} | {loaded}" if method.name == "list" else method.returns
    async_returns = f"Awaitable[{returns}]" if method.name == "list" else method.async_returns
    return Method(
        method.name,
        f"{method.params}, load: {stem}Load | None = None",
        returns,
        method.body[: method.body.rindex(")")] + ", load)",
        method.doc + f" load=: the rows as {stem}With, with the relations it names loaded.",
        async_returns,
        overloads=(
            (f"{method.params}, load: None = None", method.returns, method.async_returns),
            (f"{method.params}, load: {stem}Load", loaded, loaded_async),
        ),
    )


def table_access(
    table: ir.Table, plan: TablePlan, attribute: str, related: tuple[tuple[RelationPlan, TablePlan], ...] = ()
) -> TableAccess:
    t = _Table(table, plan)
    stem, row = plan.stem, plan.row.name
    keys = t.keys()
    methods: list[Method] = []
    primary = keys[0] if keys and keys[0][2] else None
    for i, (name, parts, is_primary) in enumerate(keys):
        decls, values = t.key_params(parts)
        described = ", ".join(f"{fn}({c.name})" if fn else c.name for c, fn in parts)
        method = "get" if is_primary else f"get_by_{name}"
        signature = (f"{decls[0]}, *, " if len(decls) == 1 else "*, " + "".join(d + ", " for d in decls)) + _VALIDATE
        how = " (compared with the same function as the index)" if any(fn for _, fn in parts) else ""
        what = "primary key" if is_primary else "unique key"
        methods.append(
            Method(
                method,
                signature,
                f"{row} | None",
                f"return self._get({i}, {values}, validate)",
                f"The row whose {what} ({described}) has these values{how}, or None.",
            )
        )
    filters = t.filters()
    filter_decls = "".join(t.filter_param(c) + ", " for c in filters)
    filter_values = _tuple([_param(c.field) for c in filters])
    orderable = [c for c in t.columns if c.filter == "order"]
    order_alias = ""
    order_params, order_args = "", "(), None"
    if orderable:
        names = [n for c in orderable for n in (c.field, "-" + c.field)]
        order_alias = f"{stem}Order = Literal[{', '.join(repr(n) for n in names)}]"
        t.imports.add(("typing", "Literal"))
        t.imports.add(("collections.abc", "Sequence"))
        order_params = f"order_by: {stem}Order | Sequence[{stem}Order] = (), "
        order_args = "order_by, " + ("after" if table.primary_key and not table.view else "None")
    after = f"after: {row} | None = None, " if orderable and table.primary_key and not table.view else ""
    paging = " Keyset paging: after=<the last row of the previous page>." if after else ""
    # Spelled out, not `UserWhere | None`: mypy (2.4) types a lambda's parameter as Any when the union
    # around the Callable is an alias joined with another type, and the lambda's column checks would be lost.
    condition = f"_w.Condition[{row}] | Callable[[{stem}Columns], _w.Condition[{row}]]"
    where = f"where: {condition} | None = None"
    select_params = (
        f"{where}, *, {filter_decls}{order_params}limit: int | None = None, offset: int = 0, {after}{_VALIDATE}"
    )
    methods.append(
        Method(
            "list",
            select_params,
            f"builtins.list[{row}]",
            f"return self._list({filter_values}, where, {order_args}, limit, offset, validate)",
            "Rows the `where` condition holds for (c.<column>.<operator>(...), or a function of the columns "
            "returning one) and whose columns equal the keywords given (a list: any of them; None: IS NULL), "
            f"in order_by's order (-name: descending), skipping `offset` of them.{paging}",
        )
    )
    t.imports.add(("collections.abc", "Iterator"))
    t.imports.add(("collections.abc", "AsyncIterator"))
    methods.append(
        Method(
            "iter",
            f"{select_params}, batch: int = 1000",
            f"Iterator[{row}]",
            f"return self._iter({filter_values}, where, {order_args}, limit, offset, validate, batch)",
            "The rows list() would return, streamed from a server-side cursor `batch` at a time (memory flat "
            "in the row count), inside a transaction that ends with the loop.",
            async_returns=f"AsyncIterator[{row}]",
        )
    )
    filter_params = f"{where}, *, {filter_decls}".removesuffix(", ") if filters else where
    methods.append(
        Method(
            "count",
            filter_params,
            "int",
            f"return self._count({filter_values}, where)",
            "How many rows list() with this condition and these filters would return.",
        )
    )
    methods.append(
        Method(
            "exists",
            filter_params,
            "bool",
            f"return self._exists({filter_values}, where)",
            "Whether list() with this condition and these filters would return a row (SELECT EXISTS).",
        )
    )
    t.imports.add(("collections.abc", "Callable"))
    if not table.view:
        everything = f"where: {condition} | _w.AllRows"
        if plan.update is not None:
            update = plan.update.name
            methods.append(
                Method(
                    "update_where",
                    f"{everything}, changes: {update}",
                    "int",
                    "return self._update_where(where, changes)",
                    "Write the fields set in `changes` to every row the condition holds for (ALL_ROWS: every row; "
                    "an empty condition is refused); how many rows were updated.",
                )
            )
            methods.append(
                Method(
                    "update_where_and_return",
                    f"{everything}, changes: {update}, *, {_VALIDATE}",
                    f"builtins.list[{row}]",
                    "return self._update_where_and_return(where, changes, validate)",
                    "update_where(), returning the rows as updated (UPDATE ... RETURNING).",
                )
            )
        methods.append(
            Method(
                "delete_where",
                everything,
                "int",
                "return self._delete_where(where)",
                "Delete every row the condition holds for (ALL_ROWS: every row; an empty condition is refused); "
                "how many rows were deleted.",
            )
        )
        methods.append(
            Method(
                "delete_where_and_return",
                f"{everything}, *, {_VALIDATE}",
                f"builtins.list[{row}]",
                "return self._delete_where_and_return(where, validate)",
                "delete_where(), returning the rows as they were (DELETE ... RETURNING).",
            )
        )
    if primary is not None and plan.update is not None:
        decls, values = t.key_params(primary[1])
        update = plan.update.name
        if len(decls) == 1:
            update_sig = f"{decls[0]}, changes: {update}, *, {_VALIDATE}"
        else:
            update_sig = f"changes: {update}, *, {''.join(d + ', ' for d in decls)}{_VALIDATE}"
        methods.append(
            Method(
                "update",
                update_sig,
                f"{row} | None",
                f"return self._update({values}, changes, validate)",
                "Write the fields set in `changes` (None writes NULL); the updated row, or None if there is none "
                "(or a BEFORE UPDATE trigger skipped it).",
            )
        )
        delete_sig = decls[0] if len(decls) == 1 else "*, " + ", ".join(decls)
        methods.append(
            Method(
                "delete",
                delete_sig,
                "bool",
                f"return self._delete({values})",
                "Delete the row with this primary key; False if there was none (or a BEFORE DELETE trigger skipped it).",
            )
        )
    field_alias = ""
    if primary is not None and plan.insert is not None:
        choices = ", ".join(repr(name) for name, _, _ in keys)
        t.imports.add(("typing", "Literal"))
        t.imports.add(("collections.abc", "Sequence"))
        insertable = [c.field for c in t.columns if c.insertable]
        field_alias = f"{stem}Field = Literal[{', '.join(repr(f) for f in insertable)}]"
        methods.append(
            Method(
                "upsert",
                f"row: {plan.insert.name}, *, on: Literal[{choices}] = {primary[0]!r}, "
                f"update: Sequence[{stem}Field] | None = None, {_VALIDATE}",
                row,
                "return self._upsert(row, on, update, validate)",
                "Insert `row`, or if a row with the same `on` key exists, write to it the fields `update` names "
                "(default: every field `row` sets; [] keeps the row as it is); the row "
                "(RowSkipped if a BEFORE trigger returned NULL).",
            )
        )
        methods.append(
            Method(
                "insert_if_absent",
                f"row: {plan.insert.name}, *, on: Literal[{choices}] | None = None, {_VALIDATE}",
                f"{row} | None",
                "return self._insert_if_absent(row, on, validate)",
                "Insert `row` unless it conflicts with a row on the `on` key (None: any unique key): "
                "ON CONFLICT DO NOTHING. The new row, or None when nothing was written.",
            )
        )
    if related:
        methods = [_with_load(m, row, stem) for m in methods]
        t.imports.add(("typing", "overload"))
    view = table.view
    models = [row] if view else [row, plan.insert.name if plan.insert else "", plan.update.name if plan.update else ""]
    generic = ", ".join(models)
    base = "Relation" if view else "Table"
    classvars = ["_spec = _SPEC", f'_name = "{attribute}"', f"_row = {row}", f"c = {stem}Columns()"] + (
        [f"_with = {stem}With", f"_load_class = {stem}Load"] if related else []
    )
    if not view:
        classvars += [f"_insert_model = {models[1]}", f"_update_model = {models[2]}"]
    kind = "view" if view else "table"
    doc = f'"""{table.qualified} through a database or one of its connections: db.{attribute}, tx.{attribute}."""'
    names = [f"{stem}Table", f"Async{stem}Table", f"{stem}Order", f"{stem}Field", f"{stem}Columns", f"{stem}Where"]
    names += [f"{stem}Load", f"{stem}With"] if related else []
    counts = [
        (r.name, f"bool | Callable[[{target.stem}Columns], _w.Condition[{target.row.name}]]")
        for r, target in related
        if r.many
    ]
    names += [f"{stem}Count", f"{stem}ToMany"] if counts else []
    count_method = "count_of"
    while count_method in {c.field for c in t.columns} | {r.name for r, _ in related}:
        count_method += "_"
    relations = [_relation_line(r, target, row) for r, target in related]
    column_lines = [_column_line(t, col, row) for col in t.columns] + [line for line, _ in relations]
    own = (f"from chatmaps_db.access.{plan.module} import ", f"from chatmaps_db.models.{plan.module} import ")
    type_imports = sorted({i for _, imports in relations for i in imports if not i.startswith(own)})
    imported = {n for _, n in t.imports} | set(models)
    clash = sorted(set(names) & imported)
    if clash:
        raise UnsupportedSchema(
            f"{kind} {table.qualified}: its table-layer name {clash[0]} is also a type its columns use: "
            f'rename one, or name the table under [tool.codegen.names] in pyproject.toml ("{table.qualified}" = "Other")'
        )
    return TableAccess(
        qualified=table.qualified,
        module=plan.module,
        attribute=attribute,
        sync_class=names[0],
        async_class=names[1],
        base=base,
        generic=generic,
        model_import=f"from chatmaps_db.models.{plan.module} import {', '.join(sorted(set(models)))}",
        imports=tuple(
            sorted(
                f"from {m} import {n}"
                for m, n in {*t.imports, *([("typing", "Literal"), ("typing", "TypedDict")] if counts else [])}
            )
        ),
        order_alias=order_alias,
        field_alias=field_alias,
        spec=_spec(t, keys),
        columns_class=f"{stem}Columns",
        column_lines=tuple(column_lines),
        type_imports=tuple(type_imports),
        where_alias=f"{stem}Where = {condition}",
        stem=stem,
        row=row,
        condition=condition,
        order=f"{stem}Order | Sequence[{stem}Order]" if order_alias else "str | Sequence[str]",
        relations=tuple(
            (
                r.name,
                f"bool | {target.stem}Load",
                f"builtins.list[{target.stem}With]" if r.many else f"{target.stem}With | None",
            )
            for r, target in related
        ),
        counts=tuple(counts),
        count_names=f"{stem}ToMany" if counts else "",
        count_method=count_method,
        classvars=tuple(classvars),
        methods=tuple(methods),
        doc=doc,
    )


def _constraints(table: ir.Table) -> list[str]:
    out: list[str] = []
    key = (table.schema, table.name)
    if table.primary_key_name:
        out.append(f"{(*key, table.primary_key_name)!r}: ('p', {tuple(table.primary_key)!r}, ''),")
    for index in table.indexes:
        if index.unique and index.name != table.primary_key_name:
            out.append(f"{(*key, index.name)!r}: ('u', {tuple(k.column or k.sql for k in index.keys)!r}, ''),")
    for fk in table.foreign_keys:
        target = f"{fk.ref_schema}.{fk.ref_table} ({', '.join(fk.ref_columns)})"
        out.append(f"{(*key, fk.name)!r}: ('f', {fk.columns!r}, {target!r}),")
    for check in table.checks:
        out.append(f"{(*key, check.name)!r}: ('c', {check.columns!r}, {check.expression!r}),")
    return out


def plan(catalog: ir.Catalog, models: ModelsPlan, relations: tuple[RelationPlan, ...] = ()) -> AccessPlan:
    """The table layer for every table and view the models cover, with the relations between them."""
    plans = {t.qualified: t for t in models.tables}
    tables: list[TableAccess] = []
    problems: list[str] = []
    taken: dict[str, str] = {}
    for table in catalog.tables:
        tp = plans.get(table.qualified)
        if tp is None:
            continue
        attribute = tp.module + "_" if tp.module in RESERVED_ATTRIBUTES else tp.module
        related = tuple((r, plans[r.target]) for r in relations if r.owner == table.qualified)
        try:
            access = table_access(table, tp, attribute, related)
        except UnsupportedSchema as exc:
            problems.append(str(exc))
            continue
        for name in (access.sync_class, access.async_class):
            if name in taken:
                problems.append(
                    f"{table.qualified} and {taken[name]} both need the table-layer class {name}: name one "
                    f'under [tool.codegen.names] in pyproject.toml ("{table.qualified}" = "Other")'
                )
            taken[name] = table.qualified
        tables.append(access)
    if problems:
        raise UnsupportedSchema("\n".join(problems))
    constraints = tuple(line for table in catalog.tables if table.qualified in plans for line in _constraints(table))
    return AccessPlan(tuple(sorted(tables, key=lambda t: t.module)), constraints, relations)
