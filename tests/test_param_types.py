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
