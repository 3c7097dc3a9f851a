"""Errors raised by chatmaps_db. Messages are one line and never contain a password.

    DatabaseError
    ├── ConfigError          DATABASE_URL or a setting is malformed, or the database is SQL_ASCII
    ├── LoginRefused         the server refused the login for good: user, password, database name,
    │                        pg_hba.conf or CONNECT permission (retrying will not help; not a ConnectError)
    ├── ConnectError         no connection could be had, for now; nothing was sent to the server
    │   ├── ServerUnavailable    the server is down, starting, full, or did not answer (libpq's reason)
    │   └── PoolExhausted        every pooled connection stayed busy for the whole pool timeout
    ├── ConnectionLost       the connection broke while in use; `safe_to_retry` says if nothing was committed
    ├── QueryCancelled       the server cancelled a statement (`timeout` names statement_timeout or lock_timeout)
    ├── SchemaMismatch       the database is not at the migrations this package was generated from
    ├── RowSkipped           insert() or upsert() wrote no row: a BEFORE trigger returned NULL (names it)
    └── ConstraintViolation  the table layer (db.users.insert, ...) broke a constraint; names it, never a value
        ├── UniqueViolation      another row has the same key
        ├── ForeignKeyViolation  a referenced row is missing, or a referencing row still exists
        ├── NotNullViolation     a NOT NULL column was given no value
        ├── CheckViolation       a CHECK constraint (of a table or a domain) is false
        └── ExclusionViolation   an exclusion constraint found a conflicting row

Errors of SQL you write yourself (db.transaction(), conn.execute) stay psycopg's own classes.
The table layer's constraint errors keep psycopg's as `.pg_error` (its SQLSTATE and diag), not
chained as `__cause__`: its DETAIL holds the row's values, which a logged traceback would print.
"""

from __future__ import annotations


class DatabaseError(Exception):
    """Base class of every chatmaps_db error."""


class ConfigError(DatabaseError):
    """DATABASE_URL or a pool setting is missing or malformed (raised before any I/O), or the
    database it names cannot hold this package's data (SQL_ASCII encoding, raised at connect)."""


class LoginRefused(DatabaseError):
    """The server answered and refused the login: wrong password, unknown user, no such database,
    no pg_hba.conf entry, no CONNECT permission. Retrying will not help, so it is not a
    ConnectError (which retry loops and `lifespan(wait=...)` wait out): fix DATABASE_URL or the server."""

    def __init__(self, message: str, *, cause: str) -> None:
        super().__init__(message)
        self.cause = cause  # the server's reason, as libpq gives it (never a password)


class ConnectError(DatabaseError):
    """No connection could be had; nothing was sent, so the work is safe to repeat."""

    safe_to_retry = True


class ServerUnavailable(ConnectError):
    """The server could not be reached, is starting or stopping, or has no connection slot free."""

    def __init__(self, message: str, *, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


class PoolExhausted(ConnectError):
    """Every connection of the pool was busy for the whole pool timeout."""

    def __init__(self, message: str, *, busy: int, waited: float) -> None:
        super().__init__(message)
        self.busy = busy
        self.waited = waited


class ConnectionLost(DatabaseError):
    """The connection broke while in use (server restart, network, idle-in-transaction timeout)."""

    def __init__(self, message: str, *, safe_to_retry: bool) -> None:
        super().__init__(message)
        # True when the server rolled the work back for certain (lost before COMMIT was sent).
        self.safe_to_retry = safe_to_retry


class QueryCancelled(DatabaseError):
    """The server cancelled a statement: a timeout, or pg_cancel_backend()."""

    def __init__(self, message: str, *, timeout: str | None) -> None:
        super().__init__(message)
        # "statement_timeout", "lock_timeout", or None when something else cancelled it.
        self.timeout = timeout


class SchemaMismatch(DatabaseError):
    """The database is not at the migrations this package was generated from."""


class RowSkipped(DatabaseError):
    """insert() or upsert() wrote no row, so it has none to return: a BEFORE INSERT (or, for an
    upsert that conflicted, BEFORE UPDATE) row trigger returned NULL. Nothing was written.
    insert_many() does not raise: it returns how many rows were written. update() returns None
    and delete() False, as for a key with no row."""

    def __init__(self, message: str, *, table: str, triggers: tuple[str, ...]) -> None:
        super().__init__(message)
        self.table = table  # schema.table
        self.triggers = triggers  # the BEFORE row triggers that may have skipped it, by name


class RelationNotLoaded(RuntimeError):
    """A `<Stem>With` row's relation was read without load= asking for it: the package never
    queries behind a caller's back (no lazy loading), so this is the caller's to fix."""


class ConstraintViolation(DatabaseError):
    """A write through the table layer broke a constraint. The message names the table, the
    constraint and its columns, never a value: psycopg's error (`__cause__`) has the details."""

    def __init__(self, message: str, *, table: str | None, constraint: str | None, columns: tuple[str, ...]) -> None:
        super().__init__(message)
        self.table = table  # schema.table, or None (a domain's CHECK)
        self.constraint = constraint
        self.columns = columns
        # psycopg's error, for debugging: its DETAIL has the row's values (`Key (token)=(...)`), so it
        # is not chained (__cause__), which logging.exception and tracebacks print.
        self.pg_error: Exception | None = None


class UniqueViolation(ConstraintViolation):
    """Another row has the same primary key or unique key."""


class ForeignKeyViolation(ConstraintViolation):
    """The referenced row does not exist, or (on delete) rows still refer to this one."""

    # True: rows still refer to the row deleted or changed (a conflict); False: the row written
    # refers to a row that does not exist (the request's mistake).
    still_referenced: bool = False


class NotNullViolation(ConstraintViolation):
    """A NOT NULL column was given no value."""


class CheckViolation(ConstraintViolation):
    """A CHECK constraint is false for the row."""


class ExclusionViolation(ConstraintViolation):
    """An exclusion constraint found a conflicting row."""
