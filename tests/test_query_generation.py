"""The checked queries' generator side: queries/*.sql split by PostgreSQL's lexer and parser,
prepared and described by the database, nullability decided from the description and the
parse tree, and every broken query reported at its file:line:col before anything is written.

Running the generated methods is tests/test_queries.py; the generated code of a small schema
is the golden case tests/cases/checked_queries.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from codegen import sqlfile
from codegen.dev import pg
from codegen.introspect import catalog, queries
from codegen.paths import QUERIES
from codegen.plan import nullability
from tests.package_checks import generate_from_url, mypy_strict, run_python

SCHEMA = """
CREATE TABLE teams (id int PRIMARY KEY, name text NOT NULL, motto text);
CREATE TABLE people (
    id int PRIMARY KEY, team_id int REFERENCES teams, name text NOT NULL, nick text, score int NOT NULL
);
CREATE VIEW named AS SELECT id, name FROM people;
"""

# (SELECT list and FROM, expected nullability per result column): the rule's cases.
CASES = [
    ("SELECT id, nick FROM people", (False, True)),  # the columns' own NOT NULL
    ("SELECT p.name, t.name FROM people p JOIN teams t ON t.id = p.team_id", (False, False)),
    ("SELECT p.name, t.name FROM people p LEFT JOIN teams t ON t.id = p.team_id", (False, True)),
    ("SELECT p.name, t.name FROM people p RIGHT JOIN teams t ON t.id = p.team_id", (True, False)),
    ("SELECT p.name, t.name FROM people p FULL JOIN teams t ON t.id = p.team_id", (True, True)),
    # a self-join: the same table on both sides, told apart by alias
    ("SELECT a.name, b.name FROM people a LEFT JOIN people b ON b.id = a.id + 1", (False, True)),
    # * expands over every FROM item, each with its side
    ("SELECT * FROM teams t LEFT JOIN people p ON p.team_id = t.id", (False, False, True) + (True,) * 5),
    # nested joins: the LEFT's right side holds an inner join, NULL-extended as a whole
    (
        "SELECT t.name, p.name FROM teams t LEFT JOIN (people p JOIN teams u ON u.id = p.team_id) ON p.team_id = t.id",
        (False, True),
    ),
    # through a subquery or CTE on the nullable side, or with an outer join inside
    ("SELECT s.name FROM teams t LEFT JOIN (SELECT name, team_id FROM people) s ON s.team_id = t.id", (True,)),
    ("SELECT s.name FROM (SELECT p.name FROM teams t LEFT JOIN people p ON p.team_id = t.id) s", (True,)),
    ("SELECT s.name FROM (SELECT name FROM people) s", (False,)),
    (
        "WITH c AS (SELECT name, team_id FROM people) SELECT c.name FROM teams t LEFT JOIN c ON c.team_id = t.id",
        (True,),
    ),
    ("WITH c AS (SELECT name FROM people) SELECT name FROM c", (False,)),
    # aggregates and expressions: nullable unless proven
    ("SELECT count(*), count(nick), max(score), sum(score) FROM people", (False, False, True, True)),
    ("SELECT 1, 'x', NULL::text, score + 1, nick || 'x' FROM people", (False, False, True, False, True)),
    ("SELECT coalesce(nick, p.name), coalesce(nick, motto) FROM people p, teams", (False, True)),
    ("SELECT CASE WHEN score > 0 THEN 'a' ELSE 'b' END, CASE WHEN score > 0 THEN 'a' END FROM people", (False, True)),
    (
        "SELECT EXISTS (SELECT 1 FROM teams), nick IS NULL, (SELECT name FROM teams LIMIT 1) FROM people",
        (False, False, True),
    ),
    ("SELECT score > 1 AND name <> 'x', now(), row_number() OVER () FROM people", (False, False, False)),
    # set operations: nothing ties a column to one side
    ("SELECT name FROM people UNION SELECT name FROM teams", (True,)),
    # a view's columns carry no NOT NULL
    ("SELECT id, name FROM named", (True, True)),
    # the alias suffixes (applied by plan/queries.py; here the inferred value under them)
    ('SELECT max(score) AS "top!", name AS "n?" FROM people GROUP BY name', (True, False)),
    # RETURNING: the written row, NOT NULL holds
    ("UPDATE people SET nick = 'x' RETURNING id, nick, name", (False, True, False)),
    ("DELETE FROM people RETURNING *", (False, True, False, True, False)),
]


@pytest.fixture(scope="module")
def schema_url(server: pg.Server) -> object:
    with pg.scratch_database(server.url, "nullability") as url:
        with pg.connect(url) as conn:
            conn.execute(SCHEMA)
        yield url


@pytest.mark.parametrize(("sql", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_nullability_rule(schema_url: str, sql: str, expected: tuple[bool, ...]) -> None:
    parsed = sqlfile.Parsed(*sqlfile.parse(f"-- name: Q :exec\n{sql};\n", "queries/q.sql"))
    assert not parsed.problems
    (described,) = queries.describe(schema_url, parsed)
    assert (
        nullability.result_nullable(parsed.queries[0].sql, described.fields, catalog.introspect(schema_url)) == expected
    )


BROKEN = {
    "users.sql": """-- name: GetUser :one
SELECT id, name FROM users WHERE id = @id;

-- name: FindByEmail :one
-- A typo in a column's name: PostgreSQL's own message and hint, at the typo.
SELECT id,
       emial FROM users WHERE email = @email;

-- name: TwoTypes :many
SELECT id FROM users WHERE name = @value OR email_verified = @value;

-- name: TwoCasts :many
SELECT id FROM users WHERE name = @value::text OR email_verified = @value::bool;

