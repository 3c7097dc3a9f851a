"""Smoke test of the table layer on a package generated from a corpus schema (cwd), against the
database it came from (argv[1]), all in one transaction that is rolled back. The database has
rows (its own, and what `make seed`'s engine added: tests/test_corpus.py seeds it first).

For every table and view: list() and count(), and where= conditions (one comparison on an ordered
column, one text match, one OR) whose counts must be PostgreSQL's own for the same condition
written by hand (the value read in SQL, the LIKE pattern escaped by PostgreSQL). A table without a primary key has insert only
(get, update, delete and upsert name a row by its key, as Prisma's do): a row is inserted.
For every table with a primary key, the whole
write path: get(key) returns a listed row; update(key, <its own values>) writes it back
unchanged; delete(key) then insert(<the same values>) puts it back (a row other rows refer to
is refused with the package's ConstraintViolation: then the same two calls run again with the
foreign-key triggers off for that savepoint, session_replication_role = replica); upsert()
of the same values returns it. An empty table gets a row of its required fields instead.
Every step that can fail in the database runs in a savepoint of its own, so one refusal never
aborts the rest. Prints `table: outcome` per table, the tables whose write path was not
wholly exercised with the reason, and a summary; a Python-side error (a wrong type, a
validation error, a bad SQL the layer built) is printed as `BUG` and makes the exit status 1.
"""

from __future__ import annotations

import inspect
import sys
import traceback
import typing
from typing import Any

import psycopg

import chatmaps_db._where as w
from chatmaps_db import Database
from chatmaps_db.access import Connection, Tables
from chatmaps_db.errors import ConstraintViolation

WRITE_PATH = ("insert", "get", "update", "delete", "upsert")
ROWS_TRIED = 50
COMPARED = WHERE_TABLES = 0  # where= conditions compared with PostgreSQL's count, and on how many tables
RELATIONS: list[str] = []  # the relations whose EXISTS ran
LOADED: list[str] = []  # the relations load= loaded


class Bug(Exception):
    """The package did something wrong (not the database refusing)."""


def key_of(table: Any, row: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """(positional args, keyword args) that name `row`'s primary key in get()/delete(), read
    from get()'s own signature (a key column named like a parameter is a keyword with a _)."""
    spec = table._spec
    values = [getattr(row, spec.fields[i]) for i in spec.primary]
    params = [p for p in inspect.signature(table.get).parameters if p not in ("validate", "load")]
    if len(values) == 1:
        return (values[0],), {}
    return (), dict(zip(params, values, strict=True))


def same_as(model_cls: Any, row: Any) -> Any:
    """`model_cls` (an Insert or Update model) holding `row`'s values."""
    return model_cls.model_validate({f: getattr(row, f) for f in model_cls.model_fields if hasattr(row, f)})


def has_triggers(tx: Connection, table: Any) -> bool:
    """Whether a trigger of the schema's own may change what is written (pagila's last_update)."""
    found = tx.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal)",
        [table._spec.from_sql],
    ).fetchone()
    return bool(found and found[0])


def check_written(tx: Connection, table: Any, what: str, back: Any, row: Any, fields: typing.Iterable[str]) -> None:
    """`back`, the row a write returned, is what the database now holds (read through get()),
    and holds `row`'s values unless a trigger of the schema's may have changed them."""
    args, kwargs = key_of(table, back)
    stored = table.get(*args, **kwargs)
    if back != stored:
        raise Bug(f"{what} returned {back!r}, but the table holds {stored!r}")
    if not has_triggers(tx, table) and not all(getattr(back, f) == getattr(row, f) for f in fields):
        raise Bug(f"{what} wrote back {back!r}, not {row!r}")


def write_path(tx: Connection, table: Any, rows: list[Any]) -> tuple[set[str], str]:
    """The steps of WRITE_PATH exercised on `rows` (listed, not empty), and why any was not."""
    done: set[str] = set()
    row = rows[0]
    args, kwargs = key_of(table, row)
    if table.get(*args, **kwargs) != row:
        raise Bug("get did not return the listed row")
    done.add("get")
    update_cls = typing.get_type_hints(type(table).update)["changes"]
    with tx.transaction():
        updated = table.update(*args, same_as(update_cls, row), **kwargs)
    if updated is None:
        raise Bug("update found no row")
    check_written(tx, table, "update", updated, row, update_cls.model_fields)
    done.add("update")
    insert_cls = table._insert_model
    again = same_as(insert_cls, row)
    try:
        with tx.transaction():
            back = delete_and_insert(table, args, kwargs, again)
    except ConstraintViolation:
        # Other rows refer to it (seeded children refer to every parent): the same calls with the
        # foreign-key triggers off for this savepoint, so that the row can leave and come back.
        with tx.transaction():
            tx.execute("SET LOCAL session_replication_role = replica")
            back = delete_and_insert(table, args, kwargs, again)
            tx.execute("SET LOCAL session_replication_role = origin")
    check_written(tx, table, "insert", back, row, insert_cls.model_fields)
    done |= {"delete", "insert"}
    with tx.transaction():
        back = table.upsert(same_as(insert_cls, row))
    check_written(tx, table, "upsert", back, row, insert_cls.model_fields)
    done.add("upsert")
    return done, ""


