"""docs/DEPLOY.md, run: every ```sh block tagged `<!-- run: name -->` is executed as written by
test_<name>, with bash, against real servers, with the variables the block names set here.
A block without a tag, or a tag without a test, fails test_every_block_is_run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from codegen.dev import atlas, pg
from codegen.paths import GENERATED, MIGRATIONS, ROOT
from tests.conftest import pgbouncer_binary
from tests.faults.test_service import Service

DOC = ROOT / "docs" / "DEPLOY.md"
_BLOCK = re.compile(r"(?:<!-- run: (?P<name>[a-z-]+) -->\n)?```sh\n(?P<body>.*?)```", re.S)


def blocks() -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _BLOCK.finditer(DOC.read_text()):
        assert match["name"], f"docs/DEPLOY.md has a sh block no test runs: {match['body'][:60]!r}"
        found[match["name"]] = match["body"]
    return found


def versions() -> list[str]:
    return sorted(p.name.split("_", 1)[0] for p in MIGRATIONS.glob("*.sql"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """What a deploy job has: atlas.hcl and migrations/ (a copy, so a test may add a file)."""
    folder = tmp_path / "deploy"
    folder.mkdir()
    shutil.copy(ROOT / "atlas.hcl", folder)
    shutil.copytree(MIGRATIONS, folder / "migrations")
    return folder


def run(name: str, cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """DEPLOY.md's block `name`, with bash -euo pipefail: atlas, python (with the package) and psql on PATH."""
    tools = [ROOT / ".tools" / "bin", ROOT / ".venv" / "bin", pg.installation().bindir]
    env = {
        "PATH": os.pathsep.join([*map(str, tools), "/usr/bin", "/bin"]),
        "PYTHONPATH": str(GENERATED),
        "ATLAS_NO_UPDATE_NOTIFIER": "1",
        "HOME": str(cwd),
        **variables,
    }
    if "ATLAS" in os.environ:  # ATLAS=/path/to/atlas, as make exports it
        link = cwd / "bin" / "atlas"
        if not link.exists():
            link.parent.mkdir(exist_ok=True)
            link.symlink_to(os.environ["ATLAS"])
        env["PATH"] = f"{cwd / 'bin'}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", blocks()[name]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def fresh(restartable: pg.ThrowawayServer) -> Iterator[str]:
    with pg.scratch_database(restartable.url, "deploy") as url:
        yield url


def test_every_block_is_run() -> None:
    names = set(blocks())
    tested = {n.removeprefix("test_") for n in globals() if n.startswith("test_")} - {"every_block_is_run"}
    assert names == tested


def test_deploy(project: Path, fresh: str, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "database_url").write_text(pg.atlas_url(fresh) + "\n")
    done = run("deploy", project, SECRETS_DIR=str(secrets))
    assert done.returncode == 0, done.stderr
    assert f"Migrating to version {versions()[-1]} (2 migrations in total)" in done.stdout
    assert "Migration Status: OK" in done.stdout
    assert "ok: " in done.stdout and f"migration {versions()[-1]}" in done.stdout


