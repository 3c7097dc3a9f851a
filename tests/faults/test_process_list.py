"""No password in the process list: `make migrate`, `status`, `push` and `db-shell` gave the
DATABASE_URL to Atlas and psql as an argument, which every local user reads with `ps -eo args`.
The password now reaches them in their environment (PGPASSWORD), readable by their user only.

Each command runs against a role that must give its password (scram-sha-256), so a password
left out of the environment would fail the command, and `ps -eo args` is read while it runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from codegen.dev import atlas, pg
from codegen.paths import ROOT

SECRET = "Ps-Sh0w3d:@me"  # a ':' and an '@': percent-encoded in the URL, decoded for PGPASSWORD


@pytest.fixture
def password_url(fault_server: pg.ThrowawayServer, fault_db: str) -> Iterator[str]:
    """fault_db as a role that must give SECRET (scram-sha-256 on the local socket)."""
    with pg.connect(fault_server.url) as conn:
        conn.execute(f"CREATE ROLE pw_app LOGIN SUPERUSER PASSWORD '{SECRET}'")
        hba_row = conn.execute("SHOW hba_file").fetchone()
        assert hba_row is not None
        hba = Path(hba_row[0])
        original = hba.read_text()
        hba.write_text("local all pw_app scram-sha-256\n" + original)
        conn.execute("SELECT pg_reload_conf()")
    db = fault_db.split("?")[0].rsplit("/", 1)[1]
    yield f"postgresql://pw_app:{quote(SECRET, safe='')}@/{db}?host={fault_server.socket_dir}"
    hba.write_text(original)
    with pg.connect(fault_server.url) as conn:
        conn.execute("SELECT pg_reload_conf()")
        conn.execute(f"REASSIGN OWNED BY pw_app TO {pg.SUPERUSER}")
        conn.execute("DROP OWNED BY pw_app")
        conn.execute("DROP ROLE pw_app")


def _ps() -> str:
    """Every process's whole arguments (-ww: not cut to a terminal's width), as any local user sees them."""
    return subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True, check=True).stdout


def _codegen(url: str, *args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "codegen", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _watch(proc: subprocess.Popen[str], program: str, release: object = None) -> tuple[list[str], str, str]:
    """The `ps` lines of `program` seen while `proc` runs (polled until it ends), and its output."""
    seen: list[str] = []
    while proc.poll() is None:
        seen += [line for line in _ps().splitlines() if program in line and "ps -ww" not in line]
        if seen and callable(release):
            release()
            release = None
        time.sleep(0.02)
    out, err = proc.communicate()
    return seen, out, err


def _hold(url: str) -> tuple[psycopg.Connection[Any], object]:
    """Hold Atlas's revisions table locked, so that a migrate or status waits where `ps` sees it."""
    conn = pg.connect(url.replace(f"pw_app:{quote(SECRET, safe='')}", pg.SUPERUSER))
    conn.execute("BEGIN")
    conn.execute("LOCK TABLE atlas_schema_revisions.atlas_schema_revisions IN ACCESS EXCLUSIVE MODE")
    return conn, lambda: conn.execute("ROLLBACK")


@pytest.mark.parametrize("command", ["migrate", "status"])
def test_atlas_never_sees_the_password_as_an_argument(password_url: str, command: str) -> None:
    holder, release = _hold(password_url)
    try:
        seen, out, err = _watch(_codegen(password_url, command), "atlas", release)
    finally:
        holder.close()
    assert err == "", err
    assert seen, "atlas was never seen in ps while it waited for the lock"
    assert any("--url" in line and "pw_app@" in line for line in seen), seen
    for shown in (SECRET, quote(SECRET, safe="")):
        assert all(shown not in line for line in seen), seen
        assert shown not in out


def test_push_passes_no_password_to_atlas(password_url: str, tmp_path: Path) -> None:
    """push runs several short Atlas commands: a wrapper records each one's arguments exactly
    as `ps` shows them (and whether PGPASSWORD reached it), then runs the real Atlas."""
    record = tmp_path / "args"
    wrapper = tmp_path / "atlas"
    wrapper.write_text(
        f'#!/bin/sh\nprintf "%s|pw=%s\\n" "$*" "${{PGPASSWORD:+set}}" >> {record}\nexec {atlas.binary()} "$@"\n'
    )
    wrapper.chmod(0o700)
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", "push"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": password_url, "ATLAS": str(wrapper)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "already match" in proc.stdout  # the migrated database is what schema.hcl says
    calls = record.read_text().splitlines()
    assert calls and any("pw_app@" in c and c.endswith("|pw=set") for c in calls), calls
    assert all(SECRET not in c and quote(SECRET, safe="") not in c for c in calls), calls


def test_db_shell_gives_psql_the_password_in_its_environment(password_url: str) -> None:
    proc = _codegen(password_url, "db-shell", stdin=subprocess.PIPE)  # psql waits on its input
    seen: list[str] = []
    for _ in range(500):
        seen = [line for line in _ps().splitlines() if "psql" in line and "ps -ww" not in line]
        if seen:
            break
        time.sleep(0.02)
    out, err = proc.communicate("SELECT current_user AS who;\n", timeout=60)
    assert seen and all(SECRET not in line and quote(SECRET, safe="") not in line for line in seen), seen
    assert "pw_app" in out, out + err  # logged in: the password reached psql


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://app@db.example/chat?host=127.0.0.1",
            "postgres://app@db.example/chat?host=127.0.0.1&sslmode=disable",
        ),
        ("postgresql://app@localhost/chat", "postgres://app@localhost/chat?sslmode=disable"),
        (
            "postgresql://app@/chat?host=/tmp/s",
            "postgres://app@/chat?host=%2Ftmp%2Fs&sslmode=disable".replace("%2F", "/"),
        ),
        ("postgresql://app@db.example/chat", "postgres://app@db.example/chat"),  # remote: lib/pq's require
        ("postgresql://app@127.0.0.1/chat?sslmode=require", "postgres://app@127.0.0.1/chat?sslmode=require"),
    ],
)
def test_atlas_url_takes_the_host_libpq_connects_to(url: str, expected: str) -> None:
    """?host=127.0.0.1 wins over the URL's host in libpq; Atlas's lib/pq then wanted TLS from it."""
    assert pg.atlas_url(url) == expected
