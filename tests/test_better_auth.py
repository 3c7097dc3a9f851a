"""A real client: the Better Auth library (pinned in tests/better_auth) on our schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from codegen.dev import pg

HERE = Path(__file__).parent / "better_auth"


def run_better_auth(url: str) -> dict[str, object]:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "better-auth").is_dir():
        pytest.skip("node or tests/better_auth/node_modules is missing: `make test` installs them with npm ci")
    proc = subprocess.run(
        [node, "check.mjs"],
        cwd=HERE,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def test_better_auth_runs_on_the_migrated_schema(migrated_db: str) -> None:
    report = run_better_auth(migrated_db)
    assert "error" not in report, report["error"]
    assert report["migrations"] == {
        "toBeCreated": [],
        "toBeAdded": [],
        "toBeAddedIndexes": [],
        "schemaProblems": [],
        "unsafeChanges": [],
    }
    assert report["logged"] == [], "Better Auth warned (e.g. a column type mismatch)"

    sign_up, sign_in, session = report["signUp"], report["signIn"], report["session"]
    assert isinstance(sign_up, dict) and isinstance(sign_in, dict) and isinstance(session, dict)
    user_id = sign_up["userId"]
    assert sign_in["userId"] == user_id == session["userId"]

    with pg.connect(migrated_db) as conn:
        users = conn.execute("SELECT id::text, email, email_verified FROM users").fetchall()
        assert users == [(user_id, sign_up["email"], False)]
        sessions = conn.execute("SELECT id::text, user_id::text FROM sessions ORDER BY created_at").fetchall()
        assert (session["sessionId"], user_id) in sessions
        accounts = conn.execute("SELECT provider_id, account_id, password IS NOT NULL FROM accounts").fetchall()
        assert accounts == [("credential", user_id, True)]


def test_better_auth_notices_a_missing_column(migrated_db: str) -> None:
    # The empty plan above is meaningful only if getMigrations does see real gaps.
    with pg.connect(migrated_db) as conn:
        conn.execute("ALTER TABLE sessions DROP COLUMN user_agent")
    report = run_better_auth(migrated_db)
    migrations = report["migrations"]
    assert isinstance(migrations, dict)
    assert migrations["toBeAdded"] == [{"table": "sessions", "fields": ["user_agent"]}]
