"""`make push` (python -m codegen push): schema.hcl straight onto a dev database, through Atlas's
schema apply, on a real server: a new column; a destructive change refused, then allowed; a
database not on this machine refused before any connection."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen.dev import atlas, pg, push
from codegen.errors import UsageError
from codegen.paths import MIGRATIONS, ROOT, SCHEMA

TAIL = "It is not a migration yet: run `make generate NAME=...` to write one before you commit"


@pytest.fixture
def migrated(server: pg.Server) -> Iterator[str]:
    with pg.scratch_database(server.url, "push") as url:
        atlas.migrate_apply(MIGRATIONS, url)
        yield url


def with_nickname(tmp_path: Path) -> Path:
    """schema.hcl with one more column on users."""
    text = SCHEMA.read_text()
    anchor = '  column "image" {'
    assert anchor in text
    changed = tmp_path / "schema.hcl"
    changed.write_text(
        text.replace(anchor, '  column "nickname" {\n    null = true\n    type = text\n  }\n' + anchor, 1)
    )
    return changed


def codegen_push(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegen", "push", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )


def columns(url: str) -> list[str]:
    with pg.connect(url) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position"
        ).fetchall()
    return [str(r[0]) for r in rows]


def test_push_a_new_column_then_a_destructive_change_refused_then_allowed(migrated: str, tmp_path: Path) -> None:
    added = codegen_push(migrated, "--schema", str(with_nickname(tmp_path)))
    assert added.returncode == 0, added.stderr
    lines = added.stdout.splitlines()
    assert lines[0] == f"-- the plan for {migrated}:"
    assert lines[1] == 'ALTER TABLE "public"."users" ADD COLUMN "nickname" text NULL;'
    assert TAIL in lines[2]
    assert "nickname" in columns(migrated)

    # Back to schema.hcl: the plan drops the column, so it is refused and nothing changes.
    refused = codegen_push(migrated)
    assert refused.returncode == 1
    assert refused.stdout.splitlines()[1] == 'ALTER TABLE "public"."users" DROP COLUMN "nickname";'
    assert refused.stderr == (
        "error: the push would drop column public.users.nickname, and its data with it: "
        "run `make push ALLOW_DESTRUCTIVE=1` if you mean it\n"
    )
    assert "nickname" in columns(migrated)

    allowed = codegen_push(migrated, "--allow-destructive")
    assert allowed.returncode == 0, allowed.stderr
    assert "nickname" not in columns(migrated)
    # Back where migrations/ leaves a database: nothing to write down, and it says so.
    assert TAIL not in allowed.stdout
    assert allowed.stdout.splitlines()[-1] == (
        f"pushed schema.hcl to {migrated}, which now matches migrations/ again: there is no change to write as a migration"
    )
    again = codegen_push(migrated)
    assert (again.returncode, again.stdout) == (0, f"schema.hcl and {migrated} already match: nothing to push\n")


def test_a_database_not_on_this_machine_is_refused_before_connecting() -> None:
    # db.example.com does not resolve here: a refusal after connecting would say so instead.
    refused = codegen_push("postgresql://app:s3cret@db.example.com:5432/chatmaps")
    assert refused.returncode == 1
    assert refused.stderr == (
        "error: push changes a database in place, with no migration, and DATABASE_URL points at db.example.com, "
        "not a server on this machine: use your local dev database (unset DATABASE_URL), or FORCE=1 if you mean it\n"
    )
    for local in ("postgresql://app@localhost/x", "postgresql://app@127.0.0.1:5433/x", "postgresql://a@/x?host=/tmp"):
        push.refuse_remote(local)  # no error
    with pytest.raises(UsageError, match=r"points at 10\.0\.0\.5,"):
        push.refuse_remote("postgresql://a@/x?host=/tmp,10.0.0.5")


def test_drops_are_read_from_the_plan() -> None:
    sql = (
        'DROP SCHEMA "old" CASCADE;\nDROP TABLE "public"."t";\nALTER TABLE "public"."u" DROP COLUMN "c", '
        'ADD COLUMN "d" int;\nDROP INDEX "i";\nALTER TABLE "public"."u" ALTER COLUMN "e" SET NOT NULL;'
    )
    assert push.drops(sql) == ["schema old", "table public.t", "column public.u.c"]
