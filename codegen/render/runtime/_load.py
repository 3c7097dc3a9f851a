"""Loading relations with the rows of list(), get() and iter() (load=): the statements and the
regrouping, neither sync nor async (the table layer runs them: _access_async.py).

One statement per relation per level: the rows' keys go as one array parameter (`= ANY(...)`),
never one statement per row. A relation's own where=, order_by= and limit= (per parent row,
by row_number() over the parent's key) are part of that statement. The related rows are built as
their table's `<Stem>With` model (trusted, as every row), then their own relations are loaded
the same way, one level down.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatmaps_db._spec import RowMaker, Spec, row_maker
from chatmaps_db._where import COUNTS, Columns, Load, _Link

if TYPE_CHECKING:
    from chatmaps_db._types import Row

_setattr = object.__setattr__


@dataclass(frozen=True)
class Step:
    """One statement: the rows of relation `name` for `parents`; `attach` puts them on the parents."""

    name: str
    sql: str  # "" when no parent has a key: no statement, every parent gets none
    params: list[Any]
    keys: int  # leading columns of each result row that are the parent's key (many-to-many), before the row
    key_at: tuple[int, ...]  # else: where the parent's key is in the related row
    parent_key: tuple[str, ...]  # the parents' fields that make the key
    many: bool
    build: RowMaker  # the related row from a result row (its count= columns, if any, go with it)
    spec: Spec  # the related table's
    columns: type[Columns]
    load: Load


@dataclass(frozen=True)
class _Shape:
    """What a step's statement is for one shape of call, computed once (no where= anywhere in it)."""

    sql: str  # with the keys' placeholders for one parent or for an array of them
    through: bool  # many-to-many: the condition's parameters come before the keys'
    keys: int
    key_at: tuple[int, ...]
    parent_key: tuple[str, ...]
    build: RowMaker


# Per relation and shape of call (a Load without conditions): as many as the code has load= calls.
_SHAPES: dict[tuple[Any, ...], _Shape] = {}


def links(columns: type[Columns]) -> dict[str, _Link[Any, Any, Any]]:
    """The relations of a table's columns class, by name."""
    found = _LINKS.get(columns)
    if found is None:
        found = _LINKS[columns] = {n: v for n, v in vars(columns).items() if isinstance(v, _Link)}
    return found


_LINKS: dict[type[Columns], dict[str, _Link[Any, Any, Any]]] = {}


def target(link: _Link[Any, Any, Any]) -> tuple[type[Columns], type[Row]]:
    """The related table's columns class and its With model, from the same module."""
    columns = link._columns()
    with_cls: type[Row] = _sibling(columns, "With")
    return columns, with_cls


def _sibling(columns: type[Columns], suffix: str, default: Any = None) -> Any:
    """`<Stem><suffix>` (With, Load) beside a table's `<Stem>Columns` in its module."""
    found = getattr(sys.modules[columns.__module__], columns.__name__.removesuffix("Columns") + suffix, default)
    if found is None:
        raise AttributeError(f"{columns.__module__} has no {columns.__name__.removesuffix('Columns')}{suffix}")
    return found


def steps(
    spec: Spec,
    columns: type[Columns],
    parents: Sequence[Any],
    load: Load,
    validate: bool,
    *,
    known: Sequence[str] | None = None,
    done: Sequence[str] = (),
) -> list[Step]:
    """The statements that load `load`'s relations onto `parents` (rows of `spec`'s table), but
    those `done`. With `known` (the fields of `parents`' one stand-in, a get()'s key): only the
    relations whose key is among them, which can go before the row is read, in the same round trip."""
    found = links(columns)
    out = []
    for name, sub in load.relations.items():
        link = found[name]  # check() has refused an unknown one
        if name in done or (known is not None and not set(_key_fields(spec, link)) <= set(known)):
            continue
        out.append(_step(spec, name, link, sub, parents, validate))
    return out


def _key_fields(spec: Spec, link: _Link[Any, Any, Any]) -> tuple[str, ...]:
    """The fields of `spec`'s rows that the relation's rows are found by."""
    return tuple(spec.fields[spec.quoted.index(q)] for q in link._owner)