def delete_and_insert(table: Any, args: tuple[Any, ...], kwargs: dict[str, Any], again: Any) -> Any:
    """Delete the row with this key, then insert `again` (its values): the row written back."""
    if not table.delete(*args, **kwargs):
        raise Bug("delete found no row")
    return table.insert(again)


def sample(annotation: Any) -> Any:
    """A value of a simple annotation, for an empty table's required fields; KeyError if none."""
    import datetime as dt
    import enum
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


def insert_required(tx: Connection, table: Any) -> str:
    """Insert a row of the table's required fields: "" when done, else why it could not be."""
    insert_cls = table._insert_model
    try:
        values = {f: sample(i.annotation) for f, i in insert_cls.model_fields.items() if i.is_required()}
        with tx.transaction():
            table.insert(insert_cls.model_validate(values))
    except KeyError as exc:
        return f"empty, and no sample value for {exc}"
    except ConstraintViolation as exc:  # a foreign key to an empty table, most often
        return f"empty, and a row of its required fields was refused ({exc.constraint})"
    return ""


def fresh_row(tx: Connection, table: Any) -> tuple[set[str], str]:
    """An empty table: insert a row of its required fields, then the whole write path on it."""
    refused = insert_required(tx, table)
    if refused:
        return set(), refused
    done, why = write_path(tx, table, table.list(limit=ROWS_TRIED))
    return done | {"insert"}, why