-- name: Untyped :one
SELECT @thing IS NULL AS missing;

-- name: TwoStatements :exec
DELETE FROM sessions; DELETE FROM accounts;

-- name: GetUser :one
SELECT 1 AS one;

-- name: NoRows :one
DELETE FROM sessions WHERE id = @id;

-- name: Weird :all
SELECT 1;
""",
    "stray.sql": """SELECT 1;

-- name: Fine :one
SELECT 1 AS one;
""",
}


def test_every_broken_query_is_listed_at_its_place(migrated_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "queries"
    folder.mkdir()
    for name, text in BROKEN.items():
        (folder / name).write_text(text)
    out = tmp_path / "out"
    proc = generate_from_url(migrated_db, out, "--queries", str(folder))
    assert proc.returncode == 1
    w = f"error: {folder}"
    assert proc.stderr.splitlines() == [
        f"{w}/stray.sql:1:1: SQL without a `-- name: QueryName :kind` line above it: name every query",
        f'{w}/users.sql:7:8: FindByEmail: column "emial" does not exist '
        '(hint: Perhaps you meant to reference the column "users.email".)',
        f"{w}/users.sql:10:60: TwoTypes: operator does not exist: boolean = text (hint: @value is used in more "
        "than one place, and a parameter has one type: use two parameters, or cast so that every use takes the same type)",
        f"{w}/users.sql:13:74: TwoCasts: @value is cast to text and to bool: a parameter has one type; use two parameters",
        f"{w}/users.sql:16:8: Untyped: could not determine data type of parameter @thing "
        "(hint: give it a type with a cast, e.g. @name::text)",
        f"{w}/users.sql:19:23: TwoStatements: two statements under one name: give each its own "
        "`-- name: Name :kind` line",
        f"{w}/users.sql:21:1: query name GetUser is taken by {folder}/users.sql:1: rename one",
        f"{w}/users.sql:24:1: NoRows is :one but returns no rows: use :exec or :execrows, or add RETURNING",
        f"{w}/users.sql:27:1: Weird: unknown kind :all; use one of :one, :many, :exec, :execrows, :copyfrom",
    ]
    assert not out.exists()  # nothing written


def test_make_check_fails_when_a_migration_breaks_a_query(tmp_path: Path, project_copy: tuple[Path, Path]) -> None:
    """A migration renames users.image, which queries/sessions.sql reads: `codegen update` refuses
    (and writes nothing), and `codegen check` on the renamed schema fails naming the query's line."""
    schema, migrations = project_copy
    folder = tmp_path / "queries"
    shutil.copytree(QUERIES, folder)
    schema.write_text(schema.read_text().replace('column "image" {', 'column "avatar" {', 1))
    version = datetime.now(UTC).strftime("%Y%m%d%H%M%S")  # after every other migration, and not in the future
    (migrations / f"{version}_rename_image.sql").write_text(
        "SET lock_timeout = '5s';\n-- lint:allow renaming-column: this test breaks the query on purpose\n"
        'ALTER TABLE "users" RENAME COLUMN "image" TO "avatar";\n'
    )
    (migrations / "down" / f"{version}_rename_image.sql").write_text(
        'ALTER TABLE "users" RENAME COLUMN "avatar" TO "image";\n'
    )
    # The project's lint_after: its first two migrations predate the lint.
    (migrations.parent / "pyproject.toml").write_text('[tool.codegen.migrations]\nlint_after = "20261122215456"\n')
    base = [sys.executable, "-m", "codegen"]
    hashed = subprocess.run(
        [*base, "hash", "--migrations", str(migrations)], capture_output=True, text=True, check=False
    )
    assert hashed.returncode == 0, hashed.stderr
    check = [*base, "check", "--schema", str(schema), "--migrations", str(migrations), "--queries", str(folder)]
    proc = subprocess.run(check, capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    line = next(i for i, text in enumerate((folder / "sessions.sql").read_text().splitlines(), 1) if "u.image" in text)
    assert proc.stderr.strip() == (
        f"error: {folder}/sessions.sql:{line}:60: GetSessionWithUser: column u.image does not exist"
    ), proc.stderr


CASE = Path(__file__).parent / "cases" / "checked_queries"


def test_a_generated_query_package_runs_and_type_checks(server: pg.Server, tmp_path: Path) -> None:
    """tests/cases/checked_queries' package (its code is that case's golden file) against its schema:
    enum, text[] and jsonb parameters, a LEFT JOIN's NULL side, :copyfrom, sync and async; and
    mypy --strict on the package."""
    out = tmp_path / "out"
    with pg.scratch_database(server.url, "queries") as url:
        loaded = pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(CASE / "schema.sql"))
        assert loaded.returncode == 0, loaded.stderr
        proc = generate_from_url(url, out, "--queries", str(CASE / "queries"))
        assert proc.returncode == 0, proc.stderr
        ran = run_python(out, str(Path(__file__).parent / "roundtrip" / "checked_queries.py"), url)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.splitlines() == ["14 checks"], ran.stdout
    typed = mypy_strict(out)
    assert typed.returncode == 0, typed.stdout


def test_wrong_calls_are_rejected_by_mypy() -> None:
    """tests/typing_rejected/queries.py: a parameter of the wrong type, positional or unknown
    keywords, a missing one, a row of the wrong shape, a nullable result used as a row."""
    from tests.test_access_schemas import _rejected

    root = Path(__file__).parent.parent
    source = root / "tests" / "typing_rejected" / "queries.py"
    expected, reported = _rejected(source, root, root / "generated")
    assert expected and set(reported) == set(expected), (expected, reported)
    for line, code in expected.items():
        assert code in reported[line], (line, code, reported[line])
