"""Every value the table layer sends is sent as its column's type (tests/roundtrip/param_types.py):
psycopg picks a Python value's type by the value (a list[int] is smallint[] or bigint[] by its
largest element), and `integer[] = smallint[]` has no operator."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen.dev import pg
from tests.package_checks import generate_from_url, run_python
from tests.roundtrip.param_types import TYPES

SCRIPT = Path(__file__).parent / "roundtrip" / "param_types.py"


@pytest.fixture(scope="module")
def typed(server: pg.Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(a database with one column of each type and an array column of each, its package)."""
    import subprocess

    out = tmp_path_factory.mktemp("typed") / "out"
    ddl = subprocess.run([sys.executable, str(SCRIPT), "--schema"], capture_output=True, text=True, check=True).stdout
    with pg.scratch_database(server.url, "typed") as url:
        loaded = pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-c", ddl)
        assert loaded.returncode == 0, loaded.stderr
        proc = generate_from_url(url, out)
        assert proc.returncode == 0, proc.stderr
        yield url, out


def test_every_value_is_sent_as_its_columns_type(typed: tuple[str, Path]) -> None:
    url, out = typed
    proc = run_python(out, str(SCRIPT), url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = {line.split()[0]: dict(cell.split("=") for cell in line.split()[1:]) for line in proc.stdout.splitlines()}
    assert len(table) == 2 * len(TYPES) + 2, proc.stdout  # + the two 2-dimensional arrays
    assert not [(c, op) for c, ops in table.items() for op, result in ops.items() if result == "FAIL"], proc.stdout
    # What a column's type has no operation for: json and point have no `=`, no order and no key;
    # jsonb is not a filter (the query-power issue adds its operators); hstore has no order.
    lacking = {(c, op) for c, ops in table.items() for op, result in ops.items() if result == "-"}
    none = {"filter", "in", "after", "-after", "key", "upsert"}
    expected = {(f"{p}_{t}", op) for t in ("json", "point") for p in "va" for op in none}
    expected |= {(f"{p}_jsonb", op) for p in "va" for op in ("filter", "in", "after", "-after")}
    expected |= {(f"{p}_hstore", op) for p in "va" for op in ("after", "-after")}
    expected = {(c, op) for c, op in expected if op in table[c]}  # an array column has no "in"
    assert lacking == expected, (lacking ^ expected, proc.stdout)


def test_every_where_operator_answers_what_postgresql_answers(typed: tuple[str, Path]) -> None:
    """tests/roundtrip/conditions.py: each operator of each column's where= class, and its negation,
    over values at both ends of each type and NULL, against PostgreSQL's answer written by hand."""
    url, out = typed
    proc = run_python(out, str(SCRIPT.parent / "conditions.py"), url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    classes = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines()}
    assert len(classes) == 2 * len(TYPES) + 2, proc.stdout
    # Which operators a column gets follows its type: no `=` (json, point) -> null tests only.
    text = {"text", "varchar", "bpchar", "name", "citext"}
    ranges = {"int4range", "int8range", "numrange", "daterange", "tstzrange", "int4multirange", "int8multirange"}
    for name, _, _ in TYPES:
        scalar = (
            "Nullable" if name in ("json", "point") else "Jsonb" if name == "jsonb" else "Column" if name == "hstore"
            else "Text" if name in text else "Range" if name in ranges else "Ordered"
        )  # fmt: skip
        assert classes[f"v_{name}"] == scalar, (name, proc.stdout)
        assert classes[f"a_{name}"] == ("Nullable" if name in ("json", "point") else "Array"), (name, proc.stdout)
