"""Checked queries (chatmaps_db.queries) against the driver, side by side in one run.

- `db.queries.list_active_sessions(max_rows=ROWS)`, a :many join of sessions and users
  returning ROWS rows, vs psycopg binary fetchall() of tuples for the same SQL (RawCursor);
- generation: `pipeline.build` with QUERIES synthetic queries vs with none, on the same
  migrated database: what preparing, describing, planning and rendering them adds.

Time is the median of REPEAT interleaved runs. `python -m bench.queries` runs this part alone.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated")]

from bench.access import _median_pair, _timed  # noqa: E402
from codegen.dev import atlas, pg  # noqa: E402
from codegen.paths import MIGRATIONS  # noqa: E402

ROWS = int(os.environ.get("BENCH_QUERIES_ROWS", "200000"))
QUERIES = int(os.environ.get("BENCH_QUERIES_COUNT", "200"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))

# Shapes the synthetic queries cycle through: joins, aggregates, CTEs, windows, writes.
_SHAPES = (
    "SELECT s.id, s.token, u.email FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.id = @user_id",
    "SELECT u.id, count(a.id) AS accounts FROM users u LEFT JOIN accounts a ON a.user_id = u.id GROUP BY u.id",
    "WITH recent AS (SELECT * FROM sessions WHERE created_at > @since) SELECT r.id, r.user_id FROM recent r",
    "SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY created_at) AS n FROM accounts",
    "UPDATE users SET name = @name WHERE id = @id RETURNING *",
    "DELETE FROM verifications WHERE expires_at < @before",
    "SELECT * FROM users WHERE lower(email) = lower(@email)",
    "INSERT INTO verifications (identifier, value, expires_at) VALUES (@identifier, @value, @expires_at) RETURNING id",
)
_KINDS = ("many", "many", "many", "many", "one", "execrows", "one", "one")


def synthetic(folder: Path, count: int) -> None:
    """`count` named queries in folder/*.sql, 20 to a file."""
    for f in range(0, count, 20):
        text = []
        for i in range(f, min(f + 20, count)):
            shape = i % len(_SHAPES)
            text.append(f"-- name: Q{i}Shape{shape} :{_KINDS[shape]}\n{_SHAPES[shape]};\n")
        (folder / f"q{f // 20:02}.sql").write_text("\n".join(text))


def run() -> list[str]:
    import psycopg

    from chatmaps_db import Database, models
    from chatmaps_db.queries import sessions
    from codegen import pipeline, sqlfile
    from codegen.config import load_config
    from codegen.introspect import queries as describe

    lines = [f"checked queries ({REPEAT} interleaved runs, median):"]
    with pg.throwaway_server() as server, pg.scratch_database(server.url, "queries") as url:
        atlas.migrate_apply(MIGRATIONS, url)
        db = Database(url)
        users = max(ROWS // 10, 1)
        db.users.insert_many(models.UserInsert(name=f"user {i}", email=f"u{i}@example.com") for i in range(users))
        ids = [u.id for u in db.users.list(limit=users)]
        soon = datetime.now(UTC) + timedelta(days=1)
        db.sessions.insert_many(
            models.SessionInsert(
                user_id=ids[i % users], token=f"t{i}", expires_at=soon + timedelta(seconds=i), ip_address="10.0.0.1"
            )
            for i in range(ROWS)
        )
        raw = psycopg.connect(url, autocommit=True)
        sql = sessions._LIST_ACTIVE_SESSIONS.sql

        def ours() -> list[Any]:
            return db.queries.list_active_sessions(max_rows=ROWS)

        def tuples() -> list[Any]:
            return psycopg.RawCursor(raw).execute(sql, (ROWS,), binary=True).fetchall()

        assert len(ours()) == len(tuples()) == ROWS
        ours_s, base_s = _median_pair(ours, tuples)
        lines.append(
            f"  list_active_sessions (:many join, {ROWS:,} rows) {ours_s:6.3f}s vs psycopg binary tuples "
            f"{base_s:6.3f}s: {base_s / ours_s:4.2f}x its speed (goal >= 0.5x)"
        )
        raw.close()
        db.close()

        config = load_config(ROOT / "pyproject.toml")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            synthetic(folder, QUERIES)

            def with_queries() -> Any:
                return pipeline.build(url, config, sqlfile.read(folder))

            def without() -> Any:
                return pipeline.build(url, config)

            with_s, without_s = _median_pair(with_queries, without)
            files = sum(1 for name in with_queries().files if "/queries/" in name)
            # The stages alone (the build runs them beside the tables.py worker, which hides them).
            parse_s = statistics.median(_timed(lambda: sqlfile.read(folder)) for _ in range(REPEAT))
            parsed = sqlfile.read(folder)
            describe_s = statistics.median(_timed(lambda: describe.describe(url, parsed)) for _ in range(REPEAT))
        lines.append(
            f"  generate with {QUERIES} queries {with_s:6.3f}s vs without {without_s:6.3f}s: "
            f"{with_s - without_s:+5.3f}s wall ({files} query modules; goal < 1 s added); "
            f"alone: parse {parse_s:5.3f}s, prepare+describe {describe_s:5.3f}s"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
