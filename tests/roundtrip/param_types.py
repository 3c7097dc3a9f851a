"""Every value the table layer sends goes as its column's type: over one column of each type and
an array column of each, at the small and the large end of the type, every read (a filter, a
list filter, keyset pages both ways, a key lookup) returns what PostgreSQL itself answers, and
every write (insert, update, upsert on the column's key, insert_many) stores the value unchanged, and
a value of the wrong type given to insert_many (COPY) is named by its column ("blame").

`python param_types.py --schema` prints the schema (tests/test_param_types.py loads it and
generates a package from it); `python param_types.py URL` runs inside that package (cwd) and
prints one line per type: `type  op=ok op=FAIL ...`, then the failures' errors.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import Any

# (column suffix, SQL type, three values as SQL literals: the small end, a small value, the large end).
# None is SQL NULL. Each column is UNIQUE, so that get_by_<column> exists; so is each array column.
TYPES: list[tuple[str, str, tuple[str | None, str | None, str | None]]] = [
    ("int2", "smallint", ("-32768", "0", "32767")),
    ("int4", "integer", ("-2147483648", "1", "2147483647")),
    ("int8", "bigint", ("-9223372036854775808", "1", "9223372036854775807")),
    ("oid", "oid", ("0", "1", "4294967295")),
    ("numeric", "numeric(23, 3)", ("-99999999999999999999.999", "0.001", "99999999999999999999.999")),
    ("float4", "real", ("-3.4e38", "0.1", "3.4e38")),
    ("float8", "double precision", ("-1.7e308", "0.1", "1.7e308")),
    ("money", "money", ("-92233720368547758.08", "0.01", "92233720368547758.07")),
    ("text", "text", ("''", "'a'", "repeat('z', 500)")),
    ("varchar", "varchar(20)", ("''", "'a'", "repeat('z', 20)")),
    ("bpchar", "char(4)", ("''", "'a'", "'zzzz'")),
    ("char", '"char"', ("'a'", "'b'", "'z'")),
    ("name", "name", ("''", "'a'", "repeat('z', 63)")),
    ("bool", "boolean", ("false", None, "true")),
    ("bytea", "bytea", ("'\\x'", "'\\x00'", "decode(repeat('ff', 200), 'hex')")),
    (
        "uuid",
        "uuid",
        ("'00000000-0000-0000-0000-000000000000'", "gen_random_uuid()", "'ffffffff-ffff-ffff-ffff-ffffffffffff'"),
    ),
    ("date", "date", ("'0001-01-01'", "'2026-12-02'", "'9999-12-31'")),
    ("time", "time", ("'00:00'", "'12:00'", "'23:59:59.999999'")),
    ("timetz", "timetz", ("'00:00:00+14'", "'12:00+00'", "'23:59:59.999999-12'")),
    ("timestamp", "timestamp(3)", ("'0001-01-01 00:00'", "'2026-12-02 12:00'", "'9999-12-31 23:59:59.999'")),
    (
        "timestamptz",
        "timestamptz",
        ("'0001-01-02 00:00+00'", "'2026-12-02 12:00+00'", "'9999-12-30 23:59:59.999999+00'"),
    ),
    ("interval", "interval", ("'-999999 days'", "'1 microsecond'", "'999999 days 23:59:59.999999'")),
    ("inet", "inet", ("'0.0.0.0'", "'10.1.2.3/8'", "'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'")),
    ("cidr", "cidr", ("'0.0.0.0/0'", "'10.0.0.0/8'", "'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128'")),
    ("macaddr", "macaddr", ("'00:00:00:00:00:00'", "'08:00:2b:01:02:03'", "'ff:ff:ff:ff:ff:ff'")),
    ("macaddr8", "macaddr8", ("'00:00:00:00:00:00:00:00'", "'08:00:2b:01:02:03:04:05'", "'ff:ff:ff:ff:ff:ff:ff:ff'")),
    ("int4range", "int4range", ("'empty'", "'[1,2)'", "'[-2147483648,2147483647)'")),
    ("int8range", "int8range", ("'empty'", "'[1,2)'", "'[-9223372036854775808,9223372036854775807)'")),
    ("numrange", "numrange", ("'(,)'", "'[0.001,0.002]'", "'[-1e20,1e20]'")),
    ("daterange", "daterange", ("'empty'", "'[2026-12-01,2026-12-02)'", "'[0001-01-01,9999-12-31)'")),
    (
        "tstzrange",
        "tstzrange",
        ("'(,)'", "'[2026-12-02 00:00+00,2026-12-03 00:00+00)'", "'[0001-01-02 00:00+00,9999-12-30 00:00+00]'"),
    ),
    ("int4multirange", "int4multirange", ("'{}'", "'{[1,2)}'", "'{[-2147483648,0),[1,2147483647)}'")),
    ("int8multirange", "int8multirange", ("'{}'", "'{[1,2)}'", "'{[-9223372036854775808,0),[1,9223372036854775807)}'")),
    ("tsvector", "tsvector", ("''", "'a'", "'zebra:1A,2B yak:3'")),
    ("bit", "bit(4)", ("'0000'", "'0101'", "'1111'")),
    ("varbit", "varbit(8)", ("''", "'1'", "'11111111'")),
    ("enum", "mood", ("'happy'", "'so-so'", "'very sad'")),
    ("domain", "percent", ("0", "0.01", "100")),
    ("odd", "odd_number", ("-2147483647", "1", "2147483647")),
    ("citext", "citext", ("''", "'a'", "repeat('Z', 300)")),
    ("hstore", "hstore", ("''", "'a=>1'", "'\"a b\"=>NULL, z=>zz'")),
    ("ltree", "ltree", ("''", "'a'", "'a.b.c.d.e.f'")),
    # Not JSON null: it loads as None, which the models write as SQL NULL (one Python value for both).
    ("json", "json", ("'\"s\"'", "'{}'", '\'{"a": [1, 2.5, "z"], "b": {"c": null}}\'')),
    ("jsonb", "jsonb", ("'\"s\"'", "'[]'", '\'{"a": [1, 2.5e300, "z"], "b": {"c": null}}\'')),
    ("point", "point", ("'(-1e300,-1e300)'", "'(0,0)'", "'(1e300,1e300)'")),
    ("composite", "pair", ("'(-2147483648,)'", "'(1,a)'", "'(2147483647,zz)'")),
]
MATRIX = ("'{{1,2},{3,4}}'", "'{{-32768,NULL}}'", "'{{1},{32767}}'")
NO_BTREE = {"json", "point"}  # no `=` or ordering: no UNIQUE key either (xml: the embedded server has no libxml)
OPS = ("filter", "in", "after", "-after", "key", "insert", "update", "upsert", "insert_many", "blame")
ARRAY_OPS = ("filter", "after", "-after", "key", "insert", "update", "upsert", "insert_many", "blame")


class Wrong:
    """A value no column takes: insert_many (COPY) must name the column it was given for."""


TABLE = "typed%params"  # a % in a name: the layer's SQL goes through psycopg's %s formatting


def _array(values: tuple[str | None, ...], sql_type: str) -> tuple[str, str, str]:
    """Three array values: the small end alone, the small value with a NULL, both ends."""
    small, tiny, large = (f"({v or 'NULL'})::{sql_type}" for v in values)
    return (
        f"ARRAY[{small}]::{sql_type}[]",
        f"ARRAY[{tiny}, NULL]::{sql_type}[]",
        f"ARRAY[{small}, {large}]::{sql_type}[]",
    )


def schema() -> str:
    columns = ['"id" integer PRIMARY KEY']
    for name, sql_type, _ in TYPES:
        unique = "" if name in NO_BTREE else " UNIQUE"
        columns.append(f'"v_{name}" {sql_type}{unique}')
        columns.append(f'"a_{name}" {sql_type}[]{unique}')
    columns.append('"m_int4" integer[][] UNIQUE')  # two dimensions, of both element widths
    columns.append('"m_int8" bigint[][] UNIQUE')
    rows = []
    for i in range(3):
        values = [str(i + 1)]
        for _, sql_type, triple in TYPES:
            values.append(f"({triple[i] or 'NULL'})::{sql_type}")
            values.append(_array(triple, sql_type)[i])
        values += [MATRIX[i] + "::integer[]", MATRIX[i].replace("32767", "9223372036854775807") + "::bigint[]"]
        rows.append(f"({', '.join(values)})")
    return "\n".join(
        [
            "CREATE EXTENSION IF NOT EXISTS citext;",
            "CREATE EXTENSION IF NOT EXISTS hstore;",
            "CREATE EXTENSION IF NOT EXISTS ltree;",
            "CREATE TYPE mood AS ENUM ('happy', 'so-so', 'very sad');",
            "CREATE DOMAIN percent AS numeric(5, 2) CHECK (VALUE >= 0 AND VALUE <= 100);",
            "CREATE DOMAIN odd_number AS integer CHECK (VALUE % 2 <> 0);",
            "CREATE TYPE pair AS (n integer, s text);",
            f'CREATE TABLE "{TABLE}" (\n    ' + ",\n    ".join(columns) + "\n);",
            f'INSERT INTO "{TABLE}" VALUES\n' + ",\n".join(rows) + ";",
            "",
        ]
    )


def run(url: str) -> int:
    import psycopg

    from chatmaps_db import Database, models

    db = Database(url)
    table = db.typed_params
    insert_model = models.TypedParamInsert
    update_model = models.TypedParamUpdate
    raw = psycopg.connect(url, autocommit=True)
    quoted = f'"{TABLE}"'

    def pg_ids(sql: str, params: Any = ()) -> list[int]:
        return [r[0] for r in raw.execute(sql.replace("%", "%%").replace("%%s", "%s"), params)]

    def snapshot() -> list[str]:
        """The table as PostgreSQL prints it: what a write must leave unchanged."""
        return [r[0] for r in raw.execute(f"SELECT t::text FROM {quoted.replace('%', '%%')} t ORDER BY id", ())]

    rows = table.list(order_by="id")
    assert [r.id for r in rows] == [1, 2, 3], [r.id for r in rows]
    before = snapshot()
    failures: list[str] = []
    report: list[str] = []

    def attempt(kind: str, column: str, call: Callable[[], bool]) -> str:
        try:
            ok = call()
        except Exception as exc:
            failures.append(f"{column} {kind}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            return f"{kind}=FAIL"
        if not ok:
            failures.append(f"{column} {kind}: not what PostgreSQL answers")
        return f"{kind}={'ok' if ok else 'FAIL'}"

    def restore() -> None:
        raw.execute(f"DELETE FROM {quoted.replace('%', '%%')}", ())

    def refill() -> bool:
        if snapshot() == before:
            return True
        restore()
        table.insert_many([insert_model.model_validate(dict(r)) for r in rows])
        return False

    columns = [(c, ops) for name, _, _ in TYPES for c, ops in ((f"v_{name}", OPS), (f"a_{name}", ARRAY_OPS))]
    for column, ops in [*columns, ("m_int4", ARRAY_OPS), ("m_int8", ARRAY_OPS)]:
        if True:
            sql_column = f'"{column}"'
            field = column
            values = [getattr(r, field) for r in rows]
            results = []

            def filtered(
                i: int, column: str = column, values: list[Any] = values, sql_column: str = sql_column
            ) -> bool:
                value = values[i]
                got = sorted(r.id for r in table.list(**{column: value}))
                if value is None:
                    want = pg_ids(f"SELECT id FROM {quoted} WHERE {sql_column} IS NULL ORDER BY id")
                else:
                    want = pg_ids(
                        f"SELECT id FROM {quoted} WHERE {sql_column} = "
                        f"(SELECT {sql_column} FROM {quoted} WHERE id = %s) ORDER BY id",
                        [i + 1],
                    )
                return got == want and table.count(**{column: value}) == len(want)

            def in_list(column: str = column, values: list[Any] = values, sql_column: str = sql_column) -> bool:
                given = [v for v in (values[0], values[2]) if v is not None]
                got = sorted(r.id for r in table.list(**{column: given}))
                want = pg_ids(
                    f"SELECT id FROM {quoted} WHERE {sql_column} IN "
                    f"(SELECT {sql_column} FROM {quoted} WHERE id IN (1, 3)) ORDER BY id"
                )
                return got == want and table.count(**{column: given}) == len(want)

            def paged(desc: bool, column: str = column, sql_column: str = sql_column) -> bool:
                order = ("-" if desc else "") + column
                got: list[int] = []
                page = table.list(order_by=order, limit=1)
                while page:
                    got.append(page[0].id)
                    page = table.list(order_by=order, limit=1, after=page[0])
                    if len(got) > 3:
                        return False
                direction = "DESC" if desc else "ASC"
                want = pg_ids(f"SELECT id FROM {quoted} ORDER BY {sql_column} {direction}, id {direction}")
                return got == want

            def keyed(column: str = column, values: list[Any] = values) -> bool:
                get = getattr(table, f"get_by_{column}")
                found = [get(v) for v in values if v is not None]
                want = [r.id for r, v in zip(rows, values, strict=True) if v is not None]
                return [r.id if r else None for r in found] == want

            def inserted(column: str = column) -> bool:
                restore()
                for r in rows:  # the whole row: every column's value goes through insert()
                    table.insert(insert_model.model_validate(dict(r)))
                return refill()

            def updated(column: str = column, values: list[Any] = values) -> bool:
                for r, v in zip(rows, values, strict=True):
                    table.update(r.id, update_model.model_validate({column: v}))
                return refill()

            def upserted(column: str = column) -> bool:
                for r in rows:
                    if getattr(r, column) is not None:
                        table.upsert(insert_model.model_validate(dict(r)), on=column)
                return refill()

            def many() -> bool:
                restore()
                table.insert_many([insert_model.model_validate(dict(r)) for r in rows])
                return refill()

            def blamed(column: str = column) -> bool:
                bad = insert_model.model_construct(**{**dict(rows[1]), "id": 99, column: Wrong()})
                try:
                    table.insert_many([insert_model.model_validate({**dict(rows[1]), "id": 98}), bad])
                except TypeError as exc:
                    named = str(exc).startswith(f"public.{TABLE}.{column}, row 2: a value of type Wrong where ")
                    return named and snapshot() == before  # and the COPY was aborted: nothing written
                return False

            calls: dict[str, Callable[[], bool]] = {
                "filter": lambda filtered=filtered: all(filtered(i) for i in range(3)),
                "in": in_list,
                "after": lambda paged=paged: paged(False),
                "-after": lambda paged=paged: paged(True),
                "key": keyed,
                "insert": inserted,
                "update": updated,
                "upsert": upserted,
                "insert_many": many,
                "blame": blamed,
            }
            spec = table._spec
            at = spec.by_column[column]
            applies = {
                "filter": at in spec.filters,
                "in": at in spec.listable,
                "after": at in spec.orderable,
                "-after": at in spec.orderable,
                "key": column in spec.key_named,
                "upsert": column in spec.key_named,
            }
            for op in ops:
                if not applies.get(op, True):
                    results.append(f"{op}=-")  # the column's type has no such operation (json: no `=`)
                    continue
                results.append(attempt(op, column, calls[op]))
                refill()
            report.append(f"{column:<18} " + " ".join(results))
    print("\n".join(report))
    if failures:
        print("\n".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--schema"]:
        print(schema())
        sys.exit(0)
    try:
        sys.exit(run(sys.argv[1]))
    except Exception:
        traceback.print_exc()
        sys.exit(2)
