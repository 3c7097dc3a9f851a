"""tables.py against the database it came from (argv[1]), run with the package's folder as cwd.

Every index and constraint of every table in tables.py is compiled back to DDL by SQLAlchemy
and run in place of the original (dropped, CASCADE) inside a savepoint that is rolled back;
PostgreSQL's own pg_get_indexdef() / pg_get_constraintdef() of the original and of the copy
must be equal. An index or constraint the database has and tables.py lacks is a difference too.
Prints one line per difference, then `N indexes and constraints compared, M differences`.
"""

from __future__ import annotations

import sys
from typing import Any

import psycopg
from sqlalchemy import Index, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import AddConstraint, CreateIndex

from chatmaps_db import tables

DIALECT = postgresql.dialect()

# Every constraint of a table (not NOT NULL, which is a column's; not the copies PostgreSQL
# makes of a foreign key to a partitioned table, one per partition, which have a parent), and
# every index that no constraint owns, with PostgreSQL's own text of each. Partitions are their
# parent's.
ORIGINALS = """
SELECT n.nspname, r.relname, c.conname, 'constraint', pg_get_constraintdef(c.oid)
FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
WHERE c.contype IN ('p', 'u', 'f', 'c', 'x') AND r.relkind IN ('r', 'p') AND NOT r.relispartition
  AND c.conparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'atlas_schema_revisions')
UNION ALL
SELECT n.nspname, r.relname, x.relname, 'index', pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class r ON r.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = r.relnamespace
WHERE r.relkind IN ('r', 'p') AND NOT r.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'atlas_schema_revisions')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
ORDER BY 1, 2, 3
"""
READ_BACK = {
    "constraint": "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.conname = %s",
    "index": "SELECT pg_get_indexdef(c.oid) FROM pg_class c WHERE c.oid = %s::regclass",
}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def main(url: str) -> int:
    compared, differences = 0, []
    with psycopg.connect(url) as conn:
        originals = {(s, t, n): (kind, sql) for s, t, n, kind, sql in conn.execute(ORIGINALS)}
        seen: set[tuple[str, str, str]] = set()
        for table in tables.Base.metadata.tables.values():
            assert isinstance(table, Table)
            schema = table.schema or "public"
            qualified = f"{quote(schema)}.{quote(table.name)}"
            items: list[Any] = [*table.constraints, *table.indexes]
            for item in items:
                if item.name is None:
                    if item.columns or isinstance(item, Index):  # SQLAlchemy's empty primary key of a keyless table
                        differences.append(f"{schema}.{table.name}: an unnamed {type(item).__name__} in tables.py")
                    continue
                key = (schema, table.name, str(item.name))
                seen.add(key)
                if key not in originals:
                    differences.append(f"{'.'.join(key)}: in tables.py, not in the database")
                    continue
                kind, original = originals[key]
                compared += 1
                if isinstance(item, Index):
                    drop = f"DROP INDEX {quote(schema)}.{quote(item.name)} CASCADE"
                    ddl = str(CreateIndex(item).compile(dialect=DIALECT))
                    args: tuple[str, ...] = (f"{quote(schema)}.{quote(item.name)}",)
                else:
                    drop = f"ALTER TABLE {qualified} DROP CONSTRAINT {quote(item.name)} CASCADE"
                    ddl = str(AddConstraint(item).compile(dialect=DIALECT))
                    args = (qualified, item.name)
                try:
                    with conn.transaction():  # a savepoint, undone below
                        conn.execute(drop)
                        conn.execute(ddl)  # type: ignore[call-overload]
                        row = conn.execute(READ_BACK[kind], args).fetchone()  # type: ignore[call-overload]
                        copy = row[0] if row else "(nothing)"
                        raise _Undo
                except _Undo:
                    pass
                except psycopg.Error as exc:
                    copy = f"(refused: {first_line(exc)})"
                if copy != original:
                    differences.append(f"{'.'.join(key)}: database {original!r}, tables.py {copy!r} from {ddl!r}")
        for key in sorted(originals.keys() - seen):
            differences.append(f"{'.'.join(key)}: {originals[key][1]!r} is missing from tables.py")
        conn.rollback()
    for line in differences:
        print(line)
    print(f"{compared} indexes and constraints compared, {len(differences)} differences")
    return 1 if differences else 0


class _Undo(Exception):
    """Leaves a savepoint by rolling it back."""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
