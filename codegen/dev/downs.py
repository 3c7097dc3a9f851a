"""Down migrations: for each migration, the SQL that takes the schema back to the one before it.

Atlas computes it (`atlas schema diff` from a database at the migration's state to one at the
state before it), `make generate` writes it to migrations/down/<the migration's file name>
for review, and lints it: a statement that drops data (the down of an added column drops the
column, and what was written to it since) is marked `-- atlas:nolint destructive` and listed
in the file's header, and `make migrate-down` refuses it unless ALLOW_DESTRUCTIVE=1. Atlas's
migration directory is the top level of migrations/ only: down/ is not a migration to it.

`make migrate-down` applies the newest applied migration's down script and removes that
migration's row from Atlas's revision table, in one transaction (a file Atlas runs outside a
transaction, `-- atlas:txmode none`, statement by statement and then the row), so `make
migrate` applies it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

from codegen.dev import atlas, lint, pg
from codegen.dev.lint import NOLINT_DESTRUCTIVE, statements, txmode_none
from codegen.errors import CodegenError
from codegen.paths import shown

FOLDER = "down"
DESTRUCTIVE_NOTE = "-- destructive: "
REVISIONS = "atlas_schema_revisions.atlas_schema_revisions"


class DownRefused(CodegenError):
    """make migrate-down cannot, or must not, take the database back."""


def down_path(migration: Path) -> Path:
    return migration.parent / FOLDER / migration.name


def missing(migrations: Path) -> list[Path]:
    """The migrations of `migrations` that have no down script."""
    return [p for p in sorted(migrations.glob("*.sql")) if not down_path(p).is_file()]


def compute(migrations: Path, files: Sequence[Path], server_url: str, dev_url: str) -> dict[Path, str]:
    """{down script path: its text} for `files` (migrations of `migrations`, in order): each is
    Atlas's diff from the schema after the file to the schema before it, linted for data loss."""
    ordered = sorted(migrations.glob("*.sql"))
    out: dict[Path, str] = {}
    with (
        pg.scratch_database(server_url, "chatmaps_down") as before,
        pg.scratch_database(server_url, "chatmaps_up") as after,
    ):
        applied = {before: 0, after: 0}  # files applied to each, from the first

        def bring(url: str, count: int) -> None:
            for path in ordered[applied[url] : count]:
                replay(url, path)
            applied[url] = max(applied[url], count)

        for path in files:
            index = ordered.index(path)
            bring(before, index)
            bring(after, index + 1)
            sql = atlas.schema_diff(pg.atlas_url(after), pg.atlas_url(before), dev_url)
            out[down_path(path)] = _reviewed(path, sql, _unseen(path.read_text()))
    return out


def replay(url: str, path: Path) -> None:
    """Run a migration file on `url` as Atlas would (one transaction, or statement by statement
    for `-- atlas:txmode none`), without Atlas's revision table: a scratch state for a diff.
    In this process: an Atlas apply per file costs a process and its bookkeeping each time."""
    text = path.read_text()
    with psycopg.connect(url, autocommit=txmode_none(text)) as conn:
        for statement in statements(text):
            conn.execute(statement.text)


TODO = "-- TODO: "
# What Atlas CE's schema diff cannot see, so a down script computed from it leaves undone.
_UNSEEN = {
    "CreateFunctionStmt": "function",
    "CreateTrigStmt": "trigger",
    "ViewStmt": "view",
    "CreateSeqStmt": "sequence",
    "CreateDomainStmt": "domain",
    "CreateExtensionStmt": "extension",
    "CreatePolicyStmt": "policy",
    "RuleStmt": "rule",
    "DoStmt": "DO block",
    "GrantStmt": "grant",
    "InsertStmt": "data (INSERT)",
    "UpdateStmt": "data (UPDATE)",
    "DeleteStmt": "data (DELETE)",
}


def _unseen(text: str) -> list[str]:
    """The kinds of thing a migration makes that Atlas's diff does not see (functions, triggers,
    views, data), each once, in order."""
    from pglast import parse_sql
    from pglast.parser import ParseError

    try:
        statements = parse_sql(text)
    except ParseError:
        return []
    return list(
        dict.fromkeys(_UNSEEN[type(raw.stmt).__name__] for raw in statements if type(raw.stmt).__name__ in _UNSEEN)
    )


