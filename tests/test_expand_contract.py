"""docs/DEPLOY.md section 10, run: a rename and a type change by expand and contract, each step a
migration (schema.hcl edits through make generate's diff and lint, the SQL blocks of DEPLOY.md as
hand-written files), applied while an old and a new version of a service keep reading and
writing. Every read and write succeeds, each version reads back what it wrote, and each sees what
the other wrote through the sync trigger."""

from __future__ import annotations

import re
import textwrap
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from codegen.dev import atlas, lint, migrations, pg
from codegen.paths import ROOT
from tests.faults.test_service import Service
from tests.test_migration_lint import edit

DOC = ROOT / "docs" / "DEPLOY.md"
_SQL = re.compile(r"<!-- expand-contract: (?P<name>[a-z-]+) -->\s*```sql\n(?P<body>.*?)```", re.S)


def block(name: str) -> str:
    found = {m["name"]: textwrap.dedent(m["body"]) for m in _SQL.finditer(DOC.read_text())}
    return found[name]


class Version(threading.Thread):
    """One version of a service: reads and writes in a loop until stopped; `op(conn, i)` does one
    round and raises AssertionError if it reads back something other than what it wrote. `url`: a
    database (the version's own SQL) or, `http://...`, a running example service it calls."""

    def __init__(self, url: str, op: Callable[[Any, int], None]) -> None:
        super().__init__(daemon=True)
        self.url, self.op = url, op
        self.rounds = 0
        self.errors: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        http = self.url.startswith("http://")
        with (
            httpx.Client(base_url=self.url, timeout=30) if http else psycopg.connect(self.url, autocommit=True) as conn
        ):
            while not self.halt.is_set():
                try:
                    self.op(conn, self.rounds)
                except (psycopg.Error, httpx.HTTPError, AssertionError) as exc:
                    self.errors.append(f"round {self.rounds}: {type(exc).__name__}: {exc}")
                self.rounds += 1
                time.sleep(0.002)

    def at_least(self, more: int) -> None:
        """Wait until it has done `more` rounds more than now (it keeps working)."""
        target = self.rounds + more
        deadline = time.monotonic() + 60
        while self.rounds < target and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.rounds >= target, f"stalled at round {self.rounds}"

    def stop(self) -> None:
        self.halt.set()
        self.join(30)


def column_writer(
    table: str, column: str, make: Callable[[int], Any], extra: Callable[[int], dict[str, Any]]
) -> Callable[[psycopg.Connection[Any], int], None]:
    """A version that inserts a row, updates its `column`, and reads it back, each round."""

    def op(conn: psycopg.Connection[Any], i: int) -> None:
        values = {**extra(i), column: make(i)}
        names = ", ".join(values)
        marks = ", ".join(["%s"] * len(values))
        row = conn.execute(
            f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING id", list(values.values())
        ).fetchone()
        assert row is not None
        changed = make(i + 1_000_000)
        conn.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [changed, row[0]])
        back = conn.execute(f"SELECT {column} FROM {table} WHERE id = %s", [row[0]]).fetchone()
        assert back is not None and str(back[0]) == str(changed), "read back another value than written"

    return op


def service_writer(i: int) -> Callable[[httpx.Client, int], None]:
    """The example service as it is (the package in generated/, which knows `image`), over HTTP:
    create a user with an image, change the image, read the user back."""

    def op(client: httpx.Client, i: int) -> None:
        made = client.post(
            "/api/users",
            json={"name": f"s{i}", "email": f"{uuid.uuid4().hex}@example.com", "image": f"https://svc/{i}"},
        )
        assert made.status_code == 201, f"POST {made.status_code}"
        user = made.json()["id"]
        changed = client.patch(f"/api/users/{user}", json={"image": f"https://svc/{i}/2"})
        assert changed.status_code == 200, f"PATCH {changed.status_code}"
        back = client.get(f"/api/users/{user}")
        assert back.status_code == 200 and back.json()["image"] == f"https://svc/{i}/2", f"GET {back.status_code}"

    return op


