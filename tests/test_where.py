"""where= conditions on ChatMaps' tables: list, iter, count, exists, update_where and delete_where
answer what PostgreSQL answers to the same condition written by hand; values are bound, never
spliced (quotes, wildcards, backslashes, NUL, megabytes); a wrong call is refused before any SQL
is sent; a bulk write needs a condition or ALL_ROWS. The operator x type matrix over every column
type is tests/test_where_types.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from chatmaps_db import ALL_ROWS, AsyncDatabase, Database, all_of, any_of, models


@pytest.fixture
def db(migrated_db: str) -> Iterator[Database]:
    database = Database(migrated_db)
    names = ["Ada", "ada", "Bob", "50% off", "under_score", "back\\slash", "O'Brien", "ÄÖÜ", "x"]
    users = database.users.insert_many_and_return(
        models.UserInsert(name=n, email=f"u{i}@example.com", image=None if i % 3 else f"img{i}")
        for i, n in enumerate(names)
    )
    base = datetime(2026, 12, 1, tzinfo=UTC)
    database.sessions.insert_many(
        models.SessionInsert(
            user_id=users[i % len(users)].id,
            token=f"t{i}",
            expires_at=base + timedelta(hours=i - 10),
            ip_address=None if i % 4 == 0 else f"10.0.0.{i}",
        )
        for i in range(30)
    )
    yield database
    database.close()


def pg_ids(db: Database, table: str, condition: str, params: tuple[Any, ...] = ()) -> list[Any]:
    with db.connection() as conn:
        return [r[0] for r in conn.execute(f"SELECT id FROM {table} WHERE {condition} ORDER BY id", params or None)]  # type: ignore[arg-type]


def ids(rows: list[Any]) -> list[Any]:
    return sorted(r.id for r in rows)


def test_conditions_answer_what_postgresql_answers(db: Database) -> None:
    s = db.sessions.c
    u = db.users.c
    cut = datetime(2026, 12, 1, tzinfo=UTC)
    cases: list[tuple[str, Any, Any, str, tuple[Any, ...]]] = [
        ("sessions", db.sessions, s.expires_at.lt(cut), "expires_at < %s", (cut,)),
        ("sessions", db.sessions, ~s.expires_at.lt(cut), "NOT (expires_at < %s)", (cut,)),
        ("sessions", db.sessions, s.ip_address.is_null(), "ip_address IS NULL", ()),
        # Three-valued: NOT (ip = x) leaves out the NULL rows, as PostgreSQL does (Python's != would not).
        ("sessions", db.sessions, ~s.ip_address.eq("10.0.0.1"), "NOT (ip_address = '10.0.0.1')", ()),
        ("sessions", db.sessions, s.ip_address.ne("10.0.0.1"), "ip_address <> '10.0.0.1'", ()),
        ("sessions", db.sessions, s.ip_address.distinct_from("10.0.0.1"), "ip_address IS DISTINCT FROM '10.0.0.1'", ()),
        (
            "sessions",
            db.sessions,
            s.expires_at.ge(cut) & (s.ip_address.is_null() | s.token.in_(["t1", "t2", "t29"])),
            "expires_at >= %s AND (ip_address IS NULL OR token IN ('t1', 't2', 't29'))",
            (cut,),
        ),
        ("sessions", db.sessions, s.token.not_in(["t1", "t2"]), "token NOT IN ('t1', 't2')", ()),
        ("sessions", db.sessions, s.token.in_([]), "FALSE", ()),
        ("sessions", db.sessions, s.token.not_in([]), "TRUE", ()),
        ("sessions", db.sessions, s.expires_at.between(cut, cut + timedelta(hours=5)), "expires_at BETWEEN %s AND %s", (cut, cut + timedelta(hours=5))),
        ("users", db.users, u.name.starts_with("50%"), "starts_with(name, '50%')", ()),
        ("users", db.users, u.name.contains("_"), "strpos(name, '_') > 0", ()),
        ("users", db.users, u.name.contains("\\"), "strpos(name, '\\') > 0", ()),
        ("users", db.users, u.name.ends_with("'Brien"), "right(name, 6) = '''Brien'", ()),
        ("users", db.users, u.name.starts_with("A", case_insensitive=True), "name ILIKE 'a%'", ()),
        ("users", db.users, u.name.like("_da"), "name LIKE '_da'", ()),
        ("users", db.users, u.name.ilike("%Ö%"), "name ILIKE '%Ö%'", ()),
        ("users", db.users, u.name.matches("^[A-Z][a-z]+$"), "name ~ '^[A-Z][a-z]+$'", ()),
        ("users", db.users, u.name.eq("ADA", case_insensitive=True), "lower(name) = lower('ADA')", ()),
        ("users", db.users, u.image.is_not_null() & ~u.name.eq("Ada"), "image IS NOT NULL AND NOT name = 'Ada'", ()),
        ("users", db.users, any_of(), "FALSE", ()),
        ("users", db.users, all_of(), "TRUE", ()),
        ("users", db.users, any_of(u.name.eq("Bob"), u.name.eq("x"), u.email.ends_with("3@example.com")), "name IN ('Bob', 'x') OR email LIKE '%3@example.com'", ()),
    ]  # fmt: skip
    for table, access, condition, sql, params in cases:
        want = pg_ids(db, table, sql, params)
        assert ids(access.list(condition)) == want, (sql, condition)
        assert ids(access.list(lambda _c, c=condition: c)) == want, sql
        assert ids(list(access.iter(condition, batch=3))) == want, sql
        assert access.count(condition) == len(want), sql
        assert access.exists(condition) is bool(want), sql
    # A condition beside keyword filters, order, limit and keyset paging.
    first = db.sessions.list(s.expires_at.ge(cut), ip_address=None, order_by="-expires_at", limit=2)
    want = pg_ids(db, "sessions", "expires_at >= %s AND ip_address IS NULL", (cut,))
    assert sorted(r.id for r in first) == sorted(
        r.id
        for r in sorted((db.sessions.get(i) for i in want), key=lambda r: r.expires_at, reverse=True)[:2]  # type: ignore[union-attr]
    )
    rest = db.sessions.list(s.expires_at.ge(cut), ip_address=None, order_by="-expires_at", after=first[-1])
    assert ids(first + rest) == want


def test_update_where_and_delete_where(db: Database) -> None:
    s = db.sessions.c
    cut = datetime(2026, 12, 1, tzinfo=UTC)
    expired = pg_ids(db, "sessions", "expires_at < %s", (cut,))
    assert db.sessions.update_where(s.expires_at.lt(cut), models.SessionUpdate(user_agent="old")) == len(expired)
    assert pg_ids(db, "sessions", "user_agent = 'old'") == expired
    rows = db.sessions.update_where_and_return(
        lambda c: c.user_agent.eq("old") & c.ip_address.is_null(), models.SessionUpdate(user_agent="older")
    )
    assert ids(rows) == pg_ids(db, "sessions", "user_agent = 'older'") and all(r.user_agent == "older" for r in rows)
    # Nothing to write: the rows (or how many) as they are, nothing changed.
    assert db.sessions.update_where(s.user_agent.eq("older"), models.SessionUpdate()) == len(rows)
    assert ids(db.sessions.update_where_and_return(s.user_agent.eq("older"), models.SessionUpdate())) == ids(rows)
    gone = db.sessions.delete_where_and_return(s.user_agent.eq("older"))
    assert ids(gone) == ids(rows) and not pg_ids(db, "sessions", "user_agent = 'older'")
    assert db.sessions.delete_where(s.expires_at.lt(cut)) == len(expired) - len(rows)
    assert db.sessions.delete_where(s.token.eq("no such token")) == 0
    # Every row: only when the call says so.
    for empty in (all_of(), lambda c: all_of(), None):
        with pytest.raises(ValueError, match=r"^public.sessions.delete_where: the condition is empty.*pass ALL_ROWS"):
            db.sessions.delete_where(empty)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"^public.sessions.update_where: the condition is empty"):
            db.sessions.update_where(empty, models.SessionUpdate(user_agent="x"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"where= takes a condition"):
        db.sessions.delete_where("TRUE")  # type: ignore[arg-type]
    left = db.sessions.count()
    assert left and db.sessions.count() == len(pg_ids(db, "sessions", "TRUE"))
    assert db.sessions.update_where(ALL_ROWS, models.SessionUpdate(user_agent="all")) == left
    assert db.sessions.delete_where(ALL_ROWS) == left and db.sessions.count() == 0


def test_values_are_bound_never_spliced(db: Database) -> None:
    u = db.users.c
    hostile = ["'; DROP TABLE users; --", "%", "_", "\\", "\\%", "a'b\"c", "$1", "%s", "%(x)s", "?", "x" * 1_000_000]
    for value in hostile:
        for condition, sql in [
            (u.name.eq(value), "name = %s"),
            (u.name.contains(value), "strpos(name, %s) > 0"),
            (u.name.starts_with(value), "starts_with(name, %s)"),
            (u.name.in_([value, "Ada"]), "name = ANY(ARRAY[%s, 'Ada'])"),
        ]:
            assert ids(db.users.list(condition)) == pg_ids(db, "users", sql, (value,)), (value[:20], sql)
    # like() takes a pattern as it is: its wildcards work (the contains() above escaped them).
    assert ids(db.users.list(u.name.like("%"))) == pg_ids(db, "users", "TRUE")
    assert db.users.count(u.name.like("%\\%%")) == 1  # a literal % anywhere: "50% off"
    assert db.users.count() == 9  # nothing was dropped
    with pytest.raises(psycopg.DataError, match="NUL"):  # refused by psycopg as it binds, not sent
        db.users.list(u.name.eq("a\x00b"))


def test_wrong_calls_are_refused_before_any_sql() -> None:
    from chatmaps_db.access.users import UserLoad, UserWith

    # A database nothing listens for: a call that sent SQL would fail with ConnectError instead.
    db = Database("postgresql://nobody@127.0.0.1:9/nowhere", connect_timeout=1)
    s, u = db.sessions.c, db.users.c
    refused: list[tuple[Any, type[Exception], str]] = [
        (lambda: db.users.list(s.token.eq("t1")), TypeError, r"public.users.list: the condition is on public.sessions"),
        (lambda: s.token.eq("t1") & u.name.eq("x"), TypeError, r"cannot combine a condition on public.sessions with one on public.users"),
        (lambda: db.users.list(lambda c: c.nope.eq(1)), AttributeError, r"public.users has no column 'nope' \(its fields: id, name, email"),
        (lambda: u.created_at.like("2026%"), AttributeError, r"public.users.created_at has no operator like\(\) for its type \(\"pg_catalog\".\"timestamptz\"\); it has between, distinct_from, eq"),
        (lambda: u.name.eq(None), TypeError, r"public.users.name.eq: None is not a value to compare with: use is_null\(\)"),
        (lambda: u.name.in_("Ada"), TypeError, r"public.users.name.in_: takes a list of values, not str"),
        (lambda: u.name.eq(("Ada", "Bob")), TypeError, r"takes a value of the column's type, not tuple \(several values are a list\)"),
        (lambda: u.name.contains(3), TypeError, r"public.users.name.contains: takes a str, not int"),
        (lambda: db.users.list(u.name == "Ada"), TypeError, r"where= takes a condition .* not bool"),
        (lambda: db.users.list(u.name.eq("Ada") and u.email.eq("x")), TypeError, r"a condition has no truth value in Python: combine conditions with &, \| and ~"),
        (lambda: db.users.list(ALL_ROWS), TypeError, r"not AllRows: to write every row, call update_where/delete_where"),
        (lambda: db.users.list(lambda c: "name = 'x'"), TypeError, r"where= takes a condition .* not str"),
        (lambda: db.sessions.update_where(s.token.eq("t1"), models.UserUpdate(name="x")), TypeError, r"public.sessions.update_where takes SessionUpdate, not UserUpdate"),
        # load= and count= (relations): each names the keyword and the fix.
        (lambda: UserLoad(count=True), TypeError, r"UserLoad: count= takes a list of to-many relation names \(count=\['sessions'\]\) or a dict of them to True or a condition, not bool"),  # type: ignore[arg-type]
        (lambda: db.users.list(load=UserLoad(count={"sessions": 5})), TypeError, r"public.users: count=\{'sessions': \.\.\.\} takes True or a function of the related table's columns"),  # type: ignore[dict-item]
        (lambda: db.users.list(load=UserLoad(sessions=UserLoad())), TypeError, r"public.users: load= gives sessions= a UserLoad: it takes a SessionLoad"),  # type: ignore[arg-type]
        (lambda: UserWith.model_construct().count_of("nope"), ValueError, r"UserWith.count_of: 'nope' is not one of its to-many relations \(accounts, sessions\)"),  # type: ignore[arg-type]
    ]  # fmt: skip
    for call, error, message in refused:
        with pytest.raises(error, match=message):
            call()


def test_async_conditions(migrated_db: str) -> None:
    async def main() -> None:
        async with AsyncDatabase(migrated_db) as db:
            await db.users.insert_many([models.UserInsert(name=f"n{i}", email=f"a{i}@x.org") for i in range(5)])
            c = db.users.c
            assert len(await db.users.list(c.name.in_(["n1", "n2"]) | c.email.eq("a4@x.org"))) == 3
            assert [u.name async for u in db.users.iter(lambda c: c.name.gt("n2"), order_by="name")] == ["n3", "n4"]
            assert await db.users.count(~c.name.eq("n0")) == 4 and await db.users.exists(c.name.eq("n0"))
            assert await db.users.update_where(c.name.starts_with("n"), models.UserUpdate(image="i")) == 5
            assert len(await db.users.update_where_and_return(c.name.eq("n0"), models.UserUpdate(image="j"))) == 1
            assert [u.name for u in await db.users.delete_where_and_return(c.image.eq("j"))] == ["n0"]
            assert await db.users.delete_where(ALL_ROWS) == 4

    asyncio.run(main())


def test_filters_across_relations(db: Database) -> None:
    """The issue's own questions, against PostgreSQL's answer written by hand."""
    cut = datetime(2026, 12, 1, tzinfo=UTC)
    some_user = db.users.list(order_by="email", limit=1)[0]
    db.accounts.insert(models.AccountInsert(user_id=some_user.id, account_id="1", provider_id="github"))
    u, s = db.users.c, db.sessions.c
    cases: list[tuple[str, Any, Any, str, tuple[Any, ...]]] = [
        ("users", db.users, u.sessions.some(lambda x: x.expires_at.lt(cut)), "EXISTS (SELECT FROM sessions x WHERE x.user_id = users.id AND x.expires_at < %s)", (cut,)),
        ("users", db.users, u.accounts.none(), "NOT EXISTS (SELECT FROM accounts a WHERE a.user_id = users.id)", ()),
        ("users", db.users, u.sessions.every(lambda x: x.ip_address.is_not_null()), "NOT EXISTS (SELECT FROM sessions x WHERE x.user_id = users.id AND x.ip_address IS NULL)", ()),
        ("sessions", db.sessions, s.user.has(lambda x: x.email.ends_with("1@example.com")), "EXISTS (SELECT FROM users x WHERE x.id = sessions.user_id AND x.email LIKE '%%1@example.com')", ()),
        ("sessions", db.sessions, s.user.has(lambda x: x.accounts.some(lambda a: a.provider_id.eq("github"))), "user_id = %s", (some_user.id,)),
    ]  # fmt: skip
    for table, access, condition, sql, params in cases:
        with db.connection() as conn:
            want = [r[0] for r in conn.execute(f"SELECT id FROM {table} WHERE {sql} ORDER BY id", params)]  # type: ignore[arg-type]
        assert ids(access.list(condition)) == want and want, sql
        assert access.count(condition) == len(want), sql


def test_loading_relations_on_chatmaps(db: Database) -> None:
    """Users with their sessions (newest first, 2 each) and accounts, sessions with their user
    and the user's accounts, sync and async; secrets stay hidden in loaded rows."""
    from chatmaps_db.access.sessions import SessionLoad
    from chatmaps_db.access.users import UserLoad

    users = db.users.list(
        order_by="email", load=UserLoad(sessions=SessionLoad(order_by="-expires_at", limit=2), accounts=True)
    )
    with db.connection() as conn:
        want = {
            email: tokens[:2]
            for email, tokens in conn.execute(
                "SELECT u.email, coalesce(array_agg(s.token ORDER BY s.expires_at DESC, s.id DESC) "
                "FILTER (WHERE s.id IS NOT NULL), '{}') FROM users u LEFT JOIN sessions s ON s.user_id = u.id "
                "GROUP BY u.email ORDER BY u.email"
            )
        }
    assert {u.email: [s.token for s in u.sessions] for u in users} == want and all(u.accounts == [] for u in users)
    assert "t1" not in repr(users[1].sessions) and "token=" not in repr(users[1].sessions[0])  # secret: hidden
    session = db.sessions.get_by_token("t5", load=SessionLoad(user=UserLoad(accounts=True)))
    assert session is not None and session.user is not None and session.user.id == session.user_id
    # count= (Prisma's _count): in the users' own statement, with a condition on the sessions.
    cut = datetime(2026, 12, 1, tzinfo=UTC)
    counted = db.users.list(order_by="email", load=UserLoad(count={"sessions": lambda x: x.expires_at.lt(cut)}))
    with db.connection() as conn:
        want_counts = conn.execute(
            "SELECT (SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.expires_at < %s) FROM users u "
            "ORDER BY u.email",
            (cut,),
        ).fetchall()
    assert [(u.count_of("sessions"),) for u in counted] == want_counts and any(c for (c,) in want_counts)
    # model_dump() and JSON show what was loaded, nested, secrets hidden as in the rows' own dumps.
    dumped = counted[1].model_dump(mode="json")
    assert dumped == {**db.users.get(counted[1].id).model_dump(mode="json"), "_count": {"sessions": want_counts[1][0]}}  # type: ignore[union-attr]
    nested = json.loads(users[1].model_dump_json())
    assert [s["id"] for s in nested["sessions"]] == [str(s.id) for s in users[1].sessions] and nested["accounts"] == []
    assert all("token" not in s for s in nested["sessions"]) and "t1" not in users[1].model_dump_json()
    assert users[1].model_dump(include={"email"}) == {"email": users[1].email}

    async def main() -> None:
        async with AsyncDatabase(db.settings.url) as adb:
            loaded = await adb.users.list(order_by="email", load=UserLoad(sessions=True))
            assert [len(u.sessions) for u in loaded] == [len(t) for t in await _all_tokens(adb)]
            streamed = [u async for u in adb.users.iter(order_by="email", batch=4, load=UserLoad(sessions=True))]
            assert [[s.id for s in u.sessions] for u in streamed] == [[s.id for s in u.sessions] for u in loaded]
            counted = await adb.users.list(order_by="email", load=UserLoad(count=["sessions"]))
            assert [u.count_of("sessions") for u in counted] == [len(u.sessions) for u in loaded]
            one = await adb.users.get(loaded[1].id, load=UserLoad(count=["accounts", "sessions"]))
            assert one is not None and (one.count_of("accounts"), one.count_of("sessions")) == (
                0,
                len(loaded[1].sessions),
            )

    async def _all_tokens(adb: AsyncDatabase) -> list[list[str]]:
        async with adb.connection() as conn:
            cur = await conn.execute(
                "SELECT array_agg(s.token) FILTER (WHERE s.id IS NOT NULL) FROM users u "
                "LEFT JOIN sessions s ON s.user_id = u.id GROUP BY u.email ORDER BY u.email"
            )
            return [r[0] or [] for r in await cur.fetchall()]

    asyncio.run(main())
