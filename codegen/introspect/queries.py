"""Prepare every query of queries/*.sql on the database and read PostgreSQL's description of it:
parameter types, and per result column its type and, where it is a table's column passed
through, that table and column (libpq's ftable/ftablecol). Nothing is executed.

Every query is prepared, so that one run reports every broken one, each at its file:line:col.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import pq
from psycopg.pq.abc import PGresult

from codegen import ir, sqlfile
from codegen.dev import pg
from codegen.errors import QueryError
from codegen.introspect.catalog import TYPES_SQL, Types

_COLUMNS_SQL = """
SELECT c.oid, a.attnum, n.nspname, c.relname, a.attname, a.attnotnull
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attrelid = ANY(%s) AND a.attnum > 0
"""
_FORMAT_SQL = "SELECT t.oid, t.typmod, format_type(t.oid, t.typmod) FROM unnest(%s::oid[], %s::int[]) AS t(oid, typmod)"


def describe(url: str, parsed: sqlfile.Parsed) -> tuple[ir.Described, ...]:
    """The description of each query of `parsed`, in order; QueryError lists every problem
    (the parser's and PostgreSQL's), one line each, sorted by place."""
    problems = list(parsed.problems)
    raw: list[tuple[list[int], list[tuple[str, int, int, int, int]], bool]] = []
    with pg.connect(url) as conn:
        pgconn = conn.pgconn
        for i, query in enumerate(parsed.queries):
            name = f"chatmaps_q{i}".encode()
            res = pgconn.prepare(name, query.sql.encode())
            if res.status != pq.ExecStatus.COMMAND_OK:
                problems.append(_problem(query, res))
                raw.append(([], [], False))
                continue
            d = pgconn.describe_prepared(name)
            params = [d.param_type(j) for j in range(d.nparams)]
            fields = [
                ((d.fname(j) or b"").decode(), d.ftype(j), d.fmod(j), d.ftable(j), d.ftablecol(j))
                for j in range(d.nfields)
            ]
            raw.append((params, fields, d.nfields > 0))
            pgconn.close_prepared(name)
            problems += _shape_problems(query, [f[0] for f in fields])
        if problems:
            raise QueryError("\n".join(p.line() for p in sorted(problems, key=_place)))
        return _resolve(conn, parsed, raw)


def _shape_problems(query: sqlfile.Query, columns: list[str]) -> list[sqlfile.Problem]:
    """What the description shows to be wrong: a :one/:many without rows, two columns of one name."""
    where = f"{query.file}:{query.line}:1"
    if query.kind in ("one", "many") and not columns:
        return [
            sqlfile.Problem(
                where, f"{query.name} is :{query.kind} but returns no rows: use :exec or :execrows, or add RETURNING"
            )
        ]
    if query.kind not in ("one", "many"):
        return []  # its rows, if any, are not read
    seen: set[str] = set()
    for i, described in enumerate(columns, 1):
        if described == "?column?":
            return [sqlfile.Problem(where, f"{query.name}: result column {i} has no name: give it one (AS name)")]
        name = sqlfile.column_name(described)[0]
        if name in seen:
            return [
                sqlfile.Problem(
                    where, f"{query.name} returns two columns named {name}: give one an alias (AS other_{name})"
                )
            ]
        seen.add(name)
    return []


def _place(problem: sqlfile.Problem) -> tuple[Any, ...]:
    file, line, column = problem.where.rsplit(":", 2)
    return file, int(line), int(column)


def _problem(query: sqlfile.Query, res: PGresult) -> sqlfile.Problem:
    """PostgreSQL's message, at its position in the file, with its hint; $n spelled as written."""

    def field(code: pq.DiagnosticField) -> str:
        value = res.error_field(code)
        return value.decode("utf-8", "replace") if value else ""

    message = field(pq.DiagnosticField.MESSAGE_PRIMARY) or "cannot be prepared"
    detail = field(pq.DiagnosticField.MESSAGE_DETAIL)
    hint = field(pq.DiagnosticField.MESSAGE_HINT)
    for p in sorted(query.params, key=lambda p: -p.number):  # $12 before $1
        message = message.replace(f"${p.number}", p.spelled)
    if "could not determine data type of parameter" in message and not hint:
        hint = "give it a type with a cast, e.g. @name::text"
    if detail and "inconsistent types deduced" in message:
        message += f" ({detail})"
    state = field(pq.DiagnosticField.SQLSTATE)
    repeated = [p.spelled for p in query.params if p.uses > 1 and not p.spelled.startswith("$")]
    if repeated and state in ("42883", "42804", "42P08", "42P18"):
        # PostgreSQL typed the parameter at its first use; a later use wanted another type.
        hint = (
            f"{', '.join(repeated)} is used in more than one place, and a parameter has one type: "
            "use two parameters, or cast so that every use takes the same type"
        )
    position = field(pq.DiagnosticField.STATEMENT_POSITION)
    named = [p for p in query.params if p.spelled in message]  # no position, but a parameter named: its first use
    if position:
        where = query.locate(int(position) - 1)
    elif named:
        where = query.locate(named[0].at)
    else:
        where = f"{query.file}:{query.line}:1"
    return sqlfile.Problem(where, f"{query.name}: {message}" + (f" (hint: {hint})" if hint else ""))


def _resolve(
    conn: psycopg.Connection[tuple[Any, ...]],
    parsed: sqlfile.Parsed,
    raw: list[tuple[list[int], list[tuple[str, int, int, int, int]], bool]],
) -> tuple[ir.Described, ...]:
    """Type oids into TypeRefs, (table oid, column number) into names: two catalog reads for all queries."""
    types = Types(conn.execute(TYPES_SQL).fetchall())
    pairs = {(oid, -1) for params, _, _ in raw for oid in params}
    pairs |= {(f[1], f[2]) for _, fields, _ in raw for f in fields}
    ordered = sorted(pairs)
    formatted = {
        (oid, mod): sql
        for oid, mod, sql in conn.execute(_FORMAT_SQL, ([p[0] for p in ordered], [p[1] for p in ordered]))
    }
    tables = sorted({f[3] for _, fields, _ in raw for f in fields if f[3]})
    columns = {
        (oid, num): (f"{schema}.{rel}", att, notnull)
        for oid, num, schema, rel, att, notnull in conn.execute(_COLUMNS_SQL, (tables,))
    }
    out = []
    for params, fields, returns_rows in raw:
        out.append(
            ir.Described(
                tuple(types.ref(oid, -1, formatted[(oid, -1)]) for oid in params),
                tuple(
                    ir.ResultField(
                        name, types.ref(oid, mod, formatted[(oid, mod)]), *columns.get((table, col), ("", "", False))
                    )
                    for name, oid, mod, table, col in fields
                ),
                returns_rows,
            )
        )
    return tuple(out)
