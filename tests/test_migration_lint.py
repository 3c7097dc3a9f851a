"""The migration lint (codegen/dev/lint.py, rules in lint_rules.py) on real Atlas and the real
squawk binary: for each rule the project enables, a migration that trips it and the safe way to
write the same change, which does not; opt-outs; and the table kept in step with .squawk.toml."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import psycopg
import pytest

from codegen.config import MigrationSettings
from codegen.dev import atlas, lint, migrations, pg, probe
from codegen.dev.lint_rules import BY_KEY, RULES
from codegen.errors import AtlasFailed, UsageError
from codegen.paths import GENERATED, MIGRATIONS, ROOT

LOCKED = "SET lock_timeout = '5s';\n"
NONE = "-- atlas:txmode none\n\nSET lock_timeout = '5s';\n"

# Beside ChatMaps' own migrations: a table without a primary key, a partitioned one, an enum.
BASE = """CREATE TABLE "public"."plain" ("a" bigint NOT NULL, "b" text NULL);
CREATE UNIQUE INDEX "plain_a_key" ON "public"."plain" ("a");
CREATE TABLE "public"."events" ("id" bigint NOT NULL, "at" date NOT NULL) PARTITION BY RANGE ("at");
CREATE TABLE "public"."events_2026" PARTITION OF "public"."events" FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TYPE "public"."mood" AS ENUM ('sad', 'ok');
INSERT INTO "public"."plain" SELECT g, 'b' || g FROM generate_series(1, 300) AS g;
INSERT INTO "public"."events" SELECT g, date '2026-01-01' + g % 300 FROM generate_series(1, 300) AS g;
"""

# rule: (a migration that trips it, the same change written safely); each file whole.
CASES: dict[str, tuple[str, str]] = {
    "destructive": (
        LOCKED + 'ALTER TABLE "public"."plain" DROP COLUMN "b";\n',
        LOCKED + 'ALTER TABLE "public"."plain" ALTER COLUMN "b" DROP DEFAULT;\n',
    ),
    "require-concurrent-index-creation": (
        LOCKED + 'CREATE INDEX "users_name_idx" ON "public"."users" ("name");\n',
        NONE + 'CREATE INDEX CONCURRENTLY "users_name_idx" ON "public"."users" ("name");\n',
    ),
    "require-concurrent-index-deletion": (
        LOCKED + 'DROP INDEX "public"."users_email_lower_key";\n',
        NONE + 'DROP INDEX CONCURRENTLY "public"."users_email_lower_key";\n',
    ),
    "ban-concurrent-index-creation-in-transaction": (
        LOCKED + 'CREATE INDEX CONCURRENTLY "users_name_idx" ON "public"."users" ("name");\n',
        NONE + 'CREATE INDEX CONCURRENTLY "users_name_idx" ON "public"."users" ("name");\n',
    ),
    "changing-column-type": (
        LOCKED + 'ALTER TABLE "public"."sessions" ALTER COLUMN "ip_address" TYPE inet USING "ip_address"::inet;\n',
        LOCKED + 'ALTER TABLE "public"."sessions" ADD COLUMN "ip" inet NULL;\n',
    ),
    "prefer-text-field": (
        LOCKED + 'ALTER TABLE "public"."users" ADD COLUMN "nick" varchar(40) NULL;\n',
        LOCKED + 'ALTER TABLE "public"."users" ADD COLUMN "nick" text NULL;\n',
    ),
    "adding-required-field": (
        LOCKED + 'ALTER TABLE "public"."users" ADD COLUMN "age" bigint NOT NULL;\n',
        LOCKED + 'ALTER TABLE "public"."users" ADD COLUMN "age" bigint NOT NULL DEFAULT 0;\n',
    ),
    "adding-not-nullable-field": (
        LOCKED + 'ALTER TABLE "public"."users" ALTER COLUMN "image" SET NOT NULL;\n',
        LOCKED + 'ALTER TABLE "public"."users" ADD CONSTRAINT "image_nn" CHECK ("image" IS NOT NULL) NOT VALID;\n',
    ),
    "data-dependent": (
        NONE + 'CREATE UNIQUE INDEX CONCURRENTLY "users_name_key" ON "public"."users" ("name");\n',
        NONE + 'CREATE INDEX CONCURRENTLY "users_name_idx" ON "public"."users" ("name");\n',
    ),
    "adding-foreign-key-constraint": (
        LOCKED + 'ALTER TABLE "public"."sessions" ADD CONSTRAINT "s_fk" FOREIGN KEY ("user_id") '
        'REFERENCES "public"."users" ("id");\n',
        LOCKED + 'ALTER TABLE "public"."sessions" ADD CONSTRAINT "s_fk" FOREIGN KEY ("user_id") '
        'REFERENCES "public"."users" ("id") NOT VALID;\n',
    ),
    "constraint-missing-not-valid": (
        LOCKED + 'ALTER TABLE "public"."users" ADD CONSTRAINT "name_set" CHECK (length("name") > 0);\n',
        LOCKED + 'ALTER TABLE "public"."users" ADD CONSTRAINT "name_set" CHECK (length("name") > 0) NOT VALID;\n',
    ),
    "disallowed-unique-constraint": (
        LOCKED + 'ALTER TABLE "public"."plain" ADD CONSTRAINT "plain_b_key" UNIQUE ("b");\n',
        LOCKED + 'ALTER TABLE "public"."plain" ADD CONSTRAINT "plain_a_unique" UNIQUE USING INDEX "plain_a_key";\n',
    ),
    "adding-field-with-default": (
        LOCKED + 'ALTER TABLE "public"."users" ADD COLUMN "r" double precision NULL DEFAULT random();\n',
        LOCKED + 'ALTER TABLE "public"."users" ADD COLUMN "r" double precision NULL DEFAULT 0;\n',
    ),
    "adding-serial-primary-key-field": (
        LOCKED + 'ALTER TABLE "public"."plain" ADD PRIMARY KEY ("a");\n',
        LOCKED + 'ALTER TABLE "public"."plain" ADD CONSTRAINT "plain_pkey" PRIMARY KEY USING INDEX "plain_a_key";\n',
    ),
    "renaming-column": (
        LOCKED + 'ALTER TABLE "public"."plain" RENAME COLUMN "b" TO "c";\n',
        LOCKED + 'ALTER TABLE "public"."plain" ADD COLUMN "c" text NULL;\n',
    ),
    "renaming-table": (
        LOCKED + 'ALTER TABLE "public"."plain" RENAME TO "simple";\n',
        LOCKED + 'CREATE VIEW "public"."simple" AS SELECT "a", "b" FROM "public"."plain";\n',
    ),
    "require-lock-timeout": (
        'ALTER TABLE "public"."plain" ADD COLUMN "c" text NULL;\n',
        LOCKED + 'ALTER TABLE "public"."plain" ADD COLUMN "c" text NULL;\n',
    ),
    "ban-drop-not-null": (
        LOCKED + 'ALTER TABLE "public"."users" ALTER COLUMN "name" DROP NOT NULL;\n',
        LOCKED + 'ALTER TABLE "public"."users" ALTER COLUMN "image" SET DEFAULT \'\';\n',
    ),
    "constraint-drop": (
        LOCKED + 'ALTER TABLE "public"."sessions" DROP CONSTRAINT "sessions_user_id_fkey";\n',
        LOCKED + 'ALTER TABLE "public"."sessions" ADD COLUMN "x" text NULL;\n',
    ),
    "require-concurrent-reindex": (
        LOCKED + 'REINDEX INDEX "public"."users_email_lower_key";\n',
        NONE + 'REINDEX INDEX CONCURRENTLY "public"."users_email_lower_key";\n',
    ),
    "require-concurrent-partition-detach": (
        LOCKED + 'ALTER TABLE "public"."events" DETACH PARTITION "public"."events_2026";\n',
        NONE + 'ALTER TABLE "public"."events" DETACH PARTITION "public"."events_2026" CONCURRENTLY;\n',
    ),
    "ban-truncate-cascade": (
        LOCKED + 'TRUNCATE "public"."users" CASCADE;\n',
        LOCKED + 'TRUNCATE "public"."verifications";\n',
    ),
    "transaction-nesting": (
        LOCKED + 'BEGIN;\nALTER TABLE "public"."plain" ADD COLUMN "c" text NULL;\nCOMMIT;\n',
        LOCKED + 'ALTER TABLE "public"."plain" ADD COLUMN "c" text NULL;\n',
    ),
    "identifier-too-long": (
        LOCKED + 'ALTER TABLE "public"."plain" ADD COLUMN "' + "n" * 70 + '" text NULL;\n',
        LOCKED + 'ALTER TABLE "public"."plain" ADD COLUMN "' + "n" * 63 + '" text NULL;\n',
    ),
    "domain-constraint": (
        LOCKED + 'CREATE DOMAIN "public"."positive" AS bigint CHECK (VALUE > 0);\n',
        LOCKED + 'CREATE DOMAIN "public"."whole" AS bigint;\n',
    ),
    "require-enum-value-ordering": (
        LOCKED + 'ALTER TYPE "public"."mood" ADD VALUE \'happy\';\n',
        LOCKED + "ALTER TYPE \"public\".\"mood\" ADD VALUE 'happy' AFTER 'ok';\n",
    ),
    "column-types": (
        LOCKED + 'ALTER TABLE "public"."plain" ADD COLUMN "n" integer NULL;\n',
        LOCKED + 'ALTER TABLE "public"."plain" ADD COLUMN "n" bigint NULL;\n',
    ),
    "unused-ignore": (
        LOCKED + '-- squawk-ignore ban-drop-colum\nALTER TABLE "public"."plain" DROP COLUMN "b";\n',
        LOCKED + '-- squawk-ignore ban-drop-column\nALTER TABLE "public"."plain" DROP COLUMN "b";\n',
    ),
}
# Statements PostgreSQL refuses to run, so Atlas (which replays each file) stops first: squawk alone.
SQUAWK_ONLY: dict[str, tuple[str, str]] = {
    "ban-duplicate-column-assignments": (
        LOCKED + 'UPDATE "public"."plain" SET "b" = \'x\', "b" = \'y\';\n',
        LOCKED + 'UPDATE "public"."plain" SET "b" = \'x\';\n',
    ),
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lint-base") / "migrations"
    shutil.copytree(MIGRATIONS, folder)
    (folder / "20261201000000_fixture.sql").write_text(BASE)
    atlas.migrate_hash(folder)
    return folder


def lint_one(base: Path, tmp_path: Path, sql: str, dev_url: str) -> lint.Report:
    """`sql` as the newest migration after `base`, linted by both tools."""
    folder = tmp_path / "migrations"
    shutil.copytree(base, folder)
    path = folder / "20261202000000_case.sql"
    path.write_text(sql)
    atlas.migrate_hash(folder)
    return lint.lint([path], folder, dev_url)


def test_every_enabled_rule_has_a_case() -> None:
    enabled = {rule.key for rule in RULES if rule.severity != "off"}
    assert enabled == set(CASES) | set(SQUAWK_ONLY)


@pytest.mark.parametrize("key", sorted(CASES))
def test_rule_trips_on_the_unsafe_change_and_not_on_the_safe_one(
    key: str, base: Path, tmp_path: Path, dev_url: str
) -> None:
    unsafe, safe = CASES[key]
    tripped = lint_one(base, tmp_path / "unsafe", unsafe, dev_url)
    found = [p for p in tripped.problems if p.rule.key == key]
    assert found, [str(p) for p in tripped.problems]
    rule = BY_KEY[key]
    assert all(p.line >= 1 and p.statement for p in found)
    said = {s.split()[0] for p in found for s in p.sources}
    assert said <= {"atlas", "squawk"} and said  # the tools that said it, named
    assert (rule.severity == "error") == any(p.blocking for p in found)
    clean = lint_one(base, tmp_path / "safe", safe, dev_url)
    assert not [p for p in clean.problems if p.rule.key == key], [str(p) for p in clean.problems]


@pytest.mark.parametrize("key", sorted(SQUAWK_ONLY))
def test_squawk_only_rule(key: str, tmp_path: Path) -> None:
    unsafe, safe = SQUAWK_ONLY[key]
    for name, sql, expected in (("unsafe", unsafe, True), ("safe", safe, False)):
        path = tmp_path / f"{name}.sql"
        path.write_text(sql)
        names = {BY_KEY.get(rule_name) for _, _, rule_name in lint._squawk([path], True)}
        assert (BY_KEY[key] in names) == expected, names


def test_both_tools_on_one_statement_are_one_line(base: Path, tmp_path: Path, dev_url: str) -> None:
    report = lint_one(base, tmp_path, CASES["require-concurrent-index-creation"][0], dev_url)
    [problem] = [p for p in report.problems if p.rule.key == "require-concurrent-index-creation"]
    assert problem.sources == ("atlas PG101", "squawk")
    assert str(problem).startswith(f"{problem.path}:2: error require-concurrent-index-creation (atlas PG101, squawk): ")
    assert "CONCURRENTLY" in str(problem) and "-- atlas:txmode none" in str(problem)


def test_a_named_opt_out_with_a_reason_allows_and_is_listed(base: Path, tmp_path: Path, dev_url: str) -> None:
    sql = (
        LOCKED + "-- lint:allow changing-column-type: sessions.ip_address holds nothing yet\n"
        'ALTER TABLE "public"."sessions" ALTER COLUMN "ip_address" TYPE inet USING "ip_address"::inet;\n'
    )
    report = lint_one(base, tmp_path, sql, dev_url)
    assert report.errors == []
    [allowed] = report.allowed
    assert (allowed.rule.key, allowed.line, allowed.allowed) == (
        "changing-column-type",
        3,
        "sessions.ip_address holds nothing yet",
    )
    assert "allowed changing-column-type (squawk): sessions.ip_address holds nothing yet" in str(allowed)


@pytest.mark.parametrize(
    ("directive", "says"),
    [
        ("-- lint:allow changing-column-type", "an opt-out needs a rule and a reason"),
        ("-- lint:allow changing-colum-type: typo", "no lint rule is called 'changing-colum-type'"),
        ("-- lint:allow renaming-column: nothing to allow", "allows nothing"),
    ],
)
def test_a_bad_or_stale_opt_out_is_refused_by_file_and_line(
    directive: str, says: str, base: Path, tmp_path: Path, dev_url: str
) -> None:
    sql = (
        LOCKED + f"{directive}\n"
        'ALTER TABLE "public"."sessions" ALTER COLUMN "ip_address" TYPE inet USING "ip_address"::inet;\n'
    )
    with pytest.raises(lint.UnsafeMigration) as info:
        lint_one(base, tmp_path, sql, dev_url)
    message = str(info.value)
    assert says in message and "20261202000000_case.sql:2:" in message and "\n" not in message


def test_squawk_config_is_the_tables_off_rules() -> None:
    config = tomllib.loads((ROOT / ".squawk.toml").read_text())
    off = {name for rule in RULES if rule.severity == "off" for name in rule.squawk}
    assert set(config["excluded_rules"]) == off
    assert config["assume_in_transaction"] is True
    codes = [code for rule in RULES for code in (*rule.atlas, *rule.squawk)]
    assert len(codes) == len(set(codes))  # each tool's rule belongs to one row


def test_chatmaps_migrations_pass_the_lint(dev_url: str) -> None:
    linted, skipped = lint.files_after(MIGRATIONS, "20261122215456")
    assert [p.name for p in skipped] == ["20261122211719_initial.sql", "20261122215456_drop_index_comment.sql"]
    assert lint.lint(linted, MIGRATIONS, dev_url).errors == []


# -- what `make generate` writes -------------------------------------------------------------


def edit(schema: Path, old: str, new: str) -> None:
    text = schema.read_text()
    assert old in text
    schema.write_text(text.replace(old, new, 1))


USERS_INDEX = '  index "users_email_lower_key" {'
NAME_INDEX = '  index "users_name_idx" {\n    columns = [column.name]\n  }\n'
NICKNAME = '  column "nickname" {\n    null = true\n    type = text\n  }\n  index "users_nick_idx" {\n    columns = [column.nickname]\n  }\n'


def applied_indexes(url: str) -> dict[str, bool]:
    """The users table's indexes and whether each is valid, as PostgreSQL says."""
    with pg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'public.users'::regclass"
        ).fetchall()
    return {name: valid for name, valid in rows}


