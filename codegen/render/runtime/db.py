# Derived from db_async.py by codegen/render/async_to_sync.py (digest 4d2722b3064d38d7); do not edit.
"""Connection layer (sync): Database. Derived from db_async.py; do not edit.

Importing this module touches neither the environment nor the network; constructing a
database validates its settings and does no I/O; connections are made on first use.

Read replicas (DATABASE_REPLICA_URLS), like Drizzle's withReplicas: the table layer's reads
(get, list, count), the checked queries that are plain SELECTs, and db.read() go to a replica
picked at random; writes, db.connection() and db.transaction() go to the primary. A replica
that refuses, breaks, or replays the primary's changes more than replica_max_lag seconds late
is skipped for a few seconds, with a warning, and reads go to another one or to the primary.
Read your own writes inside db.transaction() (or db.connection()): those run on the primary.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from functools import partial
from time import monotonic
from typing import TypeVar, Unpack

import psycopg
from psycopg import errors
from psycopg.pq import Format, TransactionStatus
from psycopg.types import TypeInfo
from psycopg.types.array import register_array
from psycopg.types.composite import CompositeInfo, register_composite
from psycopg.types.enum import EnumInfo, register_enum
from psycopg.types.hstore import register_hstore

from chatmaps_db import _observe, geometry, schema_check
from chatmaps_db._compat import all_of, sleep, within
from chatmaps_db._meta import (
    MIGRATION_VERSION,
    MIGRATIONS,
    PG_ARRAYS,
    PG_COMPOSITES,
    PG_ENUMS,
    PG_HSTORE,
    SHAPE_HASH,
    TABLES,
)
from chatmaps_db._types import Isolation, set_transaction
from chatmaps_db.access import Connection, Tables
from chatmaps_db.errors import (
    ConfigError,
    ConnectError,
    ConnectionLost,
    LoginRefused,
    PoolExhausted,
    QueryCancelled,
    SchemaMismatch,
    ServerUnavailable,
)
from chatmaps_db.events import Hook, Observer
from chatmaps_db.health import Health, ReplicaHealth, ReplicaStatus
from chatmaps_db.pool import Pool
from chatmaps_db.settings import Options, Settings

T = TypeVar("T")
log = logging.getLogger("chatmaps_db")

# Errors after which the unit of work may simply run again: the server rolled it back.
_RETRYABLE = (errors.SerializationFailure, errors.DeadlockDetected)
# The server ends the session with these; the client sees the connection break.
_SERVER_ENDED = (errors.AdminShutdown, errors.CrashShutdown, errors.IdleInTransactionSessionTimeout)
# A replica found down or lagging is left out of reads for this long, then tried again.
REPLICA_RETRY_AFTER = 5.0
# A replica's lag is read again (one extra statement) when a read uses it this long after the last read.
LAG_CHECK_EVERY = 1.0
# Seconds a replica is behind: 0 when it has replayed all the WAL it received, else the age of
# the last transaction it replayed (a primary with nothing to send looks current). NULL on a
# server that is not in recovery: a primary given as a replica has no lag.
LAG_SQL = """
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN NULL
  WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
  ELSE COALESCE(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)
END::float8
"""

# PG_ARRAYS' element types: (name, oid, array oid, delimiter, the oid their elements load as).
_ARRAY_TYPES_SQL = """
SELECT u.name, t.oid::int8, t.typarray::int8, t.typdelim::text, to_regtype(u.base)::oid::int8
FROM unnest(%s::text[], %s::text[]) AS u(name, base)
JOIN pg_catalog.pg_type t ON t.oid = to_regtype(u.name) AND t.typarray <> 0
"""

# How a server refuses a login for good (its English messages), and what to check. Anything else
# (down, starting, full, no answer, or a server speaking another language) is ServerUnavailable.
_REFUSALS = (
    ("password authentication failed", "check the user name and password in the URL"),
    ("no password supplied", "the server wants a password: put it in the URL (or in ~/.pgpass)"),
    ("authentication failed", "check the user name and how the server authenticates it (pg_hba.conf)"),
    (
        "no pg_hba.conf entry",
        "the server's pg_hba.conf lets no such login in: check the host, user, database and sslmode",
    ),
    ('" does not exist', "check the user and database names in the URL, or create them"),
    ("permission denied for database", "the user lacks CONNECT on the database: GRANT CONNECT ON DATABASE ... TO ..."),
    ("is not permitted to log in", "the role is NOLOGIN: ALTER ROLE ... LOGIN"),
    ("is not currently accepting connections", "the database does not allow connections (ALLOW_CONNECTIONS false)"),
)


def _refusal(reason: str) -> str | None:
    """What to fix when libpq's `reason` says the server refused the login for good, else None."""
    for words, fix in _REFUSALS:
        if words in reason:
            return fix
    return None


