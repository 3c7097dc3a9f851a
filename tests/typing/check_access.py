"""Typing test of the table layer: mypy --strict must accept this file and agree with every
assert_type. Its twin, tests/typing_rejected/access.py, holds calls mypy must reject."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import assert_type
from uuid import UUID

from chatmaps_db import ALL_ROWS, AsyncDatabase, Condition, Database, any_of, models
from chatmaps_db.access import AsyncConnection, Connection
from chatmaps_db.access.accounts import AccountWith
from chatmaps_db.access.sessions import SessionLoad, SessionWith
from chatmaps_db.access.users import AsyncUserTable, UserLoad, UserTable, UserWith


def sync_tables(db: Database, user_id: UUID) -> None:
    assert_type(db.users, UserTable)
    assert_type(db.users.get(user_id), models.User | None)
    assert_type(db.users.get(user_id, validate=True), models.User | None)
    assert_type(db.users.get_by_email("ada@example.com"), models.User | None)
    assert_type(db.users.list(), list[models.User])
    page = db.users.list(email_verified=False, image=None, order_by="-created_at", limit=50)
    assert_type(page, list[models.User])
    assert_type(db.users.list(name=["Ada", "Bob"], order_by=["name", "-id"], after=page[-1]), list[models.User])
    assert_type(db.users.list(order_by="created_at", limit=20, offset=40), list[models.User])
    for streamed in db.users.iter(email_verified=True, order_by="-created_at", batch=500):
        assert_type(streamed, models.User)
    assert_type(db.users.count(email_verified=False), int)
    assert_type(db.users.insert(models.UserInsert(name="Ada", email="ada@example.com")), models.User)
    assert_type(db.users.insert_many([models.UserInsert(name="Ada", email="ada@example.com")]), int)
    assert_type(
        db.users.insert_many_and_return([models.UserInsert(name="Ada", email="ada@example.com")]), list[models.User]
    )
    assert_type(db.users.update(user_id, models.UserUpdate(image=None)), models.User | None)
    assert_type(db.users.delete(user_id), bool)
    assert_type(db.users.upsert(models.UserInsert(name="Ada", email="a@b.c"), on="email"), models.User)
    assert_type(db.users.upsert(models.UserInsert(name="Ada", email="a@b.c"), on="email", update=["name"]), models.User)
    assert_type(db.users.insert_if_absent(models.UserInsert(name="Ada", email="a@b.c"), on="email"), models.User | None)
    assert_type(db.accounts.get_by_provider_id_account_id(provider_id="github", account_id="1"), models.Account | None)
    with db.transaction() as tx:
        assert_type(tx, Connection)
        assert_type(tx.sessions.list(user_id=user_id), list[models.Session])
        tx.execute("SELECT 1")  # still psycopg's connection: raw SQL is the escape hatch
    with db.transaction(isolation="serializable", read_only=True, deferrable=True) as tx:
        assert_type(tx, Connection)
        with tx.transaction():  # a savepoint
            assert_type(tx.users.count(), int)
    assert_type(db.run_in_transaction(lambda tx: tx.users.count(), isolation="repeatable read"), int)
    c = db.sessions.c
    now = datetime.now(UTC)
    expired = c.expires_at.lt(now) & ~c.ip_address.is_null()
    assert_type(expired, Condition[models.Session])
    assert_type(db.sessions.list(expired, order_by="-created_at", limit=10), list[models.Session])
    assert_type(db.sessions.list(lambda c: c.token.in_(["a", "b"]), user_id=user_id), list[models.Session])
    assert_type(db.users.count(lambda c: c.email.ends_with("@example.com", case_insensitive=True)), int)
    assert_type(db.users.exists(any_of(db.users.c.name.eq("Ada"), db.users.c.image.is_null())), bool)
    assert_type(db.sessions.update_where(expired, models.SessionUpdate(user_agent=None)), int)
    assert_type(db.sessions.delete_where_and_return(expired), list[models.Session])
    assert_type(db.verifications.delete_where(ALL_ROWS), int)
    loaded = db.users.list(
        limit=10, load=UserLoad(sessions=SessionLoad(lambda s: s.expires_at.gt(now), limit=5), accounts=True)
    )
    assert_type(loaded, list[UserWith])
    assert_type(loaded[0].sessions, list[SessionWith])
    assert_type(loaded[0].accounts[0], AccountWith)
    assert_type(db.users.list(limit=10), list[models.User])
    one = db.sessions.get_by_token("t", load=SessionLoad(user=UserLoad(accounts=True)))
    assert_type(one, SessionWith | None)
    if one is not None and one.user is not None:
        assert_type(one.user.accounts, list[AccountWith])
    counted = db.users.list(load=UserLoad(count={"sessions": lambda s: s.expires_at.lt(now), "accounts": True}))
    assert_type(counted[0].count_of("sessions"), int)
    assert_type(db.users.get(user_id, load=UserLoad(count=["accounts"])), UserWith | None)
    for streamed_with in db.users.iter(load=UserLoad(sessions=True)):
        assert_type(streamed_with, UserWith)
    with_expired = db.users.c.sessions.some(lambda s: s.expires_at.lt(now))
    assert_type(with_expired, Condition[models.User])
    assert_type(
        db.users.list(lambda c: c.accounts.none() & c.sessions.every(lambda s: s.ip_address.is_null())),
        list[models.User],
    )
    assert_type(
        db.sessions.c.user.has(lambda u: u.email.ends_with("@x.io") & u.accounts.some()), Condition[models.Session]
    )


async def async_tables(db: AsyncDatabase, user_id: UUID) -> None:
    assert_type(db.users, AsyncUserTable)
    assert_type(await db.users.get(user_id), models.User | None)
    assert_type(await db.users.get_by_email("ada@example.com"), models.User | None)
    assert_type(await db.users.list(order_by="name", limit=10), list[models.User])
    async for row in db.users.iter(order_by="name"):
        assert_type(row, models.User)
    assert_type(await db.users.count(), int)
    assert_type(await db.users.insert(models.UserInsert(name="Ada", email="ada@example.com")), models.User)
    assert_type(await db.users.insert_many([]), int)
    assert_type(await db.users.update(user_id, models.UserUpdate(name="Ada")), models.User | None)
    assert_type(await db.users.delete(user_id), bool)
    assert_type(await db.users.upsert(models.UserInsert(name="Ada", email="a@b.c")), models.User)
    async with db.transaction() as tx:
        assert_type(tx, AsyncConnection)
        assert_type(await tx.verifications.count(identifier="x"), int)
    assert_type(await db.users.list(lambda c: c.name.starts_with("A")), list[models.User])
    assert_type(await db.users.update_where(db.users.c.name.eq("A"), models.UserUpdate(image=None)), int)
    assert_type(await db.users.delete_where_and_return(lambda c: c.name.eq("A")), list[models.User])
