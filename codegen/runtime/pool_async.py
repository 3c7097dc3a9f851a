"""The connection pool (async). The sync twin, pool.py, is derived from this file.

Connections are made in the caller's task, when a caller needs one and the pool has room;
there are no background workers. So a caller who cannot be served learns why at once (the
server's own reason, or how long every connection has been busy), and the first caller
after an outage reconnects at once, with no backoff to wait out.

- Checkout takes the most recently used idle connection. One the server has closed (its
  socket is readable while idle: a restart, a terminated backend) or one past max_lifetime
  is dropped without a round trip, and the next is tried.
- When no connection is idle and the pool is full, the caller waits up to pool_timeout for
  a returned one, then gets PoolExhausted. When a connection attempt fails, every caller
  that was waiting gets ServerUnavailable with its reason at once.
- On return, a connection in a transaction is rolled back; a broken one is dropped; idle
  ones beyond min_size are closed after max_idle.
"""

from __future__ import annotations

import select
from collections import deque
from collections.abc import Awaitable, Callable
from time import monotonic
from typing import Any

from psycopg import AsyncConnection
from psycopg.pq import ConnStatus, TransactionStatus

from chatmaps_db._acompat import condition, wait
from chatmaps_db.errors import PoolExhausted, ServerUnavailable
from chatmaps_db.settings import Settings

Connector = Callable[[], Awaitable[AsyncConnection[Any]]]


def _closed_by_server(conn: AsyncConnection[Any]) -> bool:
    """True if an idle connection has something to read: the server's goodbye, or EOF."""
    if conn.pgconn.status != ConnStatus.OK:
        return True
    poller = select.poll()
    poller.register(conn.pgconn.socket, select.POLLIN)
    return bool(poller.poll(0))


