"""The migration workflow: diff schema.hcl into a linted migration, and prove sync.

Atlas does the diffing and linting; this module decides what the user sees and makes
sure a refused migration leaves nothing behind.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from codegen.dev import atlas, hcl_errors
from codegen.errors import DestructiveChange, MigrationOrder, OutOfSync
from codegen.paths import shown
from codegen.signals import scratch_folder

NOLINT_DESTRUCTIVE = "-- atlas:nolint destructive"
# Atlas names a migration `<UTC time>.sql` in this form; files apply in the order of their names.
VERSION_FORMAT = "%Y%m%d%H%M%S"
# How far ahead of this machine's clock a version may be (another machine's clock, or a second
# generate in the same second, which takes the next second) before it counts as the future.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class DiffResult:
    """What `diff_and_lint` did: the new file, if any, and non-blocking lint warnings."""

    new_file: Path | None
    warnings: tuple[atlas.Finding, ...] = ()


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
    schema: Path, migrations: Path, dev_url: str, *, name: str = "", allow_destructive: bool = False
) -> DiffResult:
    """Diff `schema` into a new migration in `migrations` and lint it.

    Without `name`, the file is named after its change (`add_places`, `drop_users_bio`).
    A destructive change is refused (the new file is removed and atlas.sum restored)
    unless `allow_destructive`, in which case each flagged statement is marked with
    `-- atlas:nolint destructive`, so the opt-in is recorded in the file for review.
    """
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
    sql = new_file.read_text()
    escaped = escape_backslashes(sql)
    if escaped != sql:  # Atlas's own lint cannot read the file it wrote: say the same as E'...'
        new_file.write_text(escaped)
        atlas.migrate_hash(migrations)
    try:
        findings = atlas.migrate_lint_latest(migrations, dev_url)
    except Exception:
        _discard(new_file, migrations)
        raise
    destructive = [f for f in findings if f.destructive]
    if destructive and not allow_destructive:
        _discard(new_file, migrations)
        first = destructive[0]
        raise DestructiveChange(
            f"{shown(schema)}: the new migration would drop data: {first.text} ({first.code}) in "
            f"`{first.statement}`; no migration was written. If the loss is intended, run "
            f"`make generate {f'NAME={name} ' if name else ''}ALLOW_DESTRUCTIVE=1`"
        )
    if destructive:
        _mark_nolint(new_file, {f.line for f in destructive})
        atlas.migrate_hash(migrations)
    return DiffResult(new_file, tuple(f for f in findings if not f.destructive))


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


def _discard(new_file: Path, migrations: Path) -> None:
    """Remove a refused migration and restore atlas.sum: schema.hcl itself is untouched."""
    new_file.unlink(missing_ok=True)
    atlas.migrate_hash(migrations)


def _mark_nolint(path: Path, lines: set[int]) -> None:
    """Put the destructive opt-in directive above each flagged statement."""
    out: list[str] = []
    for number, line in enumerate(path.read_text().splitlines(keepends=True), start=1):
        if number in lines:
            out.append(NOLINT_DESTRUCTIVE + "\n")
        out.append(line)
    path.write_text("".join(out))


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
