"""The connection pool (async). The sync twin, pool.py, is derived from this file.

Connections are made in the caller's task, when a caller needs one and the pool has room;
there are no background workers. So a caller who cannot be served learns why at once (the
server's own reason, or how long every connection has been busy), and the first caller
after an outage reconnects at once, with no backoff to wait out.

- Checkout takes the most recently used idle connection. One the server has closed (its
  socket is readable while idle: a restart, a terminated backend) or one past max_lifetime
  is dropped without a round trip, and the next is tried.
- When no connection is idle and the pool is full, the caller queues, up to pool_timeout,
  then gets PoolExhausted. A returned connection goes straight to the first in the queue
  (no caller overtakes another), and a freed slot lets the first one connect. When a
  connection attempt fails, every queued caller gets its ServerUnavailable (or LoginRefused) at once.
- On return, a connection in a transaction is rolled back; a broken one is dropped; idle
  ones beyond min_size are closed after max_idle.
"""

from __future__ import annotations

import itertools
import select
from collections import deque
from collections.abc import Awaitable, Callable
from time import monotonic

from psycopg.pq import ConnStatus, TransactionStatus

from chatmaps_db._acompat import event, lock, wait_event
from chatmaps_db.access import AsyncConnection
from chatmaps_db.errors import LoginRefused, PoolExhausted, ServerUnavailable
from chatmaps_db.settings import Settings

Connector = Callable[[], Awaitable[AsyncConnection]]
_WAITS_KEPT = 1024  # the checkouts stats()' wait percentiles are of: the latest ones


def _percentile(ordered: list[float], q: float) -> float:
    """The q-quantile of sorted seconds, in milliseconds (nearest rank); 0 with none."""
    if not ordered:
        return 0.0
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)


def _closed_by_server(conn: AsyncConnection) -> bool:
    """True if an idle connection has something to read: the server's goodbye, or EOF."""
    if conn.pgconn.status != ConnStatus.OK:
        return True
    poller = select.poll()
    poller.register(conn.pgconn.socket, select.POLLIN)
    return bool(poller.poll(0))


class _Waiter:
    """A caller queued for a connection: checkin hands it one, or a free slot, or the reason it fails."""

    __slots__ = ("conn", "event", "failure", "slot")

    def __init__(self) -> None:
        self.event = event()
        self.conn: AsyncConnection | None = None
        self.slot = False  # a place to open a connection of its own
        self.failure: ServerUnavailable | LoginRefused | None = None


