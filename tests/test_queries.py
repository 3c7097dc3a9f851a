"""Checked queries (queries/*.sql -> chatmaps_db.queries) on ChatMaps' own package, against a
migrated database: every query of queries/ run through db.queries and tx.queries, sync and
async, with its result types and nullability as PostgreSQL described them.

The generator's side (parsing, errors with file:line:col, nullability cases, `make check` on a
schema change that breaks a query) is tests/test_query_generation.py.
"""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Iterator
from datetime import datetime, timedelta
from uuid import UUID

import psycopg
import pytest

from chatmaps_db import AsyncDatabase, Database, models
from chatmaps_db.errors import NotNullViolation
from chatmaps_db.queries import (
    ConsumeVerificationRow,
    CreateVerificationsParams,
    GetSessionWithUserRow,
    ListUsersWithSessionCountRow,
)


@pytest.fixture
def now(migrated_db: str) -> datetime:
    """The server's clock when the test starts (never at import: a loaded machine reaches a test
    minutes after collection). Expiries are hours or days from it, far beyond a test's length."""
    with psycopg.connect(migrated_db) as conn:
        row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    value: datetime = row[0]
    return value


@pytest.fixture
def db(migrated_db: str) -> Iterator[Database]:
    database = Database(migrated_db)
    yield database
    database.close()


def _user(db: Database, email: str) -> models.User:
    return db.users.insert(models.UserInsert(name=email.split("@")[0], email=email))


def _session(db: Database, user: models.User, token: str, expires: datetime) -> models.Session:
    return db.sessions.insert(models.SessionInsert(user_id=user.id, token=token, expires_at=expires, user_agent="test"))


def test_session_with_user_by_token(db: Database, now: datetime) -> None:
    ada = _user(db, "ada@example.com")
    live = _session(db, ada, "live-token", now + timedelta(days=1))
    _session(db, ada, "old-token", now - timedelta(days=1))
    found = db.queries.get_session_with_user(token="live-token")
    assert isinstance(found, GetSessionWithUserRow)
    assert (found.session_id, found.user_id, found.email, found.name) == (live.id, ada.id, ada.email, "ada")
    assert found.ip_address is None and found.user_agent == "test" and found.image is None
    assert found.expires_at == live.expires_at and found.expires_at.tzinfo is not None
    assert db.queries.get_session_with_user(token="old-token") is None  # expired: the WHERE says so
    assert db.queries.get_session_with_user(token="nope") is None
    assert db.queries.get_session_with_user(token="live-token", validate=True) == found


def test_a_result_that_is_exactly_a_tables_row_is_that_model(db: Database, now: datetime) -> None:
    ada = _user(db, "ada@example.com")
    first = _session(db, ada, "t1", now + timedelta(hours=1))
    second = _session(db, ada, "t2", now + timedelta(hours=2))
    rows = db.queries.list_user_sessions(user_id=ada.id)
    assert rows == [second, first]  # ORDER BY created_at DESC; models.Session, equal to the table layer's
    assert all(type(r) is models.Session for r in rows)
    assert "t1" not in repr(rows[0]) and "token" not in rows[0].model_dump()  # still secret

    db.accounts.insert(models.AccountInsert(user_id=ada.id, account_id="a1", provider_id="github"))
    db.accounts.insert(models.AccountInsert(user_id=ada.id, account_id="a2", provider_id="credential"))
    github = db.queries.list_accounts_by_provider(user_id=ada.id, provider_id="github")
    assert [a.account_id for a in github] == ["a1"] and type(github[0]) is models.Account


def test_left_join_and_aggregates(db: Database, now: datetime) -> None:
    ada, bob = _user(db, "ada@example.com"), _user(db, "bob@example.com")
    _session(db, ada, "t1", now + timedelta(hours=1))
    last = _session(db, ada, "t2", now + timedelta(hours=5))
    rows = db.queries.list_users_with_session_count()
    assert [(r.email, r.sessions, r.last_expires_at) for r in rows] == [
        ("ada@example.com", 2, last.expires_at),
        ("bob@example.com", 0, None),  # the LEFT JOIN's NULL side: max() of nothing
    ]
    assert isinstance(rows[0], ListUsersWithSessionCountRow) and rows[1].id == bob.id
    hints = typing.get_type_hints(ListUsersWithSessionCountRow)
    assert hints["sessions"] is int  # count() is never NULL
    assert hints["last_expires_at"] == datetime | None or type(None) in typing.get_args(hints["last_expires_at"])


