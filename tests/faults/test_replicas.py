"""Read replicas (DATABASE_REPLICA_URLS) on a real streaming replica made by pg_basebackup.

Where a statement ran is read from the servers themselves: each pool has one connection, and
pg_stat_activity shows the last statement of each backend, on the primary and on the replica.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from chatmaps_db import AsyncDatabase, Database, db_async, models
from codegen.dev import atlas, pg
from codegen.paths import MIGRATIONS

APP = "replica-routing"


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[pg.ThrowawayServer, pg.ThrowawayServer]]:
    """A primary with a migrated database, and its streaming replica."""
    with pg.throwaway_server() as primary:
        url = pg.create_database(primary.url, "app")
        atlas.migrate_apply(MIGRATIONS, url)
        with pg.streaming_replica(primary) as replica:
            yield primary, replica


@pytest.fixture
def urls(cluster: tuple[pg.ThrowawayServer, pg.ThrowawayServer]) -> Iterator[tuple[str, str]]:
    primary, replica = cluster
    try:
        yield primary.database_url("app"), replica.database_url("app")
    finally:
        if not (replica.data / "postmaster.pid").exists():
            replica.start()
        with pg.connect(replica.url) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


def last_statements(server_url: str) -> list[str]:
    """The last statement of each of our backends on a server, as pg_stat_activity shows it."""
    with pg.connect(server_url) as conn:
        rows = conn.execute("SELECT query FROM pg_stat_activity WHERE application_name = %s", (APP,)).fetchall()
    return [" ".join(str(r[0]).split())[:40] for r in rows]


def replicated(replica_url: str, user_id: object) -> None:
    """Wait until the replica has replayed the row (streaming takes milliseconds)."""
    for _ in range(500):
        with pg.connect(replica_url) as conn:
            if conn.execute("SELECT 1 FROM users WHERE id = %s", (user_id,)).fetchone():
                return
        time.sleep(0.01)
    raise AssertionError("the replica did not replay the insert within 5 s")


def test_reads_go_to_the_replica_and_writes_and_transactions_to_the_primary(urls: tuple[str, str]) -> None:
    primary_url, replica_url = urls
    db = Database(primary_url, replica_urls=[replica_url], application_name=APP, max_size=1)
    user = db.users.insert(models.UserInsert(name="Ada", email="ada@example.com"))
    assert last_statements(primary_url) == ['INSERT INTO "public"."users" ("name", "e']
    assert last_statements(replica_url) == []
    replicated(replica_url, user.id)

    assert db.users.get(user.id) == user
    assert last_statements(replica_url) == ['SELECT "id", "name", "email", "email_ver']
    assert db.users.count(email="ada@example.com") == 1
    assert last_statements(replica_url) == ['SELECT count(*) FROM "public"."users" WH']
    # A checked query that is a plain SELECT reads from the replica; one that writes, the primary.
    assert db.queries.list_user_sessions(user_id=user.id) == []
    assert last_statements(replica_url) == ["SELECT * FROM sessions WHERE user_id = $"]
    assert db.queries.delete_expired_sessions() == 0
    assert last_statements(primary_url) == ["DELETE FROM sessions WHERE expires_at <="]

    # In a transaction every read is on the primary: it sees the transaction's own writes.
    with db.transaction() as tx:
        tx.users.update(user.id, models.UserUpdate(name="Ada L."))
        assert (got := tx.users.get(user.id)) is not None and got.name == "Ada L."
        assert last_statements(primary_url)[0].startswith('SELECT "id", "name"')

    # db.read(): one READ ONLY transaction on the replica.
    with db.read() as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM users")

    health = db.health()
    assert health.status == "ok" and len(health.replicas) == 1
    (node,) = health.replicas
    assert (node.url, node.status, node.error) == (replica_url, "ok", None)
    assert node.lag_s is not None and 0 <= node.lag_s < 1
    assert health.as_dict()["replicas"][0]["status"] == "ok"
    db.close()


def test_without_a_replica_read_uses_the_primary_read_only(urls: tuple[str, str]) -> None:
    primary_url, _ = urls
    db = Database(primary_url, application_name=APP, max_size=1)
    with db.read() as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM users")
    # The connection goes back to the pool writable.
    with db.transaction() as tx:
        tx.execute("DELETE FROM verifications")
    db.close()


def test_a_replica_that_is_down_is_skipped_with_a_warning_and_used_again_when_back(
    urls: tuple[str, str],
    cluster: tuple[pg.ThrowawayServer, pg.ThrowawayServer],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    primary_url, replica_url = urls
    _, replica = cluster
    monkeypatch.setattr("chatmaps_db.db.REPLICA_RETRY_AFTER", 0.2)
    db = Database(primary_url, replica_urls=[replica_url], application_name=APP, max_size=1)
    assert db.users.count() >= 0
    assert len(last_statements(replica_url)) == 1

    replica.stop()
    with caplog.at_level(logging.WARNING, "chatmaps_db"):
        assert db.users.count() >= 0  # answered by the primary
        assert db.users.count() >= 0  # skipped at once: no second warning
    assert last_statements(primary_url) == ['SELECT count(*) FROM "public"."users"']
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        f"read replica {replica_url} is down: No such file or directory (is the server running locally "
        "and accepting connections on that socket?); reads go to the primary, and it is tried again in 0.2 s"
    ]
    health = db.health()
    assert health.status == "ok" and health.ready  # the primary serves reads meanwhile
    assert health.replicas[0].status == "down"
    assert health.replicas[0].error is not None and health.replicas[0].error.startswith(
        f"cannot connect to {replica_url}"
    )

    replica.start()
    time.sleep(0.25)
    caplog.clear()
    with caplog.at_level(logging.WARNING, "chatmaps_db"):
        assert db.users.count() >= 0
    assert [r.getMessage() for r in caplog.records] == [f"read replica {replica_url} is back: reads use it again"]
    assert last_statements(replica_url) == ['SELECT count(*) FROM "public"."users"']
    assert db.health().replicas[0].status == "ok"
    db.close()


def test_a_lagging_replica_is_skipped_until_it_catches_up(
    urls: tuple[str, str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    primary_url, replica_url = urls
    monkeypatch.setattr("chatmaps_db.db.REPLICA_RETRY_AFTER", 0.1)
    monkeypatch.setattr("chatmaps_db.db.LAG_CHECK_EVERY", 0.0)
    db = Database(primary_url, replica_urls=[replica_url], application_name=APP, max_size=1, replica_max_lag=0.5)
    with pg.connect(replica_url) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    user = db.users.insert(models.UserInsert(name="Lag", email=f"lag-{time.time_ns()}@example.com"))
    time.sleep(0.7)  # the replica received the insert but does not replay it: its lag grows
    with caplog.at_level(logging.WARNING, "chatmaps_db"):
        assert db.users.get(user.id) == user  # from the primary
    assert "is lagging: " in caplog.records[0].getMessage()
    assert " s behind the primary (limit 0.5 s)" in caplog.records[0].getMessage()
    lagging = db.health().replicas[0]
    assert lagging.status == "lagging" and lagging.lag_s is not None and lagging.lag_s > 0.5

    with pg.connect(replica_url) as conn:
        conn.execute("SELECT pg_wal_replay_resume()")
    replicated(replica_url, user.id)
    time.sleep(0.15)
    assert db.users.get(user.id) == user
    assert last_statements(replica_url)[0].startswith('SELECT "id", "name"')
    assert db.health().replicas[0].status == "ok"
    db.close()


def test_async_reads_go_to_the_replica(urls: tuple[str, str]) -> None:
    primary_url, replica_url = urls

    async def main() -> None:
        async with AsyncDatabase(primary_url, replica_urls=replica_url, application_name=APP, max_size=1) as db:
            expires = datetime.now(UTC) + timedelta(days=1)
            user = await db.users.insert(models.UserInsert(name="Async", email=f"a-{time.time_ns()}@example.com"))
            await db.sessions.insert(
                models.SessionInsert(user_id=user.id, token=f"t{time.time_ns()}", expires_at=expires)
            )
            replicated(replica_url, user.id)
            assert await db.users.get(user.id) == user
            assert last_statements(replica_url)[0].startswith('SELECT "id", "name"')
            async with db.read() as conn:
                cur = await conn.execute("SELECT pg_is_in_recovery()")
                assert await cur.fetchone() == (True,)
            health = await db.health()
            assert [r.status for r in health.replicas] == ["ok"]

    asyncio.run(main())


def test_replica_urls_from_the_environment() -> None:
    env = {
        "DATABASE_URL": "postgresql://app:s3cret@primary:5432/app",
        "DATABASE_REPLICA_URLS": "postgresql://app:s3cret@r1,r2:5432/app?target_session_attrs=any, postgresql://app@r3/app",
        "DATABASE_REPLICA_MAX_LAG": "2s",
    }
    db = Database.from_env(env)
    assert db.settings.replica_urls == (
        "postgresql://app:s3cret@r1,r2:5432/app?target_session_attrs=any",
        "postgresql://app@r3/app",
    )
    assert db.settings.replica_max_lag == 2.0
    assert "s3cret" not in repr(db.settings) and "postgresql://app:***@r1,r2:5432/app" in repr(db.settings)
    assert db_async.REPLICA_RETRY_AFTER == 5.0
    bad = {**env, "DATABASE_REPLICA_URLS": "postgresql://app:s3cret@r1/app, mysql://r2/app"}
    with pytest.raises(
        Exception, match=r"^DATABASE_REPLICA_URLS \(URL 2 of 2\) must start with postgresql:// or postgres://"
    ) as exc:
        Database.from_env(bad)
    assert "s3cret" not in str(exc.value)
