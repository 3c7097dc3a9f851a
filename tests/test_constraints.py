"""The auth schema's constraints, on real rows in a migrated database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from codegen.dev import pg


def add_user(conn: psycopg.Connection[tuple[object, ...]], email: str) -> object:
    row = conn.execute("INSERT INTO users (name, email) VALUES ('Ada', %s) RETURNING id", (email,)).fetchone()
    assert row is not None
    return row[0]


def test_duplicate_email_in_other_case_is_rejected(migrated_db: str) -> None:
    with pg.connect(migrated_db) as conn:
        add_user(conn, "ada@example.com")
        with pytest.raises(psycopg.errors.UniqueViolation, match="users_email_lower_key"):
            add_user(conn, "ADA@Example.COM")
        add_user(conn, "grace@example.com")  # a different address is fine


def test_deleting_a_user_removes_sessions_and_accounts(migrated_db: str) -> None:
    with pg.connect(migrated_db) as conn:
        keep, gone = add_user(conn, "keep@example.com"), add_user(conn, "gone@example.com")
        for uid, token in ((keep, "t-keep"), (gone, "t-gone")):
            conn.execute(
                "INSERT INTO sessions (user_id, token, expires_at) VALUES (%s, %s, now() + interval '1 day')",
                (uid, token),
            )
            conn.execute(
                "INSERT INTO accounts (user_id, account_id, provider_id) VALUES (%s, %s, 'credential')",
                (uid, str(uid)),
            )
        conn.execute("DELETE FROM users WHERE id = %s", (gone,))
        for table in ("sessions", "accounts"):
            owners = [r[0] for r in conn.execute(f"SELECT user_id FROM {table}")]
            assert owners == [keep]


def test_timestamps_default_to_now_in_utc(migrated_db: str) -> None:
    with pg.connect(migrated_db) as conn:
        conn.execute("SET TIME ZONE 'Asia/Tokyo'")  # the stored instant must not depend on it
        before = datetime.now(UTC)
        row = conn.execute(
            "INSERT INTO users (name, email) VALUES ('T', 't@example.com') RETURNING id, created_at, updated_at"
        ).fetchone()
        assert row is not None
        _, created, updated = row
        assert isinstance(created, datetime) and created.tzinfo is not None
        assert created == updated
        assert abs(created - before) < timedelta(minutes=1)
        assert created.utcoffset() == timedelta(hours=9)  # shown in the session zone, stored as an instant
        types = {
            r[0]: r[1]
            for r in conn.execute(
                "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                "WHERE column_name IN ('created_at', 'updated_at') AND table_schema = 'public'"
            )
        }
        assert len(types) == 8 and set(types.values()) == {"timestamp with time zone"}


def test_uuid_ids_are_made_by_the_database(migrated_db: str) -> None:
    with pg.connect(migrated_db) as conn:
        uid = add_user(conn, "id@example.com")
        assert len(str(uid)) == 36
