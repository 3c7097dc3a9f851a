"""Is a database what this package was generated for? Its migrations, and the shape of its tables.

Migrations: the set of Atlas revisions applied, against the package's own list.

Shape: a row is (schema, table, column, type, not null) for every column, plus
(schema, enum, "", "enum", labels) for every enum the package loads. The generator reads it
from the scratch database, stores the rows and their hash in the package, and
`check_schema(deep=True)` reads the live database with this same query and hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from .health import Status

ShapeRow = tuple[str, str, str, str, bool | str]

# format_type() qualifies a type name unless it is visible in search_path, so both reads
# run with search_path = pg_catalog: every other type comes out schema-qualified.
SEARCH_PATH_SQL = "SELECT set_config('search_path', 'pg_catalog', true)"
COLUMNS_SQL = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN unnest(%s::text[], %s::text[]) AS wanted(nsp, rel) ON wanted.nsp = n.nspname AND wanted.rel = c.relname
WHERE a.attnum > 0 AND NOT a.attisdropped
ORDER BY 1, 2, 3
"""
ENUMS_SQL = """
SELECT n.nspname, t.typname, '', 'enum', string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_enum e ON e.enumtypid = t.oid
JOIN unnest(%s::text[], %s::text[]) AS wanted(nsp, typ) ON wanted.nsp = n.nspname AND wanted.typ = t.typname
GROUP BY 1, 2
ORDER BY 1, 2
"""


def split(qualified: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """("public.users", ...) -> (["public", ...], ["users", ...]) for the queries' parameters."""
    pairs = [name.split(".", 1) for name in qualified]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def shape_hash(rows: tuple[ShapeRow, ...]) -> str:
    """A digest of the rows, in their order."""
    return hashlib.sha256(json.dumps([list(r) for r in rows]).encode()).hexdigest()[:16]


def differences(expected: tuple[ShapeRow, ...], actual: tuple[ShapeRow, ...]) -> list[str]:
    """What the live database lacks or has differently, one phrase each, expected order."""
    live = {r[:3]: r for r in actual}
    tables = {r[:2] for r in actual}
    found: list[str] = []
    for row in expected:
        schema, name, column, kind, detail = row
        where = f"{schema}.{name}" + (f".{column}" if column else "")
        got = live.get(row[:3])
        if got is None:
            missing = "enum" if kind == "enum" else ("column" if (schema, name) in tables else "table")
            phrase = f"{missing} {schema}.{name} is missing" if missing != "column" else f"column {where} is missing"
            if phrase not in found:
                found.append(phrase)
        elif kind == "enum" and got[4] != detail:
            found.append(f"enum {where} has labels {got[4]} (the package knows {detail})")
        elif got[3] != kind:
            found.append(f"column {where} is {got[3]} (the package expects {kind})")
        elif got[4] != detail:
            found.append(
                f"column {where} is {'NOT NULL' if got[4] else 'nullable'} (the package expects "
                f"{'NOT NULL' if detail else 'nullable'})"
            )
    return found


REVISIONS_EXIST_SQL = "SELECT to_regclass('atlas_schema_revisions.atlas_schema_revisions') IS NOT NULL"
REVISIONS_SQL = "SELECT version, applied = total FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY version"
APPLY = "run `atlas migrate apply --env prod` (or `make migrate`)"


def newest(applied: Mapping[str, bool]) -> str | None:
    """The newest migration applied completely (None if none)."""
    return max((v for v, complete in applied.items() if complete), default=None)


def migration_state(applied: Mapping[str, bool], expected: tuple[str, ...], where: str) -> tuple[Status, str | None]:
    """Compare the revisions applied to a database (version -> complete) with the package's migrations."""
    done = {v for v, complete in applied.items() if complete}
    failed = sorted(v for v, complete in applied.items() if not complete)
    if failed:
        return "diverged", f"database {where}: migration {failed[0]} failed partway: fix it, then {APPLY}"
    if not done:
        if not expected:
            return "ok", None
        return "unmigrated", f"database {where} has no migrations applied: {APPLY}"
    unknown = sorted(done - set(expected))
    missing = sorted(set(expected) - done)
    newest = expected[-1] if expected else None
    if not unknown and not missing:
        return "ok", None
    if unknown and not missing and newest is not None and unknown[0] > newest:
        return "ahead", (
            f"database {where} is ahead: it has migration {unknown[-1]}, this package knows up to {newest}: "
            "upgrade chatmaps-db in this service"
        )
    if missing and not unknown and missing[0] > max(done):
        return "behind", (
            f"database {where} is behind: {len(missing)} migration(s) of this package not applied "
            f"(from {missing[0]} to {missing[-1]}): {APPLY}"
        )
    if unknown:
        return "diverged", (
            f"database {where} has migration {unknown[0]}, which this package does not know, "
            f"before its newest {newest}: regenerate the package from the migrations that were deployed"
        )
    return "diverged", (
        f"database {where} lacks migration {missing[0]} but has later ones: "
        "apply it out of order with `atlas migrate apply --exec-order non-linear`, or regenerate the package"
    )
