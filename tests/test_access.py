"""The table layer (chatmaps_db.access) on ChatMaps' own package, against a migrated database:
db.users.get / get_by_email / list / count / insert / insert_many / update / delete / upsert,
sync and async, on the database and inside transactions, and its constraint errors.

Schemas with composite keys, views, tables without a primary key and every column type are
tested on packages generated from them: tests/test_access_schemas.py.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
import pytest

from chatmaps_db import AsyncDatabase, Database, models
from chatmaps_db.access import AsyncConnection, Connection
from chatmaps_db.errors import ConstraintViolation, ForeignKeyViolation, NotNullViolation, UniqueViolation
from codegen.plan.access import RESERVED_ATTRIBUTES

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def db(migrated_db: str) -> Iterator[Database]:
    database = Database(migrated_db)
    yield database
    database.close()


def ada(**fields: object) -> models.UserInsert:
    return models.UserInsert(**{"name": "Ada", "email": "ada@example.com", **fields})  # type: ignore[arg-type]


def test_a_row_goes_in_comes_back_changes_and_goes(db: Database) -> None:
    user = db.users.insert(ada())
    assert isinstance(user, models.User) and isinstance(user.id, UUID)
    assert user.email_verified is False and user.image is None  # the database's defaults, via RETURNING
    assert db.users.get(user.id) == user
    # users_email_lower_key is unique on lower(email): get_by_email compares the same way.
    assert db.users.get_by_email("ADA@example.COM") == user
    assert db.users.get(uuid4()) is None and db.users.get_by_email("nobody@example.com") is None

    changed = db.users.update(user.id, models.UserUpdate(image="https://example.com/a.png", name="Ada L."))
    assert changed is not None
    assert (changed.image, changed.name, changed.email) == ("https://example.com/a.png", "Ada L.", user.email)
    cleared = db.users.update(user.id, models.UserUpdate(image=None))  # None writes NULL
    assert cleared is not None and cleared.image is None and cleared.name == "Ada L."
    assert db.users.update(user.id, models.UserUpdate()) == cleared  # nothing to write: the row as it is
    assert db.users.update(uuid4(), models.UserUpdate(name="x")) is None

    assert db.users.delete(user.id) is True
    assert db.users.delete(user.id) is False
    assert db.users.get(user.id) is None


def test_trusted_rows_equal_validated_rows(db: Database) -> None:
    user = db.users.insert(ada(image="x"))
    trusted = db.users.get(user.id)
    validated = db.users.get(user.id, validate=True)
    assert trusted == validated and trusted is not None
    assert trusted.model_dump() == validated.model_dump()  # type: ignore[union-attr]
    for name, value in validated:  # type: ignore[union-attr]
        assert type(getattr(trusted, name)) is type(value), name
    # A trusted row is a model like any other: assignment, copies and JSON work.
    trusted.name = "Ada B."
    assert trusted.model_copy(update={"image": None}).image is None and trusted.name == "Ada B."
    assert '"name":"Ada B."' in trusted.model_dump_json()


def test_validate_rows_setting_is_the_default(migrated_db: str) -> None:
    """validate=None follows DATABASE_VALIDATE_ROWS (validate_rows=); validate= overrides it per
    call. Observed by counting User.model_validate calls: the trusted path makes none."""
    with psycopg.connect(migrated_db, autocommit=True) as conn:
        conn.execute("INSERT INTO users (name, email) VALUES ('A', 'a@x.io')")
    calls: list[object] = []
    original = models.User.model_validate

    def counting(obj: object, *args: object, **kwargs: object) -> models.User:
        calls.append(obj)
        return original(obj, *args, **kwargs)  # type: ignore[arg-type]

    models.User.model_validate = counting  # type: ignore[method-assign]
    try:
        with Database(migrated_db) as plain, Database(migrated_db, validate_rows=True) as checking:
            assert len(plain.users.list()) == 1 and calls == []
            assert len(plain.users.list(validate=True)) == 1 and len(calls) == 1
            assert len(checking.users.list()) == 1 and len(calls) == 2
            assert len(checking.users.list(validate=False)) == 1 and len(calls) == 2
            with checking.transaction() as tx:
                assert len(tx.users.list()) == 1 and len(calls) == 3
    finally:
        del models.User.model_validate


def test_list_filters_order_and_count(db: Database) -> None:
    names = ["Cy", "Al", "Bo", "Di", "Ed"]
    for i, name in enumerate(names):
        db.users.insert(
            models.UserInsert(
                name=name,
                email=f"{name.lower()}@example.com",
                email_verified=i % 2 == 0,
                image=None if i % 2 else f"{name}.png",
                created_at=NOW + timedelta(minutes=i),
            )
        )
    assert [u.name for u in db.users.list(order_by="name")] == sorted(names)
    assert [u.name for u in db.users.list(order_by="-created_at", limit=2)] == ["Ed", "Di"]
    assert {u.name for u in db.users.list(email_verified=True)} == {"Cy", "Bo", "Ed"}
    assert {u.name for u in db.users.list(image=None)} == {"Al", "Di"}  # None: IS NULL
    assert [u.name for u in db.users.list(name=["Bo", "Ed", "Zed"], order_by="name")] == ["Bo", "Ed"]  # a list: IN
    assert db.users.list(name=[]) == []
    assert [u.name for u in db.users.list(email_verified=True, image="Bo.png")] == ["Bo"]
    assert db.users.count() == 5 and db.users.count(email_verified=False) == 2 and db.users.count(image=None) == 2
    assert db.users.count(name=["Al", "Cy"]) == 2
    with pytest.raises(ValueError, match=r"public.users: cannot order by 'password': name a column"):
        db.users.list(order_by="password")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "order",
    [
        # NOT NULL columns in one direction (the id tie-breaker follows): a row comparison, (name, id) > (%s, %s)
        *("name", "-name", ["email_verified", "name"], ["-email_verified", "-name"], "-created_at"),
        # a nullable column, or mixed directions: the chain of ORs
        *("image", "-image", ["email_verified", "-image"], ["-image", "name"], ["email_verified", "-name"]),
    ],
)
def test_keyset_pages_cover_every_row_once_in_order(db: Database, order: str | list[str]) -> None:
    """Paging with after= the last row yields the same rows as one ordered list, NULLs included
    (image is NULL for some rows: NULLS LAST ascending, FIRST descending, as PostgreSQL sorts);
    and an offset= page is PostgreSQL's LIMIT ... OFFSET of the same order."""
    for i in range(23):
        db.users.insert(
            models.UserInsert(
                name=f"user {i % 7}",  # duplicates: the primary key breaks the ties
                email=f"u{i}@example.com",
                email_verified=i % 3 == 0,
                image=None if i % 4 == 0 else f"img{i % 5}",
            )
        )
    whole = db.users.list(order_by=order)  # type: ignore[arg-type]
    pages: list[models.User] = []
    last: models.User | None = None
    while True:
        page = db.users.list(order_by=order, limit=4, after=last)  # type: ignore[arg-type]
        if not page:
            break
        pages += page
        last = page[-1]
    assert [u.id for u in pages] == [u.id for u in db.users.list(order_by=order, limit=100, after=None)]  # type: ignore[arg-type]
    assert len(pages) == 23 and len({u.id for u in pages}) == 23
    # The same order as PostgreSQL's ORDER BY with the primary key as tie-breaker.
    keys = [order] if isinstance(order, str) else order
    # the primary key breaks ties in the direction of the last column
    sql = ", ".join(k.removeprefix("-") + (" DESC" if k.startswith("-") else "") for k in keys)
    sql += ", id DESC" if keys[-1].startswith("-") else ", id"
    with db.connection() as conn:
        expected = [r[0] for r in conn.execute(f"SELECT id FROM users ORDER BY {sql}")]
    assert [u.id for u in pages] == expected
    assert {u.id for u in whole} == set(expected)
    for offset in (0, 1, 5, 22, 23, 40):
        page = db.users.list(order_by=order, limit=4, offset=offset)  # type: ignore[arg-type]
        assert [u.id for u in page] == expected[offset : offset + 4]
    assert [u.id for u in db.users.list(order_by=order, offset=20)] == expected[20:]  # type: ignore[arg-type]
    # after= and offset= together: skip within the rows after the cursor (Prisma's cursor + skip)
    assert [u.id for u in db.users.list(order_by=order, after=pages[3], offset=2, limit=3)] == expected[6:9]  # type: ignore[arg-type]


