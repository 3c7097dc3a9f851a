"""Extension types (citext, hstore, ltree) and xml on Debian's PostgreSQL with contrib, and
the error the embedded server gives for a migration that needs an extension it lacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import atlas, pg
from tests.package_checks import mypy_strict, run_python

HERE = Path(__file__).parent
MIGRATION = """\
CREATE EXTENSION citext;
CREATE EXTENSION hstore;
CREATE EXTENSION ltree;
CREATE TABLE things (
  id integer PRIMARY KEY,
  email citext NOT NULL UNIQUE,
  attrs hstore,
  path ltree,
  doc xml
);
"""

ROUND_TRIP = """
import sys
from psycopg.rows import dict_row
from chatmaps_db.db import Database
from chatmaps_db.models import Thing, ThingInsert

sent = ThingInsert(id=1, email="Ann@Example.org", attrs={"a": "1", "b": None}, path="top.mid.leaf", doc="<a>b</a>")
db = Database(sys.argv[1])
with db.transaction() as conn:
    data = sent.to_db()
    conn.execute("INSERT INTO things (id, email, attrs, path, doc) "
                 "VALUES (%(id)s, %(email)s, %(attrs)s, %(path)s, %(doc)s)", data)
    # citext compares case-insensitively; the value comes back as typed.
    row = conn.cursor(row_factory=dict_row).execute("SELECT * FROM things WHERE email = 'ann@example.ORG'").fetchone()
got = Thing.model_validate(row)
db.close()
for name in type(sent).model_fields:
    if getattr(sent, name) != getattr(got, name) or type(getattr(sent, name)) is not type(getattr(got, name)):
        print(f"{name}: sent {getattr(sent, name)!r}, read back {getattr(got, name)!r}")
print("checked", len(type(sent).model_fields))
"""


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20260101000000_extensions.sql").write_text(MIGRATION)
    atlas.migrate_hash(folder)
    return folder


def generate(migrations: Path, out: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "codegen", "generate", "--migrations", str(migrations), "--out", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)


def test_embedded_server_names_the_missing_extension_and_what_to_use(migrations: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ATLAS_DEV_URL"}
    proc = generate(migrations, tmp_path / "out", env)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "error: migrations/20260101000000_extensions.sql:1 needs the extension citext, which the embedded "
        "PostgreSQL (pgserver) does not ship: use text with a unique index on lower(column) (as schema.hcl "
        "does for users.email) instead, or set ATLAS_DEV_URL to a server that has it "
        "(Debian: apt-get install postgresql-contrib)"
    ]


def test_extension_types_generate_type_check_and_round_trip(
    contrib: pg.Server, migrations: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    # ATLAS_DEV_URL's server hosts the generator's scratch database too.
    proc = generate(migrations, out, {**os.environ, "ATLAS_DEV_URL": contrib.url})
    assert proc.returncode == 0, proc.stderr
    models = (out / "chatmaps_db" / "models.py").read_text()
    for line in (
        "    email: str\n",
        "    attrs: dict[str, str | None] | None\n",
        "    path: str | None\n",
        "    doc: str | None\n",
    ):
        assert line in models
    assert 'PG_HSTORE: tuple[str, ...] = ("public.hstore",)' in (out / "chatmaps_db" / "_meta.py").read_text()

    mypy = mypy_strict(out)
    assert mypy.returncode == 0, mypy.stdout

    with pg.scratch_database(contrib.url, "ext") as url:
        atlas.migrate_apply(migrations, url)
        run = run_python(out, "-c", ROUND_TRIP, url)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["checked 5"]