def test_an_index_on_an_existing_table_is_written_concurrently_in_a_file_of_its_own(
    project_copy: tuple[Path, Path], dev_url: str, fresh_db: str
) -> None:
    schema, folder = project_copy
    edit(schema, USERS_INDEX, NAME_INDEX + USERS_INDEX)
    result = migrations.diff_and_lint(schema, folder, dev_url)
    [only] = result.files
    assert only.name.endswith("_add_users_name_idx.sql")
    lines = only.read_text().splitlines()
    assert lines[0] == "-- atlas:txmode none" and lines[1] == ""
    assert "SET lock_timeout = 0;" in lines  # a CONCURRENTLY build waits for older transactions by design
    assert 'CREATE INDEX CONCURRENTLY "users_name_idx" ON "public"."users" ("name");' in lines
    assert result.report.errors == [] and result.report.warnings == []
    atlas.migrate_apply(folder, fresh_db)
    assert applied_indexes(fresh_db)["users_name_idx"] is True
    migrations.check(schema, folder, dev_url)  # Atlas replays it to the same schema: in sync


def test_a_mixed_change_is_two_files_the_locked_one_first(
    project_copy: tuple[Path, Path], dev_url: str, fresh_db: str
) -> None:
    schema, folder = project_copy
    edit(schema, USERS_INDEX, NICKNAME + USERS_INDEX)
    result = migrations.diff_and_lint(schema, folder, dev_url)
    first, second = result.files
    assert first.name.endswith("_add_users_nickname.sql") and second.name.endswith("_add_users_nick_idx.sql")
    assert migrations.version(second) > migrations.version(first)
    assert first.read_text().splitlines()[1:] == [
        "SET lock_timeout = '5s';",
        '-- Modify "users" table',
        'ALTER TABLE "public"."users" ADD COLUMN "nickname" text NULL;',
    ]
    assert second.read_text().startswith("-- atlas:txmode none\n\n")
    assert 'CREATE INDEX CONCURRENTLY "users_nick_idx" ON "public"."users" ("nickname");' in second.read_text()
    atlas.migrate_apply(folder, fresh_db)
    assert applied_indexes(fresh_db)["users_nick_idx"] is True
    migrations.check(schema, folder, dev_url)