def test_execrows_narg_and_returning(db: Database, now: datetime) -> None:
    ada = _user(db, "ada@example.com")
    _session(db, ada, "old1", now - timedelta(hours=1))
    _session(db, ada, "old2", now - timedelta(hours=2))
    _session(db, ada, "live", now + timedelta(hours=2))
    assert db.queries.delete_expired_sessions() == 2
    assert db.queries.delete_expired_sessions() == 0
    assert [s.token for s in db.sessions.list()] == ["live"]

    account = db.accounts.insert(models.AccountInsert(user_id=ada.id, account_id="a1", provider_id="github"))
    updated = db.queries.update_account_tokens(
        access_token="at", access_token_expires_at=now, refresh_token=None, id=account.id
    )
    assert updated is not None and type(updated) is models.Account
    assert (updated.access_token, updated.refresh_token) == ("at", None)
    assert db.accounts.get(account.id) == updated
    params = inspect.signature(db.queries.update_account_tokens).parameters
    assert list(params) == ["access_token", "access_token_expires_at", "refresh_token", "id", "validate"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())


def test_copyfrom_and_a_delete_returning_secret(db: Database, now: datetime) -> None:
    rows = [
        CreateVerificationsParams(f"user-{i}@example.com", f"secret-{i}", now + timedelta(days=i))
        for i in range(1, 501)
    ]
    assert db.queries.create_verifications(rows) == 500
    assert db.verifications.count() == 500
    assert db.queries.create_verifications(iter([])) == 0
    taken = db.queries.consume_verification(identifier="user-7@example.com")
    assert isinstance(taken, ConsumeVerificationRow) and taken.value == "secret-7"
    assert "secret-7" not in repr(taken) and "value" not in taken.model_dump()  # a secret column stays secret
    assert db.queries.consume_verification(identifier="user-7@example.com") is None  # consumed
    with pytest.raises(NotNullViolation, match=r"public\.verifications\.value is NOT NULL"):
        db.queries.create_verifications([CreateVerificationsParams("x", None, now)])  # type: ignore[arg-type]
    # A NamedTuple is not validated: a wrong type or a naive datetime is named before PostgreSQL sees a row.
    with pytest.raises(TypeError) as err:
        db.queries.create_verifications([CreateVerificationsParams(7, "secret-x", now)])  # type: ignore[arg-type]
    assert str(err.value) == (
        "public.verifications.identifier, row 1: a value of type int where text is needed; nothing was written"
    )
    naive = CreateVerificationsParams("y", "secret-y", now.replace(tzinfo=None))
    with pytest.raises(TypeError) as err:
        db.queries.create_verifications([CreateVerificationsParams("x", "v", now), naive])
    assert str(err.value) == (
        "public.verifications.expires_at, row 2: a naive datetime (no tzinfo) where timestamptz needs an aware "
        "one, e.g. datetime.now(timezone.utc); nothing was written"
    )
    assert "secret" not in str(err.value) and db.verifications.count() == 499


def test_queries_run_inside_a_transaction(db: Database, now: datetime) -> None:
    ada = _user(db, "ada@example.com")
    _session(db, ada, "old", now - timedelta(hours=1))
    with pytest.raises(RuntimeError, match="undo"), db.transaction() as tx:
        assert tx.queries.delete_expired_sessions() == 1
        assert tx.sessions.count() == 0
        raise RuntimeError("undo")
    assert db.sessions.count() == 1  # rolled back with its transaction


def test_async_twin(migrated_db: str, now: datetime) -> None:
    async def main() -> None:
        adb = AsyncDatabase(migrated_db)
        try:
            ada = await adb.users.insert(models.UserInsert(name="Ada", email="ada@example.com"))
            await adb.sessions.insert(
                models.SessionInsert(user_id=ada.id, token="tok", expires_at=now + timedelta(hours=1))
            )
            found = await adb.queries.get_session_with_user(token="tok")
            assert found is not None and found.user_id == ada.id and isinstance(found.session_id, UUID)
            assert await adb.queries.create_verifications([CreateVerificationsParams("i", "v", now)]) == 1
            with pytest.raises(TypeError, match=r"^public.verifications.expires_at, row 1: a naive datetime"):
                await adb.queries.create_verifications([CreateVerificationsParams("i", "v", now.replace(tzinfo=None))])
            async with adb.transaction() as tx:
                assert len(await tx.queries.list_user_sessions(user_id=ada.id)) == 1
        finally:
            await adb.close()

    asyncio.run(main())
