"""The pool under concurrency: one pool whatever races its first use, max_size enforced, exhaustion told apart."""

from __future__ import annotations

import asyncio
import threading
import warnings

import pytest

from chatmaps_db import AsyncDatabase, ConnectionLost, Database, PoolExhausted, ServerUnavailable
from codegen.dev import pg
from tests.faults.conftest import backends


def test_threads_racing_the_first_use_share_one_pool(fault_db: str, fault_server: pg.ThrowawayServer) -> None:
    db = Database(fault_db, max_size=2, application_name="race-threads")
    barrier = threading.Barrier(10)
    peak: list[int] = []
    failures: list[BaseException] = []

    def first_use() -> None:
        try:
            barrier.wait()
            with db.connection() as conn:
                conn.execute("SELECT pg_sleep(0.05)")
                peak.append(backends(fault_server.url, "race-threads"))
        except BaseException as exc:
            failures.append(exc)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an abandoned pool would warn from __del__
        threads = [threading.Thread(target=first_use) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
    assert max(peak) <= 2 and backends(fault_server.url, "race-threads") == 2
    assert db.stats()["connects"] == 2
    db.close()


def test_tasks_racing_the_first_use_share_one_pool(fault_db: str, fault_server: pg.ThrowawayServer) -> None:
    async def run() -> tuple[int, float]:
        db = AsyncDatabase(fault_db, max_size=2, application_name="race-tasks")

        async def first_use() -> None:
            async with db.connection() as conn:
                await conn.execute("SELECT pg_sleep(0.05)")

        await asyncio.gather(*(first_use() for _ in range(10)))
        count = backends(fault_server.url, "race-tasks")
        connects = db.stats()["connects"]
        await db.close()
        return count, connects

    assert asyncio.run(run()) == (2, 2)


def test_fifty_threads_never_exceed_max_size(fault_db: str, fault_server: pg.ThrowawayServer) -> None:
    db = Database(fault_db, max_size=10, application_name="fifty")
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(40):
                with db.transaction() as conn:
                    conn.execute("INSERT INTO verifications (identifier, value, expires_at) VALUES ('x', 'y', now())")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert db.stats()["connects"] <= 10 and backends(fault_server.url, "fifty") <= 10
    with db.connection() as conn:
        row = conn.execute("SELECT count(*) FROM verifications").fetchone()
    assert row == (2000,)
    db.close()


def test_an_exhausted_pool_says_so_with_its_own_timeout(fault_db: str) -> None:
    # The checkout wait (pool_timeout) is separate from the connect timeout.
    db = Database(fault_db, max_size=2, pool_timeout=0.2, connect_timeout=30)
    with db.connection(), db.connection(), pytest.raises(PoolExhausted) as info, db.connection():
        pass
    assert info.value.busy == 2 and info.value.safe_to_retry
    message = str(info.value)
    assert message.startswith(f"all 2 connections to {fault_db} were busy for 0.2")
    assert message.endswith(
        "shorten transactions, or raise DATABASE_POOL_MAX_SIZE (now 2) or DATABASE_POOL_TIMEOUT (now 0.2 s)"
    )
    health = db.health()
    assert health.status == "ok"  # the connections came back
    with db.connection(), db.connection():
        busy = db.health(timeout=0.2)
    assert busy.status == "busy" and busy.error is not None and busy.error.startswith("all 2 connections")
    db.close()


def test_a_connection_returned_mid_transaction_is_rolled_back(fault_db: str) -> None:
    db = Database(fault_db, max_size=1)
    with db.connection() as conn:
        conn.execute("INSERT INTO verifications (identifier, value, expires_at) VALUES ('x', 'y', now())")
    with pytest.raises(RuntimeError), db.connection() as conn:
        conn.execute("INSERT INTO verifications (identifier, value, expires_at) VALUES ('z', 'y', now())")
        raise RuntimeError("the caller's own error")
    with db.connection() as conn:
        rows = conn.execute("SELECT identifier FROM verifications").fetchall()
    assert rows == [("x",)]  # the first block committed, the second rolled back
    db.close()


def test_stats_per_node_move_as_the_pool_connects_is_exhausted_fails_and_recovers(
    fault_db: str, restartable: pg.ThrowawayServer
) -> None:
    """db.stats() / node_stats(): the counters an operator alerts on, driven one by one."""
    db = Database(fault_db, max_size=1, pool_timeout=0.2, replica_urls=[fault_db])
    assert set(db.node_stats()) == {"primary", "replica 1"}
    assert db.users.count() >= 0  # a read: the replica's pool
    with db.connection():  # the primary's
        pass
    primary, replica = db.node_stats()["primary"], db.node_stats()["replica 1"]
    assert (primary["connects"], primary["checkouts"], primary["size"], primary["idle"]) == (1, 1, 1, 1)
    assert (replica["connects"], replica["checkouts"]) == (1, 1)
    with db.connection():  # exhausted: the one connection is held, the next caller gives up
        assert db.stats()["busy"] == 1
        with pytest.raises(PoolExhausted), db.connection():
            pass
    assert (db.stats()["exhausted"], db.stats()["checkouts"]) == (1, 2)
    restartable.stop()  # fails: the idle connection is dropped, the new one cannot connect
    with pytest.raises((ServerUnavailable, ConnectionLost)), db.connection() as conn:
        conn.execute("SELECT 1")
    failed = db.stats()
    assert failed["connect_errors"] >= 1 and failed["dropped"] >= 1, failed
    restartable.start()  # recovers: the next caller connects again
    with db.connection() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    back = db.stats()
    assert back["connects"] == failed["connects"] + 1 and back["size"] == 1, back
    assert 0 <= back["wait_p50_ms"] <= back["wait_p95_ms"] <= back["wait_p99_ms"]
    db.close()
