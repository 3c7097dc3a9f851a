"""The table layer (chatmaps_db.access) against the driver it runs on, side by side in one run.

On a users table of ROWS rows (embedded PostgreSQL, migrations applied):

- `db.users.list(limit=ROWS)`      vs psycopg binary fetchall() of tuples (the same SELECT);
                                      also vs SQLAlchemy's ORM select(User) on tables.py, and
                                      vs today's README way: dict rows + User.model_validate
- `db.users.insert_many(ROWS UserInsert)` vs psycopg binary COPY of the same values as tuples
- `db.users.get(pk)` p50 of GETS calls    vs raw psycopg: conn.execute(sql, (pk,), prepare=True)
                                            on a connection held open (no pool)
- peak heap of the list (tracemalloc, a separate run: tracing slows allocation) vs the tuples
- on PAGED_ROWS users (default 1,000,000) with an index on (created_at, id):
  `for u in db.users.iter()`            vs psycopg's server-side cursor of tuples (same SELECT,
                                           same itersize); peak heap of each loop (rows dropped)
  keyset page 1,000 (`after=`, 50 rows) vs page 1 (p50 of PAGES calls each)
  `list(where=c.created_at.gt(x))` of CONDITION_ROWS rows vs psycopg binary tuples of the same SELECT
  `update_where(c.created_at.gt(x), ...)` of CONDITION_ROWS rows vs the same UPDATE through psycopg
- relations, on LOAD_USERS users with 10 sessions each:
  `db.users.list(load=UserLoad(sessions=True))`  vs psycopg: one JOIN, rows regrouped into dicts by hand
                                                  vs SQLAlchemy ORM select(Users) with selectinload(sessions)
  `db.users.get(pk, load=UserLoad(sessions=True, accounts=True))` p50 of LOAD_GETS calls vs two
  prepared queries (the user, then its sessions and accounts in one UNION-free pair) on a held connection

Time is the median of REPEAT interleaved runs. `python -m bench.access` runs this part alone.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated")]

from codegen.dev import atlas, pg  # noqa: E402
from codegen.paths import MIGRATIONS  # noqa: E402

ROWS = int(os.environ.get("BENCH_ACCESS_ROWS", "200000"))
GETS = int(os.environ.get("BENCH_ACCESS_GETS", "10000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
PAGED_ROWS = int(os.environ.get("BENCH_PAGED_ROWS", "1000000"))
PAGES = int(os.environ.get("BENCH_PAGES", "200"))
CONDITION_ROWS = int(os.environ.get("BENCH_CONDITION_ROWS", "100000"))
LOAD_USERS = int(os.environ.get("BENCH_LOAD_USERS", "10000"))
LOAD_GETS = int(os.environ.get("BENCH_LOAD_GETS", "5000"))
SELECT = 'SELECT "id", "name", "email", "email_verified", "image", "created_at", "updated_at" FROM "public"."users"'


def _timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _median_pair(
    ours: Callable[[], Any], base: Callable[[], Any], prepare: Callable[[], Any] | None = None
) -> tuple[float, float]:
    a, b = [], []
    for _ in range(REPEAT):
        if prepare:
            prepare()
        a.append(_timed(ours))
        if prepare:
            prepare()
        b.append(_timed(base))
    return statistics.median(a), statistics.median(b)


def _p50(ids: list[Any], call: Callable[[Any], Any]) -> float:
    """The median microseconds of call(i) over `ids`, after 50 calls to warm prepared statements, pool, caches."""
    for i in ids[:50]:
        call(i)
    out = []
    for i in ids:
        start = time.perf_counter_ns()
        call(i)
        out.append(time.perf_counter_ns() - start)
    return statistics.median(out) / 1000


def _heap(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    kept = fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    del kept
    return peak


def run() -> list[str]:
    import psycopg
    from psycopg.rows import dict_row
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from chatmaps_db import Database, models, tables

    lines = [f"table layer, public.users with {ROWS:,} rows ({REPEAT} interleaved runs, median):"]
    with pg.throwaway_server() as server, pg.scratch_database(server.url, "access") as url:
        atlas.migrate_apply(MIGRATIONS, url)
        db = Database(url)
        inserts = [
            models.UserInsert(name=f"user {i}", email=f"user{i}@example.com", email_verified=i % 2 == 0)
            for i in range(ROWS)
        ]
        tuples = [(r.name, r.email, r.email_verified) for r in inserts]
        raw = psycopg.connect(url, autocommit=True)

        def empty() -> None:
            raw.execute("TRUNCATE users CASCADE")

        def copy_tuples() -> None:
            with raw.cursor().copy(
                'COPY "public"."users" ("name", "email", "email_verified") FROM STDIN (FORMAT BINARY)'
            ) as cp:
                cp.set_types(["text", "text", "bool"])
                for t in tuples:
                    cp.write_row(t)

        ours_s, base_s = _median_pair(lambda: db.users.insert_many(inserts), copy_tuples, empty)
        lines.append(
            f"  insert_many of {ROWS:,} UserInsert  {ours_s:6.3f}s  vs binary COPY of tuples {base_s:6.3f}s: "
            f"{base_s / ours_s:4.2f}x its speed (goal >= 0.7x)"
        )

        def tuples_fetch() -> list[Any]:
            return raw.cursor(binary=True).execute(SELECT + " LIMIT %s", (ROWS,)).fetchall()

        def ours_list() -> list[Any]:
            return db.users.list(limit=ROWS)

        ours_s, base_s = _median_pair(ours_list, tuples_fetch)
        assert len(ours_list()) == ROWS
        lines.append(
            f"  list(limit={ROWS:,})             {ours_s:6.3f}s  vs psycopg binary tuples {base_s:6.3f}s: "
            f"{base_s / ours_s:4.2f}x its speed (goal >= 0.5x)"
        )
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))

        def orm() -> list[Any]:
            with Session(engine) as s:
                return list(s.scalars(select(tables.Users).limit(ROWS)))

        ours_s, orm_s = _median_pair(ours_list, orm)
        lines.append(
            f"  list(limit={ROWS:,})             {ours_s:6.3f}s  vs SQLAlchemy ORM select(Users) {orm_s:6.3f}s: "
            f"{orm_s / ours_s:4.2f}x faster (goal >= 2x)"
        )

        def validated() -> list[Any]:
            rows = raw.cursor(row_factory=dict_row).execute("SELECT * FROM users LIMIT %s", (ROWS,)).fetchall()
            return [models.User.model_validate(r) for r in rows]

        ours_s, val_s = _median_pair(ours_list, validated)
        lines.append(
            f"  list(limit={ROWS:,})             {ours_s:6.3f}s  vs dict rows + model_validate {val_s:6.3f}s "
            f"(today's README way: {base_s / val_s:4.2f}x of tuples' speed)"
        )
        validate_s = statistics.median(_timed(lambda: db.users.list(limit=ROWS, validate=True)) for _ in range(REPEAT))
        lines.append(
            f"  list(limit={ROWS:,}, validate=True) {validate_s:6.3f}s: {base_s / validate_s:4.2f}x of tuples' speed"
        )
        heap_ours, heap_base = _heap(ours_list), _heap(tuples_fetch)
        lines.append(
            f"  peak heap of the list {heap_ours:6.1f} MB vs tuples {heap_base:6.1f} MB: {heap_ours / heap_base:4.2f}x"
        )

        ids = [r[0] for r in raw.execute("SELECT id FROM users LIMIT %s", (GETS,)).fetchall()]
        by_id = "SELECT * FROM users WHERE id = %s"

        def raw_get(i: uuid.UUID) -> Any:
            return raw.execute(by_id, (i,), prepare=True).fetchone()

        a, b = [], []
        for _ in range(REPEAT):
            a.append(_p50(ids, db.users.get))
            b.append(_p50(ids, raw_get))
        ours_us, base_us = statistics.median(a), statistics.median(b)
        lines.append(
            f"  get(pk) p50 over {len(ids):,} calls   {ours_us:6.1f}us vs raw prepared execute {base_us:6.1f}us: "
            f"{ours_us / base_us:4.2f}x the time (goal <= 1.2x)"
        )
        lines += _streaming_and_paging(db, raw)
        lines += _relations(db, raw, engine)
        raw.close()
        db.close()
        engine.dispose()
    return lines


def _streaming_and_paging(db: Any, raw: Any) -> list[str]:
    """iter() against psycopg's server-side cursor, and keyset page 1,000 against page 1."""
    raw.execute("TRUNCATE users CASCADE")
    raw.execute(
        "INSERT INTO users (name, email, created_at) SELECT 'user ' || i, 'user' || i || '@example.com', "
        "timestamptz '2026-01-01' + i * interval '1 second' FROM generate_series(1, %s) i",
        (PAGED_ROWS,),
    )
    raw.execute("CREATE INDEX IF NOT EXISTS users_created_at_id_idx ON users (created_at, id)")
    raw.execute("VACUUM ANALYZE users")
    lines = [f"on {PAGED_ROWS:,} users (index on created_at, id):"]

    def ours_iter() -> int:
        n = 0
        for _ in db.users.iter(batch=1000):
            n += 1
        return n

    def cursor_iter() -> int:
        n = 0
        with raw.transaction(), raw.cursor("bench", binary=True) as cur:
            cur.itersize = 1000
            cur.execute(SELECT)
            for _ in cur:
                n += 1
        return n

    assert ours_iter() == cursor_iter() == PAGED_ROWS
    ours_s, base_s = _median_pair(ours_iter, cursor_iter)
    heap_ours, heap_base = _heap(ours_iter), _heap(cursor_iter)
    lines.append(
        f"  iter() over {PAGED_ROWS:,} rows      {ours_s:6.3f}s  vs psycopg server-side cursor of tuples {base_s:6.3f}s: "
        f"{base_s / ours_s:4.2f}x its speed (goal >= 0.7x); peak heap {heap_ours:5.1f} MB vs {heap_base:5.1f} MB "
        "(goal < 50 MB)"
    )

    page = 50
    [cursor] = db.users.list(order_by="created_at", limit=1, offset=page * 999 - 1)  # the last row of page 999

    def p50(call: Callable[[], Any]) -> float:
        for _ in range(20):  # warm: prepared statements, caches
            call()
        out = []
        for _ in range(PAGES):
            start = time.perf_counter_ns()
            call()
            out.append(time.perf_counter_ns() - start)
        return statistics.median(out) / 1000

    def first() -> Any:
        return db.users.list(order_by="created_at", limit=page)

    def thousandth() -> Any:
        return db.users.list(order_by="created_at", limit=page, after=cursor)

    def by_offset() -> Any:
        return db.users.list(order_by="created_at", limit=page, offset=page * 999)

    assert [u.id for u in thousandth()] == [u.id for u in by_offset()]
    a, b, c = [], [], []
    for _ in range(REPEAT):
        a.append(p50(thousandth))
        b.append(p50(first))
        c.append(p50(by_offset))
    k_us, first_us, off_us = statistics.median(a), statistics.median(b), statistics.median(c)
    lines.append(
        f"  keyset page 1,000 ({page} rows)      {k_us:6.0f}us vs page 1 {first_us:6.0f}us: "
        f"{k_us / first_us:4.2f}x the time (goal <= 2x); page 1,000 by offset= {off_us:6.0f}us ({off_us / first_us:4.1f}x)"
    )
    return lines + _conditions(db, raw)