def next_file(folder: Path, name: str, sql: str) -> Path:
    """A hand-written migration, dated after every file in `folder`, recorded in atlas.sum."""
    stamps = [migrations._parse_version(migrations.version(p)) for p in folder.glob("*.sql")]
    latest = max(s for s in stamps if s is not None)
    path = folder / f"{(latest + timedelta(seconds=1)).strftime(migrations.VERSION_FORMAT)}_{name}.sql"
    path.write_text(sql)
    atlas.migrate_hash(folder)
    return path


def apply(folder: Path, url: str, dev_url: str, new: list[Path]) -> None:
    """Lint the new files as make check would (no error), then apply them, as a deploy does."""
    report = lint.lint(new, folder, dev_url)
    assert report.errors == [], [str(p) for p in report.errors]
    atlas.migrate_apply(folder, url)


IMAGE = '  column "image" {\n    type    = text\n    null    = true\n    comment = "URL of the profile picture, if any."\n  }\n'
AVATAR = '  column "avatar_url" {\n    type = text\n    null = true\n  }\n'
IP = '  column "ip_address" {\n    type    = text\n    null    = true\n    comment = "Client IP address at sign-in, if known."\n  }\n'
INET = '  column "ip" {\n    type = inet\n    null = true\n  }\n'


def user(i: int) -> dict[str, Any]:
    return {"name": f"u{i}", "email": f"{uuid.uuid4().hex}@example.com"}


