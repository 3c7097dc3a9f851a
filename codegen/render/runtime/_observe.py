"""Query events (events.py) from where statements run: the connections' cursor classes.

The connections' cursor classes are psycopg's, subclassed (their `execute` timed): the table
layer names its call on the cursor it makes; anything else on the connection is `raw`. A
statement in a pipeline is reported when the pipeline is synced (its duration: until then).
"""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING, Any

import psycopg

from chatmaps_db.events import QUIET, Observer, QueryEvent, operation, traceparent

if TYPE_CHECKING:
    from psycopg.abc import Query


class _Observed:
    """What the cursor classes below share: which call the statement is for, and the report."""

    _call = "raw"  # the table layer sets its call on the cursors it makes
    _sql: str | None = None  # and says the SQL is its own
    _table: str | None = None  # and which table it is on

    def _report(self, query: Query, start: float, error: BaseException | None) -> None:
        conn: Any = self.connection  # type: ignore[attr-defined]
        observer: Observer = getattr(conn, "_observer", QUIET)
        pending = getattr(conn, "_pending", None)
        if conn._pipeline is not None and error is None and pending is not None:
            pending.append((self, query, start))  # reported when the pipeline syncs
            return
        duration = perf_counter() - start
        if observer.wants(duration):
            observer.report(self._event(query, duration, error, getattr(conn, "_node", "primary")), server(conn))

    def _event(self, query: Query, duration: float, error: BaseException | None, node: str) -> QueryEvent:
        rows = None if error is not None or self.rowcount < 0 else self.rowcount  # type: ignore[attr-defined]
        call, sql, table = self._call, self._sql, self._table
        if call == "raw":  # or the package's own setup of a new connection (conn._setup: "connect")
            call, sql = getattr(self.connection, "_setup", "raw"), None  # type: ignore[attr-defined]
        op = operation(sql if sql is not None else query)
        failed = None if error is None else type(error).__name__
        return QueryEvent(call, node, op, sql, duration, rows, failed, table)


def server(conn: Any) -> dict[str, Any]:
    """A connection's span attributes for where it is: its database, host and port (read once)."""
    found: dict[str, Any] | None = getattr(conn, "_server", None)
    if found is None:
        info = conn.info
        found = {"db.namespace": info.dbname, "server.address": info.host, "server.port": info.port}
        conn._server = found
    return found


def flush(conn: Any) -> None:
    """Report a synced pipeline's statements (each timed from its send to the sync)."""
    pending: list[tuple[_Observed, Query, float]] = conn._pending
    if not pending:
        return
    now = perf_counter()
    observer: Observer = conn._observer
    items = list(pending)
    pending.clear()
    for cur, query, start in items:
        if observer.wants(now - start):
            observer.report(cur._event(query, now - start, None, conn._node), server(conn))


def _traced(cur: Any, query: Any) -> tuple[Any, str | None]:
    """DATABASE_TRACE_COMMENTS: the request's traceparent into PostgreSQL, where pg_stat_activity
    and the server's log show it, without defeating prepared statements. A prepared statement's
    text is fixed when it is prepared, so a per-request comment in it would make every text new
    (never prepared again). So: on a connection that prepares statements, the traceparent becomes
    its application_name (pg_stat_activity.application_name, %a in log_line_prefix), set by one
    set_config when it changes, and the statement's text stays the same; on one that prepares
    nothing (behind PgBouncer in transaction mode, where a session setting would also leak to
    another client), the statement carries a sqlcommenter comment, /*traceparent='...'*/.
    Returns the query to run and the set_config value to send first (or None)."""
    conn = cur._conn
    if not getattr(conn, "_trace_comments", False) or not isinstance(query, str):
        return query, None
    parent = traceparent()
    if parent is None:
        return query, None
    if conn.prepare_threshold is None:
        return f"{query} /*traceparent='{parent}'*/", None
    if getattr(conn, "_traceparent", None) == parent:
        return query, None
    conn._traceparent = parent
    return query, parent


_SET_NAME = "SELECT set_config('application_name', %s, false)"


class _Timed(_Observed):
    """execute and executemany timed, for the sync cursors below (psycopg's own after it in the MRO)."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        query, name = _traced(self, query)
        if name is not None:
            psycopg.Cursor(self._conn).execute(_SET_NAME, [name])  # type: ignore[attr-defined]
        start = perf_counter()
        try:
            out = super().execute(query, params, **kwargs)  # type: ignore[misc]
        except BaseException as exc:
            self._report(query, start, exc)
            raise
        self._report(query, start, None)
        return out

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        start = perf_counter()
        try:
            super().executemany(query, params_seq, **kwargs)  # type: ignore[misc]
        except BaseException as exc:
            self._report(query, start, exc)
            raise
        self._report(query, start, None)


class _AsyncTimed(_Observed):
    """The same for the async cursors."""

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        query, name = _traced(self, query)
        if name is not None:
            await psycopg.AsyncCursor(self._conn).execute(_SET_NAME, [name])  # type: ignore[attr-defined]
        start = perf_counter()
        try:
            out = await super().execute(query, params, **kwargs)  # type: ignore[misc]
        except BaseException as exc:
            self._report(query, start, exc)
            raise
        self._report(query, start, None)
        return out

    async def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        start = perf_counter()
        try:
            await super().executemany(query, params_seq, **kwargs)  # type: ignore[misc]
        except BaseException as exc:
            self._report(query, start, exc)
            raise
        self._report(query, start, None)


class Cursor(_Timed, psycopg.Cursor[Any]):
    pass


class AsyncCursor(_AsyncTimed, psycopg.AsyncCursor[Any]):
    pass


class RawCursor(_Timed, psycopg.RawCursor[Any]):
    pass


class AsyncRawCursor(_AsyncTimed, psycopg.AsyncRawCursor[Any]):
    pass


class ServerCursor(_Timed, psycopg.ServerCursor[Any]):
    pass


class AsyncServerCursor(_AsyncTimed, psycopg.AsyncServerCursor[Any]):
    pass
