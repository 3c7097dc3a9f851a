"""PostgreSQL servers and databases: the embedded pgserver, scratch databases, URLs.

The embedded server is real PostgreSQL shipped inside the `pgserver` wheel. A
throwaway one lives in a temporary directory and is deleted on exit; the local dev
server lives under .data/postgres and keeps running until `make db-stop`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from codegen.errors import DatabaseError, ToolMissing
from codegen.redact import redact

SUPERUSER = "postgres"


@dataclass(frozen=True)
class Server:
    """A running PostgreSQL server, reached by its maintenance database URL."""

    url: str

    def database_url(self, name: str) -> str:
        """The URL of database `name` on this server."""
        return replace_database(self.url, name)


def replace_database(url: str, name: str) -> str:
    """`url` with its database (the path) replaced by `name`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def atlas_url(url: str) -> str:
    """A libpq URL as Atlas (lib/pq) wants it: unix sockets need `sslmode=disable`."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    scheme = "postgres" if parts.scheme in ("postgres", "postgresql") else parts.scheme
    if query.get("host", "").startswith("/") and "sslmode" not in query:
        query["sslmode"] = "disable"
    return urlunsplit(parts._replace(scheme=scheme, query=urlencode(query, safe="/")))


def _pgserver() -> Any:
    # pgserver warns at import when XDG_RUNTIME_DIR is unset; the fallback is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pgserver
        except ImportError as exc:  # pragma: no cover - the venv always has it
            raise ToolMissing("pgserver is not installed: run `make venv`") from exc
    return pgserver


def _socket_url(uri: str) -> str:
    """pgserver's URI (`postgresql://postgres:@/postgres?host=...`) without the empty password."""
    return uri.replace(f"{SUPERUSER}:@", f"{SUPERUSER}@", 1)


@contextmanager
def throwaway_server() -> Iterator[Server]:
    """Start an embedded server in a temporary directory; stop and delete it afterwards."""
    base = Path(tempfile.mkdtemp(prefix="chatmaps-pg-"))
    base.chmod(0o755)  # as root, pgserver runs postgres as its own user
    try:
        server = _pgserver().get_server(base / "data", cleanup_mode="delete")
        try:
            yield Server(_socket_url(server.get_uri()))
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def start_local(data_dir: Path) -> Server:
    """Start (or find running) the persistent local dev server under `data_dir`."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = _pgserver().get_server(data_dir, cleanup_mode=None)
    return Server(_socket_url(server.get_uri()))


def stop_local(data_dir: Path) -> bool:
    """Stop the local dev server; False when it was not running."""
    if not (data_dir / "postmaster.pid").exists():
        return False
    pgserver = _pgserver()
    user = "pgserver" if os.geteuid() == 0 else None
    pgserver.pg_ctl(["-w", "stop"], pgdata=data_dir, user=user)
    return True


def connect(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    """An autocommit connection, with a one-line error that never shows the password."""
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"cannot connect to {redact(url)}: {redact(first)}") from None
    return conn


def create_database(server_url: str, name: str) -> str:
    """Create an empty database and return its URL."""
    with connect(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return replace_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    """Drop a database, disconnecting anyone still on it."""
    with connect(server_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def scratch_database(server_url: str, prefix: str = "chatmaps_scratch") -> Iterator[str]:
    """A fresh, empty database for the duration of the block, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = create_database(server_url, name)
    try:
        yield url
    finally:
        drop_database(server_url, name)


@contextmanager
def dev_server() -> Iterator[Server]:
    """Where scratch databases for Atlas and the generator go: ATLAS_DEV_URL's server if
    set (e.g. one with contrib extensions), else a throwaway embedded server."""
    override = os.environ.get("ATLAS_DEV_URL")
    if override:
        yield Server(override)
        return
    with throwaway_server() as server:
        yield server


@contextmanager
def dev_database(server: Server | None = None) -> Iterator[str]:
    """The dev database Atlas may wipe: ATLAS_DEV_URL if set, else a fresh one on `server`
    (from dev_server(), so one command starts one server), else on a throwaway server."""
    override = os.environ.get("ATLAS_DEV_URL")
    if override:
        yield override
        return
    with nullcontext(server) if server else throwaway_server() as host, scratch_database(host.url, "atlas_dev") as url:
        yield url


def psql_path() -> str:
    """The psql bundled with pgserver (same major version as the server)."""
    _pgserver()
    from pgserver._commands import POSTGRES_BIN_PATH

    path = Path(POSTGRES_BIN_PATH) / "psql"
    if not path.exists():  # pragma: no cover - part of the wheel
        raise ToolMissing(f"psql not found at {path}: reinstall pgserver with `make venv`")
    return str(path)


def run_psql(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the bundled psql against `url`."""
    return subprocess.run([psql_path(), url, *args], text=True, capture_output=True, check=False)