def test_an_index_on_a_new_table_stays_in_its_transaction(project_copy: tuple[Path, Path], dev_url: str) -> None:
    schema, folder = project_copy
    schema.write_text(
        schema.read_text() + '\ntable "places" {\n  schema = schema.public\n  column "id" {\n    type = bigint\n  }\n'
        '  column "name" {\n    type = text\n  }\n  primary_key {\n    columns = [column.id]\n  }\n'
        '  index "places_name_idx" {\n    columns = [column.name]\n  }\n}\n'
    )
    result = migrations.diff_and_lint(schema, folder, dev_url)
    [only] = result.files
    text = only.read_text()
    assert "SET lock_timeout = '5s';" in text and "CONCURRENTLY" not in text and "txmode" not in text
    assert 'CREATE INDEX "places_name_idx" ON "public"."places" ("name");' in text


def test_an_unsafe_change_is_refused_whole_or_allowed_by_name(project_copy: tuple[Path, Path], dev_url: str) -> None:
    schema, folder = project_copy
    edit(schema, 'column "ip_address" {\n    type    = text', 'column "ip_address" {\n    type    = varchar(64)')
    before = sorted(p.name for p in folder.iterdir()), (folder / "atlas.sum").read_text()
    with pytest.raises(lint.UnsafeMigration) as info:
        migrations.diff_and_lint(schema, folder, dev_url)
    first, last = str(info.value).splitlines()
    assert first.startswith('`ALTER TABLE "public"."sessions" ALTER COLUMN "ip_address" TYPE character varying(64)')
    assert "error changing-column-type (squawk): ALTER COLUMN ... TYPE takes an ACCESS EXCLUSIVE lock" in first
    assert last.endswith("`make generate ALLOW='changing-column-type: <why it is safe>'`")
    assert (sorted(p.name for p in folder.iterdir()), (folder / "atlas.sum").read_text()) == before
    for bad, says in [
        ("changing-column-type", "say which rules and why"),
        ("no-such-rule: x", "'no-such-rule' is not a rule ALLOW takes"),
        ("destructive: x", "ALLOW_DESTRUCTIVE=1 allows dropping data"),
    ]:
        with pytest.raises(UsageError, match=says):
            migrations.diff_and_lint(schema, folder, dev_url, allow=bad)
    result = migrations.diff_and_lint(schema, folder, dev_url, allow="changing-column-type: no row has one yet")
    assert result.new_file is not None
    assert "-- lint:allow changing-column-type: no row has one yet\nALTER TABLE" in result.new_file.read_text()
    assert [(p.rule.key, p.allowed) for p in result.report.allowed] == [("changing-column-type", "no row has one yet")]
    migrations.check(schema, folder, dev_url)