def _conditions(db: Any, raw: Any) -> list[str]:
    """where= conditions: a range read and a bulk update of CONDITION_ROWS rows, against psycopg."""
    from datetime import UTC, datetime, timedelta

    from chatmaps_db import models

    cut = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=PAGED_ROWS - CONDITION_ROWS)
    c = db.users.c
    sql = SELECT + " WHERE created_at > %s"

    def ours_list() -> list[Any]:
        return db.users.list(c.created_at.gt(cut))  # type: ignore[no-any-return]

    def tuples() -> list[Any]:
        return raw.cursor(binary=True).execute(sql, (cut,)).fetchall()  # type: ignore[no-any-return]

    assert len(ours_list()) == len(tuples()) == CONDITION_ROWS
    ours_s, base_s = _median_pair(ours_list, tuples)
    lines = [
        f"  list(created_at > x), {CONDITION_ROWS:,} rows {ours_s:6.3f}s  vs psycopg binary tuples {base_s:6.3f}s: "
        f"{base_s / ours_s:4.2f}x its speed (goal >= 0.75x)"
    ]
    changes = models.UserUpdate(image="bench")

    def ours_update() -> int:
        return db.users.update_where(c.created_at.gt(cut), changes)  # type: ignore[no-any-return]

    def raw_update() -> int:
        return raw.execute('UPDATE "public"."users" SET "image" = %s WHERE "created_at" > %s', ("bench", cut)).rowcount  # type: ignore[no-any-return]

    assert ours_update() == raw_update() == CONDITION_ROWS
    raw.execute("VACUUM users")
    ours_s, base_s = _median_pair(ours_update, raw_update)
    lines.append(
        f"  update_where of {CONDITION_ROWS:,} rows       {ours_s:6.3f}s  vs the same UPDATE through psycopg {base_s:6.3f}s: "
        f"{ours_s / base_s:4.2f}x the time (goal <= 1.1x)"
    )
    return lines


