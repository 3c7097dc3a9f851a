"""Down migrations (codegen/dev/downs.py): up, down, up gives the same schema as PostgreSQL and
Atlas see it, for every migration in migrations/; a down script that would lose data is flagged
and refused unless allowed; `make generate` writes the down scripts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.dev import atlas, downs, migrations, pg
from codegen.paths import GENERATED, MIGRATIONS, ROOT, SCHEMA

ORDERED = sorted(MIGRATIONS.glob("*.sql"))


def versions(url: str) -> list[str]:
    with pg.connect(url) as conn:
        return [
            r[0] for r in conn.execute("SELECT version FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY 1")
        ]


def same_schema(a: str, b: str, dev_url: str) -> bool:
    return atlas.schema_diff(pg.atlas_url(a), pg.atlas_url(b), dev_url) == ""


def test_every_migration_has_its_down_script() -> None:
    assert downs.missing(MIGRATIONS) == []
    assert sorted(p.name for p in (MIGRATIONS / "down").glob("*.sql")) == [p.name for p in ORDERED]


@pytest.mark.parametrize("index", range(len(ORDERED)), ids=[p.stem for p in ORDERED])
def test_up_down_up_gives_the_same_schema(index: int, server: pg.Server, dev_url: str) -> None:
    """Apply the migrations up to this one, take it back, apply it again: Atlas's schema diff
    against databases built straight to each state is empty both times, and Atlas's revision
    table says the same as the schema."""
    this = ORDERED[index]
    with (
        pg.scratch_database(server.url, "updown") as url,
        pg.scratch_database(server.url, "before") as before,
        pg.scratch_database(server.url, "after") as after,
    ):
        if index:
            atlas.migrate_apply(MIGRATIONS, before, amount=index)
        atlas.migrate_apply(MIGRATIONS, after, amount=index + 1)
        atlas.migrate_apply(MIGRATIONS, url, amount=index + 1)
        done = downs.migrate_down(MIGRATIONS, url, allow_destructive=True)
        assert done.version == migrations.version(this)
        assert same_schema(url, before, dev_url)
        assert versions(url) == [migrations.version(p) for p in ORDERED[:index]]
        atlas.migrate_apply(MIGRATIONS, url, amount=1)  # Atlas sees it pending again
        assert same_schema(url, after, dev_url)
        assert versions(url) == [migrations.version(p) for p in ORDERED[: index + 1]]


def test_the_initial_down_drops_tables_and_is_refused_without_consent(fresh_db: str) -> None:
    atlas.migrate_apply(MIGRATIONS, fresh_db, amount=1)
    with pg.connect(fresh_db) as conn:
        conn.execute("INSERT INTO users (name, email) VALUES ('Kept', 'kept@example.com')")
    with pytest.raises(downs.DownRefused) as info:
        downs.migrate_down(MIGRATIONS, fresh_db, allow_destructive=False)
    message = str(info.value)
    assert message.startswith("migrations/down/20261122211719_initial.sql drops data (DROP TABLE")
    assert message.endswith("run `make migrate-down ALLOW_DESTRUCTIVE=1`") and "\n" not in message
    with pg.connect(fresh_db) as conn:  # nothing was run
        assert conn.execute("SELECT name FROM users").fetchall() == [("Kept",)]
    assert versions(fresh_db) == [migrations.version(ORDERED[0])]


def add_nickname(schema: Path) -> None:
    text = schema.read_text()
    anchor = '  index "users_email_lower_key" {'
    schema.write_text(
        text.replace(anchor, '  column "nickname" {\n    null = true\n    type = text\n  }\n' + anchor, 1)
    )


def test_a_down_that_would_lose_data_is_flagged_and_refused(
    project_copy: tuple[Path, Path], dev_url: str, fresh_db: str, server: pg.Server
) -> None:
    """The down of an added column drops it, and what was written to it since: the script says
    so in its header, marks the statement, and migrate-down refuses it until told."""
    schema, folder = project_copy
    add_nickname(schema)
    [new] = migrations.diff_and_lint(schema, folder, dev_url).files
    [(path, text)] = downs.compute(folder, [new], server.url, dev_url).items()
    assert path == folder / "down" / new.name
    assert '-- destructive: ALTER TABLE "public"."users" DROP COLUMN "nickname"; (its data is lost)' in text
    assert '-- atlas:nolint destructive\nALTER TABLE "public"."users" DROP COLUMN "nickname";' in text
    path.write_text(text)  # project_copy's migrations/ has down/ already
    atlas.migrate_apply(folder, fresh_db)
    with pg.connect(fresh_db) as conn:
        conn.execute("INSERT INTO users (name, email, nickname) VALUES ('N', 'n@example.com', 'keep me')")
    with pytest.raises(downs.DownRefused, match="drops data"):
        downs.migrate_down(folder, fresh_db, allow_destructive=False)
    with pg.connect(fresh_db) as conn:
        assert conn.execute("SELECT nickname FROM users").fetchall() == [("keep me",)]
    downs.migrate_down(folder, fresh_db, allow_destructive=True)
    with pg.connect(fresh_db) as conn:
        columns = {
            r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'users'")
        }
    assert "nickname" not in columns
    assert versions(fresh_db) == [migrations.version(p) for p in ORDERED]


def test_make_generate_writes_the_down_script_of_a_new_migration(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(SCHEMA, project / "schema.hcl")
    shutil.copytree(MIGRATIONS, project / "migrations")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    shutil.copytree(GENERATED, project / "generated")
    add_nickname(project / "schema.hcl")
    ran = subprocess.run(
        [sys.executable, "-m", "codegen", "update", "--schema", str(project / "schema.hcl"),
         "--migrations", str(project / "migrations"), "--out", str(project / "generated"), "--rows", "10"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    [new] = [p for p in (project / "migrations").glob("*.sql") if p.name not in {q.name for q in ORDERED}]
    down = project / "migrations" / "down" / new.name
    assert down.is_file() and 'DROP COLUMN "nickname"' in down.read_text()
    assert f"wrote {down}: a down script (make migrate-down); review it" in ran.stdout


def test_migrate_down_with_nothing_applied_says_so(fresh_db: str) -> None:
    with pytest.raises(downs.DownRefused, match="no migration is applied there"):
        downs.migrate_down(MIGRATIONS, fresh_db, allow_destructive=True)


SYNC = (
    'CREATE FUNCTION "public"."touch"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n'
    'CREATE TRIGGER "touch" BEFORE UPDATE ON "public"."users" FOR EACH ROW EXECUTE FUNCTION "public"."touch"();\n'
)


def test_a_down_script_atlas_cannot_complete_says_so_and_is_refused_until_finished(
    project_copy: tuple[Path, Path], dev_url: str, fresh_db: str, server: pg.Server
) -> None:
    """A migration with a function and a trigger (Atlas's diff sees neither): its down script says
    so on a TODO line, and migrate-down refuses it rather than report an undo that did nothing."""
    _, folder = project_copy
    path = folder / "20261201000000_touch.sql"
    path.write_text(SYNC)
    atlas.migrate_hash(folder)
    [(down, text)] = downs.compute(folder, [path], server.url, dev_url).items()
    assert "-- TODO: 20261201000000_touch.sql also makes function, trigger, which Atlas's diff cannot see" in text
    down.write_text(text)
    atlas.migrate_apply(folder, fresh_db)
    with pytest.raises(downs.DownRefused, match=r"is not finished: 20261201000000_touch\.sql also makes function"):
        downs.migrate_down(folder, fresh_db, allow_destructive=True)
    assert versions(fresh_db)[-1] == "20261201000000"
    finished = text.replace(next(line for line in text.splitlines() if line.startswith("-- TODO")), "")
    down.write_text(finished + 'DROP TRIGGER "touch" ON "public"."users";\nDROP FUNCTION "public"."touch"();\n')
    downs.migrate_down(folder, fresh_db, allow_destructive=True)
    with pg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM pg_proc WHERE proname = 'touch'").fetchone() == (0,)


def test_a_down_statement_that_fails_is_one_line_and_changes_nothing(
    project_copy: tuple[Path, Path], fresh_db: str
) -> None:
    _, folder = project_copy
    atlas.migrate_apply(folder, fresh_db)
    with pg.connect(fresh_db) as conn:  # the database drifted: the comment's index is gone
        conn.execute('DROP INDEX "users_email_lower_key"')
    with pytest.raises(downs.DownRefused) as info:
        downs.migrate_down(folder, fresh_db, allow_destructive=True)
    message = str(info.value)
    assert "\n" not in message and "failed (UndefinedTable)" in message and "nothing of it was applied" in message
    assert versions(fresh_db) == [migrations.version(p) for p in ORDERED]
