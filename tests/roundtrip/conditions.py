"""Every where= operator over one column of each type and an array column of each (the schema of
param_types.py, plus a row of NULLs): the rows the table layer returns for a condition, and for its
negation (~), are the rows PostgreSQL returns for the same condition written by hand, NULLs included
(three-valued logic: NOT (x = 1) leaves out the rows where x is NULL).

Operands are the rows' own values as the layer loaded them, sent back as parameters; the hand-written
SQL reads the same values with a subquery, so a value that does not survive the round trip is a failure.

`python conditions.py URL` runs inside the package (cwd) and prints one line per column:
`column  Family op=ok op=FAIL ...`, then the failures.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

from param_types import TABLE, TYPES

Q = f'"{TABLE}"'


def run(url: str) -> int:
    import psycopg
    from psycopg.types.multirange import Multirange
    from psycopg.types.range import Range

    import chatmaps_db._where as w
    from chatmaps_db import Database, any_of

    db = Database(url)
    table = db.typed_params
    raw = psycopg.connect(url, autocommit=True)
    raw.execute(f"INSERT INTO {Q} (id) VALUES (4)")  # every other column NULL
    rows = {r.id: r for r in table.list(order_by="id")}
    assert sorted(rows) == [1, 2, 3, 4], sorted(rows)
    failures: list[str] = []
    report: list[str] = []

    def pg_ids(condition: str) -> list[int]:
        sql = f"SELECT id FROM {Q} WHERE {condition} ORDER BY id"
        return [r[0] for r in raw.execute(sql)]  # no parameters: psycopg leaves a % alone

    def value(sql_column: str, row: int) -> str:
        return f"(SELECT {sql_column} FROM {Q} WHERE id = {row})"

    def check(column: str, name: str, condition: Any, sql: str) -> str:
        try:
            got = sorted(r.id for r in table.list(condition))
            got_not = sorted(r.id for r in table.list(~condition))
            counted = table.count(condition)
        except Exception as exc:
            failures.append(f"{column} {name}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            return f"{name}=FAIL"
        want, want_not = pg_ids(sql), pg_ids(f"NOT ({sql})")
        if (got, got_not, counted) != (want, want_not, len(want)):
            failures.append(f"{column} {name}: layer {got} / NOT {got_not}, PostgreSQL {want} / NOT {want_not}")
            return f"{name}=FAIL"
        return f"{name}=ok"

    def like_literal(sql_text: str) -> str:
        """PostgreSQL's own escaping of a text for LIKE: what starts_with/ends_with/contains do in Python."""
        return f"replace(replace(replace({sql_text}, '\\', '\\\\'), '%', '\\%'), '_', '\\_')"

    columns = [c for name, _, _ in TYPES for c in (f"v_{name}", f"a_{name}")] + ["m_int4", "m_int8"]
    for column in columns:
        col = getattr(table.c, column)
        q = f'"{column}"'
        v = {i: getattr(rows[i], column) for i in (1, 2, 3)}
        cases: list[tuple[str, Any, str]] = [
            ("is_null", col.is_null(), f"{q} IS NULL"),
            ("is_not_null", col.is_not_null(), f"{q} IS NOT NULL"),
        ]
        known = [i for i in (1, 2, 3) if v[i] is not None]
        if isinstance(col, w.Column | w.Array):
            for i in known:
                cases += [
                    (f"eq{i}", col.eq(v[i]), f"{q} = {value(q, i)}"),
                    (f"ne{i}", col.ne(v[i]), f"{q} <> {value(q, i)}"),
                ]
            cases.append(("or", col.is_null() | col.eq(v[known[0]]), f"{q} IS NULL OR {q} = {value(q, known[0])}"))
        if isinstance(col, w.Column):
            i = known[-1]
            some = ", ".join(str(j) for j in known[::2])
            cases += [
                ("distinct_from", col.distinct_from(v[i]), f"{q} IS DISTINCT FROM {value(q, i)}"),
                ("in", col.in_([v[j] for j in known[::2]]), f"{q} IN (SELECT {q} FROM {Q} WHERE id IN ({some}))"),
                ("not_in", col.not_in([v[j] for j in known[::2]]), f"{q} NOT IN (SELECT {q} FROM {Q} WHERE id IN ({some}))"),
                ("in_empty", col.in_([]), "FALSE"),
            ]  # fmt: skip
        if isinstance(col, w.Ordered):
            for op, sql_op in (("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">=")):
                cases.append(
                    (
                        op,
                        getattr(col, op)(v[2] if v[2] is not None else v[1]),
                        f"{q} {sql_op} {value(q, 2 if v[2] is not None else 1)}",
                    )
                )
            cases.append(("between", col.between(v[1], v[3]), f"{q} BETWEEN {value(q, 1)} AND {value(q, 3)}"))
        if isinstance(col, w.Text):
            for text in ("a", "z", "%", "_", "A", "\\"):
                lit = "'" + text.replace("'", "''") + "'"
                cases += [
                    (f"starts_with({text})", col.starts_with(text), f"{q} LIKE {like_literal(lit)} || '%'"),
                    (f"ends_with({text})", col.ends_with(text), f"{q} LIKE '%' || {like_literal(lit)}"),
                    (f"contains({text})", col.contains(text), f"{q} LIKE '%' || {like_literal(lit)} || '%'"),
                    (f"icontains({text})", col.contains(text, case_insensitive=True), f"{q} ILIKE '%' || {like_literal(lit)} || '%'"),
                    (f"eq_ci({text})", col.eq(text, case_insensitive=True), f"lower({q}) = lower({lit})"),
                ]  # fmt: skip
            cases += [
                ("like", col.like("a%"), f"{q} LIKE 'a%'"),
                ("like_", col.like("_"), f"{q} LIKE '_'"),
                ("ilike", col.ilike("Z%"), f"{q} ILIKE 'Z%'"),
                ("matches", col.matches("^z+$"), f"{q} ~ '^z+$'"),
                ("imatches", col.matches("^Z", case_insensitive=True), f"{q} ~* '^Z'"),
            ]
        if isinstance(col, w.Array):
            cases += [
                ("contains", col.contains(v[1]), f"{q} @> {value(q, 1)}"),
                ("contains2", col.contains(v[2]), f"{q} @> {value(q, 2)}"),
                ("contained_by", col.contained_by(v[3]), f"{q} <@ {value(q, 3)}"),
                ("overlaps", col.overlaps(v[1]), f"{q} && {value(q, 1)}"),
                ("overlaps_none", col.overlaps([]), f"{q} && '{{}}'"),
            ]
        if isinstance(col, w.Jsonb):
            cases += [
                ("contains", col.contains(v[3]), f"{q} @> {value(q, 3)}"),
                ("contains_part", col.contains({"b": {"c": None}}), f"""{q} @> '{{"b": {{"c": null}}}}'"""),
                ("has_key", col.has_key("a"), f"{q} ? 'a'"),
                ("has_key_s", col.has_key("s"), f"{q} ? 's'"),
                ("has_any_keys", col.has_any_keys(["a", "zz"]), f"{q} ?| array['a', 'zz']"),
                ("has_all_keys", col.has_all_keys(["a", "b"]), f"{q} ?& array['a', 'b']"),
            ]
        if isinstance(col, w.Range):
            probe = v[2]
            lower = probe.lower if isinstance(probe, Range) else probe[0].lower
            cases += [
                ("contains_range", col.contains(probe), f"{q} @> {value(q, 2)}"),
                ("contains_value", col.contains(lower), f"{q} @> {value(f'lower({q})', 2)}"),
                ("contained_by", col.contained_by(v[3]), f"{q} <@ {value(q, 3)}"),
                ("overlaps", col.overlaps(probe), f"{q} && {value(q, 2)}"),
            ]
            if isinstance(probe, Multirange):
                cases.append(("contains_range_of", col.contains(probe[0]), f"{q} @> {value(f'range_merge({q})', 2)}"))
        cases.append(("any_of", any_of(*(c for _, c, _ in cases[:3])), " OR ".join(f"({s})" for _, _, s in cases[:3])))
        results = [check(column, name, condition, sql) for name, condition, sql in cases]
        report.append(f"{column:<18} {type(col).__name__:<8} " + " ".join(results))
    raw.execute(f"DELETE FROM {Q} WHERE id = 4")
    print("\n".join(report))
    if failures:
        print("\n".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(run(sys.argv[1]))
    except Exception:
        traceback.print_exc()
        sys.exit(2)
