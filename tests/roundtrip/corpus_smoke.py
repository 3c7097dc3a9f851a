"""Smoke test of the table layer on a package generated from a corpus schema (cwd), against the
database it came from (argv[1]), all in one transaction that is rolled back.

For every table and view: list(limit=2) and count(). For every table with a primary key and
a row: get(key) returns that row; delete(key) then insert(<the same values>) puts it back
(or the delete is refused with the package's ConstraintViolation, as a referenced row is,
and upsert() writes it back instead). Prints `table: outcome` per table and a summary; a
Python-side error (a wrong type, a validation error, a bad SQL the layer built) is printed
as `BUG` and makes the exit status 1.
"""

from __future__ import annotations

import inspect
import sys
import traceback
from typing import Any

import psycopg

from chatmaps_db import Database
from chatmaps_db.access import Connection, Tables
from chatmaps_db.errors import ConstraintViolation


def key_of(table: Any, row: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """(positional args, keyword args) that name `row`'s primary key in get()/delete(), read
    from get()'s own signature (a key column named like a parameter is a keyword with a _)."""
    spec = table._spec
    values = [getattr(row, spec.fields[i]) for i in spec.primary]
    params = [p for p in inspect.signature(table.get).parameters if p != "validate"]
    if len(values) == 1:
        return (values[0],), {}
    return (), dict(zip(params, values, strict=True))


def smoke(tx: Connection, attribute: str) -> str:
    table = getattr(tx, attribute)
    rows = table.list(limit=2)
    count = table.count()
    if len(rows) > count:
        return f"BUG list gave {len(rows)} rows, count {count}"
    if not hasattr(table, "get"):
        return "read" if not hasattr(table, "insert") else "read (no primary key)"
    if not rows:
        return fresh_row(table)
    row = rows[0]
    args, kwargs = key_of(table, row)
    if table.get(*args, **kwargs) != row:
        return "BUG get did not return the listed row"
    insert_cls = table._insert_model
    values = {f: getattr(row, f) for f in insert_cls.model_fields}
    again = insert_cls.model_validate(values)
    try:
        with tx.transaction():
            if not table.delete(*args, **kwargs):
                return "BUG delete found no row"
            back = table.insert(again)
    except ConstraintViolation as exc:  # a row others refer to: the error names the constraint
        back = table.upsert(again)
        outcome = f"upsert (delete refused: {type(exc).__name__} {exc.constraint})"
    else:
        outcome = "get, delete, insert"
    same = all(getattr(back, f) == v for f, v in values.items())
    return outcome if same else f"BUG the row written back differs: {back!r} vs {row!r}"


def sample(annotation: Any) -> Any:
    """A value of a simple annotation, for an empty table's required fields; KeyError if none."""
    import datetime as dt
    import enum
    import typing
    import uuid
    from decimal import Decimal

    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is list:
        return []
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation))
    name = getattr(annotation, "__name__", str(annotation))
    values = {
        "str": "x", "int": 1, "float": 1.0, "Decimal": Decimal(1), "bool": True, "bytes": b"x",
        "date": dt.date(2020, 1, 1), "UUID": uuid.uuid4(), "time": dt.time(12),
        "AwareDatetime": dt.datetime(2020, 1, 1, tzinfo=dt.UTC), "NaiveDatetime": dt.datetime(2020, 1, 1),
        "datetime": dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    }  # fmt: skip
    return values[name]


def fresh_row(table: Any) -> str:
    """An empty table: insert a row of its required fields, get it, list it, delete it."""
    insert_cls = table._insert_model
    try:
        values = {f: sample(i.annotation) for f, i in insert_cls.model_fields.items() if i.is_required()}
        row = table.insert(insert_cls.model_validate(values))
    except KeyError as exc:
        return f"empty (no sample value for {exc})"
    except ConstraintViolation as exc:  # a foreign key to an empty table, most often
        return f"empty (insert refused: {type(exc).__name__} {exc.constraint})"
    args, kwargs = key_of(table, row)
    if table.get(*args, **kwargs) != row or row not in table.list():
        return "BUG the inserted row is not read back"
    if not table.delete(*args, **kwargs) or table.get(*args, **kwargs) is not None:
        return "BUG delete"
    return "insert, get, list, delete"


def main(url: str) -> int:
    db = Database(url)
    # Every table and view attribute; `queries` is the checked queries (none for a corpus schema).
    attributes = sorted(n for n, v in vars(Tables).items() if not n.startswith("_") and n != "queries")
    bugs = 0
    tested = 0
    with db.transaction() as tx:
        for attribute in attributes:
            try:
                with tx.transaction():
                    outcome = smoke(tx, attribute)
            except psycopg.Error as exc:  # the schema's own rules (a trigger, RLS): not the layer's
                outcome = f"database refused: {type(exc).__name__}"
            except Exception:
                outcome = "BUG " + traceback.format_exc(limit=3).replace("\n", " | ")
            bugs += outcome.startswith("BUG")
            tested += outcome.startswith(("get", "upsert", "insert"))
            print(f"{attribute}: {outcome}")
        raise psycopg.Rollback()
    db.close()
    print(f"{len(attributes)} tables and views, {tested} written and read back, {bugs} bugs")
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
