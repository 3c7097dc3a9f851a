"""Server stop, restart and outage under live clients: stale connections, fast failure, recovery."""

from __future__ import annotations

import asyncio
import threading

import pytest

from chatmaps_db import AsyncDatabase, ConnectionLost, Database, ServerUnavailable
from codegen.dev import pg

DOWN = "No such file or directory (is the server running locally and accepting connections on that socket?)"


def _fill(db: Database, n: int) -> None:
    """Leave `n` idle connections in the pool."""
    conns = [db._pool.checkout(5) for _ in range(n)]
    for conn in conns:
        db._pool.checkin(conn)


def test_idle_connections_of_a_restarted_server_fail_no_request(fault_db: str, restartable: pg.ThrowawayServer) -> None:
    db = Database(fault_db, max_size=8)
    _fill(db, 8)
    assert db.stats()["idle"] == 8
    restartable.stop()
    restartable.start()
    for _ in range(8):  # before the fix, 4 of 8 of these met AdminShutdown
        with db.transaction() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    stats = db.stats()
    assert stats["dropped"] == 8 and stats["connects"] == 9
    db.close()


def test_while_down_calls_fail_at_once_with_the_cause_and_recover_on_the_first_call(
    fault_db: str, restartable: pg.ThrowawayServer
) -> None:
    # Long timeouts: a call that waited for either would hang the test for a minute.
    db = Database(fault_db, max_size=4, pool_timeout=60, connect_timeout=60)
    _fill(db, 4)
    restartable.stop()
    for _ in range(3):
        with pytest.raises(ServerUnavailable) as info, db.connection():
            pass
        assert info.value.cause == DOWN
        assert str(info.value) == f"cannot connect to {fault_db}: {DOWN}"
    restartable.start()
    with db.connection() as conn:  # the first call after the server is back
        assert conn.execute("SELECT 1").fetchone() == (1,)
    db.close()


def test_callers_waiting_for_a_full_pool_learn_the_server_went_down(
    fault_db: str, restartable: pg.ThrowawayServer
) -> None:
    db = Database(fault_db, max_size=1, pool_timeout=60)
    outcome: list[BaseException] = []
    holder = db._pool.checkout(5)

    def waiter() -> None:
        try:
            with db.connection():
                pass
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=waiter)
    thread.start()
    while db.stats()["waiting"] == 0:
        thread.join(0.01)
    restartable.stop()
    db._pool.checkin(holder)  # broken now: dropped; the waiter connects, fails, and says why
    thread.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], ServerUnavailable) and outcome[0].cause == DOWN
    db.close()


def test_a_connection_lost_inside_a_transaction_is_safe_to_retry(fault_db: str) -> None:
    db = Database(fault_db)
    with pytest.raises(ConnectionLost) as info, db.transaction() as conn:
        conn.execute("INSERT INTO verifications (identifier, value, expires_at) VALUES ('x', 'y', now())")
        conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    assert info.value.safe_to_retry
    assert str(info.value) == (
        f"connection to {fault_db} lost: terminating connection due to administrator command; "
        "nothing was committed, safe to retry"
    )
    # Outside a transaction block the caller may have committed: not known to be safe.
    with pytest.raises(ConnectionLost) as info, db.connection() as conn:
        conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    assert not info.value.safe_to_retry and str(info.value).endswith(
        "it may have committed: check before you repeat it"
    )
    with db.connection() as conn:
        assert conn.execute("SELECT count(*) FROM verifications").fetchone() == (0,)
    db.close()


def test_a_server_shutdown_mid_transaction_is_connection_lost(fault_db: str, restartable: pg.ThrowawayServer) -> None:
    db = Database(fault_db)
    with pytest.raises(ConnectionLost) as info, db.transaction() as conn:
        conn.execute("SELECT 1")
        restartable.stop()  # fast shutdown: the session gets AdminShutdown
        conn.execute("SELECT 1")
    assert info.value.safe_to_retry
    restartable.start()
    db.close()


def test_async_restart_and_outage(fault_db: str, restartable: pg.ThrowawayServer) -> None:
    async def run() -> list[str]:
        seen: list[str] = []
        db = AsyncDatabase(fault_db, max_size=4)
        conns = [await db._pool.checkout(5) for _ in range(4)]
        for conn in conns:
            await db._pool.checkin(conn)
        restartable.stop()
        try:
            async with db.connection():
                pass
        except ServerUnavailable as exc:
            seen.append(exc.cause)
        restartable.start()
        for _ in range(4):
            async with db.transaction() as conn:
                cur = await conn.execute("SELECT 1")
                seen.append(str(await cur.fetchone()))
        await db.close()
        return seen

    assert asyncio.run(run()) == [DOWN, "(1,)", "(1,)", "(1,)", "(1,)"]
