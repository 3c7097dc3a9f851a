"""The migration workflow: diff schema.hcl into a linted migration, and prove sync.

Atlas does the diffing and linting; this module decides what the user sees and makes
sure a refused migration leaves nothing behind.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from codegen.dev import atlas
from codegen.errors import DestructiveChange, OutOfSync
from codegen.paths import ROOT

NOLINT_DESTRUCTIVE = "-- atlas:nolint destructive"


@dataclass(frozen=True)
class DiffResult:
    """What `diff_and_lint` did: the new file, if any, and non-blocking lint warnings."""

    new_file: Path | None
    warnings: tuple[atlas.Finding, ...] = ()


def _sql_files(migrations: Path) -> set[Path]:
    return set(migrations.glob("*.sql"))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def diff_and_lint(
    schema: Path, migrations: Path, dev_url: str, *, name: str = "", allow_destructive: bool = False
) -> DiffResult:
    """Diff `schema` into a new migration in `migrations` and lint it.

    Without `name`, the file is named after its change (`add_places`, `drop_users_bio`).
    A destructive change is refused (the new file is removed and atlas.sum restored)
    unless `allow_destructive`, in which case each flagged statement is marked with
    `-- atlas:nolint destructive`, so the opt-in is recorded in the file for review.
    """
    migrations.mkdir(parents=True, exist_ok=True)
    before = _sql_files(migrations)
    atlas.migrate_diff(name, schema, migrations, dev_url)
    added = sorted(_sql_files(migrations) - before)
    if not added:
        return DiffResult(None)
    new_file = added[-1]
    if not name:
        new_file = _name_after_change(new_file, migrations)
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
            f"{_display(schema)}: the new migration would drop data: {first.text} ({first.code}) in "
            f"`{first.statement}`; no migration was written. If the loss is intended, run "
            f"`make generate {f'NAME={name} ' if name else ''}ALLOW_DESTRUCTIVE=1`"
        )
    if destructive:
        _mark_nolint(new_file, {f.line for f in destructive})
        atlas.migrate_hash(migrations)
    return DiffResult(new_file, tuple(f for f in findings if not f.destructive))


def _name_after_change(new_file: Path, migrations: Path) -> Path:
    """`<version>.sql` -> `<version>_<change>.sql`, with atlas.sum rewritten to match."""
    # Imported here: pglast's parser costs 0.1 s, and only a new migration needs it.
    from codegen.dev.migration_name import name_from_sql

    named = new_file.with_name(f"{new_file.stem}_{name_from_sql(new_file.read_text())}.sql")
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
    with tempfile.TemporaryDirectory(prefix="chatmaps-sync-") as tmp:
        copy = Path(tmp) / "migrations"
        if migrations.exists():
            shutil.copytree(migrations, copy)
        before = _sql_files(copy)
        atlas.migrate_diff("pending", schema, copy, dev_url)
        added = sorted(_sql_files(copy) - before)
        return "".join(p.read_text() for p in added)


def check(schema: Path, migrations: Path, dev_url: str) -> None:
    """Raise OutOfSync unless atlas.sum is valid and migrations/ matches schema.hcl."""
    atlas.migrate_validate(migrations, dev_url)
    pending = pending_sql(schema, migrations, dev_url)
    if pending:
        first = next((ln for ln in pending.splitlines() if ln and not ln.startswith("--")), "")
        raise OutOfSync(
            f"{_display(migrations)} is behind {_display(schema)} (next: `{first}`): run `make generate` and commit"
        )
