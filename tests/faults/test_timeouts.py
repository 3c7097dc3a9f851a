"""Session settings from keywords and DATABASE_* variables, and the errors their limits raise."""

from __future__ import annotations

import asyncio
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from chatmaps_db import AsyncDatabase, ConnectionLost, Database, QueryCancelled
from codegen.dev import pg

INSERT = "INSERT INTO verifications (identifier, value, expires_at) VALUES ('x', 'y', now())"


def test_statement_timeout_cancels_with_its_own_error(fault_db: str) -> None:
    db = Database.from_env(env={"DATABASE_URL": fault_db, "DATABASE_STATEMENT_TIMEOUT": "200ms"})
    with pytest.raises(QueryCancelled) as info, db.transaction() as conn:
        conn.execute("SELECT pg_sleep(5)")
    assert info.value.timeout == "statement_timeout"
    assert str(info.value) == (
        f"the server cancelled a statement on {fault_db}: canceling statement due to statement timeout "
        "(statement_timeout is 0.2 s)"
    )
    with db.connection() as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("200ms",)
    db.close()


def test_lock_timeout_cancels_with_its_own_error(fault_db: str) -> None:
    db = Database(fault_db, lock_timeout=0.2)
    with db.transaction() as holder:
        holder.execute("LOCK TABLE verifications")
        with pytest.raises(QueryCancelled) as info, db.transaction() as conn:
            conn.execute(INSERT)
    assert info.value.timeout == "lock_timeout"
    assert str(info.value) == (
        f"the server cancelled a statement on {fault_db}: it waited longer than lock_timeout for a lock "
        "(lock_timeout is 0.2 s)"
    )
    db.close()


def test_a_cancel_from_elsewhere_is_query_cancelled_without_a_timeout(fault_db: str) -> None:
    db = Database(fault_db, application_name="to-cancel")
    with db.connection() as watcher:

        def cancel_soon() -> None:
            for _ in range(500):
                row = watcher.execute(
                    "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'to-cancel' AND query LIKE 'SELECT pg_sleep%'"
                ).fetchone()
                watcher.commit()
                if row:
                    return
                time.sleep(0.01)

        canceller = threading.Thread(target=cancel_soon)
        canceller.start()
        with pytest.raises(QueryCancelled) as info, db.transaction() as conn:
            conn.execute("SELECT pg_sleep(30)")
        canceller.join()
    assert info.value.timeout is None
    assert str(info.value) == f"the server cancelled a statement on {fault_db}: canceling statement due to user request"
    db.close()


def test_idle_in_transaction_timeout_is_a_lost_connection_safe_to_retry(fault_db: str) -> None:
    db = Database(fault_db, idle_in_transaction_session_timeout=0.2)
    with pytest.raises(ConnectionLost) as info, db.transaction() as conn:
        conn.execute(INSERT)
        time.sleep(0.6)  # the server ends the session while the transaction idles
        conn.execute("SELECT 1")
    assert info.value.safe_to_retry
    assert "terminating connection due to idle-in-transaction timeout" in str(info.value)
    with db.connection() as conn:  # the pool dropped the dead one and goes on
        assert conn.execute("SELECT count(*) FROM verifications").fetchone() == (0,)
    db.close()


def test_application_name_reaches_the_server(fault_db: str) -> None:
    db = Database.from_env(env={"DATABASE_URL": fault_db, "DATABASE_APPLICATION_NAME": "chatmaps-api"})
    with db.connection() as conn:
        assert conn.execute("SHOW application_name").fetchone() == ("chatmaps-api",)
    db.close()


def test_max_lifetime_replaces_old_connections(fault_db: str) -> None:
    db = Database(fault_db, max_lifetime=0.2)
    with db.connection() as conn:
        first = conn.info.backend_pid
    time.sleep(0.3)
    with db.connection() as conn:
        assert conn.info.backend_pid != first
    assert db.stats()["dropped"] == 1
    db.close()


SERVER_SET = "set on the server, the role, the database or the URL (chatmaps_db sets none)"


def _role(fault_db: str, name: str, *settings: str) -> str:
    """A login role with these ALTER ROLE ... SET settings; its URL on the fault database."""
    with pg.connect(fault_db) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN SUPERUSER")
        for setting in settings:
            conn.execute(f"ALTER ROLE {name} SET {setting}")
    parts = urlsplit(fault_db)
    return urlunsplit(parts._replace(netloc=f"{name}@{parts.hostname or ''}"))


@pytest.mark.parametrize("where", ["role", "url options", "set local", "async"])
def test_a_statement_timeout_the_server_sets_is_query_cancelled_with_its_value(fault_db: str, where: str) -> None:
    """Production sets timeouts on the role; the error said nothing then, it crashed (TypeError)."""
    url = _role(fault_db, f"app_{where.replace(' ', '_')}", "statement_timeout = '250ms'")
    if where == "url options":
        url = f"{fault_db}&options=-c%20statement_timeout%3D300"
    expected = "is 300ms" if where == "url options" else "is 250ms"
    if where == "async":

        async def run() -> QueryCancelled:
            async with AsyncDatabase(url) as db:
                try:
                    async with db.transaction() as conn:
                        await conn.execute("SELECT pg_sleep(5)")
                except QueryCancelled as exc:
                    return exc
            raise AssertionError("no QueryCancelled")

        error = asyncio.run(run())
    else:
        db = Database(url if where != "set local" else fault_db)
        with pytest.raises(QueryCancelled) as info, db.transaction() as conn:
            if where == "set local":
                conn.execute("SET LOCAL statement_timeout = '250ms'")
            conn.execute("SELECT pg_sleep(5)")
        error = info.value
        with pytest.raises(QueryCancelled), db.connection() as conn:  # and outside a transaction
            if where == "set local":
                conn.execute("SET statement_timeout = '250ms'")
            conn.execute("SELECT pg_sleep(5)")
        db.close()
    assert error.timeout == "statement_timeout"
    shown = urlsplit(fault_db)._replace(netloc="").geturl()
    value = (
        "was set for that transaction only (SET LOCAL); the session's is 0"
        if where == "set local"
        else f"{expected}, {SERVER_SET}"
    )
    assert str(error).endswith(f"canceling statement due to statement timeout (statement_timeout {value})"), str(error)
    assert str(error).startswith("the server cancelled a statement on postgresql://"), shown


def test_a_lock_timeout_the_role_sets_is_query_cancelled_with_its_value(fault_db: str) -> None:
    url = _role(fault_db, "app_lock", "lock_timeout = '200ms'")
    db = Database(url)
    with db.transaction() as holder:
        holder.execute("LOCK TABLE verifications")
        with pytest.raises(QueryCancelled) as info:
            db.verifications.count()  # the table layer too
    assert info.value.timeout == "lock_timeout"
    assert str(info.value).endswith(
        f"it waited longer than lock_timeout for a lock (lock_timeout is 200ms, {SERVER_SET})"
    )
    db.close()