def test_a_keyset_page_over_not_null_columns_starts_in_the_index(db: Database) -> None:
    """`(created_at, id) > (x, y)`: PostgreSQL starts the index scan at the cursor (an Index Cond)
    and stops after `limit` rows, where the chain of ORs read the index from its first entry
    and filtered every earlier row (page 1,000 cost 1,000 pages)."""
    with db.connection() as conn:
        conn.execute("CREATE INDEX users_created_at_id_idx ON users (created_at, id)")
        conn.execute(
            "INSERT INTO users (name, email, created_at) SELECT 'u', 'u' || i || '@example.com', "
            "timestamptz '2026-01-01' + i * interval '1 second' FROM generate_series(1, 20000) i"
        )
        conn.execute("ANALYZE users")
    # Ascending, and newest first (the id tie-breaker follows the direction: the index read backwards).
    for order, op, scan in (("created_at", ">", "Index Scan using"), ("-created_at", "<", "Index Scan Backward using")):
        [cursor] = db.users.list(order_by=order, limit=1, offset=12000)  # type: ignore[arg-type]
        page = db.users.list(order_by=order, limit=50, after=cursor)  # type: ignore[arg-type]
        way = "DESC" if op == "<" else "ASC"
        with db.connection() as conn:
            expected = conn.execute(
                f"SELECT id FROM users WHERE (created_at, id) {op} (%s, %s) ORDER BY created_at {way}, id {way} LIMIT 50",
                [cursor.created_at, cursor.id],
            ).fetchall()
            assert [u.id for u in page] == [r[0] for r in expected]
            spec = db.users._spec  # the SQL the call ran, from the spec's cache (shared by every Database)
            key = spec.order_key(order, True)
            [sql] = [v for k, v in spec.cache.items() if k[:4] == ("list", (), key, "row") and not k[4] and k[5]]
            plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, [cursor.created_at, cursor.id, 50]))
        assert f"{scan} users_created_at_id_idx" in plan, plan
        assert f"Index Cond: (ROW(created_at, id) {op} ROW(" in plan, plan
        assert "Sort" not in plan and "Filter" not in plan, plan


