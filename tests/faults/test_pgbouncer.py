"""Behind a real PgBouncer in transaction mode: the pooler is detected, prepared statements go
off with one warning, no query ever gets another's result, session settings still apply."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest

from chatmaps_db import ConfigError, Database, QueryCancelled
from chatmaps_db.access.users import UserLoad
from codegen.dev import pg
from tests.conftest import pgbouncer_binary

pytestmark = pytest.mark.needs_server(pgbouncer=True)


@pytest.fixture
def via_pgbouncer(fault_db: str, fault_server: pg.ThrowawayServer) -> Iterator[str]:
    """The fault database's URL through a transaction-mode PgBouncer with 4 server connections."""
    binary = pgbouncer_binary()
    assert binary is not None
    with pg.pgbouncer(fault_server, binary) as template:
        yield template.format(db=urlsplit(fault_db).path.strip("/"))


def _hammer(db: Database, threads: int = 20, each: int = 100) -> tuple[int, int]:
    """Transactions whose statements psycopg would prepare; returns (errors, wrong results)."""
    counts = [0, 0]
    lock = threading.Lock()

    def work(seed: int) -> None:
        for i in range(each):
            n = seed * 1000 + i
            try:
                with db.transaction() as conn:
                    # Two shapes with one parameter each: a mixed-up prepared statement shows.
                    plus = conn.execute("SELECT %s::int + 1", (n,)).fetchone()
                    times = conn.execute("SELECT %s::int * 2", (n,)).fetchone()
                wrong = plus != (n + 1,) or times != (n * 2,)
                with lock:
                    counts[1] += wrong
            except Exception:
                with lock:
                    counts[0] += 1

    pool = [threading.Thread(target=work, args=(s,)) for s in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return counts[0], counts[1]


def test_a_transaction_pooler_is_detected_and_made_safe(via_pgbouncer: str, caplog: pytest.LogCaptureFixture) -> None:
    db = Database(via_pgbouncer, max_size=10)  # DATABASE_PGBOUNCER unset: auto
    with caplog.at_level(logging.WARNING, logger="chatmaps_db"):
        assert _hammer(db) == (0, 0)  # 2,000 transactions, 4,000 statements
    warnings = [r.getMessage() for r in caplog.records if r.name == "chatmaps_db"]
    assert warnings == [
        f"{Database(via_pgbouncer).settings.safe_url} goes through a connection pooler: prepared statements are off "
        "and session settings are set per transaction; set DATABASE_PGBOUNCER=transaction to say so (and silence "
        "this), or =session if it pools sessions"
    ]
    db.close()


def test_said_transaction_mode_is_safe_and_quiet(via_pgbouncer: str, caplog: pytest.LogCaptureFixture) -> None:
    db = Database.from_env(env={"DATABASE_URL": via_pgbouncer, "DATABASE_PGBOUNCER": "true"}, max_size=10)
    with caplog.at_level(logging.WARNING, logger="chatmaps_db"):
        assert _hammer(db, threads=10) == (0, 0)
    assert [r for r in caplog.records if r.name == "chatmaps_db"] == []
    db.close()


def test_off_with_a_pooler_in_the_way_is_refused(via_pgbouncer: str) -> None:
    db = Database(via_pgbouncer, pgbouncer="off")
    with pytest.raises(ConfigError) as info, db.connection():
        pass
    assert str(info.value) == (
        f"{db.settings.safe_url} goes through a connection pooler (PgBouncer?) but DATABASE_PGBOUNCER=off: "
        "set DATABASE_PGBOUNCER=transaction (or auto), or =session for a session-mode pooler"
    )
    db.close()


def test_session_settings_apply_per_transaction_and_never_leak(via_pgbouncer: str) -> None:
    db = Database(via_pgbouncer, statement_timeout=0.2, application_name="through-pgbouncer")
    with db.transaction() as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("200ms",)
        assert conn.execute("SHOW application_name").fetchone() == ("through-pgbouncer",)
    with pytest.raises(QueryCancelled) as info, db.transaction() as conn:
        conn.execute("SELECT pg_sleep(5)")
    assert info.value.timeout == "statement_timeout"
    # Another client of the same PgBouncer, without settings: nothing stayed on the server sessions.
    plain = Database(via_pgbouncer, pgbouncer="transaction", max_size=4)
    for _ in range(8):
        with plain.transaction() as conn:
            assert conn.execute("SHOW statement_timeout").fetchone() == ("0",)
    plain.close()
    db.close()


def test_read_is_read_only_behind_a_transaction_pooler_with_session_settings(via_pgbouncer: str) -> None:
    """db.read() when _checkout has already begun a transaction for the session settings."""
    db = Database(via_pgbouncer, pgbouncer="transaction", statement_timeout=5)
    for _ in range(2):  # the second on a pooled connection
        with db.read() as conn:
            assert conn.execute("SHOW transaction_read_only").fetchone() == ("on",)
            assert conn.execute("SHOW statement_timeout").fetchone() == ("5s",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction), db.read() as conn:
            conn.execute("CREATE TABLE nope (id int)")
    with db.transaction() as conn:  # and the connection is writable again
        assert conn.execute("SHOW transaction_read_only").fetchone() == ("off",)
    db.close()


def test_get_with_relations_pipelines_safely_behind_a_transaction_pooler(via_pgbouncer: str, fault_db: str) -> None:
    """get(pk, load=) sends the row and its sessions' and accounts' statements in one pipeline:
    through PgBouncer in transaction mode, from 10 threads, every answer is the user's own."""
    with pg.connect(fault_db) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "INSERT INTO users (name, email) SELECT 'p' || i, 'p' || i || '@x.io' FROM generate_series(1, 20) i "
                "RETURNING id"
            )
        ]
        conn.execute(
            "INSERT INTO sessions (user_id, token, expires_at) SELECT u.id, md5(u.id::text || j), now() "
            "FROM users u, generate_series(1, 3) j WHERE u.name LIKE 'p%%'"
        )
    db = Database(via_pgbouncer, pgbouncer="transaction", max_size=10)
    load = UserLoad(sessions=True, accounts=True, count=["sessions"])
    wrong: list[str] = []

    def work(seed: int) -> None:
        for i in range(40):
            uid = ids[(seed + i) % len(ids)]
            try:
                user = db.users.get(uid, load=load)
                if user is None or user.id != uid or {s.user_id for s in user.sessions} != {uid}:
                    wrong.append(f"{uid}: {user!r}")
                elif (len(user.sessions), user.count_of("sessions"), user.accounts) != (3, 3, []):
                    wrong.append(f"{uid}: {len(user.sessions)} sessions")
            except Exception as exc:
                wrong.append(f"{uid}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(s,)) for s in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.close()
    assert wrong == [], wrong[:3]
