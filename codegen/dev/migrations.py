"""The migration workflow: diff schema.hcl into a linted migration, and prove sync.

Atlas does the diffing and linting; this module decides what the user sees and makes
sure a refused migration leaves nothing behind.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from codegen.config import MigrationSettings
from codegen.dev import atlas, hcl_errors, lint
from codegen.dev.lint import NOLINT_DESTRUCTIVE, TXMODE_NONE
from codegen.dev.lint_rules import BY_KEY
from codegen.errors import AtlasFailed, DestructiveChange, MigrationOrder, OutOfSync, UsageError
from codegen.paths import shown
from codegen.signals import scratch_folder

# Atlas names a migration `<UTC time>.sql` in this form; files apply in the order of their names.
VERSION_FORMAT = "%Y%m%d%H%M%S"
# How far ahead of this machine's clock a version may be (another machine's clock, or a second
# generate in the same second, which takes the next second) before it counts as the future.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class DiffResult:
    """What `diff_and_lint` did: the new file, if any (and the files it wrote: a second one holds
    the concurrent index changes), and the lint's report (warnings, honoured opt-outs)."""

    new_file: Path | None
    report: lint.Report = field(default_factory=lint.Report)
    files: tuple[Path, ...] = ()


def _sql_files(migrations: Path) -> set[Path]:
    return set(migrations.glob("*.sql"))


def version(path: Path) -> str:
    """A migration file's version: its name up to the first `_` (or `.sql`)."""
    return path.stem.split("_", 1)[0]


