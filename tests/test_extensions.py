"""Extensions. The embedded PostgreSQL 18 ships most of contrib: citext, hstore and ltree
generate, type-check and round-trip on it. What it lacks (pgcrypto, uuid-ossp, libxml for
xml values) is tested on a PG_BINDIR server that has it. A migration needing an extension
the server lacks stops with the file, the line and what to use instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.dev import atlas, pg
from tests.package_checks import models_source, mypy_strict, run_python

CONTRIB = """\
CREATE EXTENSION citext;
CREATE EXTENSION hstore;
CREATE EXTENSION ltree;
CREATE TABLE things (
  id integer PRIMARY KEY,
  email citext NOT NULL UNIQUE,
  attrs hstore,
  path ltree
);
"""

BEYOND_EMBEDDED = """\
CREATE EXTENSION pgcrypto;
CREATE EXTENSION "uuid-ossp";
CREATE TABLE tokens (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  secret_hash text NOT NULL DEFAULT crypt('secret', gen_salt('bf', 4)),
  doc xml
);
"""

ROUND_TRIP_CONTRIB = """
import sys
from psycopg.rows import dict_row
from chatmaps_db.db import Database
from chatmaps_db.models import Thing, ThingInsert

sent = ThingInsert(id=1, email="Ann@Example.org", attrs={"a": "1", "b": None}, path="top.mid.leaf")
db = Database(sys.argv[1])
with db.transaction() as conn:
    conn.execute("INSERT INTO things (id, email, attrs, path) VALUES (%(id)s, %(email)s, %(attrs)s, %(path)s)", sent.to_db())
    # citext compares case-insensitively; the value comes back as typed.
    row = conn.cursor(row_factory=dict_row).execute("SELECT * FROM things WHERE email = 'ann@example.ORG'").fetchone()
got = Thing.model_validate(row)
db.close()
for name in type(sent).model_fields:
    if getattr(sent, name) != getattr(got, name) or type(getattr(sent, name)) is not type(getattr(got, name)):
        print(f"{name}: sent {getattr(sent, name)!r}, read back {getattr(got, name)!r}")
print("checked", len(type(sent).model_fields))
"""

ROUND_TRIP_BEYOND = """
import sys, uuid
from psycopg.rows import dict_row
from chatmaps_db.db import Database
from chatmaps_db.models import Token, TokenInsert

sent = TokenInsert(doc="<a>b</a>")
db = Database(sys.argv[1])
with db.transaction() as conn:
    cur = conn.cursor(row_factory=dict_row)
    row = cur.execute("INSERT INTO tokens (doc) VALUES (%(doc)s) RETURNING *", sent.to_db()).fetchone()
    checked = cur.execute("SELECT crypt('secret', %(h)s) = %(h)s AS ok", {"h": row["secret_hash"]}).fetchone()
got = Token.model_validate(row)
db.close()
print(type(got.id) is uuid.UUID and got.id.version == 4, got.doc == sent.doc, checked["ok"])
"""


def migration_dir(tmp_path: Path, sql: str) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20260101000000_extensions.sql").write_text(sql)
    atlas.migrate_hash(folder)
    return folder


def generate(migrations: Path, out: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "codegen", "generate", "--migrations", str(migrations), "--out", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)


def no_dev_url() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "ATLAS_DEV_URL"}


def test_missing_extension_names_the_file_line_and_what_to_use(tmp_path: Path) -> None:
    # Neither the embedded build nor Debian's server has PostGIS.
    migrations = migration_dir(tmp_path, "-- places\nCREATE EXTENSION postgis;\nCREATE TABLE p (id int);\n")
    proc = generate(migrations, tmp_path / "out", no_dev_url())
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "error: migrations/20260101000000_extensions.sql:2 needs the extension postgis, which "
        f"{pg.installation().describe()} does not ship: use the built-in geometric types (point, box, polygon) "
        "instead, or set ATLAS_DEV_URL to a server that has it (see README, Extensions)"
    ]
    assert not (tmp_path / "out").exists()


def test_contrib_types_generate_type_check_and_round_trip(server: pg.Server, tmp_path: Path) -> None:
    migrations = migration_dir(tmp_path, CONTRIB)
    out = tmp_path / "out"
    proc = generate(migrations, out, no_dev_url())  # on the embedded server (or PG_BINDIR's)
    assert proc.returncode == 0, proc.stderr
    models = models_source(out)
    for line in ("    email: str\n", "    attrs: dict[str, str | None] | None\n", "    path: str | None\n"):
        assert line in models
    assert 'PG_HSTORE: tuple[str, ...] = ("public.hstore",)' in (out / "chatmaps_db" / "_meta.py").read_text()

    mypy = mypy_strict(out)
    assert mypy.returncode == 0, mypy.stdout

    with pg.scratch_database(server.url, "ext") as url:
        atlas.migrate_apply(migrations, url)
        run = run_python(out, "-c", ROUND_TRIP_CONTRIB, url)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["checked 4"]


@pytest.mark.needs_server(extensions=("pgcrypto", "uuid-ossp"), libxml=True)
def test_what_the_embedded_build_lacks_generates_and_round_trips(server: pg.Server, tmp_path: Path) -> None:
    migrations = migration_dir(tmp_path, BEYOND_EMBEDDED)
    out = tmp_path / "out"
    proc = generate(migrations, out, no_dev_url())
    assert proc.returncode == 0, proc.stderr
    models = models_source(out)
    assert "    id: UUID\n" in models and "    doc: str | None\n" in models
    assert mypy_strict(out).returncode == 0

    with pg.scratch_database(server.url, "beyond") as url:
        atlas.migrate_apply(migrations, url)
        run = run_python(out, "-c", ROUND_TRIP_BEYOND, url)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True", "True"]
