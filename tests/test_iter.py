"""iter(): list()'s rows streamed through a server-side cursor (PostgreSQL's pg_cursors shows it
while the loop runs), in a transaction that ends with the loop: the pooled connection is back
when the loop ends or is closed early; sync and async; the same rows as PostgreSQL's own query."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import closing

import pytest

from chatmaps_db import AsyncDatabase, Database, models


@pytest.fixture
def db(migrated_db: str) -> Iterator[Database]:
    database = Database(migrated_db, min_size=1, max_size=1)  # one connection: a leak would block the next call
    database.users.insert_many(
        models.UserInsert(name=f"user {i % 9}", email=f"u{i:03}@example.com", image=None if i % 4 else f"i{i % 3}")
        for i in range(250)
    )
    yield database
    database.close()


@pytest.mark.parametrize(("order", "sql"), [("-name", "name DESC, id DESC"), (["image", "email"], "image, email, id")])
def test_iter_streams_what_postgresql_answers(db: Database, order: str | list[str], sql: str) -> None:
    with db.connection() as conn:
        expected = [r[0] for r in conn.execute(f"SELECT id FROM users ORDER BY {sql}")]
        matching = [r[0] for r in conn.execute(f"SELECT id FROM users WHERE name = 'user 3' ORDER BY {sql}")]
    assert [u.id for u in db.users.iter(order_by=order, batch=7)] == expected  # type: ignore[arg-type]
    assert [u.id for u in db.users.iter(order_by=order, name="user 3", batch=1)] == matching  # type: ignore[arg-type]
    assert [u.id for u in db.users.iter(order_by=order, limit=10, offset=5)] == expected[5:15]  # type: ignore[arg-type]
    rows = list(db.users.iter(order_by=order, after=db.users.get(expected[99])))  # type: ignore[arg-type]
    assert [u.id for u in rows] == expected[100:] and all(type(u) is models.User for u in rows)


def test_the_cursor_is_on_the_server_and_ends_with_the_loop(db: Database) -> None:
    with db.transaction() as tx:
        seen = 0
        for user in tx.users.iter(order_by="email", batch=10):
            if seen == 0:
                cursors = tx.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE 'chatmaps_iter_%'").fetchone()
                assert cursors == (1,) and user.email == "u000@example.com"
            seen += 1
        assert seen == 250
        assert tx.execute("SELECT count(*) FROM pg_cursors").fetchone() == (0,)
    # Closed early: the cursor and its transaction end, and the pool's one connection is free again.
    with closing(db.users.iter(order_by="email", batch=10)) as rows:
        assert next(rows).email == "u000@example.com"
    assert db.users.count() == 250  # would wait for the pool's only connection if the loop had kept it
    stats = db.stats()
    assert stats["busy"] == 0, stats


def test_wrong_arguments_are_refused_before_any_sql(db: Database) -> None:
    for batch in (0, -1, 2.5):
        with pytest.raises(ValueError, match=r"^public.users.iter: batch is a whole number, 1 or more"):
            list(db.users.iter(batch=batch))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^public.users.iter: offset is a whole number, 0 or more \(got -3\)$"):
        list(db.users.iter(offset=-3))


def test_async_iter(db: Database, migrated_db: str) -> None:
    async def main() -> list[str]:
        async with AsyncDatabase(migrated_db) as adb:
            return [u.email async for u in adb.users.iter(order_by="-email", batch=16, limit=3)]

    assert asyncio.run(main()) == ["u249@example.com", "u248@example.com", "u247@example.com"]