class AsyncPool:
    """At most `max_size` connections to one server, made on demand by `connect`."""

    def __init__(self, settings: Settings, connect: Connector) -> None:
        self._settings = settings
        self._connect = connect
        self._cond = condition()
        self._idle: deque[tuple[AsyncConnection[Any], float]] = deque()  # (conn, idle since); newest last
        self._born: dict[int, float] = {}  # id(conn) -> when it connected
        self._busy: dict[int, float] = {}  # id(conn) -> when it was checked out
        self._size = 0  # connections open, plus those being opened
        self._waiting = 0
        self._failure: tuple[float, ServerUnavailable] | None = None  # the last failed connect, until one succeeds
        self._closed_at = float("-inf")  # connections made before a close() are closed on return
        self._progress = monotonic()  # the last checkin or connection attempt
        self._counts = {"connects": 0, "connect_errors": 0, "dropped": 0, "exhausted": 0}

    async def checkout(self, timeout: float) -> AsyncConnection[Any]:
        """A connection for the caller's exclusive use; give it back with `checkin`."""
        start = monotonic()
        stale: list[AsyncConnection[Any]] = []
        try:
            async with self._cond:
                while True:
                    while self._idle:
                        conn, _ = self._idle.pop()
                        if _closed_by_server(conn) or start - self._born[id(conn)] > self._settings.max_lifetime:
                            stale.append(self._forget(conn))
                            continue
                        self._busy[id(conn)] = start
                        return conn
                    if self._failure is not None and self._failure[0] >= start:
                        # A connection attempt failed while this caller waited: the server is down.
                        failed = self._failure[1]
                        raise ServerUnavailable(str(failed), cause=failed.cause)
                    if self._size < self._settings.max_size:
                        self._size += 1
                        break
                    remaining = start + timeout - monotonic()
                    if remaining <= 0 or not await self._wait(remaining):
                        self._counts["exhausted"] += 1
                        raise self._exhausted(monotonic() - start)
        finally:
            for conn in stale:
                await conn.close()
        return await self._new_connection(start)

    async def _wait(self, remaining: float) -> bool:
        self._waiting += 1
        try:
            return await wait(self._cond, remaining)
        finally:
            self._waiting -= 1

    async def _new_connection(self, start: float) -> AsyncConnection[Any]:
        """Connect in the caller's task, in a slot reserved by checkout."""
        try:
            conn = await self._connect()
        except BaseException as exc:
            async with self._cond:
                self._size -= 1
                self._progress = monotonic()
                self._counts["connect_errors"] += 1
                if isinstance(exc, ServerUnavailable):
                    self._failure = (monotonic(), exc)
                    self._cond.notify_all()  # waiters fail now, with this reason
                else:
                    self._cond.notify()
            raise
        async with self._cond:
            self._failure = None
            self._progress = monotonic()
            self._counts["connects"] += 1
            self._born[id(conn)] = monotonic()
            self._busy[id(conn)] = start
        return conn

    async def checkin(self, conn: AsyncConnection[Any]) -> None:
        """Take a connection back: roll back what it left open, drop it if it is broken."""
        status = conn.pgconn.transaction_status
        if status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
            try:
                await conn.rollback()
            except Exception:
                await conn.close()
        elif status != TransactionStatus.IDLE:  # ACTIVE: returned mid-query; UNKNOWN: broken
            await conn.close()
        now = monotonic()
        expired: list[AsyncConnection[Any]] = []
        async with self._cond:
            self._busy.pop(id(conn), None)
            self._progress = now
            born = self._born.get(id(conn))
            if born is None:  # given back twice, or not ours: close it, count nothing
                expired.append(conn)
            elif conn.closed or born <= self._closed_at or now - born > self._settings.max_lifetime:
                expired.append(self._forget(conn))
            else:
                self._idle.append((conn, now))
            # Idle connections beyond min_size go after max_idle (oldest first).
            while (
                self._idle and self._size > self._settings.min_size and now - self._idle[0][1] > self._settings.max_idle
            ):
                expired.append(self._forget(self._idle.popleft()[0]))
            self._cond.notify()
        for old in expired:
            await old.close()

    def _forget(self, conn: AsyncConnection[Any]) -> AsyncConnection[Any]:
        """Remove a connection from the books (the lock is held); the caller closes it."""
        self._born.pop(id(conn), None)
        self._size -= 1
        self._counts["dropped"] += 1
        return conn

    def _exhausted(self, waited: float) -> PoolExhausted:
        busy = len(self._busy)
        now = monotonic()
        longest = max((now - t for t in self._busy.values()), default=0.0)
        return PoolExhausted(
            f"all {busy} connections to {self._settings.safe_url} were busy for {waited:.2f} sec "
            f"(one for {longest:.1f} s): shorten transactions, or raise DATABASE_POOL_MAX_SIZE "
            f"(now {self._settings.max_size}) or DATABASE_POOL_TIMEOUT (now {self._settings.pool_timeout:g} s)",
            busy=busy,
            waited=waited,
        )

    def stats(self) -> dict[str, float]:
        """Connections open, idle, busy, callers waiting, the longest checkout (s), and counters."""
        now = monotonic()
        return {
            "size": self._size,
            "max_size": self._settings.max_size,
            "idle": len(self._idle),
            "busy": len(self._busy),
            "waiting": self._waiting,
            "longest_busy_s": round(max((now - t for t in self._busy.values()), default=0.0), 3),
            **self._counts,
        }

    def stuck_for(self) -> float:
        """Seconds that callers have waited while no connection came back or was tried (0 if none wait).

        Only a leak or a deadlock in the process does that: an outage still makes progress,
        as every caller's connection attempt fails at once.
        """
        return monotonic() - self._progress if self._waiting else 0.0

    async def close(self) -> None:
        """Close the idle connections now and busy ones when they come back; the pool stays usable."""
        async with self._cond:
            self._closed_at = monotonic()
            idle = [self._forget(conn) for conn, _ in self._idle]
            self._idle.clear()
        for conn in idle:
            await conn.close()
