"""run_in_transaction: a unit of work run again after a serialization failure, a deadlock, or a
connection lost before COMMIT; bounded; sync and async."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import psycopg
import pytest
from psycopg import errors

from chatmaps_db import AsyncDatabase, ConnectionLost, Database

SEED = "INSERT INTO verifications (identifier, value, expires_at) VALUES ('a', '0', now()), ('b', '0', now())"


def test_a_serialization_failure_is_retried(fault_db: str) -> None:
    db = Database(fault_db)
    with db.transaction() as conn:
        conn.execute(SEED)
    runs: list[int] = []

    def bump(conn: psycopg.Connection[Any]) -> int:
        runs.append(len(runs) + 1)
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        conn.execute("SELECT value FROM verifications WHERE identifier = 'a'")
        if len(runs) == 1:  # another writer commits in between, once
            with db.transaction() as other:
                other.execute("UPDATE verifications SET value = 'other' WHERE identifier = 'a'")
        conn.execute("UPDATE verifications SET value = value || '+1' WHERE identifier = 'a'")
        return len(runs)

    assert db.run_in_transaction(bump) == 2
    with db.connection() as conn:
        assert conn.execute("SELECT value FROM verifications WHERE identifier = 'a'").fetchone() == ("other+1",)
    db.close()


def test_a_deadlock_is_retried(fault_db: str) -> None:
    db = Database(fault_db)
    with db.transaction() as conn:
        conn.execute(SEED)
    barrier = threading.Barrier(2)
    attempts = {"a": 0, "b": 0}

    def swap(first: str, second: str) -> None:
        def work(conn: psycopg.Connection[Any]) -> None:
            attempts[first] += 1
            conn.execute("UPDATE verifications SET value = value || %s WHERE identifier = %s", (first, first))
            if attempts[first] == 1:
                barrier.wait()  # both hold their first row: each now waits for the other's
            conn.execute("UPDATE verifications SET value = value || %s WHERE identifier = %s", (first, second))

        db.run_in_transaction(work)

    threads = [threading.Thread(target=swap, args=pair) for pair in (("a", "b"), ("b", "a"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(attempts.values()) == [1, 2]  # the server broke the deadlock; the victim ran again
    with db.connection() as conn:
        values = dict(conn.execute("SELECT identifier, value FROM verifications").fetchall())
    assert sorted(values.values()) == ["0ab", "0ab"] or sorted(values.values()) == ["0ba", "0ba"]
    db.close()


def test_a_connection_lost_before_commit_is_retried_and_other_errors_are_not(fault_db: str) -> None:
    db = Database(fault_db)
    runs: list[int] = []

    def work(conn: psycopg.Connection[Any]) -> None:
        runs.append(1)
        conn.execute(SEED)
        if len(runs) == 1:
            conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    db.run_in_transaction(work)
    assert len(runs) == 2
    with db.connection() as conn:
        assert conn.execute("SELECT count(*) FROM verifications").fetchone() == (2,)  # once, not twice

    def broken(conn: psycopg.Connection[Any]) -> None:
        runs.append(1)
        conn.execute("SELECT no_such_column FROM verifications")

    runs.clear()
    with pytest.raises(errors.UndefinedColumn):
        db.run_in_transaction(broken)
    assert len(runs) == 1

    def always_conflicting(conn: psycopg.Connection[Any]) -> None:
        runs.append(1)
        conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    runs.clear()
    with pytest.raises(ConnectionLost):
        db.run_in_transaction(always_conflicting, attempts=3, backoff=0.01)
    assert len(runs) == 3
    db.close()


def test_async_retry(fault_db: str) -> None:
    async def run() -> int:
        db = AsyncDatabase(fault_db)
        runs: list[int] = []

        async def work(conn: psycopg.AsyncConnection[Any]) -> int:
            runs.append(1)
            if len(runs) == 1:
                await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            return len(runs)

        result = await db.run_in_transaction(work)
        await db.close()
        return result

    assert asyncio.run(run()) == 2