def where_checks(tx: Connection, table: Any) -> int:
    """Compare count(where=) with PostgreSQL's count for a comparison on the table's first ordered
    column, a starts_with on its first text column, and their OR; how many conditions were compared."""
    spec, c = table._spec, table.c
    name = spec.from_sql.replace("%%", "%")

    def first(kind: type[Any]) -> int | None:
        for i, field in enumerate(spec.fields):
            if type(getattr(c, field)) is kind and tx.execute(
                f"SELECT EXISTS (SELECT FROM {name} WHERE {spec.quoted[i]} IS NOT NULL)", prepare=False
            ).fetchone() == (True,):
                return i
        return None

    def pg_count(condition: str, params: list[Any]) -> int:
        row = tx.execute(
            f"SELECT count(*) FROM {name} WHERE {condition}".replace("%", "%%").replace("%%s", "%s"), params
        )
        return int(row.fetchone()[0])  # type: ignore[index]

    cases: list[tuple[Any, str, list[Any]]] = []
    ordered, text = first(w.Ordered), first(w.Text)
    if ordered is not None:
        q, field = spec.quoted[ordered].replace("%%", "%"), spec.fields[ordered]
        total = pg_count(f"{q} IS NOT NULL", [])
        middle = table.list(getattr(c, field).is_not_null(), order_by=field, limit=1, offset=total // 2)[0]
        at = f"(SELECT {q} FROM {name} WHERE {q} IS NOT NULL ORDER BY {q} LIMIT 1 OFFSET {total // 2})"
        cases.append((getattr(c, field).gt(getattr(middle, field)), f"{q} > {at}", []))
    if text is not None:
        q, field = spec.quoted[text].replace("%%", "%"), spec.fields[text]
        value = table.list(getattr(c, field).is_not_null(), limit=1)[0]
        prefix = getattr(value, field)[:2]
        escaped = "replace(replace(replace(%s, '\\', '\\\\'), '%', '\\%'), '_', '\\_')"
        cases.append((getattr(c, field).starts_with(prefix), f"{q} LIKE {escaped} || '%'", [prefix]))
    if len(cases) == 2:
        cases.append((cases[0][0] | cases[1][0], f"({cases[0][1]}) OR ({cases[1][1]})", cases[1][2]))
    elif cases:
        i = ordered if ordered is not None else text
        assert i is not None
        cond, sql, params = cases[0]
        cases.append((cond | getattr(c, spec.fields[i]).is_null(), f"({sql}) OR {spec.quoted[i]} IS NULL", params))
    for cond, sql, params in cases:
        got, want = table.count(cond), pg_count(sql, params)
        if got != want:
            raise Bug(f"count({cond!r}) is {got}, PostgreSQL counts {want} for {sql}")
    # Every relation's EXISTS runs, and splits the rows in two: those with a related row, those without;
    # and every relation loads (load=): a row has related rows exactly when the EXISTS says so.
    total = table.count()
    links = {n: v for n, v in vars(type(c)).items() if isinstance(v, w.ToMany | w.ToOne)}
    for name, link in links.items():
        related = getattr(c, name).some() if isinstance(link, w.ToMany) else getattr(c, name).has()
        if table.count(related) + table.count(~related) != total:
            raise Bug(f"relation {name}: rows with and without a related row do not add up to {total}")
        RELATIONS.append(name)
    if links and spec.primary:
        many = [n for n, v in links.items() if isinstance(v, w.ToMany)]
        rows = table.list(
            order_by=spec.fields[spec.primary[0]],
            limit=ROWS_TRIED,
            load=w.Load(count=many, **dict.fromkeys(links, True)),
        )
        for r in rows:  # count= (in the rows' statement) agrees with the rows loaded (a statement each)
            if any(r._counted(n) != len(getattr(r, n)) for n in many):
                raise Bug(f"count= of {', '.join(many)} is not the number of rows load= gave")
        key = spec.fields[spec.primary[0]]
        for name, link in links.items():
            related = getattr(c, name).some() if isinstance(link, w.ToMany) else getattr(c, name).has()
            having = {getattr(r, key) for r in table.list(related, order_by=key, limit=ROWS_TRIED)}
            loaded = {getattr(r, key) for r in rows if getattr(r, name)}
            if not loaded <= having or not {getattr(r, key) for r in rows} & having <= loaded:
                raise Bug(f"relation {name}: the rows load= gave related rows are not those EXISTS finds")
            LOADED.append(name)
    return len(cases)


def smoke(tx: Connection, attribute: str) -> tuple[set[str], str]:
    """The write-path steps exercised on one table, and why the others were not."""
    table = getattr(tx, attribute)
    rows = table.list(limit=ROWS_TRIED)
    if len(rows) > table.count():
        raise Bug(f"list gave {len(rows)} rows, count {table.count()}")
    global COMPARED, WHERE_TABLES
    compared = where_checks(tx, table)
    COMPARED, WHERE_TABLES = COMPARED + compared, WHERE_TABLES + (compared > 0)
    if not hasattr(table, "insert"):
        return set(), "a view: read only"
    if not hasattr(table, "get"):  # no key: the layer offers insert (and list, count) only
        if rows:
            try:
                with tx.transaction():
                    table.insert(same_as(table._insert_model, rows[0]))
            except ConstraintViolation as exc:  # a copy of a row breaks its unique keys
                return set(), f"no primary key, and a copy of a row was refused ({exc.constraint})"
            return {"insert"}, "no primary key: no get, update, delete or upsert"
        refused = insert_required(tx, table)
        return (
            (set(), f"no primary key, and {refused}")
            if refused
            else ({"insert"}, "no primary key: no get, update, delete or upsert")
        )
    return write_path(tx, table, rows) if rows else fresh_row(tx, table)


def main(url: str) -> int:
    db = Database(url)
    # Every table and view attribute; `queries` is the checked queries (none for a corpus schema).
    attributes = sorted(n for n, v in vars(Tables).items() if not n.startswith("_") and n != "queries")
    bugs, whole, tables, keyless, left_out = 0, 0, 0, 0, []
    with db.transaction() as tx:
        for attribute in attributes:
            done: set[str] = set()
            view = not hasattr(getattr(tx, attribute), "insert")  # views and materialized views: read only
            try:
                with tx.transaction() as each:  # undone after each table: the next starts from the same rows
                    done, why = smoke(tx, attribute)
                    raise psycopg.Rollback(each)
            except Bug as exc:
                why, bugs = f"BUG {exc}", bugs + 1
            except psycopg.Error as exc:  # the schema's own rules (a trigger, RLS): not the layer's
                why = f"database refused: {type(exc).__name__}: {str(exc).splitlines()[0]}"
            except Exception:
                why, bugs = "BUG " + traceback.format_exc(limit=3).replace("\n", " | "), bugs + 1
            keyed = not view and hasattr(getattr(tx, attribute), "get")
            tables += keyed
            keyless += not view and not keyed and done == {"insert"}
            whole += done == set(WRITE_PATH)
            if keyed and done != set(WRITE_PATH):
                left_out.append(f"  {attribute}: {', '.join(s for s in WRITE_PATH if s in done) or 'none'}: {why}")
            print(f"{attribute}: {', '.join(s for s in WRITE_PATH if s in done) or why}")
            if why.startswith("BUG"):  # on stderr too: the test shows stdout's tail only
                print(f"{attribute}: {why}", file=sys.stderr)
        raise psycopg.Rollback()
    db.close()
    print("left out of the whole write path:" if left_out else "no table left out of the whole write path")
    for line in left_out:
        print(line)
    print(f"relations: {len(RELATIONS)} filtered on, {len(LOADED)} loaded")
    print(f"where: {COMPARED} conditions on {WHERE_TABLES} tables and views counted as PostgreSQL counts them")
    print(
        f"{tables} tables with a primary key, {whole} with the whole write path ({', '.join(WRITE_PATH)}); "
        f"{keyless} without one inserted; {bugs} bugs"
    )
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
