"""Calls to the checked queries that mypy --strict must reject: tests/test_query_generation.py runs
mypy on this file and expects an error on exactly the lines marked "rejected", with its code."""

from __future__ import annotations

from uuid import UUID

from chatmaps_db import Database
from chatmaps_db.queries import CreateVerificationsParams


def wrong(db: Database, user_id: UUID) -> None:
    db.queries.get_session_with_user(token=1)  # rejected: arg-type
    db.queries.get_session_with_user("t")  # rejected: call-arg
    db.queries.get_session_with_user(tokn="t")  # rejected: call-arg
    db.queries.list_user_sessions(user_id="not-a-uuid")  # rejected: arg-type
    db.queries.list_accounts_by_provider(user_id=user_id)  # rejected: call-arg
    db.queries.create_verifications([("i", "v")])  # rejected: list-item
    db.queries.create_verifications([CreateVerificationsParams("i", None, None)])  # rejected: arg-type
    row = db.queries.get_session_with_user(token="t")
    print(row.email)  # rejected: union-attr
    db.queries.delete_expired_session()  # rejected: attr-defined