def test_a_blocked_migration_fails_fast_and_applies_nothing(
    project_copy: tuple[Path, Path], dev_url: str, fresh_db: str
) -> None:
    """lock_timeout against a long transaction: the ALTER gives up instead of queueing every query
    behind it, Atlas rolls the file back, and the next run applies it once the blocker is gone."""
    schema, folder = project_copy
    edit(schema, USERS_INDEX, '  column "nickname" {\n    null = true\n    type = text\n  }\n' + USERS_INDEX)
    settings = MigrationSettings(lock_timeout="200ms")
    [new] = migrations.diff_and_lint(schema, folder, dev_url, settings=settings).files
    assert "SET lock_timeout = '200ms';" in new.read_text()
    pending = new.with_suffix(".later")
    new.rename(pending)  # apply everything before it first
    atlas.migrate_hash(folder)
    atlas.migrate_apply(folder, fresh_db)
    pending.rename(new)
    atlas.migrate_hash(folder)
    with pg.connect(fresh_db) as blocker:
        blocker.execute("BEGIN")
        blocker.execute("SELECT count(*) FROM users")  # a reader's transaction, left open: ACCESS SHARE
        with pytest.raises(AtlasFailed) as info:
            atlas.migrate_apply(folder, fresh_db)
        blocker.execute("ROLLBACK")
    message = str(info.value)
    assert "\n" not in message
    assert f"{new.name}: waited longer than its lock_timeout (200ms) for a lock" in message
    assert "nothing of it was applied" in message and "pg_stat_activity" in message
    with pg.connect(fresh_db) as conn:
        columns = [
            r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'users'")
        ]
        versions = [r[0] for r in conn.execute("SELECT version FROM atlas_schema_revisions.atlas_schema_revisions")]
    assert "nickname" not in columns and migrations.version(new) not in versions
    atlas.migrate_apply(folder, fresh_db)  # the blocker gone: it applies
    with pg.connect(fresh_db) as conn:
        assert conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE column_name = 'nickname'"
        ).fetchone() == (1,)


