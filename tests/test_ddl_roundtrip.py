"""tables.py keeps every index and constraint: each one, compiled back to DDL by SQLAlchemy and
run in place of the original, gives PostgreSQL's own definition back (tests/roundtrip/ddl_roundtrip.py).
The corpus schemas get the same check in tests/test_corpus.py."""

from __future__ import annotations

import re
from pathlib import Path

from codegen.dev import pg
from codegen.paths import ROOT
from tests.package_checks import generate_from_url, mypy_strict, run_python

CASE = ROOT / "tests" / "cases" / "constraint_fidelity" / "schema.sql"
ROUNDTRIP = ROOT / "tests" / "roundtrip" / "ddl_roundtrip.py"


def roundtrip(url: str, out: Path) -> tuple[int, str]:
    """(how many were compared, the script's output); asserts it found no difference."""
    proc = run_python(out, "-W", "ignore", str(ROUNDTRIP), url)
    summary = proc.stdout.splitlines()[-1] if proc.stdout else ""
    match = re.fullmatch(r"(\d+) indexes and constraints compared, 0 differences", summary)
    assert proc.returncode == 0 and match, proc.stdout[-4000:] + proc.stderr[-3000:]
    return int(match[1]), proc.stdout


def test_every_index_and_constraint_feature_round_trips(fresh_db: str, tmp_path: Path) -> None:
    loaded = pg.run_psql(fresh_db, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(CASE))
    assert loaded.returncode == 0, loaded.stderr
    out = tmp_path / "out"
    proc = generate_from_url(fresh_db, out)
    assert proc.returncode == 0, proc.stderr  # before: a traceback on the "position" key
    compared, _ = roundtrip(fresh_db, out)
    with pg.connect(fresh_db) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid WHERE c.contype <> 'n' "
            "AND r.relnamespace = 'public'::regnamespace"
        ).fetchone()
        indexes = conn.execute(
            "SELECT count(*) FROM pg_index i JOIN pg_class r ON r.oid = i.indrelid WHERE r.relnamespace = "
            "'public'::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        ).fetchone()
    assert row is not None and indexes is not None
    assert compared == row[0] + indexes[0]  # every one of them, none skipped
    assert mypy_strict(out).returncode == 0

    # The check can fail: tables.py as plain sqlacodegen left it loses these (issue 23, item 6).
    tables_py = out / "chatmaps_db" / "tables.py"
    source = tables_py.read_text()
    for lost in ("postgresql_nulls_not_distinct=True", 'initially="DEFERRED"', 'COLLATE "C" '):
        assert lost in source, lost
        source = re.sub(rf",?\s*{re.escape(lost)}", "", source)
    tables_py.write_text(source)
    proc = run_python(out, "-W", "ignore", str(ROUNDTRIP), fresh_db)
    assert proc.returncode == 1 and proc.stdout.endswith(" differences\n"), proc.stdout + proc.stderr
    differing = {line.split(":")[0] for line in proc.stdout.splitlines()[:-1]}
    assert {"public.parents.parents_tag_key", "public.children.children_note_nnd"} <= differing
    assert {"public.children.children_parent_id_fkey", "public.children.children_note_c"} <= differing


def test_a_key_on_quoted_columns_gets_its_typed_lookup(fresh_db: str, tmp_path: Path) -> None:
    """The UNIQUE ("position", "Order") key, which crashed generation, is a key like any other."""
    loaded = pg.run_psql(fresh_db, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(CASE))
    assert loaded.returncode == 0, loaded.stderr
    out = tmp_path / "out"
    assert generate_from_url(fresh_db, out).returncode == 0
    code = f"""
from chatmaps_db import Database, models
db = Database({fresh_db!r})
row = db.track_points.insert(models.TrackPointInsert.model_validate({{"id": 1, "position": 3, "Order": "b", "with space": "x y"}}))
assert db.track_points.get_by_position_Order(position=3, Order="b") == row
assert db.track_points.get_by_with_space("x y") == row
assert db.track_points.get_by_position_Order(position=3, Order="c") is None
print("ok")
"""
    proc = run_python(out, "-c", code)
    assert proc.stdout == "ok\n", proc.stderr
