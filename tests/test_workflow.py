"""The migration workflow when people and clocks disagree: two generates at once, a file
dated in the future or out of order, two migrations in the same second, and a package made
--from-url another database (which must not take this project's configuration)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from codegen.dev import atlas, migrations, pg
from codegen.dev.lock import project_lock
from codegen.errors import MigrationOrder
from codegen.paths import ROOT
from tests.package_checks import generate_from_url, models_source

NOTES_TABLE = """
table "notes" {
  schema = schema.public
  column "id" {
    null = false
    type = integer
  }
  column "body" {
    null = true
    type = text
  }
  primary_key {
    columns = [column.id]
  }
}
"""
NOTES_SQL = 'CREATE TABLE "public"."notes" ("id" integer NOT NULL, PRIMARY KEY ("id"));\n'


def _codegen(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "codegen", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _version(when: datetime) -> str:
    return when.strftime(migrations.VERSION_FORMAT)


def _add_bio(schema: Path) -> None:
    bio = 'column "bio" {\n    type = text\n    null = true\n  }\n  column "image" {'
    schema.write_text(schema.read_text().replace('column "image" {', bio, 1))


def test_two_generates_at_once_write_one_migration(
    project_copy: tuple[Path, Path], tmp_path: Path, dev_url: str
) -> None:
    """The second waits for the first (saying so), then finds schema.hcl already migrated."""
    schema, migration_dir = project_copy
    _add_bio(schema)
    before = sorted(p.name for p in migration_dir.glob("*.sql"))
    args = ("update", "--schema", str(schema), "--migrations", str(migration_dir))
    with project_lock(migration_dir.parent, "the test"):  # both start while the project is busy
        procs = [_codegen(*args, "--out", str(tmp_path / f"out{i}")) for i in range(2)]
        while any("waiting" not in _stderr_so_far(p) for p in procs):
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            time.sleep(0.1)
    results = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    for proc in procs:
        assert _stderr_so_far(proc).rstrip("\n") == (
            f"make generate: waiting for another make generate, migrate-hash or golden in {migration_dir.parent} to finish"
        )
    outs = [out for out, _ in results]
    assert sorted(" unchanged: " in out for out in outs) == [False, True]  # one of them wrote the migration
    assert sorted(out.startswith("wrote ") for out in outs) == [False, True]
    added = sorted(set(p.name for p in migration_dir.glob("*.sql")) - set(before))
    assert len(added) == 1 and added[0].endswith("_add_users_bio.sql")
    migrations.check(schema, migration_dir, dev_url)


_STDERR: dict[int, str] = {}


def _stderr_so_far(proc: subprocess.Popen[str]) -> str:
    """The first line a running process wrote to stderr (it writes one, then waits)."""
    if proc.pid not in _STDERR:
        assert proc.stderr is not None
        _STDERR[proc.pid] = proc.stderr.readline()
    return _STDERR[proc.pid]


def test_a_migration_dated_after_now_still_sorts_before_the_next_generated_one(
    project_copy: tuple[Path, Path], dev_url: str, fresh_db: str
) -> None:
    """A hand-written file two minutes ahead (another machine's clock): the generated migration
    that builds on it takes a later version, and the directory applies in order."""
    schema, migration_dir = project_copy
    ahead = datetime.now(UTC) + timedelta(minutes=2)
    hand = migration_dir / f"{_version(ahead)}_notes.sql"
    hand.write_text(NOTES_SQL)
    atlas.migrate_hash(migration_dir)
    schema.write_text(schema.read_text() + NOTES_TABLE)
    result = migrations.diff_and_lint(schema, migration_dir, dev_url)
    assert result.new_file is not None
    assert result.new_file.name == f"{_version(ahead + timedelta(seconds=1))}_add_notes_body.sql"
    assert 'ADD COLUMN "body" text NULL' in result.new_file.read_text()
    atlas.migrate_apply(migration_dir, fresh_db)  # before: the ALTER ran before the CREATE
    migrations.check(schema, migration_dir, dev_url)


def test_a_migration_of_the_same_name_in_the_same_second_never_overwrites_one(
    project_copy: tuple[Path, Path], dev_url: str
) -> None:
    """Atlas names a file by the second: files named add_bio for each of the next 60 seconds
    make its new file land on one of them, whatever the machine's speed."""
    schema, migration_dir = project_copy
    start = datetime.now(UTC).replace(microsecond=0)
    hand = {migration_dir / f"{_version(start + timedelta(seconds=s))}_add_bio.sql": f"-- {s}\nSELECT {s};\n"
            for s in range(-1, 61)}  # fmt: skip
    for path, text in hand.items():
        path.write_text(text)
    atlas.migrate_hash(migration_dir)
    _add_bio(schema)
    result = migrations.diff_and_lint(schema, migration_dir, dev_url, name="add_bio")
    assert {path: path.read_text() for path in hand} == hand  # every earlier file as it was
    assert result.new_file is not None
    assert result.new_file.name == f"{_version(start + timedelta(seconds=61))}_add_bio.sql"
    assert 'ADD COLUMN "bio" text NULL' in result.new_file.read_text()
    migrations.check(schema, migration_dir, dev_url)


@pytest.fixture
def odd_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name in (
        "20261122211719_initial.sql",
        "20991231000000_from_the_future.sql",
        "3_hand_written.sql",
        "20261123000000_a.sql",
        "20261123000000_b.sql",
        "20261202171000_clock_skew.sql",  # 10 minutes ahead of `now` below: more than the skew allowed
        "20261202170400_within_skew.sql",  # 4 minutes ahead: another machine's clock, accepted
    ):
        (folder / name).write_text("SELECT 1;\n")
    return folder


def test_check_order_names_each_file_and_the_fix(odd_migrations: Path) -> None:
    now = datetime(2026, 12, 2, 17, 0, 0, tzinfo=UTC)
    with pytest.raises(MigrationOrder) as info:
        migrations.check_order(odd_migrations, now)
    d = odd_migrations
    fix = "(before it is deployed anywhere) to 20261202170000_{} and run `make migrate-hash`"
    assert str(info.value).splitlines() == [
        f"{d}/20261123000000_b.sql: version 20261123000000 is also 20261123000000_a.sql's, and Atlas keeps one "
        f"version once: rename it {fix.format('b.sql')}",
        f"{d}/20261202171000_clock_skew.sql: dated 2026-12-02 17:10:00 UTC, in the future, so the next generated "
        f"migration would apply before it: rename it {fix.format('clock_skew.sql')}",
        f"{d}/20991231000000_from_the_future.sql: dated 2099-12-31 00:00:00 UTC, in the future, so the next "
        f"generated migration would apply before it: rename it {fix.format('from_the_future.sql')}",
        f"{d}/3_hand_written.sql: version '3' is not a UTC timestamp (YYYYMMDDHHMMSS), so it sorts out of order "
        f"with generated migrations: rename it {fix.format('hand_written.sql')}",
    ]


@pytest.mark.parametrize("command", ["update", "check"])
def test_generate_and_check_refuse_a_future_migration_in_one_line(
    project_copy: tuple[Path, Path], command: str
) -> None:
    schema, migration_dir = project_copy
    (migration_dir / "20991231000000_notes.sql").write_text(NOTES_SQL)
    atlas.migrate_hash(migration_dir)
    args = ["--schema", str(schema), "--migrations", str(migration_dir)]
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", command, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1, proc.stderr
    assert re.fullmatch(
        rf"error: {re.escape(str(migration_dir))}/20991231000000_notes\.sql: dated 2099-12-31 00:00:00 UTC, in the "
        r"future, so the next generated migration would apply before it: rename it \(before it is deployed "
        r"anywhere\) to \d{14}_notes\.sql and run `make migrate-hash`\n",
        proc.stderr,
    )


def test_from_url_does_not_take_this_projects_configuration(fresh_db: str, tmp_path: Path) -> None:
    """Another database with a sessions table (no token) and an accounts.password column:
    neither is a typo of ChatMaps' secret_columns, and neither is secret unless --config says."""
    with pg.connect(fresh_db) as conn:
        conn.execute("CREATE TABLE sessions (id int PRIMARY KEY, started_at timestamptz)")
        conn.execute("CREATE TABLE accounts (id int PRIMARY KEY, password text)")
    out = tmp_path / "plain"
    proc = generate_from_url(fresh_db, out, env=None)
    assert proc.returncode == 0, proc.stderr
    assert "exclude=True" not in models_source(out)  # nothing secret: not this project's config

    config = tmp_path / "their.toml"
    config.write_text('[tool.codegen]\nsecret_columns = ["public.accounts.password"]\n')
    proc = generate_from_url(fresh_db, tmp_path / "configured", "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    assert "class Account(SecretRow):" in models_source(tmp_path / "configured")

    config.write_text('[tool.codegen]\nsecret_columns = ["public.sessions.token"]\n')
    proc = generate_from_url(fresh_db, tmp_path / "typo", "--config", str(config))
    assert (proc.returncode, proc.stderr) == (
        1,
        f"error: {config}: [tool.codegen] secret_columns lists 'public.sessions.token', which is not a column: "
        "write schema.table.column as in docs/SCHEMA.md\n",
    )
    missing = tmp_path / "missing.toml"
    proc = generate_from_url(fresh_db, tmp_path / "none", "--config", str(missing))
    assert (proc.returncode, proc.stderr) == (
        1,
        f"error: {missing}: no such file (--config): name a TOML file with a [tool.codegen] table\n",
    )


def test_a_comment_ending_in_a_backslash_generates_lints_and_applies(
    project_copy: tuple[Path, Path], dev_url: str, fresh_db: str
) -> None:
    """Atlas wrote IS 'ends in \\' and its own lint stopped: "unclosed quote"."""
    schema, migration_dir = project_copy
    comment = "comment = \"a \\\\ inside, 'quoted', and at the end \\\\\""
    bio = f'column "bio" {{\n    type = text\n    null = true\n    {comment}\n  }}\n  column "image" {{'
    schema.write_text(schema.read_text().replace('column "image" {', bio, 1))
    result = migrations.diff_and_lint(schema, migration_dir, dev_url)
    assert result.new_file is not None
    assert "IS E'a \\\\ inside, ''quoted'', and at the end \\\\';" in result.new_file.read_text()
    atlas.migrate_apply(migration_dir, fresh_db)
    migrations.check(schema, migration_dir, dev_url)  # atlas.sum matches, schema.hcl is migrated
    with pg.connect(fresh_db) as conn:
        got = conn.execute(
            "SELECT col_description(attrelid, attnum) FROM pg_attribute"
            " WHERE attrelid = 'public.users'::regclass AND attname = 'bio'"
        ).fetchone()
    assert got == ("a \\ inside, 'quoted', and at the end \\",)
