"""migrations/ against schema.hcl and a real database, through the real Atlas CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from codegen.dev import atlas, migrations, pg
from codegen.errors import AtlasFailed, ChecksumMismatch, DestructiveChange, OutOfSync
from codegen.paths import MIGRATIONS, ROOT, SCHEMA


def revisions(url: str) -> list[str]:
    with pg.connect(url) as conn:
        rows = conn.execute("SELECT version FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY version")
        return [str(r[0]) for r in rows]


def tables(url: str) -> set[str]:
    with pg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {str(r[0]) for r in rows}


def migration_versions(directory: Path) -> list[str]:
    return sorted(p.name.split("_")[0].removesuffix(".sql") for p in directory.glob("*.sql"))


def test_applied_migrations_equal_schema_hcl(migrated_db: str, dev_url: str) -> None:
    assert tables(migrated_db) == {"users", "sessions", "accounts", "verifications"}
    assert atlas.schema_diff(pg.atlas_url(migrated_db), f"file://{SCHEMA}", dev_url) == ""


def test_schema_diff_sees_a_difference(migrated_db: str, dev_url: str) -> None:
    # The equality check above means something only if a real difference shows.
    with pg.connect(migrated_db) as conn:
        conn.execute("ALTER TABLE users ADD COLUMN nickname text")
    diff = atlas.schema_diff(pg.atlas_url(migrated_db), f"file://{SCHEMA}", dev_url)
    assert 'DROP COLUMN "nickname"' in diff


def test_migrations_are_in_sync_with_schema_hcl(dev_url: str) -> None:
    assert migrations.pending_sql(SCHEMA, MIGRATIONS, dev_url) == ""
    migrations.check(SCHEMA, MIGRATIONS, dev_url)


def test_out_of_sync_is_reported(project_copy: tuple[Path, Path], dev_url: str) -> None:
    schema, migration_dir = project_copy
    bio = 'column "bio" {\n    type = text\n    null = true\n  }\n  column "image" {'
    schema.write_text(schema.read_text().replace('column "image" {', bio, 1))
    with pytest.raises(OutOfSync) as info:
        migrations.check(schema, migration_dir, dev_url)
    assert str(info.value) == (
        f"{migration_dir} is behind {schema} "
        '(next: `ALTER TABLE "public"."users" ADD COLUMN "bio" text NULL;`): run `make generate` and commit'
    )


def test_atlas_sum_is_valid(dev_url: str) -> None:
    atlas.migrate_validate(MIGRATIONS, dev_url)


def test_tampered_migration_is_refused_naming_the_file_and_the_fix(
    project_copy: tuple[Path, Path], fresh_db: str
) -> None:
    _, migration_dir = project_copy
    first = sorted(migration_dir.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\nCREATE TABLE sneaky (id int);\n")
    with pytest.raises(ChecksumMismatch) as info:
        atlas.migrate_apply(migration_dir, fresh_db)
    shown = f"migrations/{first.name}"
    assert str(info.value) == (
        f"{shown} was edited after atlas.sum was written (checksum mismatch; later files not checked): "
        f"restore it (`git checkout -- {shown}`), or if the edit is intended and no database has applied it yet, "
        "run `make migrate-hash` to record it"
    )
    assert tables(fresh_db) == set()
    # The way out it names works.
    atlas.migrate_hash(migration_dir)
    atlas.migrate_apply(migration_dir, fresh_db)
    assert "sneaky" in tables(fresh_db)


def test_hand_written_file_missing_from_atlas_sum_is_named(project_copy: tuple[Path, Path], dev_url: str) -> None:
    _, migration_dir = project_copy
    (migration_dir / "99990101000000_by_hand.sql").write_text("CREATE TABLE by_hand (id int);\n")
    with pytest.raises(ChecksumMismatch) as info:
        atlas.migrate_validate(migration_dir, dev_url)
    assert str(info.value) == (
        "migrations/99990101000000_by_hand.sql is not in atlas.sum (checksum mismatch): if you wrote it by hand, "
        "run `make migrate-hash` to record it; if not, remove it"
    )


def test_unnamed_migration_is_named_after_its_change(project_copy: tuple[Path, Path], dev_url: str) -> None:
    schema, migration_dir = project_copy
    drop_image_column(schema)
    result = migrations.diff_and_lint(schema, migration_dir, dev_url, allow_destructive=True)
    assert result.new_file is not None and result.new_file.name.endswith("_drop_users_image.sql")
    atlas.migrate_validate(migration_dir, dev_url)  # atlas.sum knows the renamed file


def test_destructive_hint_without_name_leaves_name_out(project_copy: tuple[Path, Path], dev_url: str) -> None:
    schema, migration_dir = project_copy
    drop_image_column(schema)
    with pytest.raises(DestructiveChange) as info:
        migrations.diff_and_lint(schema, migration_dir, dev_url)
    assert str(info.value).endswith("If the loss is intended, run `make generate ALLOW_DESTRUCTIVE=1`")
    assert sorted(p.name for p in migration_dir.glob("*.sql")) == sorted(p.name for p in MIGRATIONS.glob("*.sql"))


def test_atlas_inspects_the_embedded_server(migrated_db: str) -> None:
    # migrate apply, migrate diff and schema diff run throughout this file; inspect too.
    proc = atlas.run("schema", "inspect", "--url", pg.atlas_url(migrated_db), "--exclude", "atlas_schema_revisions")
    for table in ("users", "sessions", "accounts", "verifications"):
        assert f'table "{table}" {{' in proc.stdout


def test_apply_twice_is_a_no_op(migrated_db: str) -> None:
    before = revisions(migrated_db)
    out = atlas.migrate_apply(MIGRATIONS, migrated_db)
    assert "No migration files to execute" in out
    assert revisions(migrated_db) == before == migration_versions(MIGRATIONS)


def test_concurrent_applies_both_succeed_and_apply_once(fresh_db: str) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = list(pool.map(lambda _: atlas.migrate_apply(MIGRATIONS, fresh_db), range(2)))
    # One run migrated; the other waited on Atlas's lock and then found nothing to do.
    assert sum("No migration files to execute" in out for out in outputs) == 1
    assert revisions(fresh_db) == migration_versions(MIGRATIONS)


def test_failing_migration_leaves_previous_revision(project_copy: tuple[Path, Path], fresh_db: str) -> None:
    _, migration_dir = project_copy
    (migration_dir / "99990101000000_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nALTER TABLE users ADD COLUMN half text;\nSELECT 1 / 0;\n"
    )
    atlas.migrate_hash(migration_dir)
    with pytest.raises(AtlasFailed, match="division by zero"):
        atlas.migrate_apply(migration_dir, fresh_db)
    assert "half_done" not in tables(fresh_db)
    with pg.connect(fresh_db) as conn:
        cols = {
            r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'users'")
        }
    assert "half" not in cols
    assert revisions(fresh_db) == migration_versions(MIGRATIONS)


def drop_image_column(schema: Path) -> None:
    text = schema.read_text()
    edited = re.sub(r'\n  column "image" \{.*?\n  \}', "", text, count=1, flags=re.S)
    assert edited != text
    schema.write_text(edited)


def test_destructive_change_is_stopped_by_the_lint_gate(project_copy: tuple[Path, Path], dev_url: str) -> None:
    schema, migration_dir = project_copy
    drop_image_column(schema)
    files_before = sorted(p.name for p in migration_dir.iterdir())
    sum_before = (migration_dir / "atlas.sum").read_text()
    with pytest.raises(DestructiveChange) as info:
        migrations.diff_and_lint(schema, migration_dir, dev_url, name="drop_image")
    assert str(info.value) == (
        f'{schema}: the new migration would drop data: Dropping non-virtual column "image" (DS103) in '
        '`ALTER TABLE "public"."users" DROP COLUMN "image";`; no migration was written. '
        "If the loss is intended, run `make generate NAME=drop_image ALLOW_DESTRUCTIVE=1`"
    )
    # Nothing is left behind: same files, same atlas.sum, and the edit itself is kept.
    assert sorted(p.name for p in migration_dir.iterdir()) == files_before
    assert (migration_dir / "atlas.sum").read_text() == sum_before
    assert 'column "image"' not in schema.read_text()


def test_destructive_change_with_opt_in_is_written_and_marked(project_copy: tuple[Path, Path], dev_url: str) -> None:
    schema, migration_dir = project_copy
    drop_image_column(schema)
    result = migrations.diff_and_lint(schema, migration_dir, dev_url, name="drop_image", allow_destructive=True)
    assert result.new_file is not None
    assert result.new_file.read_text().splitlines()[1:] == [
        "SET lock_timeout = '5s';",
        '-- Modify "users" table',
        "-- atlas:nolint destructive",
        'ALTER TABLE "public"."users" DROP COLUMN "image";',
    ]
    # The recorded opt-in keeps later lint runs (CI) green, and the directory is in sync.
    assert atlas.migrate_lint(migration_dir, dev_url) == []
    assert [p.rule.key for p in result.report.allowed] == ["destructive"]
    migrations.check(schema, migration_dir, dev_url)


def test_generate_cli_on_unchanged_schema_says_nothing_changed() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", "diff"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "schema.hcl unchanged: migrations/ already matches it, no new migration\n"


def test_generate_cli_destructive_error_is_one_line(project_copy: tuple[Path, Path]) -> None:
    schema, migration_dir = project_copy
    drop_image_column(schema)
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", "diff", "--schema", str(schema), "--migrations", str(migration_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"error: {schema}: the new migration would drop data: ")
    assert proc.stderr.endswith("run `make generate ALLOW_DESTRUCTIVE=1`\n")


def test_deploy_command_from_the_readme(fresh_db: str) -> None:
    # `atlas migrate apply --env prod`, run as deployment runs it: URL from the environment.
    env = {**os.environ, "DATABASE_URL": pg.atlas_url(fresh_db), "ATLAS_NO_UPDATE_NOTIFIER": "1"}
    cmd = [str(atlas.binary()), "migrate", "apply", "--env", "prod"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert revisions(fresh_db) == migration_versions(MIGRATIONS)
    assert tables(fresh_db) == {"users", "sessions", "accounts", "verifications"}


def test_a_migration_too_big_for_the_servers_lock_table_names_the_setting(tmp_path: Path) -> None:
    """One transaction that creates many tables locks each table, index and sequence: past the
    lock table (max_locks_per_transaction x connections) PostgreSQL says only `out of shared
    memory`. The error says which setting and the way out. (The scratch servers make generate
    starts have room for a few thousand tables.)"""
    folder = tmp_path / "migrations"
    folder.mkdir()
    body = "".join(f"CREATE TABLE t{i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\n" for i in range(400))
    (folder / "20260101000000_many.sql").write_text(body)
    atlas.migrate_hash(folder)
    with pg.throwaway_server() as server:
        server.stop()
        server.start("-c max_locks_per_transaction=10 -c max_connections=5")
        with pg.scratch_database(server.url, "locks") as url:
            with pytest.raises(AtlasFailed) as err:
                atlas.migrate_apply(folder, url)
            assert tables(url) == set()  # rolled back: nothing half-made
    message = str(err.value)
    assert "out of shared memory" in message and "\n" not in message
    assert message.endswith("raise max_locks_per_transaction on that server, or split the migration)")