def _reviewed(path: Path, sql: str, unseen: Sequence[str] = ()) -> str:
    """The down script's file: a header, and each statement that drops data marked and listed; a
    TODO line when the migration makes what Atlas cannot see (migrate-down refuses it until then)."""
    body = "\n".join(line for line in sql.splitlines() if line.strip()) + ("\n" if sql.strip() else "")
    dropped = _destructive(path, body) if body else []
    lines = body.splitlines(keepends=True)
    marked: list[str] = []
    for number, line in enumerate(lines, 1):
        if number in dropped:
            marked.append(NOLINT_DESTRUCTIVE + "\n")
        marked.append(line)
    head = [
        f"-- Down of {path.name}: takes the schema back to the one before it (Atlas's schema diff; review it).",
        "-- `make migrate-down` applies it to the newest applied migration and removes its revision.",
    ]
    head += [f"{DESTRUCTIVE_NOTE}{lines[n - 1].strip()} (its data is lost)" for n in dropped]
    if unseen:
        head.append(
            f"{TODO}{path.name} also makes {', '.join(unseen)}, which Atlas's diff cannot see: write their "
            "undo below, then delete this line (make migrate-down refuses the script until then)."
        )
    if not body:
        head.append("-- Nothing to undo in the schema.")
    return "\n".join(head) + "\n" + "".join(marked)


def _destructive(path: Path, body: str) -> list[int]:
    """Lines of `body` that drop data: the lint's destructive rule as squawk reads it (ban-drop-column,
    -table, -database), and DROP SCHEMA, which squawk has no rule for (PostgreSQL's parser, pglast).
    Atlas's own analyzer would replay every migration first: for a script Atlas itself wrote from
    a diff, whose statements are plain DROPs, squawk's reading is the same answer, in milliseconds."""
    from pglast import ast, parse_sql
    from pglast.enums import ObjectType

    from codegen.dev.lint_rules import BY_CODE
    from codegen.signals import scratch_folder

    with scratch_folder("chatmaps-down-lint-") as tmp:
        trial = Path(tmp) / path.name
        trial.write_text(body)
        lines = {
            line
            for _, line, name in lint._squawk([trial], True)
            if getattr(BY_CODE.get(name), "key", "") == "destructive"
        }
    for raw in parse_sql(body):
        if isinstance(raw.stmt, ast.DropStmt) and raw.stmt.removeType == ObjectType.OBJECT_SCHEMA:
            lines.add(body.count("\n", 0, raw.stmt_location or 0) + 1)
    return sorted(lines)


@dataclass(frozen=True)
class Applied:
    version: str
    script: Path
    statements: int


def migrate_down(migrations: Path, url: str, *, allow_destructive: bool) -> Applied:
    """Apply the newest applied migration's down script to `url` and remove its revision."""
    with pg.connect(url) as conn:
        try:
            row = conn.execute(f"SELECT version FROM {REVISIONS} ORDER BY version DESC LIMIT 1").fetchone()
        except psycopg.errors.UndefinedTable:
            row = None
    if row is None:
        raise DownRefused("no migration is applied there: nothing to take back")
    version = str(row[0])
    found = [
        p for p in sorted(migrations.glob(f"{version}*.sql")) if p.name.split("_", 1)[0].removesuffix(".sql") == version
    ]
    if not found:
        raise DownRefused(
            f"migration {version} is applied there but not in {shown(migrations)}/: check out the branch that has it"
        )
    script = down_path(found[0])
    if not script.is_file():
        raise DownRefused(
            f"{shown(script)} does not exist: run `make generate` (it writes the down script of every migration)"
        )
    text = script.read_text()
    todo = next((line for line in text.splitlines() if line.startswith(TODO)), None)
    if todo is not None:
        raise DownRefused(f"{shown(script)} is not finished: {todo.removeprefix(TODO)}")
    losses = [line.removeprefix(DESTRUCTIVE_NOTE) for line in text.splitlines() if line.startswith(DESTRUCTIVE_NOTE)]
    if losses and not allow_destructive:
        raise DownRefused(
            f"{shown(script)} drops data ({losses[0]}{' and more' if len(losses) > 1 else ''}): "
            "if that is meant, run `make migrate-down ALLOW_DESTRUCTIVE=1`"
        )
    undo = [statement.text for statement in statements(text)]
    outside = txmode_none(text)
    with psycopg.connect(url, autocommit=outside) as conn:
        for statement in undo:
            try:
                conn.execute(statement)
            except psycopg.Error as exc:
                first = statement.strip().splitlines()[0]
                kept = "the statements before it stay applied" if outside else "nothing of it was applied"
                raise DownRefused(
                    f"{shown(script)}: `{first}` failed ({type(exc).__name__}); {kept}, and migration {version} "
                    "is still recorded: fix the script (or the database) and run it again"
                ) from None
        conn.execute(f"DELETE FROM {REVISIONS} WHERE version = %s", [version])
        if not outside:
            conn.commit()
    return Applied(version, script, len(undo))