def check(spec: Spec, columns: type[Columns], load: Load) -> None:
    """Refuse, before any SQL, a load= that names a relation the table lacks, gives one a Load of
    another table, or counts what cannot be counted; all the way down. A Load is checked once per
    table (they are usually module constants, used on every call)."""
    if load._checked is columns:
        return
    known = links(columns)
    for name, sub in load.relations.items():
        link = known.get(name)
        if link is None:
            raise ValueError(
                f"{spec.table}: load= names {name!r}, which is not one of its relations "
                f"({', '.join(sorted(known)) or 'it has none'})"
            )
        table = link._columns()
        wanted = _sibling(table, "Load", Load)
        # Load itself (what True becomes, and generic code's) takes any table's relations, checked below.
        if type(sub) is not Load and (wanted is Load or not isinstance(sub, wanted)):
            raise TypeError(f"{spec.table}: load= gives {name}= a {type(sub).__name__}: it takes a {wanted.__name__}")
        check(table._spec, table, sub)
    for name, test in load.count.items():
        link = known.get(name)
        if link is None or not link._many:
            many = sorted(n for n, v in known.items() if v._many)
            raise ValueError(
                f"{spec.table}: count= names {name!r}, which is not one of its to-many relations "
                f"({', '.join(many) or 'it has none'})"
            )
        if test is not None and not callable(test):
            raise TypeError(
                f"{spec.table}: count={{{name!r}: ...}} takes True or a function of the related table's columns "
                f"(lambda s: s.<column>.<operator>(...)), not {type(test).__name__}"
            )
    load._checked = columns


def counts(spec: Spec, columns: type[Columns], load: Load) -> tuple[str, list[Any]]:
    """count='s columns, `, (SELECT count(*) ...) AS "_c0", ...` after the table's own, correlated
    with the table (unaliased), and their parameters ("" and none without count=)."""
    if not load.count:
        return "", []
    known = links(columns)
    sql: list[str] = []
    params: list[Any] = []
    for i, (name, test) in enumerate(load.count.items()):  # check() has refused a wrong one
        counted, values = known[name]._count("count", test)
        sql.append(f'{counted} AS "{_free(f"_c{i}", spec.columns)}"')
        params.extend(values)
    return ", " + ", ".join(sql), params


def with_columns(spec: Spec, sql: str, extra: str) -> str:
    """The table layer's own `SELECT <its columns> FROM ...` with `extra` after its columns."""
    head = f"SELECT {spec.select} FROM "
    if not sql.startswith(head):
        raise AssertionError(f"{spec.table}: not a SELECT of the table's columns: {sql[:60]}")
    return f"SELECT {spec.select}{extra} FROM {sql[len(head) :]}"


def counted(build: RowMaker, lead: int, width: int, load: Load) -> RowMaker:
    """A row maker for result rows of `lead` key columns, the table's `width` columns, then
    count='s columns, which it keeps beside the row's relations (Loaded._counted reads them)."""
    if not load.count:
        return build if lead == 0 else lambda values: build(values[lead:])
    names = tuple(load.count)
    end = lead + width

    def make(values: Sequence[Any]) -> Any:
        row = build(values[lead:end])
        _setattr(row, "__pydantic_private__", {COUNTS: dict(zip(names, values[end:], strict=True))})
        return row

    return make


def _free(name: str, taken: Sequence[str]) -> str:
    """`name`, or `name_`, `name__` ...: a result column of ours no column of the table has."""
    while name in taken:
        name += "_"
    return name


def _step(spec: Spec, name: str, link: _Link[Any, Any, Any], sub: Load, parents: Sequence[Any], validate: bool) -> Step:
    table, with_cls = target(link)
    theirs = table._spec
    key_fields = _key_fields(spec, link)
    # Distinct, NULL-free: they go as parameters, so the statement's text does not depend on them.
    keys = list(dict.fromkeys(k for p in parents if None not in (k := tuple(p.__dict__[f] for f in key_fields))))
    condition = sub.condition(table)
    count_sql, count_params = counts(theirs, table, sub)
    fixed = condition is None and all(t is None for t in sub.count.values())
    order = (sub.order_by,) if isinstance(sub.order_by, str) else tuple(sub.order_by)
    cache_key = ("load", spec.table, name, len(keys) == 1, order, sub.limit is None, tuple(sub.count), validate)
    shape = _SHAPES.get(cache_key) if fixed else None
    if shape is None:
        shape = _shape(spec, link, table, with_cls, sub, condition, count_sql, len(keys) == 1, validate)
        if fixed:
            _SHAPES[cache_key] = shape
    params = list(count_params)
    if shape.through and condition is not None:
        params.extend(condition.params)
    if len(keys) == 1:
        params.extend(keys[0])
    else:
        params.extend([k[i] for k in keys] for i in range(len(key_fields)))
    if not shape.through and condition is not None:
        params.extend(condition.params)
    if sub.limit is not None and link._many:
        params.append(sub.limit)
    return Step(
        name,
        shape.sql if keys else "",
        params,
        shape.keys,
        shape.key_at,
        shape.parent_key,
        link._many,
        shape.build,
        theirs,
        table,
        sub,
    )


