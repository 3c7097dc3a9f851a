"""Typing test: mypy --strict must accept this file and agree with every assert_type."""

from __future__ import annotations

from typing import assert_type
from uuid import UUID

from pydantic import AwareDatetime

from chatmaps_db import AsyncDatabase, Database, Health, models


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