def test_upsert_on_a_unique_key(db: Database) -> None:
    first = db.users.upsert(ada(), on="email")
    again = db.users.upsert(ada(name="Ada Lovelace", email="ADA@example.com", email_verified=True), on="email")
    assert again.id == first.id and again.name == "Ada Lovelace" and again.email_verified is True
    assert again.email == "ADA@example.com"
    other = db.users.upsert(ada(email="bob@example.com", name="Bob"))  # on the primary key: new id, inserted
    assert other.id != first.id and db.users.count() == 2
    same_id = db.users.upsert(ada(id=other.id, email="bob@example.com", name="Robert"))
    assert same_id.id == other.id and same_id.name == "Robert" and db.users.count() == 2


def test_upsert_writes_what_update_names_and_insert_if_absent_writes_nothing_on_a_conflict(db: Database) -> None:
    """upsert(update=[fields]) writes those on a conflict and keeps the rest as stored (by default
    every field the row sets is written); update=[] returns the stored row; insert_if_absent is
    ON CONFLICT DO NOTHING. Each answer is checked against the table as PostgreSQL has it."""
    first = db.users.insert(ada(image="a.png"))
    got = db.users.upsert(ada(name="Ada 2", image="b.png", email_verified=True), on="email", update=["name"])
    assert (got.id, got.name, got.image, got.email_verified) == (first.id, "Ada 2", "a.png", False)
    assert db.users.get(first.id) == got
    kept = db.users.upsert(ada(name="Ignored", image="c.png"), on="email", update=[])
    assert kept == got and db.users.get(first.id) == got  # nothing written, the stored row returned
    fresh = db.users.upsert(ada(name="Bob", email="bob@example.com"), on="email", update=["name"])
    assert fresh.name == "Bob" and db.users.count() == 2  # no conflict: inserted as given
    with pytest.raises(ValueError, match=r"^public.users.upsert: update names 'image', which the row does not set: "):
        db.users.upsert(ada(name="x"), on="email", update=["image"])  # EXCLUDED.image would be the default, NULL
    with pytest.raises(
        ValueError, match=r"^public.users.upsert: update names 'colour', which is not one of its fields$"
    ):
        db.users.upsert(ada(), on="email", update=["colour"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"^public.users.upsert: update= takes a list of field names, not str$"):
        db.users.upsert(ada(), on="email", update="name")
    assert db.users.get(first.id) == got

    assert db.users.insert_if_absent(ada(name="Impostor", email="ADA@example.com"), on="email") is None
    assert db.users.insert_if_absent(ada(name="Impostor", email="ada@EXAMPLE.com")) is None  # any unique key
    assert db.users.get(first.id) == got and db.users.count() == 2
    cy = db.users.insert_if_absent(ada(name="Cy", email="cy@example.com"), on="email")
    assert cy is not None and db.users.get(cy.id) == cy and db.users.count() == 3
    with pytest.raises(
        ValueError, match=r"^public.users.insert_if_absent: on='name' is not one of its keys \(id, email\)$"
    ):
        db.users.insert_if_absent(ada(), on="name")  # type: ignore[arg-type]


def test_insert_many_uses_each_rows_fields_and_the_defaults(db: Database) -> None:
    rows = [models.UserInsert(name=f"u{i}", email=f"u{i}@example.com") for i in range(250)]
    rows += [models.UserInsert(name="v", email="v@example.com", email_verified=True, image=None)]
    assert db.users.insert_many(rows) == 251
    assert db.users.insert_many([]) == 0
    assert db.users.count() == 251 and db.users.count(email_verified=True) == 1
    got = db.users.get_by_email("u7@example.com")
    assert got is not None and got.email_verified is False and got.created_at > NOW  # defaults applied
    with pytest.raises(TypeError, match=r"public.users.insert_many takes UserInsert, not UserUpdate"):
        db.users.insert_many([models.UserUpdate(name="x")])  # type: ignore[list-item]


def test_insert_many_and_return_gives_the_stored_rows_in_order(db: Database) -> None:
    rows = [ada(email=f"a{i}@example.com") for i in range(5)]
    rows += [ada(email="img@example.com", image="x.png", email_verified=True)]  # another shape
    rows += [ada(email=f"b{i}@example.com") for i in range(3)]
    got = db.users.insert_many_and_return(rows)
    assert [u.email for u in got] == [r.email for r in rows]  # the order given
    assert all(type(u) is models.User for u in got)
    assert got[5].image == "x.png" and got[5].email_verified is True and got[0].email_verified is False  # defaults
    with db.connection() as conn:
        stored = dict(conn.execute("SELECT email, id FROM users").fetchall())
    assert {u.email: u.id for u in got} == stored  # the ids the database made
    assert db.users.insert_many_and_return([]) == []
    with pytest.raises(UniqueViolation):
        db.users.insert_many_and_return([ada(email="c@example.com"), ada(email="A0@example.com")])
    assert db.users.count() == 9  # all or none: c@example.com was rolled back with the row that broke the key
    with pytest.raises(TypeError, match=r"public.users.insert_many_and_return takes UserInsert, not UserUpdate"):
        db.users.insert_many_and_return([models.UserUpdate(name="x")])  # type: ignore[list-item]


def test_insert_many_is_one_transaction(db: Database) -> None:
    rows = [ada(email=f"a{i}@example.com") for i in range(5)] + [ada(email="A1@example.com", image="x")]
    with pytest.raises(UniqueViolation):
        db.users.insert_many(rows)  # two groups (different fields set), the second breaks the key
    assert db.users.count() == 0


def test_insert_many_names_a_value_copy_cannot_write(db: Database) -> None:
    """model_construct skips validation; COPY's dumper then failed with `bad argument type for
    built-in operation` or `can't subtract offset-naive and offset-aware datetimes`. Now: which
    column, which row, what it needs, never the value; the COPY is aborted, nothing is written."""
    good = [ada(email=f"g{i}@example.com") for i in range(3)]
    wrong = models.UserInsert.model_construct(name=12345, email="w@example.com")
    with pytest.raises(TypeError) as err:
        db.users.insert_many([*good, wrong])
    assert str(err.value) == ("public.users.name, row 4: a value of type int where text is needed; nothing was written")
    assert err.value.__cause__ is None and err.value.__context__ is None
    naive = models.UserInsert.model_construct(name="N", email="n@example.com", created_at=datetime(2026, 1, 1))
    with pytest.raises(TypeError, match=r"^public.users.created_at, row 1: a naive datetime \(no tzinfo\) where "):
        db.users.insert_many([naive])
    assert db.users.count() == 0  # nothing written, and the pool's connection is still good
    assert db.users.insert_many(good) == 3


def test_tables_inside_a_transaction_share_it(db: Database) -> None:
    with pytest.raises(RuntimeError, match="undo"), db.transaction() as tx:
        assert isinstance(tx, Connection) and isinstance(tx, psycopg.Connection)
        user = tx.users.insert(ada())
        tx.sessions.insert(models.SessionInsert(user_id=user.id, token="t1", expires_at=NOW))
        assert tx.sessions.count(user_id=user.id) == 1
        assert db.users.count() == 0  # not committed: the database's own calls do not see it
        raise RuntimeError("undo")
    assert db.users.count() == 0 and db.sessions.count() == 0
    with db.transaction() as tx:
        user = tx.users.insert(ada())
        tx.sessions.insert(models.SessionInsert(user_id=user.id, token="t1", expires_at=NOW))
    assert db.sessions.count(user_id=user.id) == 1
    with db.connection() as conn:  # db.connection() hands out the same kind of connection
        assert conn.users.get(user.id) == user


def test_constraint_errors_name_the_constraint_never_the_values(db: Database) -> None:
    user = db.users.insert(ada())
    with pytest.raises(UniqueViolation) as err:
        db.users.insert(ada(email="ADA@EXAMPLE.com", name="Impostor"))
    assert str(err.value) == ("public.users: another row has the same lower(email) (unique key users_email_lower_key)")
    assert (err.value.table, err.value.constraint, err.value.columns) == (
        "public.users",
        "users_email_lower_key",
        ("lower(email)",),
    )
    assert isinstance(err.value.pg_error, psycopg.errors.UniqueViolation)  # psycopg's, kept
    assert err.value.__cause__ is None and err.value.__context__ is None  # not chained: its DETAIL has values
    assert "ADA@EXAMPLE.com" not in str(err.value) and "Impostor" not in str(err.value)

    with pytest.raises(ForeignKeyViolation) as fk:
        db.sessions.insert(models.SessionInsert(user_id=uuid4(), token="t", expires_at=NOW))
    assert str(fk.value) == (
        "public.sessions (user_id) refers to a row that public.users (id) does not have "
        "(foreign key sessions_user_id_fkey)"
    )
    with pytest.raises(UniqueViolation, match=r"public.users: another row has the same id \(primary key users_pkey\)"):
        db.users.insert(ada(id=user.id, email="other@example.com"))
    with pytest.raises(NotNullViolation) as nn:
        db.users.insert(models.UserInsert.model_construct(name=None, email="n@example.com"))  # skips validation
    assert str(nn.value) == "public.users.name is NOT NULL: give it a value"
    assert issubclass(NotNullViolation, ConstraintViolation)
    # Inside a transaction the same error, and the transaction is rolled back.
    with pytest.raises(UniqueViolation), db.transaction() as tx:
        tx.users.insert(ada(email="b@example.com"))
        tx.users.insert(ada(email="B@example.com"))
    assert db.users.count() == 1


def test_async_database_has_the_same_tables(migrated_db: str) -> None:
    async def main() -> None:
        async with AsyncDatabase(migrated_db) as adb:
            user = await adb.users.insert(ada())
            assert await adb.users.get(user.id) == user
            assert await adb.users.get_by_email("ADA@example.com") == user
            assert await adb.users.insert_many([ada(email=f"a{i}@example.com") for i in range(10)]) == 10
            made = await adb.users.insert_many_and_return([ada(email="z1@example.com"), ada(email="z2@example.com")])
            assert [u.email for u in made] == ["z1@example.com", "z2@example.com"]
            await adb.users.delete(made[0].id)
            await adb.users.delete(made[1].id)
            page = await adb.users.list(order_by="email", limit=3)
            assert [u.email for u in page] == ["a0@example.com", "a1@example.com", "a2@example.com"]
            assert [u.email for u in await adb.users.list(order_by="email", limit=1, after=page[-1])] == [
                "a3@example.com"
            ]
            assert await adb.users.count() == 11
            changed = await adb.users.update(user.id, models.UserUpdate(name="Ada L."))
            assert changed is not None and changed.name == "Ada L."
            assert (await adb.users.upsert(ada(name="Ada 2"), on="email")).id == user.id
            async with adb.transaction() as tx:
                assert isinstance(tx, AsyncConnection)
                await tx.sessions.insert(models.SessionInsert(user_id=user.id, token="t", expires_at=NOW))
            with pytest.raises(UniqueViolation):
                await adb.sessions.insert(models.SessionInsert(user_id=user.id, token="t", expires_at=NOW))
            assert await adb.users.delete(user.id) is True  # sessions_user_id_fkey cascades
            assert await adb.sessions.count() == 0

    asyncio.run(main())


def test_table_attributes_avoid_every_name_the_database_and_connections_have(db: Database) -> None:
    """A table named like a Database or connection attribute (info, settings, close) gets a
    trailing _ in the plan: its list must cover every public attribute they have."""
    with db.connection() as conn:
        instances: list[object] = [db, conn, AsyncDatabase(db.settings.url)]
        names = {n for obj in instances for n in dir(obj) if not n.startswith("_")}
    tables = {"users", "sessions", "accounts", "verifications"}
    assert names - tables - RESERVED_ATTRIBUTES == set()
    for cls in (Database, AsyncDatabase, Connection, AsyncConnection):
        assert "users" in vars(cls) or any("users" in vars(base) for base in inspect.getmro(cls))


def test_update_takes_only_its_own_tables_update_model(db: Database) -> None:
    """Another table's Update has columns of the same names (user_id): it moved a session to
    another user; one with other names raised a bare KeyError."""
    user = db.users.insert(models.UserInsert(name="Ada", email="ada@example.com"))
    other = db.users.insert(models.UserInsert(name="Bob", email="bob@example.com"))
    session = db.sessions.insert(
        models.SessionInsert(user_id=user.id, token="t", expires_at=datetime.now(UTC) + timedelta(days=1))
    )
    with pytest.raises(TypeError) as info:
        db.sessions.update(session.id, models.AccountUpdate(user_id=other.id))  # type: ignore[arg-type]
    assert str(info.value) == "public.sessions.update takes SessionUpdate, not AccountUpdate"
    with pytest.raises(TypeError, match=r"^public.users.update takes UserUpdate, not SessionUpdate$"):
        db.users.update(user.id, models.SessionUpdate(token="x"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^public.users.update takes UserUpdate, not UserInsert$"):
        db.users.update(user.id, models.UserInsert(name="x", email="x@x"))  # type: ignore[arg-type]
    still = db.sessions.get(session.id)
    assert still is not None and still.user_id == user.id


def test_wrong_arguments_are_refused_before_any_sql(db: Database) -> None:
    """order_by=123 raised "'int' object is not iterable", order_by={"id": 1} was taken, a tuple
    filter was sent as the text '(Ada,Bob)' and matched nothing, limit=-1 reached the server."""
    with pytest.raises(TypeError, match=r"^public.users: order_by takes a column's field name .* not int$"):
        db.users.list(order_by=123)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"not dict$"):
        db.users.list(order_by={"id": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^public.users: a filter of several values is a list, not a tuple \(name=\)$"):
        db.users.list(name=("Ada", "Bob"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^public.users.list: limit is a whole number, 0 or more \(got -1\)$"):
        db.users.list(limit=-1)
    for offset in (-1, 1.5, True):
        with pytest.raises(ValueError, match=r"^public.users.list: offset is a whole number, 0 or more \(got "):
            db.users.list(offset=offset)  # type: ignore[arg-type]
    assert db.users.list(limit=0) == [] and db.users.list(order_by=["name", "-email"]) == []