def _shape(
    spec: Spec,
    link: _Link[Any, Any, Any],
    table: type[Columns],
    with_cls: type[Row],
    sub: Load,
    condition: Any,
    count_sql: str,
    single: bool,
    validate: bool,
) -> _Shape:
    theirs = table._spec
    n = f'"{_free("_n", theirs.columns)}"'  # the row number, beside the table's own columns
    owner_at = [spec.quoted.index(q) for q in link._owner]
    key_types = tuple(spec.types[i] for i in owner_at)
    columns = theirs.select + count_sql
    count_names = [f'"{_free(f"_c{i}", theirs.columns)}"' for i in range(len(sub.count))]
    if link._through is None:
        key_cols = [f"{theirs.from_sql}.{q}" for q in link._target]
        where = _match(key_cols, key_types, single)
        if condition is not None:
            where += f" AND ({condition.sql})"
        base = f"SELECT {columns} FROM {theirs.from_sql} WHERE {where}"
        partition = ", ".join(link._target)
        outer = ", ".join([theirs.select, *count_names])
        key_at = tuple(theirs.quoted.index(q) for q in link._target)
        lead = 0
    else:
        join, to_owner, to_target = link._through
        inner = f"SELECT {columns} FROM {theirs.from_sql}"
        if condition is not None:
            inner += f" WHERE {condition.sql}"
        on = " AND ".join(f'"_t".{t} = "_j".{c}' for c, t in zip(to_target, link._target, strict=True))
        lead = len(to_owner)
        lead_keys = [f'"{_free(f"_k{i}", theirs.columns)}"' for i in range(len(to_owner))]  # the parent's key
        picked = ", ".join(f'"_j".{c} AS {lead_keys[i]}' for i, c in enumerate(to_owner))
        where = _match([f'"_j".{c}' for c in to_owner], key_types, single)
        base = f'SELECT {picked}, "_t".* FROM {join} AS "_j" JOIN ({inner}) AS "_t" ON {on} WHERE {where}'
        partition = ", ".join(lead_keys)
        outer = ", ".join([*lead_keys, theirs.select, *count_names])
        key_at = ()
    order = theirs.order_key(sub.order_by, False) if sub.order_by != () or theirs.primary else ()
    order_sql = theirs.order_sql(order) if order else ""
    if sub.limit is not None and link._many:
        sql = (
            f"SELECT {outer} FROM (SELECT *, row_number() OVER (PARTITION BY {partition}"
            f'{" ORDER BY " + order_sql if order_sql else ""}) AS {n} FROM ({base}) AS "_r") AS "_w" '
            f"WHERE {n} <= %s"
        )
    else:
        sql = f'SELECT {outer} FROM ({base}) AS "_r"'
    if order_sql:
        sql += f" ORDER BY {order_sql}"
    build = counted(row_maker(with_cls, theirs, validate=validate), lead, len(theirs.columns), sub)
    return _Shape(sql, link._through is not None, lead, key_at, tuple(spec.fields[i] for i in owner_at), build)


def _match(columns: list[str], types: tuple[str, ...], single: bool) -> str:
    """`col = %s` for one parent (get(), or one row: an array costs 0.1 ms more to send and plan),
    `col = ANY(%s::type[])`, or for a key of several columns `(a, b) IN (SELECT * FROM unnest(...))`;
    the caller adds the parameters in the same order."""
    if single:
        return " AND ".join(f"{c} = %s::{t}" for c, t in zip(columns, types, strict=True))
    if len(columns) == 1:
        return f"{columns[0]} = ANY(%s::{types[0]}[])"
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    return f"({', '.join(columns)}) IN (SELECT * FROM unnest({arrays}))"


def attach(step: Step, parents: Sequence[Any], results: Sequence[Sequence[Any]]) -> list[Any]:
    """Group the statement's rows by parent key and set them on the parents; the related rows."""
    if len(parents) == 1:  # get(): every row is the one parent's (the statement asked for its key alone)
        children = [step.build(values) for values in results]
        _put(parents[0], step.name, children if step.many else (children[0] if children else None))
        return children
    grouped: dict[tuple[Any, ...], list[Any]] = {}
    children = []
    for values in results:
        key = tuple(values[: step.keys]) if step.keys else tuple(values[i] for i in step.key_at)
        row = step.build(values)
        grouped.setdefault(key, []).append(row)
        children.append(row)
    for parent in parents:
        key = tuple(parent.__dict__[f] for f in step.parent_key)
        found = grouped.get(key, [])
        _put(parent, step.name, list(found) if step.many else (found[0] if found else None))
    return children


def _put(parent: Any, name: str, value: Any) -> None:
    """A loaded relation, kept in the row's private dict (Loaded._relation reads it)."""
    private = parent.__pydantic_private__
    if private is None:
        private = {}
        _setattr(parent, "__pydantic_private__", private)
    private[name] = value