def _parse_version(text: str) -> datetime | None:
    if len(text) != 14 or not text.isdigit():
        return None
    try:
        return datetime.strptime(text, VERSION_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def check_order(migrations: Path, now: datetime | None = None) -> None:
    """Raise MigrationOrder, one line per file, if a migration would sort wrongly against the
    next generated one: its version is not a timestamp like Atlas's, lies in the future, or is
    shared with another file. A generated migration is dated now, so it would apply before a
    future-dated file whose schema it was diffed against."""
    now = now or datetime.now(UTC)
    suggestion = now.strftime(VERSION_FORMAT)
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in sorted(_sql_files(migrations)):
        text = version(path)
        rest = path.name[len(text) :].removeprefix("_") or "migration.sql"
        fix = f"rename it (before it is deployed anywhere) to {suggestion}_{rest} and run `make migrate-hash`"
        when = _parse_version(text)
        if text in seen:
            problems.append(
                f"{shown(path)}: version {text} is also {seen[text].name}'s, and Atlas keeps one version once: {fix}"
            )
        elif when is None:
            problems.append(
                f"{shown(path)}: version {text!r} is not a UTC timestamp (YYYYMMDDHHMMSS), so it sorts out of "
                f"order with generated migrations: {fix}"
            )
        elif when > now + CLOCK_SKEW:
            problems.append(
                f"{shown(path)}: dated {when:%Y-%m-%d %H:%M:%S} UTC, in the future, so the next generated "
                f"migration would apply before it: {fix}"
            )
        seen.setdefault(text, path)
    if problems:
        raise MigrationOrder("\n".join(problems))


def diff_and_lint(
    schema: Path,
    migrations: Path,
    dev_url: str,
    *,
    name: str = "",
    allow_destructive: bool = False,
    allow: str = "",
    settings: MigrationSettings | None = None,
) -> DiffResult:
    """Diff `schema` into a new migration in `migrations` and lint it (lint.py: Atlas and squawk).

    Without `name`, the file is named after its change (`add_places`, `drop_users_bio`). The
    file starts with SET lock_timeout; index changes on tables that already exist go
    CONCURRENTLY into a second file that runs outside a transaction (settings.concurrent_indexes).
    A lint error refuses the migration (the new files are removed and atlas.sum restored) unless
    it is allowed: a destructive change by `allow_destructive` (each such statement is marked
    `-- atlas:nolint destructive`), any other rule by `allow` ("rule[, rule]: reason", written
    above each statement it flags as `-- lint:allow rule: reason`), so the opt-in is in the
    file for review.
    """
    settings = settings or MigrationSettings()
    allowing = _parse_allow(allow)
    if name and not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise UsageError(f"NAME={name!r}: a migration's name is letters, digits and _ (add_users_bio)")
    hcl_errors.check(schema, shown(schema))
    migrations.mkdir(parents=True, exist_ok=True)
    before = {path: path.read_bytes() for path in _sql_files(migrations)}
    atlas.migrate_diff(name, schema, migrations, dev_url)
    added = sorted(_sql_files(migrations) - before.keys())
    for path, text in before.items():
        if path.read_bytes() != text:  # the same NAME in the same second: Atlas wrote over it
            added.append(path.rename(path.with_name(f"new-{path.name}")))
            path.write_bytes(text)
    if not added:
        return DiffResult(None)
    new_file = _rename(added[-1], set(before), name, migrations)
    written = [new_file]
    atlas_sql = new_file.read_text()
    try:
        written = _shape(new_file, settings, name)
        atlas.migrate_hash(migrations)
        try:
            report = lint.lint(written, migrations, dev_url)
        except AtlasFailed:
            if written == [new_file] and lint.txmode_none(new_file.read_text()) is False:
                raise  # nothing was moved: the failure is the migration's own
            # The moved index is needed where it was (a foreign key on a new unique index), or
            # cannot be built CONCURRENTLY (a partitioned table): as Atlas wrote it, then; the lint
            # says what that costs.
            for path in written:
                path.unlink()
            new_file.write_text(atlas_sql)
            written = _shape(new_file, replace(settings, concurrent_indexes=False), name)
            atlas.migrate_hash(migrations)
            report = lint.lint(written, migrations, dev_url)
        new_file = written[0]
        if (allow_destructive or allowing) and _mark(report, allow_destructive, allowing):
            atlas.migrate_hash(migrations)
            report = lint.lint(written, migrations, dev_url)
    except Exception:
        _discard(written, migrations)
        raise
    errors = report.errors
    destructive = [p for p in errors if p.rule.key == "destructive"]
    if destructive:
        _discard(written, migrations)
        first = destructive[0]
        codes = ", ".join(s.removeprefix("atlas ") for s in first.sources if s.startswith("atlas ")) or "squawk"
        said = f"{first.detail} ({codes}) in " if first.detail else f"({codes}) "
        raise DestructiveChange(
            f"{shown(schema)}: the new migration would drop data: {said}`{first.statement}`; "
            "no migration was written. If the loss is intended, run "
            f"`make generate {f'NAME={name} ' if name else ''}ALLOW_DESTRUCTIVE=1`"
        )
    if errors:
        _discard(written, migrations)
        keys = sorted({p.rule.key for p in errors})
        report.raise_errors(
            by_statement=True,
            after=f"no migration was written: change {shown(schema)} (the fixes above), or if it is safe here, "
            f"`make generate ALLOW='{', '.join(keys)}: <why it is safe>'`",
        )
    return DiffResult(new_file, report, tuple(written))


def _parse_allow(allow: str) -> dict[str, str]:
    """ALLOW="rule[, rule]: reason" -> {rule: reason}; a rule the table lacks or no reason is refused."""
    if not allow.strip():
        return {}
    if "\n" in allow or "\r" in allow:
        raise UsageError("ALLOW=...: the reason goes on one comment line: write it without line breaks")
    rules, _, reason = allow.partition(":")
    keys = [k.strip() for k in rules.split(",") if k.strip()]
    if not keys or not reason.strip():
        raise UsageError(f"ALLOW={allow!r}: say which rules and why, as ALLOW='rule[, rule]: why it is safe here'")
    for key in keys:
        if key not in BY_KEY or key == "destructive":
            hint = "ALLOW_DESTRUCTIVE=1 allows dropping data" if key == "destructive" else "the lint report names rules"
            raise UsageError(f"ALLOW={allow!r}: {key!r} is not a rule ALLOW takes ({hint})")
    return dict.fromkeys(keys, reason.strip())


def _mark(report: lint.Report, allow_destructive: bool, allowing: dict[str, str]) -> bool:
    """Write the opt-out above each statement with an error the caller allowed; whether any was."""
    marks: dict[Path, dict[int, list[str]]] = {}
    for problem in report.errors:
        key = problem.rule.key
        if key == "destructive" and allow_destructive:
            line = NOLINT_DESTRUCTIVE
        elif key in allowing:
            line = f"{lint.ALLOW} {key}: {allowing[key]}"
        else:
            continue
        marks.setdefault(problem.path, {}).setdefault(problem.line, []).append(line)
    for path, by_line in marks.items():
        out: list[str] = []
        for number, text in enumerate(path.read_text().splitlines(keepends=True), start=1):
            out += [mark + "\n" for mark in by_line.get(number, [])]
            out.append(text)
        path.write_text("".join(out))
    return bool(marks)


LOCK_TIMEOUT_NOTE = (
    "-- A statement that waits longer than this for a lock fails, and the file rolls back, instead of "
    "queueing every query on its table behind it ([tool.codegen.migrations] lock_timeout in pyproject.toml)."
)
CONCURRENT_NOTE = (
    "-- CONCURRENTLY blocks no reads or writes, but waits for the transactions older than it to end: "
    "a lock_timeout would cancel that wait and leave an INVALID index, so there is none here."
)


def _shape(new_file: Path, settings: MigrationSettings, name: str) -> list[Path]:
    """Atlas's new file as `make generate` writes it: backslashes escaped, lock_timeout first, and
    index changes on existing tables moved CONCURRENTLY into a file of their own (one second later;
    without `name`, each file named after what it holds). Returns the files, in order."""
    sql = escape_backslashes(new_file.read_text())
    moved = split_concurrent(sql) if settings.concurrent_indexes else None
    if moved is None:
        new_file.write_text(_locked(sql, settings))
        return [new_file]
    rest, concurrent = moved
    text = f"{TXMODE_NONE}\n\n{CONCURRENT_NOTE}\nSET lock_timeout = 0;\n{concurrent}"
    if not any(line.strip() and not line.startswith("--") for line in rest.splitlines()):
        new_file.write_text(text)  # nothing else in it: the file itself runs outside a transaction
        return [new_file]
    stamp = version(new_file)
    when = _parse_version(stamp)
    assert when is not None  # _rename made it one
    later = (when + timedelta(seconds=1)).strftime(VERSION_FORMAT)
    if name:
        first, second = new_file, new_file.with_name(f"{later}_{name}_concurrently.sql")
    else:
        from codegen.dev.migration_name import name_from_sql

        first = new_file.with_name(f"{stamp}_{name_from_sql(rest)}.sql")
        second = new_file.with_name(f"{later}_{name_from_sql(concurrent)}.sql")
        new_file.rename(first)
    first.write_text(_locked(rest, settings))
    second.write_text(text)
    return [first, second]


def _locked(sql: str, settings: MigrationSettings) -> str:
    return f"{LOCK_TIMEOUT_NOTE}\nSET lock_timeout = '{settings.lock_timeout}';\n{sql}"


def split_concurrent(sql: str) -> tuple[str, str] | None:
    """`sql` without its CREATE INDEX and DROP INDEX statements on tables it does not create itself,
    and those statements made CONCURRENTLY (each with the comment lines above it); None when
    there is none. Statements are found by PostgreSQL's own parser (pglast), CONCURRENTLY placed
    after the INDEX keyword by its lexer."""
    # Imported here: pglast's parser costs 0.1 s, and only a new migration needs it.
    from pglast import ast, parse_sql
    from pglast.enums import ObjectType
    from pglast.parser import scan

    statements = parse_sql(sql)

    def table(relation: ast.RangeVar | None) -> tuple[str, str] | None:
        return None if relation is None else (relation.schemaname or "public", relation.relname or "")

    created = {table(raw.stmt.relation) for raw in statements if isinstance(raw.stmt, ast.CreateStmt)}
    lines = sql.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    moving: set[int] = set()
    out: list[str] = []
    moved: set[str] = set()  # the indexes moved: their COMMENT ON INDEX, which Atlas writes after, goes too
    for raw in statements:
        node = raw.stmt
        comment = None
        if isinstance(node, ast.IndexStmt):
            if node.concurrent or table(node.relation) in created:
                continue
        elif isinstance(node, ast.CommentStmt) and node.objtype == ObjectType.OBJECT_INDEX:
            parts = node.object if isinstance(node.object, tuple) else getattr(node.object, "items", None) or ()
            names = [getattr(part, "sval", "") for part in parts]
            if not names or names[-1] not in moved:
                continue
            comment = names[-1]
        elif not (
            isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX and not node.concurrent
        ):
            continue
        begin = raw.stmt_location or 0
        end = begin + (raw.stmt_len or len(sql) - begin)
        top = max(i for i, s in enumerate(starts[:-1]) if s <= begin)
        last = max(i for i, s in enumerate(starts[:-1]) if s <= end)
        if starts[top] != begin or lines[last][end - starts[last] :].strip() != ";":
            continue  # shares a line with another statement: left where it is (the lint says so)
        first = top
        while first > 0 and lines[first - 1].startswith("--") and first - 1 not in moving:
            first -= 1  # its comment lines (Atlas's "-- Create index ...") go with it
        text = sql[begin:end]
        comments = "".join(lines[first:top])
        if comment is None:
            keyword = next(token for token in scan(text) if token.name == "INDEX")
            text = f"{text[: keyword.end + 1]} CONCURRENTLY{text[keyword.end + 1 :]}"
            if isinstance(node, ast.IndexStmt) and node.idxname:
                moved.add(node.idxname)
        out.append(f"{comments}{text};\n")
        moving.update(range(first, last + 1))
    if not moving:
        return None
    return "".join(line for i, line in enumerate(lines) if i not in moving), "".join(out)


def escape_backslashes(sql: str) -> str:
    """`sql` with each plain string literal that holds a backslash ('ends in \\') written as the
    same value in escape syntax (E'ends in \\\\'). PostgreSQL reads both alike; Atlas's lint
    takes \\' for an escaped quote and stops at "unclosed quote" (a comment ending in a
    backslash did that). The literals are found by PostgreSQL's own lexer (pglast's scan), so
    comments, quoted names, dollar-quoted bodies and E'' strings stay as they are."""
    if "\\" not in sql:
        return sql
    # Imported here: pglast's parser costs 0.1 s, and only such a migration needs it.
    from pglast.parser import scan

    out: list[str] = []
    done = 0
    for token in scan(sql):
        literal = sql[token.start : token.end + 1]
        if token.name == "SCONST" and literal.startswith("'") and "\\" in literal:
            out += [sql[done : token.start], "E" + literal.replace("\\", "\\\\")]
            done = token.end + 1
    return "".join([*out, sql[done:]])


def _rename(new_file: Path, existing: set[Path], name: str, migrations: Path) -> Path:
    """Atlas's `<version>[_name].sql` -> `<unique version>_<name or change>.sql`, atlas.sum to match.

    Atlas dates a file to the second, so a second generate in the same second would overwrite
    the first one's file: the version becomes one second after the latest when it is not later."""
    stamp = version(new_file).removeprefix("new-")
    latest = max((v for v in map(_parse_version, map(version, existing)) if v is not None), default=None)
    when = _parse_version(stamp)
    if latest is not None and when is not None and when <= latest:
        stamp = (latest + timedelta(seconds=1)).strftime(VERSION_FORMAT)
    if not name:
        # Imported here: pglast's parser costs 0.1 s, and only a new migration needs it.
        from codegen.dev.migration_name import name_from_sql

        name = name_from_sql(new_file.read_text())
    named = new_file.with_name(f"{stamp}_{name}.sql")
    if named != new_file:
        new_file.rename(named)
        atlas.migrate_hash(migrations)
    return named


def _discard(new_files: list[Path], migrations: Path) -> None:
    """Remove a refused migration's files and restore atlas.sum: schema.hcl itself is untouched."""
    for path in new_files:
        path.unlink(missing_ok=True)
    atlas.migrate_hash(migrations)


def pending_sql(schema: Path, migrations: Path, dev_url: str) -> str:
    """The SQL a new migration would hold if `make generate` ran now; empty when in sync."""
    with scratch_folder("chatmaps-sync-") as tmp:
        copy = Path(tmp) / "migrations"
        if migrations.exists():
            shutil.copytree(migrations, copy)
        before = _sql_files(copy)
        atlas.migrate_diff("pending", schema, copy, dev_url)
        added = sorted(_sql_files(copy) - before)
        return "".join(p.read_text() for p in added)


def check(schema: Path, migrations: Path, dev_url: str) -> None:
    """Raise OutOfSync unless atlas.sum is valid and migrations/ matches schema.hcl (and
    MigrationOrder if a file would sort out of order)."""
    check_order(migrations)
    hcl_errors.check(schema, shown(schema))
    atlas.migrate_validate(migrations, dev_url)
    pending = pending_sql(schema, migrations, dev_url)
    if pending:
        first = next((ln for ln in pending.splitlines() if ln and not ln.startswith("--")), "")
        raise OutOfSync(
            f"{shown(migrations)} is behind {shown(schema)} (next: `{first}`): run `make generate` and commit"
        )