# -- what running it shows (probe.py), and whether the lint says the same --------------------


def probe_one(base: Path, tmp_path: Path, sql: str, dev_url: str, server: pg.Server) -> tuple[lint.Report, probe.Probe]:
    """`sql` as the newest migration after `base`: linted, and run on a copy with 200 rows a table."""
    folder = tmp_path / "migrations"
    shutil.copytree(base, folder)
    path = folder / "20261202000000_case.sql"
    path.write_text(sql)
    atlas.migrate_hash(folder)
    report = lint.lint([path], folder, dev_url)
    return report, probe.probe([path], folder, server.url, package=GENERATED, rows=200)


@pytest.mark.parametrize("key", sorted(k for k in CASES if BY_KEY[k].shows))
def test_the_lint_and_postgresql_agree_rule_by_rule(
    key: str, base: Path, tmp_path: Path, dev_url: str, server: pg.Server
) -> None:
    """Each rule that claims a lock, a rewrite, a scan or a failure: its unsafe case, run on rows,
    shows that."""
    report, observed = probe_one(base, tmp_path, CASES[key][0], dev_url, server)
    found = [v for v in probe.verdicts(report.problems, observed) if v.rule == key]
    assert found and all(v.agree for v in found), [str(v) for v in found]


def test_reindex_takes_share_on_the_table_yet_every_query_waits(
    base: Path, tmp_path: Path, dev_url: str, server: pg.Server
) -> None:
    """Where the table lock alone would disagree with the lint: squawk says REINDEX blocks reads
    and writes; pg_locks shows SHARE on the table (which blocks writes only) and ACCESS EXCLUSIVE
    on the index; and a second session's read waits, because the planner locks every index of the
    table it plans for. The probe counts the index's lock, so the two agree."""
    sql = CASES["require-concurrent-reindex"][0]
    path = tmp_path / "reindex.sql"
    path.write_text(sql)
    ran = subprocess.run(
        [str(lint.squawk_binary()), "--config", str(lint.SQUAWK_CONFIG), "--reporter", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    [said] = [d["message"] for d in json.loads(ran.stdout) if d["rule_name"] == "require-concurrent-reindex"]
    assert "blocks reads and writes" in said
    _, observed = probe_one(base, tmp_path, sql, dev_url, server)
    [step] = observed.steps
    assert step.locks == (("public.users", "SHARE"),)
    assert step.index_locks == (("users_email_lower_key", "public.users", "ACCESS EXCLUSIVE"),)
    assert step.stalls == ["public.users"] and probe.facts(step)[0] == "ACCESS EXCLUSIVE"
    with pg.scratch_database(server.url, "reindex") as url:
        atlas.migrate_apply(base, url)
        with pg.connect(url) as conn:
            conn.execute("BEGIN")
            conn.execute('REINDEX INDEX "public"."users_email_lower_key"')
            assert blocked(url, "SELECT count(*) FROM users")  # a read: it waits, in planning
            assert blocked(url, "DELETE FROM users WHERE false")
            conn.execute("ROLLBACK")


def blocked(url: str, sql: str) -> bool:
    """Whether `sql`, from another session, waits for a lock (100 ms) instead of running."""
    with pg.connect(url) as other:
        other.execute("SET lock_timeout = '100ms'")
        try:
            other.execute("BEGIN")
            other.execute(sql)
        except psycopg.errors.LockNotAvailable:
            return True
        finally:
            other.execute("ROLLBACK")
    return False


OBSERVED = [
    # statement, the table, (locks it shows, rewrote, scanned)
    ('CREATE INDEX "users_name_idx" ON "public"."users" ("name")', "SHARE", False, True),
    ('ALTER TABLE "public"."users" ALTER COLUMN "image" SET NOT NULL', "ACCESS EXCLUSIVE", False, True),
    (
        'ALTER TABLE "public"."sessions" ALTER COLUMN "ip_address" TYPE inet USING "ip_address"::inet',
        "ACCESS EXCLUSIVE",
        True,
        True,
    ),
    (
        'ALTER TABLE "public"."sessions" ADD CONSTRAINT "s_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users" ("id")',
        "SHARE ROW EXCLUSIVE",
        False,
        True,
    ),
    (
        'ALTER TABLE "public"."sessions" ADD CONSTRAINT "s_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users" ("id") NOT VALID',
        "SHARE ROW EXCLUSIVE",
        False,
        False,
    ),
]


@pytest.mark.parametrize(("statement", "mode", "rewrites", "scans"), OBSERVED)
def test_the_probe_reports_what_postgresql_does(
    statement: str, mode: str, rewrites: bool, scans: bool, base: Path, tmp_path: Path, dev_url: str, server: pg.Server
) -> None:
    """The probe's lock, rewrite and scan for each statement; and its 'blocks ...' checked by a
    second session that tries to read and to write while the statement's transaction is open."""
    sql = f"{LOCKED}{statement};\n"
    _, observed = probe_one(base, tmp_path, sql, dev_url, server)
    [step] = observed.steps
    assert step.error is None
    assert {m for _, m in step.locks} == {mode}
    assert bool(step.rewrote) == rewrites and bool(step.scanned) == scans
    if scans:
        assert all(n >= 200 for _, n in step.scanned)  # every row read: 200 a table
    # What the mode blocks, as another session meets it.
    with pg.scratch_database(server.url, "blocks") as url:
        atlas.migrate_apply(base, url)
        with pg.connect(url) as conn:
            conn.execute(
                "INSERT INTO users (name, email, image) SELECT 'u' || g, g || '@x.io', 'i' FROM generate_series(1, 5) g"
            )
            conn.execute("BEGIN")
            conn.execute(statement)
            for table, _ in step.locks:
                assert blocked(url, f"SELECT count(*) FROM {table}") == ("reads" in probe.BLOCKS[mode])
                assert blocked(url, f"DELETE FROM {table} WHERE false") == ("writes" in probe.BLOCKS[mode])
            conn.execute("ROLLBACK")


def test_a_concurrent_index_blocks_no_reads_or_writes(
    base: Path, tmp_path: Path, dev_url: str, server: pg.Server
) -> None:
    sql = NONE + 'CREATE INDEX CONCURRENTLY "users_name_idx" ON "public"."users" ("name");\n'
    _, observed = probe_one(base, tmp_path, sql, dev_url, server)
    [step] = observed.steps
    assert step.outside_transaction and step.locks == (("public.users", "SHARE UPDATE EXCLUSIVE"),)
    assert probe.BLOCKS["SHARE UPDATE EXCLUSIVE"] == "schema changes and VACUUM" and step.flags == []


def test_a_failure_on_the_rows_is_reported_by_class_without_values(
    base: Path, tmp_path: Path, dev_url: str, server: pg.Server
) -> None:
    sql = LOCKED + 'ALTER TABLE "public"."users" ADD COLUMN "age" bigint NOT NULL;\n'
    _, observed = probe_one(base, tmp_path, sql, dev_url, server)
    [step] = observed.steps
    assert step.error == "NotNullViolation"
    assert "failed on the rows: NotNullViolation" in str(step)
    assert observed.rows["public.users"] == 200


# -- what a trial by hand found (odd but legal migrations) -----------------------------------


@pytest.mark.parametrize(
    "index",
    [
        'CREATE INDEX CONCURRENTLY "users_lower_name" ON "public"."users" ((lower("name")));',
        'CREATE INDEX CONCURRENTLY "users_verified_name" ON "public"."users" ("name") WHERE "email_verified";',
        'CREATE UNIQUE INDEX CONCURRENTLY "users_name_u" ON "public"."users" ((lower("name")));',
    ],
)
def test_a_concurrent_expression_or_partial_index_is_not_called_blocking(
    index: str, base: Path, tmp_path: Path, dev_url: str
) -> None:
    """Atlas 0.13's PG101 loses CONCURRENTLY on an expression or partial index: not reported."""
    report = lint_one(base, tmp_path, f"{NONE}{index}\n", dev_url)
    assert "require-concurrent-index-creation" not in {p.rule.key for p in report.problems}


def test_opt_outs_are_read_where_they_are_and_only_there(base: Path, tmp_path: Path, dev_url: str) -> None:
    """`--lint:allow` without a space; a multi-line statement (squawk names its clause's line);
    `-- lint:allow` text inside a function body is the body's, not an opt-out."""
    sql = (
        LOCKED + "--lint:allow changing-column-type: no rows yet\n"
        'ALTER TABLE "public"."sessions"\n'
        '  ALTER COLUMN "ip_address" TYPE inet USING "ip_address"::inet;\n'
        'CREATE FUNCTION "public"."f"() RETURNS int LANGUAGE sql AS $$\n'
        "-- lint:allow renaming-column: not an opt-out\n"
        "SELECT 1\n$$;\n"
    )
    report = lint_one(base, tmp_path, sql, dev_url)
    assert report.errors == []
    assert [(p.rule.key, p.line) for p in report.allowed] == [("changing-column-type", 3)]


@pytest.mark.parametrize(
    ("directive", "says"),
    [
        ("-- lint:allow renaming-column", "an opt-out needs a rule and a reason"),
        ("-- lint:allow no-such-rule: x", "no lint rule is called 'no-such-rule'"),
    ],
)
def test_a_malformed_opt_out_is_refused_even_above_a_clean_statement(
    directive: str, says: str, base: Path, tmp_path: Path, dev_url: str
) -> None:
    sql = f'{LOCKED}{directive}\nALTER TABLE "public"."plain" ADD COLUMN "c" text NULL;\n'
    with pytest.raises(lint.UnsafeMigration, match=says):
        lint_one(base, tmp_path, sql, dev_url)


def test_the_txmode_directive_is_read_anywhere_in_the_opening_comments() -> None:
    assert lint.txmode_none("-- one\n-- two\n-- three\n-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY x ON t (a);\n")
    assert not lint.txmode_none("SELECT 1;\n-- atlas:txmode none\n")


def test_an_index_with_a_comment_moves_with_its_comment(
    project_copy: tuple[Path, Path], dev_url: str, fresh_db: str
) -> None:
    schema, folder = project_copy
    edit(
        schema,
        USERS_INDEX,
        '  index "users_name_idx" {\n    columns = [column.name]\n    comment = "By name."\n  }\n' + USERS_INDEX,
    )
    [only] = migrations.diff_and_lint(schema, folder, dev_url).files
    text = only.read_text()
    assert text.startswith("-- atlas:txmode none\n")
    assert text.index("CREATE INDEX CONCURRENTLY") < text.index('COMMENT ON INDEX "users_name_idx"')
    atlas.migrate_apply(folder, fresh_db)
    migrations.check(schema, folder, dev_url)


def test_an_index_that_cannot_be_built_concurrently_stays_and_is_reported(
    project_copy: tuple[Path, Path], dev_url: str
) -> None:
    """A partitioned table's index cannot be built CONCURRENTLY: the migration is left as Atlas
    wrote it, and the lint says what it costs (a refusal naming the statement, not a crash)."""
    schema, folder = project_copy
    schema.write_text(
        schema.read_text() + '\ntable "events" {\n  schema = schema.public\n  column "id" {\n    type = bigint\n  }\n'
        '  column "at" {\n    type = date\n  }\n  partition {\n    type    = RANGE\n    columns = [column.at]\n  }\n}\n'
    )
    migrations.diff_and_lint(schema, folder, dev_url, name="add_events")
    edit(
        schema,
        "    columns = [column.at]\n  }\n}\n",
        '    columns = [column.at]\n  }\n  index "events_at_idx" {\n    columns = [column.at]\n  }\n}\n',
    )
    with pytest.raises(lint.UnsafeMigration) as info:
        migrations.diff_and_lint(schema, folder, dev_url)
    assert 'CREATE INDEX "events_at_idx"' in str(info.value) and "require-concurrent-index-creation" in str(info.value)


def test_a_name_or_an_allow_that_would_break_the_file_is_refused(project_copy: tuple[Path, Path], dev_url: str) -> None:
    schema, folder = project_copy
    with pytest.raises(UsageError, match="letters, digits and _"):
        migrations.diff_and_lint(schema, folder, dev_url, name="../escape")
    with pytest.raises(UsageError, match="without line breaks"):
        migrations.diff_and_lint(schema, folder, dev_url, allow="changing-column-type: one\nSELECT 1")


def test_each_file_is_probed_against_the_tables_before_it(
    base: Path, tmp_path: Path, dev_url: str, server: pg.Server
) -> None:
    """Two new files, the second indexing a table the first made: its lock is seen, and an empty
    table's missing scan is not called a disagreement."""
    folder = tmp_path / "migrations"
    shutil.copytree(base, folder)
    first = folder / "20261202000000_places.sql"
    first.write_text(LOCKED + 'CREATE TABLE "public"."places" ("id" bigint NOT NULL, "name" text NULL);\n')
    second = folder / "20261202000001_places_name.sql"
    second.write_text(LOCKED + 'CREATE INDEX "places_name_idx" ON "public"."places" ("name");\n')
    atlas.migrate_hash(folder)
    report = lint.lint([first, second], folder, dev_url)
    observed = probe.probe([first, second], folder, server.url, package=GENERATED, rows=20)
    [step] = [s for s in observed.steps if s.path == second]
    assert step.locks == (("public.places", "SHARE"),)
    verdicts = [v for v in probe.verdicts(report.problems, observed) if v.rule == "require-concurrent-index-creation"]
    assert verdicts and all(v.agree for v in verdicts), [str(v) for v in verdicts]
