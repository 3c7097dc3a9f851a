"""The migration lint (codegen/dev/lint.py, rules in lint_rules.py) on real Atlas and the real
squawk binary: for each rule the project enables, a migration that trips it and the safe way to
write the same change, which does not; opt-outs; and the table kept in step with .squawk.toml."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from codegen.dev import atlas, lint
from codegen.dev.lint_rules import BY_KEY, RULES
from codegen.paths import MIGRATIONS, ROOT

LOCKED = "SET lock_timeout = '5s';\n"
NONE = "-- atlas:txmode none\n\nSET lock_timeout = '5s';\n"

# Beside ChatMaps' own migrations: a table without a primary key, a partitioned one, an enum.
BASE = """CREATE TABLE "public"."plain" ("a" bigint NOT NULL, "b" text NULL);
CREATE UNIQUE INDEX "plain_a_key" ON "public"."plain" ("a");
CREATE TABLE "public"."events" ("id" bigint NOT NULL, "at" date NOT NULL) PARTITION BY RANGE ("at");
CREATE TABLE "public"."events_2026" PARTITION OF "public"."events" FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TYPE "public"."mood" AS ENUM ('sad', 'ok');
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
        NONE + 'REINDEX INDEX "public"."users_email_lower_key";\n',
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
