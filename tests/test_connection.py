"""The generated connection layer (generated/chatmaps_db) against a real server: the everyday path.

Faults (restarts, outages, exhaustion, timeouts, PgBouncer, secrets) are in tests/faults/."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from psycopg.rows import dict_row

from chatmaps_db import (
    MIGRATION_VERSION,
    AsyncDatabase,
    ConfigError,
    ConnectError,
    Database,
    LoginRefused,
    SchemaMismatch,
    ServerUnavailable,
    models,
)
from chatmaps_db.access.users import UserLoad
from codegen.dev import pg

SECRET = "s3cret-pw"


def test_missing_database_url() -> None:
    with pytest.raises(ConfigError) as info:
        Database.from_env(env={})
    assert str(info.value) == (
        "DATABASE_URL is not set: export DATABASE_URL=postgresql://user:password@host:5432/dbname"
    )


@pytest.fixture
def tcp_url(server: pg.Server) -> Iterator[tuple[str, str]]:
    """A password-protected role reachable over TCP on a private port of the test server."""
    host = urlsplit(server.url).query.split("host=")[1]
    with pg.connect(server.url) as conn:
        conn.execute(f"CREATE ROLE app LOGIN PASSWORD '{SECRET}'")
        port = conn.execute("SHOW port").fetchone()
        hba_row = conn.execute("SHOW hba_file").fetchone()
        assert port is not None and hba_row is not None
        # Our servers trust every local login (initdb --auth=trust); make this role prove its password.
        hba = Path(hba_row[0])
        original = hba.read_text()
        hba.write_text("local all app scram-sha-256\n" + original)
        conn.execute("SELECT pg_reload_conf()")
    try:
        yield host, str(port[0])
    finally:
        hba.write_text(original)
        with pg.connect(server.url) as conn:
            conn.execute("SELECT pg_reload_conf()")
            conn.execute("DROP ROLE app")


@pytest.mark.parametrize(
    ("user", "database", "reason", "fix"),
    [
        (
            f"app:wrong-{SECRET}",
            "postgres",
            'password authentication failed for user "app"',
            "check the user name and password in the URL",
        ),
        ("app", "postgres", "fe_sendauth: no password supplied", "the server wants a password: put it in the URL"),
        (
            f"app:{SECRET}",
            "no_such_db",
            'database "no_such_db" does not exist',
            "check the user and database names in the URL, or create them",
        ),
        (
            f"nobody:{SECRET}",
            "postgres",
            'role "nobody" does not exist',
            "check the user and database names in the URL, or create them",
        ),
    ],
)
def test_a_refused_login_is_not_retryable_and_says_what_to_check(
    tcp_url: tuple[str, str], user: str, database: str, reason: str, fix: str
) -> None:
    host, port = tcp_url
    db = Database(f"postgresql://{user}@/{database}?host={host}&port={port}", connect_timeout=5)
    shown = db.settings.safe_url
    with pytest.raises(LoginRefused) as info, db.connection():
        pass
    assert not isinstance(info.value, ConnectError)  # what retry loops and lifespan(wait=) wait out
    assert str(info.value).startswith(f"{shown} refused the login: {reason}"), str(info.value)
    assert fix in str(info.value) and SECRET not in str(info.value)
    assert info.value.cause.startswith(reason)
    health = db.health()
    assert (health.status, health.error, health.ready) == ("refused", str(info.value), False)
    assert SECRET not in repr(health)


def test_table_layer_on_an_unmigrated_database_says_to_migrate(fresh_db: str) -> None:
    """The health check says `unmigrated`; the table layer says the same, not psycopg's UndefinedTable."""
    db = Database(fresh_db)
    assert db.health().status == "unmigrated"
    with pytest.raises(SchemaMismatch) as info:
        db.users.list()
    assert str(info.value) == (
        'public.users: relation "public.users" does not exist in this database: it lacks this package\'s '
        "migrations: run `atlas migrate apply --env prod` (or `make migrate`)"
    )
    with pytest.raises(SchemaMismatch) as info:
        db.queries.list_active_sessions(max_rows=1)
    assert str(info.value).startswith('query ListActiveSessions: relation "sessions" does not exist in this database')
    # get(pk, load=) sends the row's statement and its sessions' in one pipeline: the same error.
    with pytest.raises(SchemaMismatch) as info:
        db.users.get(uuid4(), load=UserLoad(sessions=True))
    assert str(info.value).startswith('public.users: relation "public.users" does not exist in this database')