class AsyncPool:
    """At most `max_size` connections to one server, made on demand by `connect`; waiters served in order."""

    def __init__(self, settings: Settings, connect: Connector) -> None:
        self._settings = settings
        self._connect = connect
        self._lock = lock()
        self._idle: deque[tuple[AsyncConnection, float]] = deque()  # (conn, idle since); newest last
        self._waiters: deque[_Waiter] = deque()  # first come, first served: a returned connection goes to them
        self._born: dict[int, float] = {}  # id(conn) -> when it connected
        self._busy: dict[int, float] = {}  # id(conn) -> when it was checked out
        self._size = 0  # connections open, plus those being opened
        self._closed_at = float("-inf")  # connections made before a close() are closed on return
        self._progress = monotonic()  # the last checkout, checkin or connection attempt
        self._counts = {"connects": 0, "connect_errors": 0, "dropped": 0, "exhausted": 0}
        # How long the last checkouts waited for a connection (connecting included), for stats().
        self._waits: deque[float] = deque(maxlen=_WAITS_KEPT)
        self._checkouts = itertools.count(1)
        self._checked_out = 0

    async def checkout(self, timeout: float) -> AsyncConnection:
        """A connection for the caller's exclusive use; give it back with `checkin`."""
        start = monotonic()
        conn = await self._checkout(start, timeout)
        self._waits.append(monotonic() - start)  # deque.append and next(): atomic, no lock needed
        self._checked_out = next(self._checkouts)
        return conn

    async def _checkout(self, start: float, timeout: float) -> AsyncConnection:
        stale: list[AsyncConnection] = []
        waiter: _Waiter | None = None
        try:
            async with self._lock:
                while self._idle:
                    conn, _ = self._idle.pop()
                    if _closed_by_server(conn) or start - self._born[id(conn)] > self._settings.max_lifetime:
                        stale.append(self._forget(conn))
                        continue
                    self._busy[id(conn)] = start
                    self._progress = start  # a connection handed out is progress, after idle or not
                    return conn
                if self._size < self._settings.max_size and not self._waiters:
                    self._size += 1
                else:
                    waiter = _Waiter()
                    self._waiters.append(waiter)
        finally:
            for old in stale:
                await old.close()
        if waiter is not None:
            handed = await self._wait(waiter, start, timeout)
            if handed is not None:
                return handed
        return await self._new_connection(start)

    async def _wait(self, waiter: _Waiter, start: float, timeout: float) -> AsyncConnection | None:
        """The connection handed to `waiter`, or None when it got a free slot to connect in."""
        try:
            await wait_event(waiter.event, start + timeout - monotonic())
        except BaseException:  # cancelled: give back whatever arrived meanwhile
            async with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif waiter.slot:
                    self._size -= 1
                    self._pass_slot()
            if waiter.conn is not None:
                await self.checkin(waiter.conn)
            raise
        async with self._lock:
            if waiter.conn is not None:
                self._busy[id(waiter.conn)] = start
                return waiter.conn
            if waiter.failure is not None:
                # A connection attempt failed while this caller waited: the server is down, or refused us.
                raise type(waiter.failure)(str(waiter.failure), cause=waiter.failure.cause)
            if waiter.slot:
                return None
            self._waiters.remove(waiter)
            self._counts["exhausted"] += 1
            raise self._exhausted(monotonic() - start)

    def _pass_slot(self) -> None:
        """A connection slot came free (the lock is held): the first waiter opens a connection in it."""
        if self._waiters and self._size < self._settings.max_size:
            waiter = self._waiters.popleft()
            waiter.slot = True
            self._size += 1
            waiter.event.set()

    async def _new_connection(self, start: float) -> AsyncConnection:
        """Connect in the caller's task, in a slot reserved by checkout."""
        try:
            conn = await self._connect()
        except BaseException as exc:
            async with self._lock:
                self._size -= 1
                self._progress = monotonic()
                self._counts["connect_errors"] += 1
                if isinstance(exc, ServerUnavailable | LoginRefused):
                    while self._waiters:  # they fail now, with this reason
                        waiter = self._waiters.popleft()
                        waiter.failure = exc
                        waiter.event.set()
                else:
                    self._pass_slot()
            raise
        async with self._lock:
            self._progress = monotonic()
            self._counts["connects"] += 1
            self._born[id(conn)] = monotonic()
            self._busy[id(conn)] = start
        return conn

    async def checkin(self, conn: AsyncConnection) -> None:
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
        expired: list[AsyncConnection] = []
        async with self._lock:
            self._busy.pop(id(conn), None)
            self._progress = now
            born = self._born.get(id(conn))
            if born is None:  # given back twice, or not ours: close it, count nothing
                expired.append(conn)
            elif (
                _closed_by_server(conn)  # closed, or the server said goodbye since the last statement
                or born <= self._closed_at
                or now - born > self._settings.max_lifetime
            ):
                expired.append(self._forget(conn))
                self._pass_slot()
            elif self._waiters:
                waiter = self._waiters.popleft()
                waiter.conn = conn
                waiter.event.set()
            else:
                self._idle.append((conn, now))
            # Idle connections beyond min_size go after max_idle (oldest first).
            while (
                self._idle and self._size > self._settings.min_size and now - self._idle[0][1] > self._settings.max_idle
            ):
                expired.append(self._forget(self._idle.popleft()[0]))
        for old in expired:
            await old.close()

    def _forget(self, conn: AsyncConnection) -> AsyncConnection:
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
        """Connections open, idle, busy, callers waiting, the longest checkout (s), counters, and how
        long the last checkouts waited for a connection (ms, median, 95th and 99th percentile)."""
        now = monotonic()
        waits = sorted(self._waits)
        return {
            "size": self._size,
            "max_size": self._settings.max_size,
            "idle": len(self._idle),
            "busy": len(self._busy),
            "waiting": len(self._waiters),
            "longest_busy_s": round(max((now - t for t in self._busy.values()), default=0.0), 3),
            **self._counts,
            "checkouts": self._checked_out,
            "wait_p50_ms": _percentile(waits, 0.50),
            "wait_p95_ms": _percentile(waits, 0.95),
            "wait_p99_ms": _percentile(waits, 0.99),
        }

    def stuck_for(self) -> float:
        """Seconds that callers have waited while no connection came back, was handed out or was
        tried (0 if none wait). Handing out an idle one counts: an idle spell before contention
        is not time stuck.

        Only a leak or a deadlock in the process does that: an outage still makes progress,
        as every caller's connection attempt fails at once.
        """
        return monotonic() - self._progress if self._waiters else 0.0

    async def close(self) -> None:
        """Close the idle connections now and busy ones when they come back; the pool stays usable."""
        async with self._lock:
            self._closed_at = monotonic()
            idle = [self._forget(conn) for conn, _ in self._idle]
            self._idle.clear()
        for conn in idle:
            await conn.close()