def _reason(exc: BaseException) -> str:
    """libpq's reason for a failed connection, on one line: the cause, then its hint."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    if not lines:
        return type(exc).__name__
    first = lines[0].split("FATAL:")[-1].split(" failed: ")[-1].removeprefix("connection failed:").strip()
    # libpq's hint ("Is the server running ...?") or PostgreSQL's HINT, as a clause; not a CONTEXT
    # (where the error happened) or a DETAIL (which may hold a row's values).
    skip = ("connection to server", "Multiple connection", "CONTEXT:", "DETAIL:")
    hints = [ln.removeprefix("HINT:").strip() for ln in lines[1:] if not ln.startswith(skip)]
    if not hints or not hints[0]:
        return first
    hint = hints[0]
    if hint[1:2].islower():  # "Is the server ..." -> "is the server ..."; an acronym keeps its case
        hint = hint[0].lower() + hint[1:]
    return f"{first} ({hint.rstrip('?.')}?)"


class _Lagging(Exception):
    """A replica is further behind than replica_max_lag (raised by _checkout, caught by _read_checkout)."""


class _Node:
    """One server of a database: the primary or a read replica, with its own pool."""

    def __init__(self, settings: Settings, connect: Callable[[_Node], Connection], label: str = "primary") -> None:
        self.settings = settings
        self.label = label  # what query events and stats call it: primary, replica 1, ...
        self.pool = Pool(settings, lambda: connect(self))
        # The pooler check's verdict for this URL: None until the first connection is made.
        self.transaction_pooler: bool | None = True if settings.pgbouncer == "transaction" else None
        # Replicas only: whether reads use it, and why not.
        self.status: ReplicaStatus = "ok"
        self.problem: str | None = None
        self.skipped_until = float("-inf")
        self.lag: float | None = None
        self.lag_checked = float("-inf")


class Database(Tables):
    """One database: a pool made on first use, typed errors, health and schema checks, retries;
    and every table as an attribute (`db.users`, chatmaps_db.access)."""

    def __init__(
        self, url: str | None = None, *, env: Mapping[str, str] | None = None, **options: Unpack[Options]
    ) -> None:
        """Validate the settings now (no I/O). Keywords win over DATABASE_* variables; see settings.py."""
        self.settings = Settings.build(url, env, **options)
        self._observer = Observer(self.settings.slow_query_ms, self.settings.trace_comments)
        self._primary = _Node(self.settings, self._connect)
        self._pool = self._primary.pool
        self._replicas = [
            _Node(self.settings.for_replica(u), self._connect, f"replica {i}")
            for i, u in enumerate(self.settings.replica_urls, 1)
        ]
        self._pooler_notices = itertools.count()
        self._local_settings = self.settings.session_settings()
        self._enum_infos: dict[str, EnumInfo] = {}
        self._composite_infos: dict[str, CompositeInfo] = {}
        self._hstore_infos: dict[str, TypeInfo] = {}
        self._array_infos: list[tuple[TypeInfo, int]] | None = None  # PG_ARRAYS: (element, its base's oid)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Unpack[Options]) -> Database:
        """Build from DATABASE_URL (and DATABASE_*); fails now if one is missing or malformed."""
        return cls(None, env=env, **options)

    def __repr__(self) -> str:
        stats = self._pool.stats()
        replicas = f", {len(self._replicas)} replicas" if self._replicas else ""
        return (
            f"{type(self).__name__}({self.settings.safe_url!r}, max_size={self.settings.max_size}, "
            f"{stats['size']:g} open{replicas})"
        )

    # -- connections -----------------------------------------------------------------------

    def _connect(self, node: _Node) -> Connection:
        """One new connection to `node`, configured; ServerUnavailable with libpq's reason if it fails."""
        kwargs = node.settings.connect_kwargs()
        if node.transaction_pooler:
            # A transaction pooler hands each transaction to any server session, where a
            # prepared statement of this client may not exist, or another one has its name.
            kwargs["prepare_threshold"] = None
        where = node.settings.safe_url
        try:
            conn = Connection.connect(node.settings.url, **kwargs)
        except psycopg.Error as exc:
            reason = _reason(exc)
            fix = _refusal(reason)
            if fix:
                raise LoginRefused(f"{where} refused the login: {reason}: {fix}", cause=reason) from None
            raise ServerUnavailable(f"cannot connect to {where}: {reason}", cause=reason) from None
        conn.validate_rows = self.settings.validate_rows
        # Every statement timed where it runs, and reported (query events: _observe.py); a connection
        # handed out while nobody watches gets psycopg's own cursors again (_checkout).
        conn.cursor_factory = _observe.Cursor
        conn.server_cursor_factory = _observe.ServerCursor
        conn._observer, conn._node, conn._pending, conn._observed = self._observer, node.label, [], True
        conn._setup = "connect"  # what its own statements are reported as, until it is handed out
        conn._trace_comments = self.settings.trace_comments
        try:
            self._configure(conn, node)
            conn._setup = "raw"
        except psycopg.OperationalError as exc:
            conn.close()
            reason = _reason(exc)
            raise ServerUnavailable(f"cannot connect to {where}: {reason}", cause=reason) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _configure(self, conn: Connection, node: _Node) -> None:
        """Detect a pooler, set the session settings, and teach psycopg our enums and composites."""
        if conn.info.parameter_status("server_encoding") == "SQL_ASCII":
            # Bytes of no known encoding: psycopg returns text as bytes, and nothing can say what they mean.
            raise ConfigError(
                f"{node.settings.safe_url}: the database's encoding is SQL_ASCII, which chatmaps_db cannot read text "
                "from: create it with ENCODING 'UTF8' (CREATE DATABASE name ENCODING 'UTF8' TEMPLATE template0)"
            )
        if self.settings.pgbouncer in ("auto", "off"):
            cur = conn.execute("SELECT pg_backend_pid()")
            row = cur.fetchone()
            # Behind a pooler, the backend pid the client was told at login is the pooler's own.
            proxied = row is not None and row[0] != conn.info.backend_pid
            if proxied and self.settings.pgbouncer == "off":
                raise ConfigError(
                    f"{node.settings.safe_url} goes through a connection pooler (PgBouncer?) but DATABASE_PGBOUNCER=off: "
                    "set DATABASE_PGBOUNCER=transaction (or auto), or =session for a session-mode pooler"
                )
            # next() on a counter is atomic: one warning however many threads connect at once.
            if proxied and self.settings.pgbouncer == "auto" and next(self._pooler_notices) == 0:
                log.warning(
                    "%s goes through a connection pooler: prepared statements are off and session settings are "
                    "set per transaction; set DATABASE_PGBOUNCER=transaction to say so (and silence this), "
                    "or =session if it pools sessions",
                    node.settings.safe_url,
                )
            node.transaction_pooler = proxied
            if proxied:
                conn.prepare_threshold = None
        if self._local_settings and not node.transaction_pooler:
            conn.execute(self._settings_sql(local=False), list(self._local_settings.values()))
        for name, enum_cls in PG_ENUMS.items():
            if name not in self._enum_infos:
                info = EnumInfo.fetch(conn, name)
                if info is None:
                    continue
                self._enum_infos[name] = info
            # Members map to labels by value (VERY_SAD -> 'very sad'), not by name.
            register_enum(self._enum_infos[name], conn, enum_cls, mapping={m: m.value for m in enum_cls})
        for name, composite_cls in PG_COMPOSITES.items():
            if name not in self._composite_infos:
                cinfo = CompositeInfo.fetch(conn, name)
                if cinfo is None:
                    continue
                self._composite_infos[name] = cinfo
            register_composite(self._composite_infos[name], conn, composite_cls)
        for name in PG_HSTORE:
            if name not in self._hstore_infos:
                hinfo = TypeInfo.fetch(conn, name)
                if hinfo is None:
                    continue
                self._hstore_infos[name] = hinfo
            register_hstore(self._hstore_infos[name], conn)
        geometry.register(conn)  # point, box, ...: psycopg returns text; these load as typed values
        if PG_ARRAYS:
            self._register_arrays(conn)
        conn.commit()

    def _register_arrays(self, conn: Connection) -> None:
        """Teach psycopg the arrays of PG_ARRAYS' types (one query per database): without this it
        returns a domain's or citext's array as its text ('{1.50}'), or in binary as bytes."""
        if self._array_infos is None:
            cur = conn.execute(_ARRAY_TYPES_SQL, (list(PG_ARRAYS), list(PG_ARRAYS.values())))
            self._array_infos = [
                (TypeInfo(name, oid, array_oid, delimiter=delimiter), base)
                for name, oid, array_oid, delimiter, base in cur.fetchall()
            ]
        for info, base in self._array_infos:
            if base != info.oid:  # a domain: its elements load as its base type's values
                for fmt in (Format.TEXT, Format.BINARY):
                    loader = conn.adapters.get_loader(base, fmt)
                    if loader is not None:
                        conn.adapters.register_loader(info.oid, loader)
            register_array(info, conn)

    def _settings_sql(self, *, local: bool) -> str:
        calls = ", ".join(f"set_config('{name}', %s, {str(local).lower()})" for name in self._local_settings)
        return f"SELECT {calls}"

    def _checkout(self, timeout: float | None, *, autocommit: bool = False, node: _Node | None = None) -> Connection:
        """A pooled connection of `node` (the primary) in the autocommit mode asked for. The table
        layer's statements (db.users.get) run in autocommit and leave it on, so a run of them
        toggles nothing; connection() and transaction() turn it off when the last user had it on.
        On a replica whose lag was read more than LAG_CHECK_EVERY ago, reads it (_Lagging if too far)."""
        node = node or self._primary
        conn = node.pool.checkout(self.settings.pool_timeout if timeout is None else timeout)
        observed = self._observer.active()
        if conn._observed is not observed:  # chatmaps_db's timed cursors only while someone watches
            conn._observed = observed
            conn.cursor_factory = _observe.Cursor if observed else psycopg.Cursor
            conn.server_cursor_factory = _observe.ServerCursor if observed else psycopg.ServerCursor
        try:
            if node is not self._primary and monotonic() - node.lag_checked >= LAG_CHECK_EVERY:
                lag = self._read_lag(conn, node)
                if lag > self.settings.replica_max_lag:
                    raise _Lagging(f"{lag:.1f} s behind the primary (limit {self.settings.replica_max_lag:g} s)")
            if self._local_settings and node.transaction_pooler:
                # Session settings would stay on a server session other clients get next: set them
                # for this transaction only (the statements after a commit inside the block run without).
                if conn.autocommit:
                    conn.set_autocommit(False)
                conn.execute(self._settings_sql(local=True), list(self._local_settings.values()))
            elif conn.autocommit != autocommit:
                conn.set_autocommit(autocommit)
        except BaseException as exc:
            node.pool.checkin(conn)
            new = self._translate(exc, conn, safe_to_retry=True, node=node, returned=True)
            if new is None:
                raise
            raise new from exc
        return conn

    def _read_lag(self, conn: Connection, node: _Node) -> float:
        """How far `node` is behind its primary, in seconds; kept on the node."""
        cur = conn.execute(LAG_SQL)
        row = cur.fetchone()
        if not conn.autocommit:
            conn.rollback()
        node.lag = float(row[0]) if row and row[0] is not None else 0.0
        node.lag_checked = monotonic()
        return node.lag

    def _translate(
        self,
        exc: BaseException,
        conn: Connection,
        *,
        safe_to_retry: bool,
        node: _Node | None = None,
        returned: bool = False,
    ) -> Exception | None:
        """Our error for a psycopg error met while using `conn`, or None to let it pass as it is.
        `returned`: `conn` is back in the pool already (no SHOW for a timeout's value)."""
        usable = None if returned else conn
        where = (node or self._primary).settings.safe_url
        if isinstance(exc, errors.QueryCanceled):
            text = (exc.diag.message_primary or "").lower()
            if "statement timeout" not in text:  # pg_cancel_backend(), or a client's cancel
                return QueryCancelled(f"the server cancelled a statement on {where}: {text}", timeout=None)
            value = self._timeout_value(usable, "statement_timeout", self.settings.statement_timeout)
            return QueryCancelled(
                f"the server cancelled a statement on {where}: {text} (statement_timeout {value})",
                timeout="statement_timeout",
            )
        if isinstance(exc, errors.LockNotAvailable) and "lock timeout" in (exc.diag.message_primary or ""):
            value = self._timeout_value(usable, "lock_timeout", self.settings.lock_timeout)
            return QueryCancelled(
                f"the server cancelled a statement on {where}: it waited longer than lock_timeout for a lock "
                f"(lock_timeout {value})",
                timeout="lock_timeout",
            )
        if isinstance(exc, _SERVER_ENDED) or (isinstance(exc, psycopg.OperationalError) and conn.broken):
            reason = _reason(exc)
            outcome = (
                "nothing was committed, safe to retry"
                if safe_to_retry
                else "it may have committed: check before you repeat it"
            )
            return ConnectionLost(f"connection to {where} lost: {reason}; {outcome}", safe_to_retry=safe_to_retry)
        return None

    def _timeout_value(self, conn: Connection | None, name: str, ours: float | None) -> str:
        """`is 0.2 s` (this package's setting), else the value as the server has it, whatever set it
        (the role, the database, postgresql.conf, the URL's options, a SET): from SHOW."""
        if ours is not None:
            return f"is {ours:g} s"
        shown = None
        if conn is not None and not conn.broken:
            try:
                if conn.pgconn.transaction_status == TransactionStatus.INERROR:
                    conn.rollback()  # the transaction is lost anyway; SHOW needs a working one
                cur = conn.execute(f"SHOW {name}")
                row = cur.fetchone()
                shown = str(row[0]) if row else None
            except psycopg.Error:
                shown = None
        if shown is None:
            return "was set on the server (its value could not be read)"
        if shown in ("0", "0ms"):  # off for the session now: it was SET LOCAL in that transaction
            return "was set for that transaction only (SET LOCAL); the session's is 0"
        return f"is {shown}, set on the server, the role, the database or the URL (chatmaps_db sets none)"

    def _statement(self, *, read: bool = False) -> AbstractContextManager[Connection]:
        """A pooled connection for one statement of the table layer (db.users.get, ...), in
        autocommit: one round trip, no BEGIN and COMMIT. (Behind a transaction pooler with session
        settings, _checkout has begun a transaction for them: it is committed after.)
        `read`: the statement only reads, so a replica may run it."""
        return self._session(None, autocommit=True, read=read)

    def read(self, timeout: float | None = None) -> AbstractContextManager[Connection]:
        """A pooled connection to a read replica (the primary when none is configured or usable),
        inside one READ ONLY transaction: reads in it see one snapshot; a write fails.

        `timeout` (default pool_timeout) bounds the wait for a busy pool.
        """
        return self._reading(timeout)

    @contextmanager
    def _reading(self, timeout: float | None) -> Iterator[Connection]:
        conn, node = self._read_checkout(timeout, autocommit=False)
        try:
            if conn.pgconn.transaction_status == TransactionStatus.IDLE:
                conn.set_read_only(True)  # psycopg's BEGIN READ ONLY
                with conn.transaction():
                    yield conn
            else:  # _checkout began the transaction for a pooler's session settings: make it read-only;
                conn.execute("SET TRANSACTION READ ONLY")  # checkin ends it (a rollback: it wrote nothing)
                yield conn
        except BaseException as exc:
            new = self._translate(exc, conn, safe_to_retry=True, node=node)
            if new is None:
                raise
            self._lost(node, new)
            raise new from exc
        finally:
            if conn.pgconn.transaction_status == TransactionStatus.IDLE:
                conn.set_read_only(None)
            node.pool.checkin(conn)

    def _read_checkout(self, timeout: float | None, *, autocommit: bool) -> tuple[Connection, _Node]:
        """A connection for reads: from a replica that is up and current (tried in random order),
        else from the primary. A replica that fails is skipped for REPLICA_RETRY_AFTER seconds."""
        now = monotonic()
        usable = [node for node in self._replicas if node.skipped_until <= now]
        random.shuffle(usable)
        for node in usable:
            try:
                conn = self._checkout(timeout, autocommit=autocommit, node=node)
            except _Lagging as exc:
                self._skip(node, "lagging", str(exc))
                continue
            except (ServerUnavailable, ConnectionLost) as exc:
                self._skip(node, "down", getattr(exc, "cause", None) or str(exc))
                continue
            except (LoginRefused, ConfigError) as exc:
                self._skip(node, "refused", str(exc))
                continue
            self._recovered(node)
            return conn, node
        return self._checkout(timeout, autocommit=autocommit), self._primary

    def _skip(self, node: _Node, status: ReplicaStatus, reason: str) -> None:
        """Leave a replica out of reads for a while; warn when it was in use until now."""
        if node.status == "ok":
            others = "the other replicas" if len(self._replicas) > 1 else "the primary"
            log.warning(
                "read replica %s is %s: %s; reads go to %s, and it is tried again in %g s",
                node.settings.safe_url,
                status,
                reason,
                others,
                REPLICA_RETRY_AFTER,
            )
        node.status, node.problem = status, reason
        node.skipped_until = monotonic() + REPLICA_RETRY_AFTER

    def _recovered(self, node: _Node) -> None:
        if node.status != "ok":
            log.warning("read replica %s is back: reads use it again", node.settings.safe_url)
            node.status, node.problem = "ok", None

    def _lost(self, node: _Node, error: Exception) -> None:
        """A replica's connection broke in use: skip it (the caller gets the error)."""
        if node is not self._primary and isinstance(error, ConnectionLost):
            self._skip(node, "down", str(error))

    def connection(self, timeout: float | None = None) -> AbstractContextManager[Connection]:
        """A pooled connection; committed on success, rolled back on error.

        `timeout` (default pool_timeout) bounds the wait for a busy pool.
        """
        return self._session(timeout, autocommit=False)

    @contextmanager
    def _session(self, timeout: float | None, *, autocommit: bool, read: bool = False) -> Iterator[Connection]:
        if read and self._replicas:
            conn, node = self._read_checkout(timeout, autocommit=autocommit)
        else:
            conn, node = self._checkout(timeout, autocommit=autocommit), self._primary
        try:
            yield conn
            if conn.pgconn.transaction_status == TransactionStatus.INTRANS:
                conn.commit()
        except BaseException as exc:
            # A loss here is not safe to retry: the block may have committed on its own.
            new = self._translate(exc, conn, safe_to_retry=read, node=node)
            if new is None:
                raise
            self._lost(node, new)
            raise new from exc
        finally:
            node.pool.checkin(conn)

    @contextmanager
    def transaction(
        self,
        timeout: float | None = None,
        *,
        isolation: Isolation | None = None,
        read_only: bool = False,
        deferrable: bool = False,
    ) -> Iterator[Connection]:
        """A pooled connection inside one transaction: BEGIN, then COMMIT, or ROLLBACK on error.

        isolation ("read committed", "repeatable read", "serializable"; default: the server's,
        read committed), read_only and deferrable (a serializable read-only transaction that
        waits for a snapshot it can never fail on) hold for this transaction only: SET
        TRANSACTION is its first statement. Inside, `tx.transaction()` is a savepoint.
        """
        head = set_transaction(isolation, read_only, deferrable)
        conn = self._checkout(timeout)
        committing = False
        try:
            with conn.transaction():
                if head:
                    conn.execute(head)
                yield conn
                committing = True
        except BaseException as exc:
            # Lost before COMMIT was sent: the server rolls the transaction back, so it is safe.
            new = self._translate(exc, conn, safe_to_retry=not committing)
            if new is None:
                raise
            raise new from exc
        finally:
            self._pool.checkin(conn)

    def run_in_transaction(
        self,
        work: Callable[[Connection], T],
        *,
        attempts: int = 3,
        backoff: float = 0.05,
        isolation: Isolation | None = None,
        read_only: bool = False,
        deferrable: bool = False,
    ) -> T:
        """`work(conn)` in a transaction, run again on a serialization failure, a deadlock, or a
        connection lost before COMMIT: at most `attempts` times, waiting about backoff, 2x, 4x... s.
        isolation, read_only and deferrable as for transaction().

        `work` must be safe to repeat: it may run more than once, and only its last run commits.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction(isolation=isolation, read_only=read_only, deferrable=deferrable) as conn:
                    return work(conn)
            except _RETRYABLE:
                if attempt == attempts:
                    raise
            except ConnectionLost as exc:
                if not exc.safe_to_retry or attempt == attempts:
                    raise
            sleep(min(2.0, backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5))
        raise ValueError(f"attempts must be at least 1 (got {attempts})")

    # -- checks ----------------------------------------------------------------------------

    def _applied_migrations(self, conn: Connection) -> dict[str, bool]:
        cur = conn.execute(schema_check.REVISIONS_EXIST_SQL)
        row = cur.fetchone()
        if row is None or not row[0]:
            return {}
        cur = conn.execute(schema_check.REVISIONS_SQL)
        return {str(version): bool(complete) for version, complete in cur.fetchall()}

    def schema_version(self) -> str | None:
        """The newest migration applied to the database (None if Atlas never ran there)."""
        with self.connection() as conn:
            applied = self._applied_migrations(conn)
        return schema_check.newest(applied)

    def check_schema(self, *, deep: bool = False) -> None:
        """Raise SchemaMismatch unless the database has exactly this package's migrations.

        deep=True also compares every column (name, type, nullability) and enum of the
        package's tables with the live catalog: it finds a column dropped by hand.
        """
        with self.connection() as conn:
            applied = self._applied_migrations(conn)
            _, problem = schema_check.migration_state(applied, MIGRATIONS, self.settings.safe_url)
            if problem is not None:
                raise SchemaMismatch(problem)
            if deep:
                self._check_shape(conn)

    def _check_shape(self, conn: Connection) -> None:
        from chatmaps_db._shape import SHAPE

        conn.execute(schema_check.SEARCH_PATH_SQL)
        cur = conn.execute(schema_check.COLUMNS_SQL, schema_check.split(TABLES))
        rows = [tuple(r) for r in cur.fetchall()]
        enums = tuple(PG_ENUMS)
        cur = conn.execute(schema_check.ENUMS_SQL, schema_check.split(enums))
        rows += [tuple(r) for r in cur.fetchall()]
        actual: tuple[schema_check.ShapeRow, ...] = tuple(rows)
        if schema_check.shape_hash(actual) == SHAPE_HASH:
            return
        found = schema_check.differences(SHAPE, actual) or ["a column, type or enum differs"]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise SchemaMismatch(
            f"database {self.settings.safe_url} differs from this package: {found[0]}{more}: "
            "apply the migrations with Atlas, or regenerate the package from this database"
        )

    def health(self, timeout: float | None = None) -> Health:
        """Readiness: can this service use the database now? Never raises; answers within `timeout`
        seconds (default health_timeout) with one of the statuses in health.py. The primary and
        every replica are checked at once; a replica's state does not change the status (reads
        skip a replica that is not ok), it is reported in `replicas`."""
        deadline = self.settings.health_timeout if timeout is None else timeout
        start = monotonic()
        checks: list[Callable[[], Health | ReplicaHealth]] = [
            partial(self._primary_health, start, deadline),
            *(partial(self._replica_health, node, start, deadline) for node in self._replicas),
        ]
        primary, *replicas = all_of(checks)
        assert isinstance(primary, Health)
        return replace(primary, replicas=tuple(r for r in replicas if isinstance(r, ReplicaHealth)))

    def _primary_health(self, start: float, deadline: float) -> Health:
        try:
            return within(deadline, lambda: self._health(start, deadline))
        except TimeoutError:
            return Health(
                "down",
                expected_schema_version=MIGRATION_VERSION,
                pool=self._pool.stats(),
                error=f"no answer from {self.settings.safe_url} within {deadline:.2f} sec",
            )

    def _replica_health(self, node: _Node, start: float, deadline: float) -> ReplicaHealth:
        """One replica: up, and how far behind. Reads skip it from now on if it is down or lagging."""
        url = node.settings.safe_url
        try:
            return within(deadline, lambda: self._replica_check(node, start, deadline))
        except TimeoutError:
            error = f"no answer from {url} within {deadline:.2f} sec"
            self._skip(node, "down", error)
            return ReplicaHealth(url, "down", error=error)

    def _replica_check(self, node: _Node, start: float, deadline: float) -> ReplicaHealth:
        url = node.settings.safe_url
        try:
            conn = node.pool.checkout(0.75 * deadline)
            try:
                lag = self._read_lag(conn, node)
            finally:
                node.pool.checkin(conn)
        except PoolExhausted as exc:
            return ReplicaHealth(url, "busy", error=str(exc))
        except (LoginRefused, ConfigError) as exc:
            self._skip(node, "refused", str(exc))
            return ReplicaHealth(url, "refused", error=str(exc))
        except (ConnectError, psycopg.OperationalError) as exc:
            error = str(exc) if isinstance(exc, ConnectError) else _reason(exc)
            self._skip(node, "down", error)
            return ReplicaHealth(url, "down", error=error)
        latency = round((monotonic() - start) * 1000, 3)
        limit = self.settings.replica_max_lag
        if lag > limit:
            error = f"{lag:.1f} s behind the primary (limit {limit:g} s)"
            self._skip(node, "lagging", error)
            return ReplicaHealth(url, "lagging", latency_ms=latency, lag_s=round(lag, 3), error=error)
        self._recovered(node)
        node.skipped_until = float("-inf")
        return ReplicaHealth(url, "ok", latency_ms=latency, lag_s=round(lag, 3))

    def _health(self, start: float, deadline: float) -> Health:
        expected = MIGRATION_VERSION
        try:
            # A busy pool must answer "busy" before the deadline cuts the check short as "down".
            with self.connection(timeout=0.75 * deadline) as conn:
                cur = conn.execute("SELECT current_setting('server_version')")
                row = cur.fetchone()
                latency = round((monotonic() - start) * 1000, 3)
                applied = self._applied_migrations(conn)
        except PoolExhausted as exc:
            return Health("busy", expected_schema_version=expected, pool=self._pool.stats(), error=str(exc))
        except (LoginRefused, ConfigError) as exc:
            return Health("refused", expected_schema_version=expected, pool=self._pool.stats(), error=str(exc))
        except (ConnectError, ConnectionLost, psycopg.OperationalError) as exc:
            error = str(exc) if isinstance(exc, (ConnectError, ConnectionLost)) else _reason(exc)
            return Health("down", expected_schema_version=expected, pool=self._pool.stats(), error=error)
        status, problem = schema_check.migration_state(applied, MIGRATIONS, self.settings.safe_url)
        return Health(
            status,
            latency_ms=latency,
            server_version=str(row[0]) if row else None,
            schema_version=schema_check.newest(applied),
            expected_schema_version=expected,
            pool=self._pool.stats(),
            error=problem,
        )

    def live(self) -> bool:
        """Liveness: False only if callers have waited 3 pool timeouts while nothing moved
        (a leaked connection or a deadlock, which a restart fixes). An outage is not that:
        it makes the service unready, and restarting would not bring the server back."""
        return self._pool.stuck_for() < 3 * self.settings.pool_timeout

    def stats(self) -> dict[str, float]:
        """The primary's pool: size, idle, busy, waiting, longest_busy_s, counters since start
        (connects, connect_errors, dropped, exhausted, checkouts), and how long the latest 1,024
        checkouts waited for a connection: wait_p50_ms, wait_p95_ms, wait_p99_ms."""
        return self._pool.stats()

    def node_stats(self) -> dict[str, dict[str, float]]:
        """stats() of every node: the primary, and each read replica ("replica 1", ...)."""
        return {node.label: node.pool.stats() for node in [self._primary, *self._replicas]}

    def on_query(self, hook: Hook) -> Callable[[], None]:
        """Call `hook(event)` after every statement this database's connections run (a QueryEvent:
        the call, node, operation, duration, rows, error class; never a parameter value). Returns
        the function that removes it. A hook runs in the caller's thread: keep it quick."""
        return self._observer.subscribe(hook)

    def close(self) -> None:
        """Close idle connections now and busy ones when they come back; the next use connects again."""
        for node in [self._primary, *self._replicas]:
            node.pool.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
