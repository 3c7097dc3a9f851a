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
from chatmaps_db._where import Columns, Load, _Link

if TYPE_CHECKING:
    from chatmaps_db._types import Row

_setattr = object.__setattr__


@dataclass(frozen=True)
class Step:
    """One statement: the rows of relation `name` for `parents`; `attach` puts them on the parents."""

    name: str
    sql: str
    params: list[Any]
    keys: int  # leading columns of each result row that are the parent's key (many-to-many), before the row
    key_at: tuple[int, ...]  # else: where the parent's key is in the related row
    parent_key: tuple[str, ...]  # the parents' fields that make the key
    many: bool
    build: RowMaker
    spec: Spec  # the related table's
    columns: type[Columns]
    load: Load


def links(columns: type[Columns]) -> dict[str, _Link[Any, Any, Any]]:
    return {n: v for n, v in vars(columns).items() if isinstance(v, _Link)}


def target(link: _Link[Any, Any, Any]) -> tuple[type[Columns], type[Row]]:
    """The related table's columns class and its With model, from the same module."""
    columns = link._columns()
    with_cls: type[Row] = getattr(sys.modules[columns.__module__], columns.__name__.removesuffix("Columns") + "With")
    return columns, with_cls


def steps(spec: Spec, columns: type[Columns], parents: Sequence[Any], load: Load, validate: bool) -> list[Step]:
    """The statements that load `load`'s relations onto `parents` (rows of `spec`'s table)."""
    known = links(columns)
    out = []
    for name, sub in load.relations.items():
        link = known.get(name)
        if link is None:
            raise ValueError(
                f"{spec.table}: load= names {name!r}, which is not one of its relations "
                f"({', '.join(sorted(known)) or 'it has none'})"
            )
        out.append(_step(spec, name, link, sub, parents, validate))
    return out


def _free(name: str, taken: Sequence[str]) -> str:
    """`name`, or `name_`, `name__` ...: a result column of ours no column of the table has."""
    while name in taken:
        name += "_"
    return name


def _step(spec: Spec, name: str, link: _Link[Any, Any, Any], sub: Load, parents: Sequence[Any], validate: bool) -> Step:
    table, with_cls = target(link)
    theirs = table._spec
    n = f'"{_free("_n", theirs.columns)}"'  # the row number, beside the table's own columns
    owner_at = [spec.quoted.index(q) for q in link._owner]
    parent_key = tuple(spec.fields[i] for i in owner_at)
    # Distinct, NULL-free: they go as array parameters, so the statement's text does not depend on them.
    keys = list(dict.fromkeys(k for p in parents if None not in (k := tuple(p.__dict__[f] for f in parent_key))))
    params: list[Any] = []
    condition = sub.condition(table)
    columns = theirs.select
    if link._through is None:
        key_cols = [f"{theirs.from_sql}.{q}" for q in link._target]
        where = _match(key_cols, [spec.types[i] for i in owner_at], keys, params)
        if condition is not None:
            where += f" AND ({condition.sql})"
            params.extend(condition.params)
        base = f"SELECT {columns} FROM {theirs.from_sql} WHERE {where}"
        partition = ", ".join(link._target)
        outer = columns
        key_at = tuple(theirs.quoted.index(q) for q in link._target)
        lead = 0
    else:
        join, to_owner, to_target = link._through
        inner = f"SELECT {columns} FROM {theirs.from_sql}"
        if condition is not None:
            inner += f" WHERE {condition.sql}"
            params.extend(condition.params)
        on = " AND ".join(f'"_t".{t} = "_j".{c}' for c, t in zip(to_target, link._target, strict=True))
        lead = len(to_owner)
        lead_keys = [f'"{_free(f"_k{i}", theirs.columns)}"' for i in range(len(to_owner))]  # the parent's key
        picked = ", ".join(f'"_j".{c} AS {lead_keys[i]}' for i, c in enumerate(to_owner))
        where = _match([f'"_j".{c}' for c in to_owner], [spec.types[i] for i in owner_at], keys, params)
        base = f'SELECT {picked}, "_t".* FROM {join} AS "_j" JOIN ({inner}) AS "_t" ON {on} WHERE {where}'
        partition = ", ".join(lead_keys)
        outer = ", ".join([*lead_keys, columns])
        key_at = ()
    order = theirs.order_key(sub.order_by, False) if sub.order_by != () or theirs.primary else ()
    order_sql = theirs.order_sql(order) if order else ""
    if sub.limit is not None and link._many:
        sql = (
            f"SELECT {outer} FROM (SELECT *, row_number() OVER (PARTITION BY {partition}"
            f'{" ORDER BY " + order_sql if order_sql else ""}) AS {n} FROM ({base}) AS "_r") AS "_w" '
            f"WHERE {n} <= %s"
        )
        params.append(sub.limit)
    else:
        sql = f'SELECT {outer} FROM ({base}) AS "_r"'
    if order_sql:
        sql += f" ORDER BY {order_sql}"
    return Step(
        name,
        sql,
        params,
        lead,
        key_at,
        parent_key,
        link._many,
        row_maker(with_cls, theirs, validate=validate),
        theirs,
        table,
        sub,
    )


def _match(columns: list[str], types: list[str], keys: list[tuple[Any, ...]], params: list[Any]) -> str:
    """`col = ANY(%s::type[])`, or for a key of several columns `(a, b) IN (SELECT * FROM unnest(...))`."""
    if len(columns) == 1:
        params.append([k[0] for k in keys])
        return f"{columns[0]} = ANY(%s::{types[0]}[])"
    for i in range(len(columns)):
        params.append([k[i] for k in keys])
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    return f"({', '.join(columns)}) IN (SELECT * FROM unnest({arrays}))"


def attach(step: Step, parents: Sequence[Any], results: Sequence[Sequence[Any]]) -> list[Any]:
    """Group the statement's rows by parent key and set them on the parents; the related rows."""
    grouped: dict[tuple[Any, ...], list[Any]] = {}
    children = []
    for values in results:
        if step.keys:
            key = tuple(values[: step.keys])
            row = step.build(values[step.keys :])
        else:
            key = tuple(values[i] for i in step.key_at)
            row = step.build(values)
        grouped.setdefault(key, []).append(row)
        children.append(row)
    for parent in parents:
        key = tuple(parent.__dict__[f] for f in step.parent_key)
        found = grouped.get(key, [])
        value: Any = list(found) if step.many else (found[0] if found else None)
        private = parent.__pydantic_private__
        if private is None:
            private = {}
            _setattr(parent, "__pydantic_private__", private)
        private[step.name] = value
    return children