def test_a_sql_ascii_database_is_refused_at_connect(server: pg.Server) -> None:
    """Its text would arrive as bytes (and health would compare b'2026...' with '2026...')."""
    name = "ascii_" + uuid4().hex[:8]
    with pg.connect(server.url) as conn:
        conn.execute(f"CREATE DATABASE {name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    try:
        db = Database(pg.replace_database(server.url, name))
        with pytest.raises(ConfigError) as info, db.connection():
            pass
        assert str(info.value) == (
            f"{db.settings.safe_url}: the database's encoding is SQL_ASCII, which chatmaps_db cannot read text from: "
            "create it with ENCODING 'UTF8' (CREATE DATABASE name ENCODING 'UTF8' TEMPLATE template0)"
        )
        health = db.health()
        assert (health.status, health.error) == ("refused", str(info.value))
        db.close()
    finally:
        pg.drop_database(server.url, name)


def test_unreachable_host_fails_within_the_connect_timeout() -> None:
    # A listener that accepts TCP connections and never answers: libpq waits for the timeout.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    result: list[BaseException] = []

    def attempt() -> None:
        db = Database(f"postgresql://app:{SECRET}@127.0.0.1:{port}/chat", connect_timeout=1)
        try:
            with db.connection():
                pass
        except BaseException as exc:
            result.append(exc)

    worker = threading.Thread(target=attempt)
    worker.start()
    worker.join(60)  # a hang would leave the list empty
    silent.close()
    assert len(result) == 1 and isinstance(result[0], ServerUnavailable)
    assert str(result[0]) == (
        f"cannot connect to postgresql://app:***@127.0.0.1:{port}/chat: connection timeout expired"
    )


def test_transaction_health_and_schema_check(migrated_db: str) -> None:
    db = Database(migrated_db, max_size=2)
    assert repr(db).endswith("max_size=2, 0 open)")  # construction did no I/O
    new = models.UserInsert(name="Ada", email="ada@example.com")
    with db.transaction() as conn:
        cols = new.to_db()
        assert set(cols) == {"name", "email"}  # defaults (id, timestamps) are left to the database
        cur = conn.cursor(row_factory=dict_row)
        cur.execute("INSERT INTO users (name, email) VALUES (%(name)s, %(email)s) RETURNING *", cols)
        row = cur.fetchone()
    user = models.User.model_validate(row)
    assert user.email == "ada@example.com" and user.email_verified is False and user.image is None
    health = db.health()
    assert health.ok and health.server_version and health.schema_version == MIGRATION_VERSION
    assert health.expected_schema_version == MIGRATION_VERSION and health.pool["max_size"] == 2
    db.check_schema()
    db.close()


def test_update_tells_not_given_from_null() -> None:
    assert models.UserUpdate(name="B").to_db() == {"name": "B"}
    assert models.UserUpdate(image=None).to_db() == {"image": None}
    assert models.UserUpdate().to_db() == {}


def test_check_schema_on_an_unmigrated_database(fresh_db: str) -> None:
    db = Database(fresh_db)
    with pytest.raises(SchemaMismatch) as info:
        db.check_schema()
    assert str(info.value) == (
        f"database {fresh_db} has no migrations applied: run `atlas migrate apply --env prod` (or `make migrate`)"
    )
    db.close()


def test_async_twin(migrated_db: str) -> None:
    async def run() -> tuple[bool, str | None]:
        async with AsyncDatabase(migrated_db) as db:
            async with db.transaction() as conn:
                await conn.execute("SELECT 1")
            await db.check_schema()
            health = await db.health()
            return health.ok, health.schema_version

    assert asyncio.run(run()) == (True, MIGRATION_VERSION)


@pytest.mark.parametrize("name", ["statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"])
def test_a_negative_session_timeout_is_refused_at_construction(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        Database("postgresql://app@localhost/chat", **{name: -5})  # type: ignore[arg-type]
    env = "DATABASE_" + name.upper()
    assert str(info.value) == f"{name} must be 0 (no limit) or more seconds (got -5): set {env}"
    Database("postgresql://app@localhost/chat", **{name: 0})  # type: ignore[arg-type]  # 0: no limit


def test_a_lost_connections_reason_keeps_its_hint_and_drops_context() -> None:
    from chatmaps_db.db import _reason

    lost = Exception('terminating connection due to administrator command\nCONTEXT:  SQL statement "SELECT 1"')
    assert _reason(lost) == "terminating connection due to administrator command"  # was "... (cONTEXT: ...?)"
    hinted = Exception("could not connect\nHINT:  Is the SSL mode right?\nDETAIL:  Key (email)=(a@b) exists.")
    assert _reason(hinted) == "could not connect (is the SSL mode right?)"
