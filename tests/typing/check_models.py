"""Typing test: mypy --strict must accept this file and agree with every assert_type."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, assert_type
from uuid import UUID

import psycopg
from pydantic import AwareDatetime
from starlette.requests import Request
from starlette.responses import Response

from chatmaps_db import (
    AsyncDatabase,
    ConnectionLost,
    Database,
    Health,
    LoginRefused,
    PoolExhausted,
    QueryCancelled,
    RowSkipped,
    ServerUnavailable,
    models,
)
from chatmaps_db.asgi import exception_handlers
from chatmaps_db.errors import ForeignKeyViolation, UniqueViolation
from chatmaps_db.health import Status


def row_types(user: models.User) -> None:
    assert_type(user.id, UUID)
    assert_type(user.email, str)
    assert_type(user.image, str | None)
    assert_type(user.created_at, AwareDatetime)


def insert_needs_only_required_fields() -> models.UserInsert:
    return models.UserInsert(name="Ada", email="ada@example.com")


def update_fields_are_all_optional() -> models.UserUpdate:
    return models.UserUpdate(image=None)


def sync_api(db: Database) -> Health:
    with db.transaction() as conn:
        conn.execute("SELECT 1")
    db.check_schema()
    return db.health()


async def async_api(db: AsyncDatabase) -> Health:
    async with db.transaction() as conn:
        await conn.execute("SELECT 1")
    await db.check_schema()
    return await db.health()


def fault_api(
    db: Database, error: ConnectionLost, busy: PoolExhausted, down: ServerUnavailable, q: QueryCancelled
) -> None:
    assert_type(error.safe_to_retry, bool)
    assert_type(busy.busy, int)
    assert_type(down.cause, str)
    assert_type(q.timeout, str | None)
    health = db.health(timeout=0.5)
    assert_type(health.status, Status)
    assert_type(health.ready, bool)
    assert_type(db.live(), bool)
    assert_type(db.stats(), dict[str, float])
    assert_type(db.node_stats(), dict[str, dict[str, float]])

    def work(conn: psycopg.Connection[Any]) -> int:
        return 1

    assert_type(db.run_in_transaction(work, attempts=5), int)
    Database("postgresql://a@h/db", statement_timeout=5, pgbouncer="transaction", sslmode="require")
    Database("postgresql://a@h/db", statment_timeout=5)  # type: ignore[call-arg]


async def async_retry(db: AsyncDatabase) -> str:
    async def work(conn: psycopg.AsyncConnection[Any]) -> str:
        return "done"

    return assert_type(await db.run_in_transaction(work), str)


def secrets_hidden(account: models.Account) -> str | None:
    return account.password  # readable as an attribute


def request_bodies(body: models.UserCreate, patch: models.UserPatch) -> None:
    """server_columns' models turn into what the table layer takes."""
    assert_type(body.to_insert(), models.UserInsert)
    assert_type(patch.to_update(), models.UserUpdate)
    assert_type(body.given(), dict[str, Any])


def new_errors(refused: LoginRefused, skipped: RowSkipped, fk: ForeignKeyViolation, unique: UniqueViolation) -> None:
    assert_type(refused.cause, str)
    assert_type(skipped.triggers, tuple[str, ...])
    assert_type(skipped.table, str)
    assert_type(fk.still_referenced, bool)
    assert_type(unique.pg_error, Exception | None)
    assert_type(
        exception_handlers(), dict[int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]]
    )
