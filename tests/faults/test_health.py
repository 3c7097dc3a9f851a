"""health() tells down, busy, unmigrated, behind, ahead and diverged apart, within its deadline;
check_schema() compares the full set of migrations, and deep=True the live columns."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from chatmaps_db import MIGRATION_VERSION, Database, SchemaMismatch
from chatmaps_db._meta import MIGRATIONS
from codegen.dev import atlas, pg
from codegen.paths import MIGRATIONS as MIGRATIONS_DIR

APPLY = "run `atlas migrate apply --env prod` (or `make migrate`)"


def _migrations_with(tmp_path: Path, version: str) -> Path:
    """A copy of migrations/ with one more file, re-hashed by Atlas."""
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    (folder / f"{version}_elsewhere.sql").write_text("CREATE TABLE elsewhere (id int);\n")
    atlas.migrate_hash(folder)
    return folder


def test_ok_then_down_then_ok(fault_db: str, restartable: pg.ThrowawayServer) -> None:
    db = Database(fault_db)
    health = db.health()
    assert (health.status, health.ready, health.schema_version) == ("ok", True, MIGRATION_VERSION)
    assert health.latency_ms is not None and health.server_version
    restartable.stop()
    down = db.health()
    assert down.status == "down" and not down.ready and down.error is not None
    assert down.error.startswith(f"cannot connect to {fault_db}: No such file or directory")
    restartable.start()
    assert db.health().status == "ok"
    db.close()


def test_unmigrated(fresh_db: str) -> None:
    health = Database(fresh_db).health()
    assert (health.status, health.error) == ("unmigrated", f"database {fresh_db} has no migrations applied: {APPLY}")


def test_behind(fresh_db: str, tmp_path: Path) -> None:
    older = tmp_path / "older"
    shutil.copytree(MIGRATIONS_DIR, older)
    (older / sorted(older.glob("*.sql"))[-1].name).unlink()
    atlas.migrate_hash(older)
    atlas.migrate_apply(older, fresh_db)
    db = Database(fresh_db)
    health = db.health()
    assert health.status == "behind" and health.schema_version == MIGRATIONS[-2]
    message = (
        f"database {fresh_db} is behind: 1 migration(s) of this package not applied "
        f"(from {MIGRATIONS[-1]} to {MIGRATIONS[-1]}): {APPLY}"
    )
    assert health.error == message
    with pytest.raises(SchemaMismatch) as info:
        db.check_schema()
    assert str(info.value) == message


def test_ahead(fresh_db: str, tmp_path: Path) -> None:
    atlas.migrate_apply(_migrations_with(tmp_path, "29990101000000"), fresh_db)
    health = Database(fresh_db).health()
    assert health.status == "ahead" and health.schema_version == "29990101000000"
    assert health.error == (
        f"database {fresh_db} is ahead: it has migration 29990101000000, this package knows up to "
        f"{MIGRATION_VERSION}: upgrade chatmaps-db in this service"
    )


def test_an_unknown_migration_older_than_the_newest_is_diverged(fresh_db: str, tmp_path: Path) -> None:
    # Another branch's migration, between ours: the newest version matches, the set does not.
    between = str(int(MIGRATIONS[-1]) - 1)
    atlas.migrate_apply(_migrations_with(tmp_path, between), fresh_db)
    db = Database(fresh_db)
    assert db.schema_version() == MIGRATION_VERSION
    health = db.health()
    assert health.status == "diverged"
    assert health.error == (
        f"database {fresh_db} has migration {between}, which this package does not know, before its newest "
        f"{MIGRATION_VERSION}: regenerate the package from the migrations that were deployed"
    )
    with pytest.raises(SchemaMismatch):
        db.check_schema()


def test_deep_check_finds_a_column_dropped_by_hand(fault_db: str) -> None:
    db = Database(fault_db)
    db.check_schema(deep=True)
    with db.connection() as conn:
        conn.execute("ALTER TABLE users DROP COLUMN image")
        conn.execute("ALTER TABLE sessions ALTER COLUMN ip_address TYPE varchar(45)")
    db.check_schema()  # the migrations match: only the deep check sees it
    with pytest.raises(SchemaMismatch) as info:
        db.check_schema(deep=True)
    assert str(info.value) == (
        f"database {fault_db} differs from this package: column public.sessions.ip_address is character varying(45) "
        "(the package expects text) (and 1 more): apply the migrations with Atlas, or regenerate the package "
        "from this database"
    )
    db.close()


def test_the_deadline_holds_against_a_server_that_never_answers() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    db = Database(f"postgresql://app:pw@127.0.0.1:{port}/chat", connect_timeout=30)
    health = db.health(timeout=0.5)
    silent.close()
    assert health.status == "down"
    assert health.error == f"no answer from postgresql://app:***@127.0.0.1:{port}/chat within 0.50 sec"


def test_liveness_fails_only_when_the_pool_is_stuck(fault_db: str) -> None:
    db = Database(fault_db, max_size=1, pool_timeout=0.05)
    assert db.live()
    holder = db._pool.checkout(5)  # a leaked connection: nothing comes back
    stop = threading.Event()

    def callers() -> None:
        while not stop.is_set():
            try:
                with db.connection():
                    pass
            except Exception:
                pass

    thread = threading.Thread(target=callers)
    thread.start()
    try:
        for _ in range(500):
            if not db.live():
                break
            time.sleep(0.01)
        assert not db.live()
    finally:
        stop.set()
        thread.join()
        db._pool.checkin(holder)
    assert db.live()
    db.close()


def test_contention_after_an_idle_spell_is_not_a_stuck_pool(fault_db: str) -> None:
    """After 31 s idle, one transaction and one waiter made live() False at once (and
    /api/health/live 503): the idle spell was counted as time without progress."""
    db = Database(fault_db, max_size=1, pool_timeout=10)
    with db.connection() as conn:
        conn.execute("SELECT 1")
    db._pool._progress -= 100  # the pool has been idle for 100 s (no sleep: the clock is not the point)
    waited = threading.Event()

    def waiter() -> None:
        waited.set()
        with db.connection():
            pass

    with db.transaction() as tx:  # checks out the one connection: that is progress too
        tx.execute("SELECT 1")
        thread = threading.Thread(target=waiter)
        thread.start()
        waited.wait(5)
        for _ in range(200):  # until the waiter is queued
            if db._pool.stats()["waiting"]:
                break
            time.sleep(0.01)
        assert db._pool.stats()["waiting"] == 1
        assert db.live()  # one caller waiting for well under 3 x pool_timeout
    thread.join()
    assert db.live()
    db.close()