def test_parallel(project: Path, fresh: str) -> None:
    (project / "migrations" / "20990101000000_slow.sql").write_text("SELECT pg_sleep(3);\n")
    atlas.migrate_hash(project / "migrations")
    url = pg.atlas_url(fresh)
    both = run("parallel", project, DATABASE_URL=url)
    assert both.returncode == 0, both.stderr
    assert both.stdout.count("migrating version 20990101000000") == 1  # one applied it, the other waited
    assert "No migration files to execute" in both.stdout

    # Atlas's own default (10 s, here 1 s against a 3 s migration) is what fails parallel deploys.
    (project / "migrations" / "20990101000001_slow.sql").write_text("SELECT pg_sleep(3);\n")
    atlas.migrate_hash(project / "migrations")
    env = {**os.environ, "DATABASE_URL": url, "ATLAS_NO_UPDATE_NOTIFIER": "1"}
    first = subprocess.Popen([atlas.binary(), "migrate", "apply", "--env", "prod"], cwd=project, env=env)
    time.sleep(1.0)
    second = subprocess.run(
        [atlas.binary(), "migrate", "apply", "--env", "prod", "--lock-timeout", "1s"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert first.wait(30) == 0
    assert second.returncode == 1
    assert "acquiring database lock: pq: canceling statement due to user request" in second.stderr


def test_failed(project: Path, fresh: str) -> None:
    atlas.migrate_apply(MIGRATIONS, fresh)
    bad = project / "migrations" / "20990101000000_bad.sql"
    bad.write_text("CREATE TABLE half_done (id int);\nALTER TABLE no_such_table ADD COLUMN x int;\n")
    atlas.migrate_hash(project / "migrations")
    done = run("failed", project, DATABASE_URL=pg.atlas_url(fresh))
    assert done.returncode == 0, done.stderr
    assert 'executing statement "ALTER TABLE no_such_table ADD COLUMN x int;"' in done.stderr
    assert "migration failed: the database is still at the previous version" in done.stdout
    assert f"Current Version: {versions()[-1]}" in done.stdout and "Pending Files:   1" in done.stdout
    with pg.connect(fresh) as conn:  # the whole file rolled back: not even its first statement stayed
        assert conn.execute("SELECT to_regclass('half_done')").fetchone() == (None,)


def test_baseline(project: Path, fresh: str) -> None:
    first, *_ = sorted(MIGRATIONS.glob("*.sql"))
    with pg.connect(fresh) as conn:  # a database made without Atlas, at the first migration's schema
        conn.execute(first.read_text())
    done = run("baseline", project, DATABASE_URL=pg.atlas_url(fresh), BASELINE_VERSION=versions()[0])
    assert done.returncode == 0, done.stderr
    assert f"Migrating to version {versions()[-1]} from {versions()[0]} (1 migrations in total)" in done.stdout
    assert "ok: " in done.stdout


@pytest.mark.needs_server(tls=True)
def test_tls(project: Path, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the test CA: install it (Debian: openssl)")
    with pg.tls_server() as tls:
        with pg.connect(tls.server.url) as conn:  # the application's own role, as on a managed server
            conn.execute("CREATE ROLE app LOGIN")
            conn.execute("CREATE DATABASE chatmaps OWNER app")
        variables = {"DB_HOST": "localhost", "DB_PORT": str(tls.port), "CA_FILE": str(tls.ca_file)}
        done = run("tls", project, **variables)
        assert done.returncode == 0, done.stderr
        assert "ok: postgresql://app@localhost:" in done.stdout
        with pg.connect(tls.database_url("chatmaps") + f"?sslmode=verify-full&sslrootcert={tls.ca_file}") as conn:
            assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone() == (True,)
        # Another CA: refused, in one line.
        other = tmp_path / "other"
        other.mkdir()
        make_ca = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k", "-out", "ca.crt"]
        subprocess.run(
            [*make_ca, "-days", "1", "-subj", "/CN=other"],
            cwd=other,
            capture_output=True,
            check=True,
        )
        wrong = run("tls", project, **{**variables, "CA_FILE": str(other / "ca.crt")})
        assert wrong.returncode == 1  # Atlas, the block's first command, refuses
        assert "tls: failed to verify certificate: x509: certificate signed by unknown authority" in wrong.stderr
        url = f"postgresql://app@localhost:{tls.port}/chatmaps?sslmode=verify-full&sslrootcert={other / 'ca.crt'}"
        probe = subprocess.run(
            [sys.executable, "-m", "chatmaps_db", "health"],
            env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(GENERATED)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert probe.returncode == 1 and probe.stderr.count("\n") == 1
        assert "certificate verify failed" in probe.stderr


def test_sizing(project: Path, fault_db: str) -> None:
    done = run("sizing", project, DATABASE_URL=fault_db)
    assert done.returncode == 0, done.stderr
    limits, _, health = done.stdout.partition("\n")
    max_connections, reserved, in_use = map(int, limits.split("|"))
    assert max_connections > reserved >= 0 and in_use >= 1
    assert json.loads(health)["status"] == "ok"


@pytest.mark.needs_server(pgbouncer=True)
def test_pgbouncer(project: Path, fault_db: str, fault_server: pg.ThrowawayServer) -> None:
    binary = pgbouncer_binary()
    assert binary is not None
    name = urlsplit(fault_db).path.strip("/")
    with pg.pgbouncer(fault_server, binary) as template:
        done = run("pgbouncer", project, PGBOUNCER_URL=template.format(db=name), DIRECT_URL=pg.atlas_url(fault_db))
    assert done.returncode == 0, done.stderr
    assert "ok: " in done.stdout and "Migration Status: OK" in done.stdout


def test_replicas(project: Path) -> None:
    with pg.throwaway_server() as primary:
        url = pg.create_database(primary.url, "chatmaps")
        atlas.migrate_apply(MIGRATIONS, url)
        with pg.streaming_replica(primary) as replica:
            done = run("replicas", project, DATABASE_URL=url, REPLICA_URL=replica.database_url("chatmaps"))
    assert done.returncode == 0, done.stderr
    health = json.loads(done.stdout)
    assert health["status"] == "ok"
    assert [(r["url"], r["status"]) for r in health["replicas"]] == [(replica.database_url("chatmaps"), "ok")]


def test_probes(project: Path, fault_db: str, tmp_path: Path) -> None:
    service = Service(fault_db, tmp_path / "uvicorn.log")
    try:
        done = run("probes", project, SERVICE_URL=f"http://127.0.0.1:{service.port}")
    finally:
        service.close()
    assert done.returncode == 0, done.stderr
    bodies, rest, decoder = [], done.stdout, json.JSONDecoder()
    while rest.strip():
        body, end = decoder.raw_decode(rest.strip())
        bodies.append(body)
        rest = rest.strip()[end:]
    ready, live, trip = bodies
    assert ready["status"] == "ok" and live["live"] is True and trip["ok"] is True
