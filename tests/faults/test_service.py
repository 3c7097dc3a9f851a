"""The example service (examples/service/app.py) over real HTTP: uvicorn in a subprocess, httpx,
the fault server stopped, frozen and started under it; the probe command beside it.

The transcript (status and time of each request) is printed: `pytest -s` shows it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from codegen.dev import pg
from codegen.paths import GENERATED, ROOT

DEADLINE = 1.0  # DATABASE_HEALTH_TIMEOUT of the service: /api/health answers within it


def service_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATABASE_HEALTH_TIMEOUT": str(DEADLINE),
        "DATABASE_APPLICATION_NAME": "example-service",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{GENERATED}",
    }


class Service:
    """uvicorn serving examples.service.app:app on a free port; every request logged with its time.

    `env` adds variables (SERVICE_DB_WAIT, SERVICE_SCHEMA_CHECK); with `ready` (the default) the
    constructor returns once the server answers, which is after the app's lifespan startup.
    """

    def __init__(self, database_url: str, log: Path, *, ready: bool = True, **env: str) -> None:
        self.port = pg.free_port()
        self.log = log
        command = [sys.executable, "-m", "uvicorn", "examples.service.app:app", "--host", "127.0.0.1"]
        self.proc = subprocess.Popen(
            [*command, "--port", str(self.port), "--log-level", "info"],
            cwd=ROOT,
            env={**service_env(database_url), **env},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=DEADLINE + 2)
        self.transcript: list[str] = []
        if ready:
            self.first_answer("/api/health/live")

    def first_answer(self, path: str) -> httpx.Response:
        """The first response to GET `path`, once the server listens (at most 30 s)."""
        for _ in range(600):
            if self.proc.poll() is not None:
                raise AssertionError(f"uvicorn exited {self.proc.returncode}: {self.log.read_text()}")
            try:
                return self.client.get(path)
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"uvicorn did not answer within 30 s: {self.log.read_text()}")

    def request(self, method: str, path: str, note: str = "", **kwargs: object) -> httpx.Response:
        start = time.monotonic()
        response = self.client.request(method, path, **kwargs)  # type: ignore[arg-type]
        ms = (time.monotonic() - start) * 1000
        line = f"{method:5} {path:32} {response.status_code}  {ms:7.1f} ms  {note}".rstrip()
        self.transcript.append(line)
        return response

    def close(self) -> None:
        self.client.close()
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def service(fault_db: str, tmp_path: Path) -> Iterator[Service]:
    svc = Service(fault_db, tmp_path / "uvicorn.log")
    try:
        yield svc
    finally:
        svc.close()
        print("\n" + "\n".join(svc.transcript))


def counts(url: str) -> dict[str, int]:
    with pg.connect(url) as conn:
        rows = conn.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
        total = {
            str(name): int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # type: ignore[index]
            for name, _ in rows
            if name != "atlas_schema_revisions"
        }
    return total


def frozen(server: pg.ThrowawayServer, sig: signal.Signals) -> None:
    """SIGSTOP or SIGCONT the server and every backend: a database that accepts and never answers."""
    pid = int((server.data / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout.split()
    for p in [pid, *map(int, children)]:
        os.kill(p, sig)


def test_the_service_over_http_up_down_frozen_and_back(
    service: Service, fault_db: str, restartable: pg.ThrowawayServer
) -> None:
    up = service.request("GET", "/api/health", "database up")
    assert up.status_code == 200, up.text
    body = up.json()
    assert (body["ready"], body["status"], body["error"]) == (True, "ok", None)
    assert body["schema_version"] == body["expected_schema_version"] and body["replicas"] == []
    assert service.request("GET", "/api/health/live").json()["live"] is True

    # The table layer behind the routes: Insert/Update models in, row models out, secrets left out.
    created = service.request("POST", "/api/users", json={"name": "Ada", "email": "ada@example.com"})
    assert created.status_code == 201, created.text
    user = created.json()
    assert set(user) == {"id", "name", "email", "email_verified", "image", "created_at", "updated_at"}
    assert user["email_verified"] is False  # the database's default: the body left it out
    dup = service.request("POST", "/api/users", json={"name": "Ada", "email": "ADA@example.com"})
    assert dup.status_code == 409 and "ada" not in dup.text.lower()  # the value is not echoed
    bad = service.request("POST", "/api/users", json={"name": "No email"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "email"]
    # Columns the server sets (server_columns): a body that gives one is refused, naming it, and nothing is written.
    forged = {
        "name": "Eve",
        "email": "eve@example.com",
        "id": "00000000-0000-0000-0000-000000000001",
        "email_verified": True,
        "created_at": "2000-01-01T00:00:00Z",
    }
    refused = service.request("POST", "/api/users", json=forged)
    assert refused.status_code == 422, refused.text
    assert sorted(d["loc"][-1] for d in refused.json()["detail"]) == ["created_at", "email_verified", "id"]
    assert all(d["type"] == "extra_forbidden" for d in refused.json()["detail"])
    with pg.connect(fault_db) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE email = 'eve@example.com'").fetchone() == (0,)
    sneaky = service.request("PATCH", f"/api/users/{user['id']}", json={"email_verified": True})
    assert sneaky.status_code == 422 and sneaky.json()["detail"][0]["loc"] == ["body", "email_verified"]
    patched = service.request("PATCH", f"/api/users/{user['id']}", json={"image": "https://x.example/a.png"})
    assert patched.json()["image"] == "https://x.example/a.png" and patched.json()["name"] == "Ada"
    assert patched.json()["email_verified"] is False
    account = service.request(
        "POST",
        "/api/accounts",
        json={"user_id": user["id"], "account_id": "ada", "provider_id": "credential", "password": "hash$v1"},
    )
    assert account.status_code == 201, account.text
    assert "password" not in account.json() and "hash$v1" not in account.text
    session = service.request("POST", f"/api/users/{user['id']}/sessions")
    assert session.status_code == 201 and "token" not in session.json()
    with pg.connect(fault_db) as conn:
        stored = conn.execute("SELECT password FROM accounts").fetchone()
        token = conn.execute("SELECT length(token) FROM sessions").fetchone()
    assert stored == ("hash$v1",) and token is not None and token[0] > 20  # written, just not returned
    # A user's page through relations (load=): their sessions and accounts, secrets still left out.
    service.request("POST", f"/api/users/{user['id']}/sessions")
    page = service.request("GET", f"/api/users/{user['id']}/overview", params={"sessions": 1})
    assert page.status_code == 200, page.text
    overview = page.json()
    assert overview["user"]["id"] == user["id"] and overview["session_count"] == 2
    assert len(overview["sessions"]) == 1 and overview["sessions"][0]["user_id"] == user["id"]
    assert [a["account_id"] for a in overview["accounts"]] == ["ada"]
    assert "hash$v1" not in page.text and '"token"' not in page.text and '"password"' not in page.text
    with pg.connect(fault_db) as conn:
        newest = conn.execute("SELECT id FROM sessions ORDER BY created_at DESC, id DESC LIMIT 1").fetchone()
    assert newest is not None and overview["sessions"][0]["id"] == str(newest[0])
    missing = service.request("GET", "/api/users/00000000-0000-0000-0000-000000000000/overview")
    assert missing.status_code == 404

    before = counts(fault_db)
    trip = service.request("GET", "/api/db/test", "write, read back, roll back")
    assert trip.status_code == 200, trip.text
    result = trip.json()
    assert [s["step"] for s in result["steps"]] == ["connect", "write", "read", "rollback"]
    assert all(s["ms"] >= 0 for s in result["steps"]) and result["ok"] is True
    assert counts(fault_db) == before  # nothing left behind
    with pg.connect(fault_db) as conn:
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relname = 'chatmaps_db_test'").fetchone() == (0,)
        # No DDL either: a temporary table per call bloated pg_attribute. An event trigger counts
        # every DDL command in a sequence, which the route's ROLLBACK cannot take back.
        conn.execute("CREATE SEQUENCE ddl_seen")
        conn.execute(
            "CREATE FUNCTION count_ddl() RETURNS event_trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM nextval('ddl_seen'); END $$"
        )
        conn.execute("CREATE EVENT TRIGGER count_ddl ON ddl_command_end EXECUTE FUNCTION count_ddl()")
    try:
        for _ in range(3):
            assert service.request("GET", "/api/db/test", "no DDL").status_code == 200
        with pg.connect(fault_db) as conn:
            assert conn.execute("SELECT last_value, is_called FROM ddl_seen").fetchone() == (1, False)
    finally:
        with pg.connect(fault_db) as conn:
            conn.execute("DROP EVENT TRIGGER count_ddl")

    pid = service.proc.pid
    restartable.stop()
    down = service.request("GET", "/api/health", "database stopped")
    assert down.status_code == 503
    assert down.json()["status"] == "down" and down.json()["ready"] is False
    assert down.json()["error"].startswith(f"cannot connect to {fault_db}: No such file or directory")
    failed = service.request("GET", "/api/db/test", "database stopped")
    assert failed.status_code == 503 and failed.json()["failed_step"] == "connect"
    assert "Traceback" not in failed.text
    live = service.request("GET", "/api/health/live", "an outage is not a reason to restart")
    assert live.status_code == 200

    restartable.start()
    back = service.request("GET", "/api/health", "database started again, same service process")
    assert back.status_code == 200 and back.json()["status"] == "ok"
    # /api/metrics: Prometheus's text format, parsed by its own parser; the counters moved with
    # the requests above (connects, a failed connect in the outage, each call's statements).
    scraped = service.request("GET", "/api/metrics")
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(scraped.text)
        for s in family.samples
    }
    primary = (("node", "primary"),)
    assert samples[("chatmaps_db_pool_connects_total", primary)] >= 2  # before and after the outage
    assert samples[("chatmaps_db_pool_connect_errors_total", primary)] >= 1
    assert samples[("chatmaps_db_pool_connections", (("node", "primary"), ("state", "idle")))] >= 1
    inserts = (
        "chatmaps_db_query_duration_seconds_count",
        (("call", "users.insert"), ("error", ""), ("node", "primary")),
    )
    duplicates = (inserts[0], (("call", "users.insert"), ("error", "UniqueViolation"), ("node", "primary")))
    assert samples[inserts] >= 1 and samples[duplicates] == 1
    assert "hash$v1" not in scraped.text and "ada@example.com" not in scraped.text
    assert service.proc.pid == pid and service.proc.poll() is None

    frozen(restartable, signal.SIGSTOP)
    try:
        hung = service.request("GET", "/api/health", f"database frozen (SIGSTOP): the {DEADLINE:g} s deadline")
    finally:
        frozen(restartable, signal.SIGCONT)
    assert hung.status_code == 503
    assert hung.json()["error"] == f"no answer from {fault_db} within {DEADLINE:.2f} sec"
    again = service.request("GET", "/api/health", "thawed")
    assert again.status_code == 200, again.text
    assert service.proc.poll() is None


def test_the_openapi_document_builds_without_a_warning(fault_db: str) -> None:
    code = (
        "import json, warnings; warnings.simplefilter('error');"
        "from examples.service.app import app; print(json.dumps(app.openapi()))"
    )
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=ROOT,
        env=service_env(fault_db),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    schemas = json.loads(proc.stdout)["components"]["schemas"]
    # The request bodies: the columns the server sets are not in them, and no other field may be given.
    assert schemas["UserCreate"]["required"] == ["name", "email"]
    assert set(schemas["UserCreate"]["properties"]) == {"name", "email", "image"}
    assert schemas["UserCreate"]["additionalProperties"] is False
    assert "required" not in schemas["UserPatch"] and "email_verified" not in schemas["UserPatch"]["properties"]
    # The request body takes the password; the response schema has none.
    assert "password" in schemas["AccountCreate"]["properties"] and "id" not in schemas["AccountCreate"]["properties"]
    assert "password" not in schemas["Account"]["properties"]
    assert "token" not in schemas["Session"]["properties"]


def test_the_probe_command(fault_db: str, restartable: pg.ThrowawayServer) -> None:
    def probe(*args: str, url: str = fault_db) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "chatmaps_db", "health", *args],
            env=service_env(url),
            capture_output=True,
            text=True,
            check=False,
        )

    ok = probe()
    assert (ok.returncode, ok.stderr) == (0, "")
    assert ok.stdout.startswith(f"ok: {fault_db} answered in ")
    as_json = probe("--json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["status"] == "ok"
    restartable.stop()
    down = probe("--json")
    assert down.returncode == 1
    assert json.loads(down.stdout)["status"] == "down"
    assert down.stderr.count("\n") == 1
    assert down.stderr.startswith(f"chatmaps_db health: down: cannot connect to {fault_db}: No such file or directory")
    restartable.start()
    secret = probe(url="postgresql://app:s3cret@127.0.0.1:1/app")
    assert secret.returncode == 1 and "s3cret" not in secret.stderr and "app:***@" in secret.stderr
    unset = subprocess.run(
        [sys.executable, "-m", "chatmaps_db", "health"],
        env={k: v for k, v in service_env(fault_db).items() if k != "DATABASE_URL"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert unset.returncode == 1
    assert unset.stderr == (
        "chatmaps_db health: DATABASE_URL is not set: export DATABASE_URL=postgresql://user:password@host:5432/dbname\n"
    )


def test_the_lifespan_waits_for_the_database_and_checks_the_schema(
    restartable: pg.ThrowawayServer, fault_db: str, tmp_path: Path
) -> None:
    # The database is down at startup: with SERVICE_DB_WAIT the service waits, then serves.
    restartable.stop()
    waiting = Service(fault_db, tmp_path / "wait.log", ready=False, SERVICE_DB_WAIT="30")
    try:
        time.sleep(1.0)
        assert waiting.proc.poll() is None, waiting.log.read_text()  # still waiting, not crashed
        restartable.start()
        assert waiting.first_answer("/api/health").status_code == 200
    finally:
        waiting.close()

    # A database without the migrations: schema=fail refuses to start, with the reason in one line.
    with pg.scratch_database(restartable.url, "unmigrated") as empty:
        failed = subprocess.run(
            [sys.executable, "-m", "uvicorn", "examples.service.app:app", "--port", str(pg.free_port())],
            cwd=ROOT,
            env=service_env(empty),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert failed.returncode != 0
        assert (
            f"startup stopped: database {empty} has no migrations applied: "
            "run `atlas migrate apply --env prod` (or `make migrate`)\n"
        ) in failed.stderr
        assert "Application startup failed. Exiting." in failed.stderr

        # schema=warn starts, and readiness says why it is not ready.
        warned = Service(empty, tmp_path / "warn.log", SERVICE_SCHEMA_CHECK="warn")
        try:
            response = warned.client.get("/api/health")
        finally:
            warned.close()
        assert response.status_code == 503
        assert response.json()["status"] == "unmigrated"
        stderr = warned.log.read_text()
        assert "starting anyway (schema check in warn mode): database" in stderr


def test_a_clients_mistake_is_4xx_and_the_databases_503_never_with_a_value(service: Service, fault_db: str) -> None:
    """The example answered 500 to a bad limit, a taken email on PATCH, an unknown user_id, and
    echoed a password in its 422."""
    for bad in ("-1", "99999999999999999999", "0"):
        answer = service.request("GET", f"/api/users?limit={bad}")
        assert answer.status_code == 422, (bad, answer.text)
    ada = service.request("POST", "/api/users", json={"name": "Ada", "email": "ada@example.com"}).json()
    bob = service.request("POST", "/api/users", json={"name": "Bob", "email": "bob@example.com"}).json()
    taken = service.request("PATCH", f"/api/users/{bob['id']}", json={"email": "ADA@example.com"})
    assert taken.status_code == 409, taken.text
    assert taken.json() == {
        "error": "public.users: another row has the same lower(email) (unique key users_email_lower_key)"
    }
    nobody = service.request(
        "POST",
        "/api/accounts",
        json={"user_id": str(uuid.uuid4()), "account_id": "x", "provider_id": "credential", "password": "hash$SECRET"},
    )
    assert nobody.status_code == 422 and "refers to a row that public.users (id) does not have" in nobody.text
    assert "hash$SECRET" not in nobody.text
    echoed = service.request("POST", "/api/accounts", json={"user_id": ada["id"], "password": "hash$SECRET"})
    assert echoed.status_code == 422 and "hash$SECRET" not in echoed.text, echoed.text
    assert {tuple(d["loc"]) for d in echoed.json()["detail"]} == {("body", "account_id"), ("body", "provider_id")}


def test_exception_handlers_map_the_packages_errors() -> None:
    """chatmaps_db.asgi.exception_handlers() on a Starlette app: status, Retry-After, one line."""
    import asyncio

    import httpx
    from starlette.applications import Starlette
    from starlette.routing import Route

    from chatmaps_db.asgi import exception_handlers
    from chatmaps_db.errors import CheckViolation, LoginRefused, PoolExhausted, SchemaMismatch

    raised = {
        "/busy": PoolExhausted(
            "all 10 connections to postgresql://app:***@db/chat were busy for 10.00 sec", busy=10, waited=10.0
        ),
        "/refused": LoginRefused("postgresql://app:***@db/chat refused the login: ...", cause="..."),
        "/unmigrated": SchemaMismatch("database postgresql://app:***@db/chat has no migrations applied"),
        "/check": CheckViolation(
            "public.t: check constraint t_c is violated", table="public.t", constraint="t_c", columns=()
        ),
    }

    def raiser(path: str) -> Any:
        async def endpoint(request: Any) -> Any:
            raise raised[path]

        return endpoint

    app = Starlette(routes=[Route(p, raiser(p)) for p in raised], exception_handlers=exception_handlers())

    async def get(path: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return await client.get(path)

    answers = {p: asyncio.run(get(p)) for p in raised}
    assert {p: (a.status_code, a.headers.get("retry-after")) for p, a in answers.items()} == {
        "/busy": (503, "1"),
        "/refused": (503, None),
        "/unmigrated": (503, None),
        "/check": (422, None),
    }
    assert answers["/busy"].json() == {"error": str(raised["/busy"])}


def test_a_traced_request_has_one_child_span_per_statement_and_no_value(fault_db: str) -> None:
    """tests/roundtrip/otel_service.py: the OpenTelemetry SDK (in-memory exporter) around the
    example service over real HTTP. Each request's span has the statements as CLIENT children,
    named and attributed by the database conventions; the duplicate insert's span is an error;
    no span, event or log record holds the password, the token, the email or the user's id."""
    password, email = "pw-" + uuid.uuid4().hex, f"traced-{uuid.uuid4().hex[:8]}@example.com"
    script = Path(__file__).resolve().parent.parent / "roundtrip" / "otel_service.py"
    env = {**service_env(fault_db), "SERVICE_SCHEMA_CHECK": "fail"}
    ran = subprocess.run(
        [sys.executable, str(script), password, email], env=env, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout)
    assert found["statuses"] == [200, 409]
    spans = found["spans"]
    by_id = {s["id"]: s for s in spans}

    def request_of(span: dict[str, Any]) -> dict[str, Any] | None:
        """The SERVER span (FastAPI's, for the request) above `span`, if any."""
        while span["parent"] is not None:
            span = by_id[span["parent"]]
        return span if span["kind"] == "SERVER" else None

    db_spans = [s for s in spans if s["attributes"].get("db.system.name") == "postgresql"]
    # The overview request: the user, its accounts and sessions (one pipeline: get(pk, load=)).
    overview = next(s for s in spans if s["kind"] == "SERVER" and s["name"].endswith("/overview"))
    children = [s for s in db_spans if request_of(s) is overview]
    assert sorted(s["attributes"]["db.collection.name"] for s in children) == [
        "public.accounts",
        "public.sessions",
        "public.users",
    ], children
    for child in children:
        attributes = child["attributes"]
        assert child["kind"] == "CLIENT" and child["trace"] == overview["trace"]
        assert child["name"] == f"SELECT {attributes['db.collection.name']}" == attributes["db.query.summary"]
        assert attributes["db.operation.name"] == "SELECT" and attributes["chatmaps_db.call"] == "users.get"
        assert attributes["server.address"] and attributes["server.port"] and attributes["db.namespace"]
        assert "%s" in attributes["db.query.text"]
    # Every statement of a request is in its trace; the others are the startup's (the lifespan's
    # schema check, on a new connection). The duplicate insert's span is an error.
    outside = {(s["attributes"]["chatmaps_db.call"], s["name"]) for s in db_spans if request_of(s) is None}
    assert outside <= {("connect", "SELECT"), ("raw", "SELECT")}, outside
    assert sum(1 for s in db_spans if request_of(s) is not None) == 1 + 1 + 2 + 3 + 1
    failed = [s for s in db_spans if s["status"] == "ERROR"]
    assert [(s["name"], s["attributes"]["error.type"]) for s in failed] == [("INSERT public.users", "UniqueViolation")]
    with pg.connect(fault_db) as conn:
        row = conn.execute(
            "SELECT u.id, s.token FROM users u JOIN sessions s ON s.user_id = u.id WHERE u.email = %s", [email]
        ).fetchone()
    assert row is not None
    everything = json.dumps(found)  # FastAPI's own request spans included
    for value in (password, email, row[1]):
        assert value not in everything, value
    ours = json.dumps([db_spans, found["records"]])  # a user's id is in FastAPI's URL paths, not in ours
    assert str(row[0]) not in ours
    assert any("users.get SELECT" in r for r in found["records"])  # the logger saw them too (DEBUG)
