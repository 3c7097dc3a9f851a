"""The table layer on packages generated from other schemas (tests/cases/table_layer, the type
zoo), and its typing: mypy --strict accepts the right calls and rejects the wrong ones."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen.dev import pg
from tests.package_checks import generate_from_url, mypy_strict, run_python

HERE = Path(__file__).parent
ROOT = HERE.parent
SCHEMA = HERE / "cases" / "table_layer" / "schema.sql"


@pytest.fixture(scope="module")
def layer(server: pg.Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(a database holding tests/cases/table_layer/schema.sql, the package generated from it)."""
    out = tmp_path_factory.mktemp("layer") / "out"
    with pg.scratch_database(server.url, "layer") as url:
        loaded = pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(SCHEMA))
        assert loaded.returncode == 0, loaded.stderr
        proc = generate_from_url(url, out)
        assert proc.returncode == 0, proc.stderr
        yield url, out


def test_keys_views_no_primary_key_and_errors(layer: tuple[str, Path]) -> None:
    url, out = layer
    proc = run_python(out, str(HERE / "roundtrip" / "table_layer.py"), url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == ["43 checks"], proc.stdout


def _rejected(source: Path, cwd: Path, mypy_path: Path) -> tuple[dict[int, str], dict[int, set[str]]]:
    """(line -> expected error code, line -> codes mypy --strict reported) for `source`."""
    expected = {
        n: m[1]
        for n, line in enumerate(source.read_text().splitlines(), 1)
        if (m := re.search(r"# rejected: (\S+)", line))
    }
    cmd = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--show-error-codes", str(source)]
    env = {**os.environ, "MYPYPATH": str(mypy_path)}
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    reported: dict[int, set[str]] = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"([^:]+):(\d+): error: .*\[([\w-]+)\]$", line)
        if m and Path(m[1]).name == source.name:
            reported.setdefault(int(m[2]), set()).add(m[3])
        elif m:
            raise AssertionError(f"mypy found an error outside {source.name}: {line}")
    return expected, reported


def test_wrong_calls_are_rejected_by_mypy() -> None:
    """tests/typing_rejected/access.py: a filter of the wrong type, an unknown column in order_by,
    an Insert where an Update goes, a key that is not one...: an error on each marked line, none elsewhere."""
    source = HERE / "typing_rejected" / "access.py"
    expected, reported = _rejected(source, ROOT, ROOT / "generated")
    assert expected and set(reported) == set(expected), (expected, reported)
    for line, code in expected.items():
        assert code in reported[line], (line, code, reported[line])


def test_layer_package_passes_mypy_and_rejects_writes_to_views(layer: tuple[str, Path]) -> None:
    _, out = layer
    proc = mypy_strict(out)
    assert proc.returncode == 0, proc.stdout
    wrong = out / "wrong.py"
    wrong.write_text(
        "from chatmaps_db import Database, models\n"
        "\n"
        "\n"
        "def wrong(db: Database) -> None:\n"
        '    db.team_sizes.update(1, models.TeamSiz(team_id=1, slug="x", members=1))  # rejected: attr-defined\n'
        '    db.team_sizes.insert(models.TeamSiz(team_id=1, slug="x", members=1))  # rejected: attr-defined\n'
        "    db.audit_log.get(1)  # rejected: attr-defined\n"
        '    db.audit_log.list(order_by="at", after=None)  # rejected: call-arg\n'
        '    db.members.get(1, "ada")  # rejected: call-overload\n'
        '    db.teams.list(settings={"a": 1})  # rejected: call-overload\n'
    )
    expected, reported = _rejected(wrong, out, out)
    assert set(reported) == set(expected), (expected, reported)
    for line, code in expected.items():
        assert code in reported[line], (line, code, reported[line])


def test_where_conditions_are_typed_by_the_column(server: pg.Server, tmp_path: Path) -> None:
    """tests/typing_rejected/where_zoo.py on the type zoo's package: mypy --strict accepts each
    operator with a value of its column's type and rejects an operator the type lacks (like on an
    integer, > on jsonb, = on json), a value of another type, an unknown column, a condition on
    another table, an Insert given to update_where."""
    out = tmp_path / "out"
    with pg.scratch_database(server.url, "zoo") as url:
        schema = HERE / "cases" / "type_zoo" / "schema.sql"
        loaded = pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(schema))
        assert loaded.returncode == 0, loaded.stderr
        proc = generate_from_url(url, out)
        assert proc.returncode == 0, proc.stderr
    source = out / "where_zoo.py"
    source.write_text((HERE / "typing_rejected" / "where_zoo.py").read_text())
    expected, reported = _rejected(source, out, out)
    assert len(expected) >= 15 and set(reported) == set(expected), (expected, reported)
    for line, code in expected.items():
        assert code in reported[line], (line, code, reported[line])


