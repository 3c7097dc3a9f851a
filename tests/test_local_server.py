"""The local dev server and the commands on it (make db-start, db-stop, db-reset, migrate,
status), each run as `python -m codegen` in a fresh process on a data directory of the test's
own: the embedded PostgreSQL (or PG_BINDIR's), never a mock."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen.dev import pg
from codegen.paths import MIGRATIONS, ROOT

OLD_WHEELS = ROOT / ".venv" / "wheels" / "old-postgres"
SECRET = "s3cret-pw"


def codegen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} if env is None else env
    cmd = [sys.executable, "-m", "codegen", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=environment, check=False)


def applied(url: str) -> list[str]:
    with pg.connect(url) as conn:
        rows = conn.execute("SELECT version FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY version")
        return [str(r[0]) for r in rows]


def all_versions() -> list[str]:
    return sorted(p.name.split("_")[0] for p in MIGRATIONS.glob("*.sql"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    data = tmp_path / "local data"  # a space, as in many home folders
    yield data
    pg.stop_local(data)  # whatever the test left running


def test_start_migrate_status_stop_reset(data_dir: Path) -> None:
    dirs = ("--data-dir", str(data_dir))
    started = codegen("db-start", *dirs)
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip().removeprefix("local PostgreSQL is running: DATABASE_URL=")
    assert pg.connect(url).execute("SELECT 1").fetchone() == (1,)
    assert codegen("db-start", *dirs).stdout == started.stdout  # already running: the same server

    migrated = codegen("migrate", *dirs)
    assert migrated.returncode == 0, migrated.stderr
    assert applied(url) == all_versions()
    status = codegen("status", *dirs)
    assert status.returncode == 0 and "Already at latest version" in status.stdout

    with pg.connect(url) as conn:
        conn.execute("INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')")
    reset = codegen("db-reset", *dirs)
    assert reset.returncode == 0, reset.stderr
    with pg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)
    assert applied(url) == all_versions()

    assert codegen("db-stop", *dirs).stdout == "local PostgreSQL stopped\n"
    assert codegen("db-stop", *dirs).stdout == "local PostgreSQL was not running\n"


def old_postgres(tmp_path: Path) -> pg.Installation:
    """PostgreSQL 16.2 from pgserver 0.1.4's wheel (what chatmaps-db embedded before)."""
    wheels = sorted(OLD_WHEELS.glob("pgserver-0.1.4-*.whl"))
    assert wheels, f"pgserver's wheel is missing from {OLD_WHEELS}: `make test` downloads it"
    target = tmp_path / "pgserver"
    with zipfile.ZipFile(wheels[0]) as wheel:
        for info in wheel.infolist():
            if info.filename.startswith(("pgserver/pginstall/", "pgserver.libs/")):
                path = Path(wheel.extract(info, target))
                path.chmod(((info.external_attr >> 16) & 0o777) or 0o644)
    return pg.Installation(target / "pgserver" / "pginstall" / "bin", "pgserver 0.1.4")


def test_data_left_by_an_older_major_version_is_refused_in_one_line(data_dir: Path, tmp_path: Path) -> None:
    old = old_postgres(tmp_path)
    assert old.major == 16
    pg.start_local(data_dir, old)  # left running, as an upgrade would find it
    started = codegen("db-start", "--data-dir", str(data_dir))
    assert started.returncode == 1
    assert started.stderr.splitlines() == [
        f"error: {data_dir} holds PostgreSQL 16 data, which {pg.installation().describe()} cannot open: "
        "run `make db-reset` to wipe the local data and start afresh (its rows are lost; keep them with "
        "PostgreSQL 16's pg_dump first)"
    ]
    # The way out it names: db-reset stops the old server, wipes its data and migrates a new one.
    reset = codegen("db-reset", "--data-dir", str(data_dir))
    assert reset.returncode == 0, reset.stderr
    assert (data_dir / "PG_VERSION").read_text().strip() == str(pg.installation().major)
    url = reset.stdout.strip().removeprefix("local PostgreSQL reset and migrated: DATABASE_URL=")
    assert applied(url) == all_versions()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            f"postgresql://app:{SECRET}@db:54x2/chat",
            "DATABASE_URL has a port that is not a number from 1 to 65535: "
            "expected postgresql://user:password@host:5432/dbname",
        ),
        (
            f"mysql://app:{SECRET}@db/chat",
            "DATABASE_URL must start with postgresql:// or postgres:// (it starts with 'mysql://'): expected postgresql://user:password@host:5432/dbname",
        ),
        ("", "DATABASE_URL is empty: set it to postgresql://user:password@host:5432/dbname"),
    ],
)
def test_migrate_validates_database_url_as_the_package_does(url: str, message: str) -> None:
    for command in ("migrate", "status"):
        proc = codegen(command, env={**os.environ, "DATABASE_URL": url})
        assert proc.returncode == 1
        assert proc.stderr.splitlines() == [f"error: {message}"]
        assert SECRET not in proc.stdout + proc.stderr


def test_migrate_a_socket_url_needs_no_sslmode(fresh_db: str) -> None:
    assert "sslmode" not in fresh_db
    proc = codegen("migrate", env={**os.environ, "DATABASE_URL": fresh_db})
    assert proc.returncode == 0, proc.stderr
    assert applied(fresh_db) == all_versions()


def test_embedded_installation_describes_itself() -> None:
    embedded = pg.embedded()
    assert embedded.major == 18
    assert embedded.describe() == f"the embedded PostgreSQL {embedded.version}"
    assert {"citext", "hstore", "ltree", "pg_trgm", "vector"} <= embedded.extensions
    assert not embedded.has_libxml and not {"pgcrypto", "uuid-ossp"} & embedded.extensions
