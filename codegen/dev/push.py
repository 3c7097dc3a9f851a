"""`make push`: schema.hcl straight onto a local dev database, with no migration file, for
prototyping (drizzle-kit push, Prisma's db push, Atlas's `schema apply`).

The plan is Atlas's (`schema apply --dry-run`), printed before anything runs. A plan that drops
a schema, a table or a column is refused unless allowed; a database that is not on this
machine is refused unless forced, before any connection is made. The change is not a
migration: `make generate` still has to write one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pglast import ast, parser
from pglast.enums import AlterTableType, ObjectType

from codegen.dev import atlas, hcl_errors
from codegen.dev.pg import atlas_url, remote_hosts
from codegen.errors import DestructiveChange, UsageError
from codegen.paths import shown

_DROPS = {ObjectType.OBJECT_SCHEMA: "schema", ObjectType.OBJECT_TABLE: "table"}


@dataclass(frozen=True)
class Plan:
    """What a push would run: Atlas's SQL, and the statements that drop data."""

    sql: str
    drops: tuple[str, ...]  # "table public.users", "column public.users.image"

    @property
    def empty(self) -> bool:
        return not self.sql


def refuse_remote(url: str, what: str = "push changes a database in place, with no migration") -> None:
    """UsageError unless `url` is a server on this machine (a unix socket or a loopback host)."""
    remote = remote_hosts(url)
    if remote:
        raise UsageError(
            f"{what}, and DATABASE_URL points at {remote[0]}, "
            "not a server on this machine: use your local dev database (unset DATABASE_URL), "
            "or FORCE=1 if you mean it"
        )


def plan(url: str, schema: Path, dev_url: str) -> Plan:
    """Atlas's plan for bringing `url` to `schema` (no change made)."""
    hcl_errors.check(schema, shown(schema))
    proc = atlas.run(*_apply_args(url, schema, dev_url), "--dry-run")
    sql = _statements(proc.stdout)
    return Plan(sql, tuple(drops(sql)))


def apply(url: str, schema: Path, dev_url: str, planned: Plan, *, allow_destructive: bool) -> None:
    """Run the plan with Atlas, unless it drops data and that is not allowed."""
    if planned.drops and not allow_destructive:
        more = f" (and {len(planned.drops) - 1} more)" if len(planned.drops) > 1 else ""
        raise DestructiveChange(
            f"the push would drop {planned.drops[0]}{more}, and its data with it: "
            "run `make push ALLOW_DESTRUCTIVE=1` if you mean it"
        )
    atlas.run(*_apply_args(url, schema, dev_url), "--auto-approve")


def _apply_args(url: str, schema: Path, dev_url: str) -> tuple[str, ...]:
    return (
        *("schema", "apply", "--url", atlas_url(url), "--to", f"file://{schema.resolve()}"),
        *("--dev-url", atlas_url(dev_url), "--exclude", "atlas_schema_revisions"),
    )


def _statements(output: str) -> str:
    """The SQL of Atlas's dry-run output ("-- Planned Changes:", then "-- comment" and statement
    lines), or "" for its "Schema is synced, no changes to be made"."""
    if output.lstrip().startswith("Schema is synced"):
        return ""
    lines = [ln for ln in output.splitlines() if ln.strip() and not ln.startswith("-- ")]
    return "\n".join(lines).strip()


def drops(sql: str) -> list[str]:
    """What the statements drop that holds data: schemas, tables, columns (pglast's parse)."""
    found: list[str] = []
    for raw in parser.parse_sql(sql) if sql else ():
        stmt = raw.stmt
        if isinstance(stmt, ast.DropStmt) and stmt.removeType in _DROPS:
            for obj in stmt.objects or ():
                names = [str(n.sval) for n in obj] if isinstance(obj, tuple) else [str(obj.sval)]
                found.append(f"{_DROPS[stmt.removeType]} {'.'.join(names)}")
        if isinstance(stmt, ast.AlterTableStmt) and stmt.relation is not None:
            table = ".".join(filter(None, (stmt.relation.schemaname, stmt.relation.relname)))
            for cmd in stmt.cmds or ():
                if isinstance(cmd, ast.AlterTableCmd) and cmd.subtype == AlterTableType.AT_DropColumn:
                    found.append(f"column {table}.{cmd.name}")
    return found
