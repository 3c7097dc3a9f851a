"""Typing test of the checked queries (chatmaps_db.queries, from queries/*.sql): mypy --strict
must accept this file and agree with every assert_type; tests/typing_rejected/queries.py holds
calls it must reject."""

from __future__ import annotations

from datetime import datetime
from typing import assert_type
from uuid import UUID

from chatmaps_db import AsyncDatabase, Database, models
from chatmaps_db.queries import (
    AsyncQueries,
    CreateVerificationsParams,
    GetSessionWithUserRow,
    ListActiveSessionsRow,
    ListUsersWithSessionCountRow,
    Queries,
)


def sync_queries(db: Database, user_id: UUID, when: datetime) -> None:
    assert_type(db.queries, Queries)
    row = db.queries.get_session_with_user(token="t")
    assert_type(row, GetSessionWithUserRow | None)
    if row is not None:
        assert_type(row.image, str | None)  # users.image is nullable
        assert_type(row.email, str)  # NOT NULL, from the inner join
    assert_type(db.queries.list_user_sessions(user_id=user_id), list[models.Session])  # exactly a table's row
    counted = db.queries.list_users_with_session_count()
    assert_type(counted, list[ListUsersWithSessionCountRow])
    assert_type(counted[0].sessions, int)  # count() is never NULL
    assert_type(counted[0].last_expires_at, datetime | None)  # max() over a LEFT JOIN's NULL side
    assert_type(db.queries.list_active_sessions(max_rows=10), list[ListActiveSessionsRow])
    assert_type(db.queries.delete_expired_sessions(), int)
    assert_type(db.queries.create_verifications([CreateVerificationsParams("i", "v", when)]), int)
    assert_type(
        db.queries.update_account_tokens(
            access_token=None, access_token_expires_at=None, refresh_token=None, id=user_id
        ),
        models.Account | None,
    )
    with db.transaction() as tx:
        assert_type(tx.queries.delete_expired_sessions(), int)


async def async_queries(db: AsyncDatabase, user_id: UUID) -> None:
    assert_type(db.queries, AsyncQueries)
    assert_type(await db.queries.get_session_with_user(token="t"), GetSessionWithUserRow | None)
    assert_type(await db.queries.list_user_sessions(user_id=user_id), list[models.Session])
    async with db.transaction() as tx:
        assert_type(await tx.queries.delete_expired_sessions(), int)