def test_rename_a_column_while_both_versions_run(
    project_copy: tuple[Path, Path], dev_url: str, fresh_db: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The old version is the example service itself, served by uvicorn over HTTP on the package
    in generated/ (which knows `image` only); the new one writes `avatar_url` with its own SQL."""
    schema, folder = project_copy
    atlas.migrate_apply(folder, fresh_db)
    with pg.connect(fresh_db) as conn:
        conn.execute(
            "INSERT INTO users (name, email, image) SELECT 'seed' || g, 'seed' || g || '@x.io', 'https://i/' || g "
            "FROM generate_series(1, 500) g"
        )
    service = Service(fresh_db, tmp_path / "service.log")
    request.addfinalizer(service.close)  # a failure below must not leave uvicorn running
    old = Version(f"http://127.0.0.1:{service.port}", service_writer(0))
    old.start()
    old.at_least(20)
    # 1. expand
    edit(schema, IMAGE, IMAGE + AVATAR)
    expand = migrations.diff_and_lint(schema, folder, dev_url, name="add_users_avatar_url").files
    apply(folder, fresh_db, dev_url, list(expand))
    old.at_least(20)
    # 2. sync and backfill
    apply(folder, fresh_db, dev_url, [next_file(folder, "sync_users_avatar_url", block("rename-sync"))])
    with pg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE avatar_url IS DISTINCT FROM image").fetchone() == (0,)
    # 3. switch: the new version runs beside the old one
    new = Version(fresh_db, column_writer("users", "avatar_url", lambda i: f"https://new/{i}", user))
    new.start()
    new.at_least(30)
    old.at_least(30)
    with pg.connect(fresh_db) as conn:  # each sees what the other wrote
        assert conn.execute("SELECT count(*) FROM users WHERE avatar_url IS DISTINCT FROM image").fetchone() == (0,)
        seen = conn.execute("SELECT count(*) FROM users WHERE avatar_url LIKE 'https://svc/%'").fetchone()
        assert seen is not None and seen[0] > 0
    old.stop()
    service.close()
    # 4. contract
    apply(folder, fresh_db, dev_url, [next_file(folder, "drop_users_avatar_url_sync", block("rename-contract"))])
    edit(schema, IMAGE, "")
    contract = migrations.diff_and_lint(schema, folder, dev_url, name="drop_users_image", allow_destructive=True).files
    apply(folder, fresh_db, dev_url, list(contract))
    new.at_least(20)
    new.stop()
    assert old.errors == [] and new.errors == []
    migrations.check(schema, folder, dev_url)  # the directory and schema.hcl agree at the end
    with pg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE avatar_url LIKE 'https://i/%'").fetchone() == (500,)


def session(db_user: Callable[[], Any]) -> Callable[[int], dict[str, Any]]:
    def extra(i: int) -> dict[str, Any]:
        return {"user_id": db_user(), "token": uuid.uuid4().hex, "expires_at": "2030-01-01T00:00:00Z"}

    return extra


@pytest.mark.parametrize("bad_text", ["not an address"])
def test_change_a_type_while_both_versions_run(
    bad_text: str, project_copy: tuple[Path, Path], dev_url: str, fresh_db: str
) -> None:
    schema, folder = project_copy
    atlas.migrate_apply(folder, fresh_db)
    with pg.connect(fresh_db) as conn:
        owner = conn.execute("INSERT INTO users (name, email) VALUES ('o', 'o@x.io') RETURNING id").fetchone()
        assert owner is not None
        conn.execute(
            "INSERT INTO sessions (user_id, token, expires_at, ip_address) "
            "SELECT %s, 't' || g, now() + interval '1 day', '10.0.' || (g / 256) || '.' || (g %% 256) FROM generate_series(1, 500) g",
            [owner[0]],
        )
        conn.execute(
            "INSERT INTO sessions (user_id, token, expires_at, ip_address) VALUES (%s, 'bad', now(), %s)",
            [owner[0], bad_text],
        )
    extra = session(lambda: owner[0])
    old = Version(
        fresh_db, column_writer("sessions", "ip_address", lambda i: f"10.1.{i // 256 % 256}.{i % 256}", extra)
    )
    old.start()
    old.at_least(20)
    edit(schema, IP, IP + INET)
    apply(
        folder, fresh_db, dev_url, list(migrations.diff_and_lint(schema, folder, dev_url, name="add_sessions_ip").files)
    )
    apply(folder, fresh_db, dev_url, [next_file(folder, "sync_sessions_ip", block("type-sync"))])
    with pg.connect(fresh_db) as conn:
        assert conn.execute(
            "SELECT count(*) FROM sessions WHERE ip IS DISTINCT FROM inet_or_null(ip_address)"
        ).fetchone() == (0,)
        assert conn.execute("SELECT ip_address, ip FROM sessions WHERE token = 'bad'").fetchone() == (bad_text, None)
    new = Version(fresh_db, column_writer("sessions", "ip", lambda i: f"10.2.{i // 256 % 256}.{i % 256}", extra))
    new.start()
    new.at_least(30)
    old.at_least(30)
    with pg.connect(fresh_db) as conn:
        # The new version's rows carry the old column too, the old version's the new one.
        assert conn.execute(
            "SELECT count(*) FROM sessions WHERE ip_address LIKE '10.2.%' AND ip_address <> host(ip)"
        ).fetchone() == (0,)
        assert conn.execute(
            "SELECT count(*) FROM sessions WHERE ip_address LIKE '10.1.%' AND ip IS NULL"
        ).fetchone() == (0,)
    old.stop()
    apply(folder, fresh_db, dev_url, [next_file(folder, "drop_sessions_ip_sync", block("type-contract"))])
    edit(schema, IP, "")
    contract = migrations.diff_and_lint(
        schema, folder, dev_url, name="drop_sessions_ip_address", allow_destructive=True
    )
    apply(folder, fresh_db, dev_url, list(contract.files))
    new.at_least(20)
    new.stop()
    assert old.errors == [] and new.errors == []
    migrations.check(schema, folder, dev_url)


def test_the_same_rename_in_one_step_breaks_the_old_version(
    project_copy: tuple[Path, Path], dev_url: str, fresh_db: str
) -> None:
    """The control: what the lint refuses (renaming-column), allowed and applied while the old
    version runs, fails its reads and writes at once."""
    _, folder = project_copy
    atlas.migrate_apply(folder, fresh_db)
    old = Version(fresh_db, column_writer("users", "image", lambda i: f"https://old/{i}", user))
    old.start()
    old.at_least(20)
    rename = next_file(
        folder,
        "rename_users_image",
        'SET lock_timeout = \'5s\';\nALTER TABLE "public"."users" RENAME COLUMN "image" TO "avatar_url";\n',
    )
    report = lint.lint([rename], folder, dev_url)
    assert [p.rule.key for p in report.errors] == ["renaming-column"]
    atlas.migrate_apply(folder, fresh_db)
    deadline = time.monotonic() + 30
    while not old.errors and time.monotonic() < deadline:
        time.sleep(0.01)
    old.stop()
    assert old.errors and "UndefinedColumn" in old.errors[0]