def test_an_extension_type_whose_schema_is_off_the_search_path(server: pg.Server, tmp_path: Path) -> None:
    """citext installed in schema ext (as Supabase puts extensions in `extensions`), which the
    connection's search_path does not hold: its operators are found only qualified, OPERATOR(ext.=).
    Key lookups, keyword filters and every where= operator answer what PostgreSQL answers."""
    out = tmp_path / "out"
    with pg.scratch_database(server.url, "ext") as url:
        ddl = (
            "CREATE SCHEMA ext; CREATE EXTENSION citext SCHEMA ext;"
            "CREATE TABLE tag (id int PRIMARY KEY, name ext.citext NOT NULL UNIQUE);"
            "INSERT INTO tag VALUES (1, 'Ada'), (2, 'bob'), (3, 'Cy_x'), (4, 'ada%');"
        )
        loaded = pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-c", ddl)
        assert loaded.returncode == 0, loaded.stderr
        proc = generate_from_url(url, out)
        assert proc.returncode == 0, proc.stderr
        # (the call, PostgreSQL's condition: run with ext on the search_path, to be written by hand)
        cases = [
            ("[db.tag.get_by_name('ADA')]", "name = 'ADA'"),
            ("db.tag.list(name='BOB')", "name = 'BOB'"),
            ("db.tag.list(name=['bob', 'cy_X'])", "name IN ('bob', 'cy_X')"),
            ("db.tag.list(c.name.eq('ada'))", "name = 'ada'"),
            ("db.tag.list(c.name.ne('ada'))", "name <> 'ada'"),
            ("db.tag.list(c.name.gt('b'))", "name > 'b'"),
            ("db.tag.list(c.name.between('A', 'B'))", "name BETWEEN 'A' AND 'B'"),
            ("db.tag.list(c.name.in_(['ADA', 'x']))", "name IN ('ADA', 'x')"),
            ("db.tag.list(c.name.not_in(['ada']))", "name NOT IN ('ada')"),
            ("db.tag.list(c.name.distinct_from('BOB'))", "name IS DISTINCT FROM 'BOB'"),
            ("db.tag.list(c.name.starts_with('ADA'))", "name LIKE 'ADA%'"),
            ("db.tag.list(c.name.contains('%'))", "name LIKE '%\\%%'"),
            ("db.tag.list(c.name.like('_O_') | c.name.ilike('c%'))", "name LIKE '_O_' OR name ILIKE 'c%'"),
            ("db.tag.list(c.name.matches('^a'))", "name ~ '^a'"),
            ("db.tag.delete_where_and_return(c.name.eq('CY_X'))", "name = 'CY_X'"),
        ]
        want = []
        for _, condition in cases:
            sql = f"SET search_path = public, ext; SELECT string_agg(id::text, ',' ORDER BY id) FROM tag WHERE {condition}"
            answer = pg.run_psql(url, "-Atc", sql)
            assert answer.returncode == 0, answer.stderr
            want.append(answer.stdout.splitlines()[-1])
        script = "import sys\nfrom chatmaps_db import Database\ndb = Database(sys.argv[1])\nc = db.tag.c\n" + "".join(
            f"print(','.join(str(r.id) for r in sorted({call}, key=lambda r: r.id)))\n" for call, _ in cases
        )
        ran = run_python(out, "-c", script, url)
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.splitlines() == want, list(zip(cases, ran.stdout.splitlines(), want, strict=False))


def test_tables_and_columns_named_like_python_or_the_package_work(server: pg.Server, tmp_path: Path) -> None:
    """tests/cases/reserved_class_names: tables None, True, key, spec, table, match; columns
    to_db, given, model_dump, self, limit: the package imports, passes mypy --strict, and a row
    goes through every table (a table `key` shadowed the access module's Key; a column `to_db`
    made insert() call a string)."""
    out = tmp_path / "out"
    schema = HERE / "cases" / "reserved_class_names" / "schema.sql"
    with pg.scratch_database(server.url, "reserved") as url:
        loaded = pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(schema))
        assert loaded.returncode == 0, loaded.stderr
        made = generate_from_url(url, out)
        assert made.returncode == 0, made.stderr
        typed = mypy_strict(out)
        assert typed.returncode == 0, typed.stdout
        env = {**os.environ, "PYTHONPATH": f"{out}{os.pathsep}{ROOT}"}
        script = str(HERE / "roundtrip" / "every_table.py")
        proc = subprocess.run(
            [sys.executable, script, url], cwd=out, env=env, capture_output=True, text=True, check=False
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == ["16 tables"], proc.stdout  # every table of the schema