def _relations(db: Any, raw: Any, engine: Any) -> list[str]:
    """load= against a hand-regrouped JOIN, SQLAlchemy's selectinload, and two prepared queries."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session, selectinload

    from chatmaps_db import tables
    from chatmaps_db.access.users import UserLoad

    raw.execute("TRUNCATE users CASCADE")
    raw.execute(
        "INSERT INTO users (name, email) SELECT 'user ' || i, 'user' || i || '@example.com' FROM generate_series(1, %s) i",
        (LOAD_USERS,),
    )
    raw.execute(
        "INSERT INTO sessions (user_id, token, expires_at) SELECT u.id, md5(u.id::text || j), now() + j * interval '1 day' "
        "FROM users u, generate_series(1, 10) j"
    )
    raw.execute("CREATE INDEX IF NOT EXISTS sessions_user_id_idx ON sessions (user_id)")
    raw.execute("VACUUM ANALYZE")
    lines = [f"relations, on {LOAD_USERS:,} users with 10 sessions each:"]
    load = UserLoad(sessions=True)

    def ours() -> int:
        return sum(len(u.sessions) for u in db.users.list(load=load))

    join = (
        'SELECT u."id", u."name", u."email", u."email_verified", u."image", u."created_at", u."updated_at", '
        's."id", s."user_id", s."token", s."expires_at", s."ip_address", s."user_agent", s."created_at", s."updated_at" '
        'FROM "public"."users" u LEFT JOIN "public"."sessions" s ON s."user_id" = u."id"'
    )
    user_keys = ("id", "name", "email", "email_verified", "image", "created_at", "updated_at")
    session_keys = ("id", "user_id", "token", "expires_at", "ip_address", "user_agent", "created_at", "updated_at")

    def regrouped() -> int:
        users: dict[Any, dict[str, Any]] = {}
        for row in raw.cursor(binary=True).execute(join):
            user = users.get(row[0])
            if user is None:
                user = users[row[0]] = dict(zip(user_keys, row[:7], strict=True))
                user["sessions"] = []
            if row[7] is not None:
                user["sessions"].append(dict(zip(session_keys, row[7:], strict=True)))
        return sum(len(u["sessions"]) for u in users.values())

    def orm() -> int:
        with Session(engine) as s:
            return sum(
                len(u.sessions) for u in s.scalars(select(tables.Users).options(selectinload(tables.Users.sessions)))
            )

    assert ours() == regrouped() == orm() == LOAD_USERS * 10
    ours_s, base_s = _median_pair(ours, regrouped)
    _, orm_s = _median_pair(ours, orm)
    lines.append(
        f"  list(load=sessions), {LOAD_USERS * 11:,} rows  {ours_s:6.3f}s  vs one JOIN regrouped into dicts {base_s:6.3f}s: "
        f"{base_s / ours_s:4.2f}x its speed (goal >= 0.6x); vs SQLAlchemy selectinload {orm_s:6.3f}s: "
        f"{orm_s / ours_s:4.2f}x faster (goal >= 2x)"
    )
    ids = [r[0] for r in raw.execute("SELECT id FROM users LIMIT %s", (LOAD_GETS,)).fetchall()]
    both = UserLoad(sessions=True, accounts=True)
    user_sql = SELECT + " WHERE id = %s"
    children = (
        'SELECT "id", "user_id", "token", "expires_at", "ip_address", "user_agent", "created_at", "updated_at" '
        'FROM "public"."sessions" WHERE "user_id" = %s'
    )
    accounts = 'SELECT * FROM "public"."accounts" WHERE "user_id" = %s'

    def hand(i: Any) -> Any:
        user = raw.execute(user_sql, (i,), prepare=True).fetchone()
        return (
            user,
            raw.execute(children, (i,), prepare=True).fetchall(),
            raw.execute(accounts, (i,), prepare=True).fetchall(),
        )

    a, b = [], []
    for _ in range(REPEAT):
        a.append(_p50(ids, lambda i: db.users.get(i, load=both)))
        b.append(_p50(ids, hand))
    ours_us, base_us = statistics.median(a), statistics.median(b)
    lines.append(
        f"  get(pk, load=sessions+accounts) p50  {ours_us:6.1f}us vs three prepared queries on a held connection "
        f"{base_us:6.1f}us: {ours_us / base_us:4.2f}x the time (goal <= 1.3x)"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
