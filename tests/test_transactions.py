"""Transaction options: db.transaction(isolation=, read_only=, deferrable=) as PostgreSQL reports
them inside (SHOW), for that transaction only (the pooled connection's next one has the
defaults); tx.transaction() is a savepoint; run_in_transaction takes the same options and
reruns the block on a serialization failure; a wrong option is refused before BEGIN."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from chatmaps_db import AsyncDatabase, Database, models


@pytest.fixture
def db(migrated_db: str) -> Iterator[Database]:
    database = Database(migrated_db, min_size=1, max_size=1)  # one connection: every block reuses it
    yield database
    database.close()


def _settings(conn: psycopg.Connection[Any]) -> tuple[str, str, str]:
    row = conn.execute(
        "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only'), "
        "current_setting('transaction_deferrable')"
    ).fetchone()
    assert row is not None
    return row


def test_options_hold_for_their_transaction_only(db: Database) -> None:
    with db.transaction() as tx:
        assert _settings(tx) == ("read committed", "off", "off")
    with db.transaction(isolation="repeatable read") as tx:
        assert _settings(tx) == ("repeatable read", "off", "off")
    with db.transaction(isolation="serializable", read_only=True, deferrable=True) as tx:
        assert _settings(tx) == ("serializable", "on", "on")
    with db.transaction() as tx:  # the same pooled connection, back to the server's defaults
        assert _settings(tx) == ("read committed", "off", "off")
    with db.connection() as conn:
        assert _settings(conn) == ("read committed", "off", "off")


def test_a_read_only_transaction_refuses_a_write_and_keeps_nothing(db: Database) -> None:
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction), db.transaction(read_only=True) as tx:
        assert tx.users.count() == 0  # reads are fine
        tx.users.insert(models.UserInsert(name="Ada", email="ada@example.com"))
    assert db.users.count() == 0


def test_a_nested_transaction_is_a_savepoint(db: Database) -> None:
    with db.transaction() as tx:
        tx.users.insert(models.UserInsert(name="Ada", email="ada@example.com"))
        with pytest.raises(RuntimeError, match="undo the inner block only"), tx.transaction():
            tx.users.insert(models.UserInsert(name="Bob", email="bob@example.com"))
            assert tx.users.count() == 2
            raise RuntimeError("undo the inner block only")
        assert tx.users.count() == 1
        with tx.transaction():  # a savepoint released: its row stays with the outer transaction
            tx.users.insert(models.UserInsert(name="Cy", email="cy@example.com"))
    assert sorted(u.name for u in db.users.list()) == ["Ada", "Cy"]


def test_run_in_transaction_with_an_isolation_reruns_a_serialization_failure(db: Database, migrated_db: str) -> None:
    ada = db.users.insert(models.UserInsert(name="Ada", email="ada@example.com"))
    runs: list[str] = []

    def rename(tx: psycopg.Connection[Any]) -> int:
        runs.append(_settings(tx)[0])
        assert tx.execute("SELECT name FROM users WHERE id = %s", [ada.id]).fetchone() is not None  # the snapshot
        if len(runs) == 1:  # another writer commits after this transaction's snapshot, once
            with psycopg.connect(migrated_db, autocommit=True) as other:
                other.execute("UPDATE users SET name = 'Other' WHERE id = %s", [ada.id])
        tx.execute("UPDATE users SET name = name || ' +1' WHERE id = %s", [ada.id])
        return len(runs)

    assert db.run_in_transaction(rename, isolation="repeatable read") == 2
    assert runs == ["repeatable read", "repeatable read"]  # the rerun has the same isolation
    found = db.users.get(ada.id)
    assert found is not None and found.name == "Other +1"  # both writes, neither lost


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"isolation": "snapshot"}, r"^isolation is one of 'read committed', 'repeatable read', 'serializable'"),
        ({"deferrable": True}, r'^deferrable=True needs isolation="serializable" and read_only=True$'),
        ({"isolation": "serializable", "deferrable": True}, r"^deferrable=True needs"),
    ],
)
def test_a_wrong_option_is_refused_before_begin(db: Database, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message), db.transaction(**options):
        pytest.fail("the block must not run")
    with pytest.raises(ValueError, match=message):
        db.run_in_transaction(lambda tx: None, **options)


def test_async_transaction_options(migrated_db: str) -> None:
    async def main() -> None:
        async with AsyncDatabase(migrated_db) as adb, adb.transaction(isolation="serializable", read_only=True) as tx:
            cur = await tx.execute(
                "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')"
            )
            assert await cur.fetchone() == ("serializable", "on")
            async with tx.transaction():  # a savepoint, as in the sync twin
                assert await tx.users.count() == 0

    asyncio.run(main())
