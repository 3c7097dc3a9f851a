"""Debian's PostgreSQL with contrib, started in a temporary directory for one test session.

The embedded server (pgserver) ships no contrib extensions, so the tests of citext,
hstore, ltree and the PostgREST fixtures run here instead. `make test` installs the
Debian packages (postgresql, postgresql-contrib) when they are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from codegen import pg

MISSING = "Debian's PostgreSQL with contrib is not installed: `make test` installs it (apt-get, as root)"


def bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin whose share has the contrib extensions."""
    found = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        version = initdb.parent.parent.name
        if Path(f"/usr/share/postgresql/{version}/extension/citext.control").exists() and version.isdigit():
            found.append((int(version), initdb.parent))
    return max(found)[1] if found else None


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as Debian's `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def contrib_server() -> Iterator[pg.Server]:
    """initdb + pg_ctl start in a temporary directory (unix socket only); stopped and deleted afterwards."""
    bindir = bin_dir()
    assert bindir is not None, MISSING
    base = Path(tempfile.mkdtemp(prefix="chatmaps-contrib-"))
    base.chmod(0o755)  # /tmp/x/ must be reachable by the postgres user
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    data = base / "data"

    def run(*cmd: str) -> None:
        proc = subprocess.run(_as_postgres(list(cmd)), capture_output=True, text=True, check=False, cwd=base)
        assert proc.returncode == 0, f"{cmd[0]} failed: {proc.stderr or proc.stdout}"

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
    opts = f"-k {base} -c listen_addresses='' -c fsync=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start")
    try:
        yield pg.Server(f"postgresql://postgres@/postgres?host={base}")
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
