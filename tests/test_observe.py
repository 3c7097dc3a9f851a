"""Query events (db.on_query, the chatmaps_db.queries logger, DATABASE_SLOW_QUERY_MS): every
statement reported once, named by its call, with no parameter value and no secret anywhere."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from chatmaps_db import AsyncDatabase, ConfigError, Database, QueryEvent, models
from chatmaps_db.access.users import UserLoad
from chatmaps_db.errors import UniqueViolation
from codegen.paths import GENERATED

PASSWORD = "hunter2-pass-" + uuid4().hex  # secrets a test writes, then looks for everywhere
TOKEN = "tok-" + uuid4().hex
EMAIL = f"ada-{uuid4().hex[:8]}@example.com"


def _everything(events: list[QueryEvent], records: list[logging.LogRecord]) -> str:
    return "\n".join([*(repr(e) for e in events), *(r.getMessage() for r in records)])


def test_every_call_is_reported_once_by_name_without_values(migrated_db: str, caplog: pytest.LogCaptureFixture) -> None:
    db = Database(migrated_db)
    events: list[QueryEvent] = []
    stop = db.on_query(events.append)
    with caplog.at_level(logging.DEBUG, logger="chatmaps_db.queries"):
        user = db.users.insert(models.UserInsert(name="Ada", email=EMAIL))
        db.accounts.insert(
            models.AccountInsert(user_id=user.id, account_id="ada", provider_id="credential", password=PASSWORD)
        )
        db.sessions.insert(
            models.SessionInsert(user_id=user.id, token=TOKEN, expires_at=datetime.now(UTC) + timedelta(days=1))
        )
        first = len(events)
        db.users.get(user.id, load=UserLoad(sessions=True, accounts=True))  # three statements, one pipeline
        db.users.list(lambda c: c.email.eq(EMAIL))
        db.queries.list_active_sessions(max_rows=5)
        with db.transaction() as tx:
            tx.execute("SELECT %s::text", [PASSWORD])  # raw: its text is the caller's, never reported
        with pytest.raises(UniqueViolation):
            db.users.insert(models.UserInsert(name="Ada again", email=EMAIL))
    stop()
    db.users.count()  # after stop(): not reported
    calls = [(e.call, e.operation, e.rows, e.error) for e in events[first:] if e.call != "connect"]
    assert calls == [
        ("users.get", "SELECT", 1, None),
        ("users.get", "SELECT", 1, None),
        ("users.get", "SELECT", 1, None),
        ("users.list", "SELECT", 1, None),
        ("queries.list_active_sessions", "SELECT", 1, None),
        ("raw", "SELECT", 1, None),
        ("users.insert", "INSERT", None, "UniqueViolation"),
    ], calls
    assert [e.call for e in events[:first]][-3:] == ["users.insert", "accounts.insert", "sessions.insert"]
    assert all(e.node == "primary" and e.duration >= 0 for e in events)
    assert all(e.sql is None for e in events if e.call in ("raw", "connect"))
    assert all(e.sql is not None and "%s" in e.sql for e in events if e.call.startswith("users.insert"))
    # Neither the hook's events nor any log record holds a secret, an email or any other value.
    seen = _everything(events, caplog.records)
    for value in (PASSWORD, TOKEN, EMAIL, str(user.id)):
        assert value not in seen, value
    logged = [r for r in caplog.records if r.name == "chatmaps_db.queries"]
    assert len(logged) == len(events) and all(r.levelno == logging.DEBUG for r in logged)
    db.close()


def test_slow_statements_are_logged_at_warning(migrated_db: str, caplog: pytest.LogCaptureFixture) -> None:
    db = Database.from_env(env={"DATABASE_URL": migrated_db, "DATABASE_SLOW_QUERY_MS": "20"})
    with caplog.at_level(logging.WARNING, logger="chatmaps_db.queries"):
        with db.connection() as conn:
            conn.execute("SELECT pg_sleep(0.05)")  # 50 ms at least: slower than 20
        # A new connection's own setup may be slow too on a loaded machine: the raw statement is ours.
        slow = [r.getMessage() for r in caplog.records if r.getMessage().startswith("slow statement: raw ")]
        assert len(slow) == 1 and slow[0].startswith("slow statement: raw SELECT on primary: "), slow
        assert slow[0].endswith("1 rows (over 20 ms: DATABASE_SLOW_QUERY_MS)"), slow
    db.close()
    with pytest.raises(ConfigError) as info:
        Database.from_env(env={"DATABASE_URL": migrated_db, "DATABASE_SLOW_QUERY_MS": "soon"})
    assert str(info.value) == (
        "DATABASE_SLOW_QUERY_MS='soon' is not valid for slow_query_ms: expected milliseconds (250, 250ms, 0.5s; "
        "0 = every statement)"
    )
    half = Database.from_env(env={"DATABASE_URL": migrated_db, "DATABASE_SLOW_QUERY_MS": "0.5s"})
    assert half.settings.slow_query_ms == 500
    with pytest.raises(ConfigError) as info:
        Database(migrated_db, slow_query_ms=-1)
    assert (
        str(info.value)
        == "slow_query_ms=-1 is not valid: expected milliseconds, 0 or more (DATABASE_SLOW_QUERY_MS=250)"
    )
    with pytest.raises(TypeError) as hook:
        db.on_query(42)  # type: ignore[arg-type]
    assert str(hook.value) == "on_query takes a function of a QueryEvent, not int"


def test_a_failing_hook_never_fails_the_query(migrated_db: str, caplog: pytest.LogCaptureFixture) -> None:
    db = Database(migrated_db)
    db.users.count()  # connected: the pool's setup statements are behind us

    def broken(event: QueryEvent) -> None:
        raise RuntimeError("the hook's own bug")

    db.on_query(broken)
    with caplog.at_level(logging.ERROR, logger="chatmaps_db.queries"):
        assert db.users.count() == 0
    assert [r.getMessage() for r in caplog.records] == ["a query hook (broken) raised RuntimeError: fix the hook"]
    db.close()


def test_under_50_threads_every_statement_is_reported_once(migrated_db: str) -> None:
    db = Database(migrated_db, max_size=10)
    user = db.users.insert(models.UserInsert(name="Load", email=EMAIL))
    seen: list[tuple[str, int | None]] = []
    lock = threading.Lock()

    def hook(event: QueryEvent) -> None:
        with lock:
            seen.append((event.call, event.rows))

    db.on_query(hook)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                db.users.get(user.id)
                with db.connection() as conn:
                    conn.execute("SELECT 1")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    made = [c for c in seen if c[0] != "connect"]  # a new connection's own setup comes on top
    assert sorted(set(made)) == [("raw", 1), ("users.get", 1)]
    assert made.count(("users.get", 1)) == made.count(("raw", 1)) == 50 * 20
    db.close()


def test_async_calls_are_reported_the_same(migrated_db: str) -> None:
    async def main() -> list[tuple[str, str]]:
        async with AsyncDatabase(migrated_db) as adb:
            events: list[QueryEvent] = []
            adb.on_query(events.append)
            user = await adb.users.insert(models.UserInsert(name="Async", email=EMAIL))
            await adb.users.get(user.id, load=UserLoad(sessions=True))
            [u async for u in adb.users.iter(batch=10)]
            await adb.queries.list_active_sessions(max_rows=1)
            return [(e.call, e.operation) for e in events if e.call != "connect"]

    assert asyncio.run(main()) == [
        ("users.insert", "INSERT"),
        ("users.get", "SELECT"),
        ("users.get", "SELECT"),
        ("users.iter", "SELECT"),
        ("queries.list_active_sessions", "SELECT"),
    ]


def test_trace_context_reaches_postgresql_and_statements_stay_prepared(migrated_db: str) -> None:
    """DATABASE_TRACE_COMMENTS (tests/roundtrip/trace_comments.py, its own process): inside a
    request's span, pg_stat_activity shows its traceparent: as application_name on a connection
    that prepares statements (which stay prepared, text unchanged), as a sqlcommenter comment on
    the statement where nothing is prepared; outside a span nothing is added."""
    script = Path(__file__).resolve().parent / "roundtrip" / "trace_comments.py"
    env = {**os.environ, "PYTHONPATH": f"{GENERATED}"}
    ran = subprocess.run(
        [sys.executable, str(script), migrated_db], env=env, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout)
    request, another = found["request"], found["another"]
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", request)
    assert found["direct"] == [request, SHOW]  # the name carries it, the statement's text does not
    assert 'SELECT count(*) FROM "public"."users"' in found["prepared"]  # still prepared, as written
    assert found["after"] == [request, SHOW]
    assert found["pooled"] == ["svc", f"{SHOW} /*traceparent='{another}'*/"]
    assert found["pooled_after"] == ["svc", SHOW]


SHOW = "SELECT application_name, query FROM pg_stat_activity WHERE pid = pg_backend_pid()"


def test_psycopg_instrumentation_enabled_too_does_not_double_a_span(migrated_db: str) -> None:
    """opentelemetry-instrumentation-psycopg and chatmaps_db both on (tests/roundtrip/otel_psycopg.py):
    the package's statements are one span each, chatmaps_db's (its connections set their own
    cursor classes, replacing the instrumentation's), and a connection the service opens itself
    keeps the instrumentation's span."""
    script = Path(__file__).resolve().parent / "roundtrip" / "otel_psycopg.py"
    env = {**os.environ, "PYTHONPATH": f"{GENERATED}"}
    ran = subprocess.run(
        [sys.executable, str(script), migrated_db], env=env, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    spans = json.loads(ran.stdout)
    ours = [(s["name"], s["attributes"]["chatmaps_db.call"]) for s in spans if s["scope"] == "chatmaps_db"]
    theirs = [(s["name"], s["attributes"].get("db.statement")) for s in spans if s["scope"] != "chatmaps_db"]
    assert ours == [
        ("SELECT", "connect"),  # the new connection's setup
        ("INSERT public.users", "users.insert"),
        ("SELECT public.users", "users.get"),
        ("SELECT", "raw"),
    ]
    assert theirs == [("SELECT", "SELECT 2")]
    assert {s["scope"] for s in spans} == {"chatmaps_db", "opentelemetry.instrumentation.psycopg"}
