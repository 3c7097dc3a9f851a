"""HTTP health handlers and a lifespan for ASGI services (Starlette, FastAPI): the `asgi` extra.

    pip install 'chatmaps-db[asgi]'

    from chatmaps_db import AsyncDatabase
    from chatmaps_db.asgi import lifespan, routes

    db = AsyncDatabase.from_env()
    app = FastAPI(lifespan=lifespan(db, wait=30, schema="fail"))   # or Starlette(lifespan=...)
    app.router.routes.extend(routes(db))                           # the one line that mounts them

Routes (under `prefix`, default /api):

    GET /api/health       readiness: 200 and the health JSON when the database answers and has this
                          package's migrations; else 503 with `status` (down, busy, unmigrated,
                          behind, ahead, diverged) and a one-line `error`. Answers within
                          `deadline` seconds (default DATABASE_HEALTH_TIMEOUT) however the
                          database fails. Point a load balancer or a readiness probe here.
    GET /api/health/live  liveness: 200 unless the pool has been stuck (a leak or a deadlock in
                          this process, which a restart fixes); never touches the database, so
                          an outage does not restart every replica of the service at once.
    GET /api/metrics      with routes(db, metrics=True): the pool per node and statement durations
                          per call, for Prometheus (the `metrics` extra; chatmaps_db.metrics).
    GET /api/db/test      a round trip that proves reads and writes: BEGIN, a write (the
                          transaction takes a transaction id, which a standby or a read-only
                          session refuses), read it back, ROLLBACK (nothing is left behind, not
                          even in the catalog), and, with replicas, one read on a replica; each
                          step's latency in ms.
                          It writes: keep it off the public internet (see docs/DEPLOY.md).

Bodies never hold a password (URLs are shown redacted) or a traceback.

    app = FastAPI(..., exception_handlers=exception_handlers())   # or Starlette(exception_handlers=...)

maps the package's errors to what the client should hear: a constraint the request broke is
409 (a duplicate, a row still referenced) or 422 (a missing referenced row, a CHECK, a NOT
NULL); a database that is down, busy or slow is 503 with Retry-After; one that refuses us or
lacks the migrations is 503. The body is `{"error": "<one line>"}`: the table and constraint,
never a value. `client_errors(exc.errors())` is a request-validation error list without the
values the client sent (FastAPI echoes them, a password too).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from time import monotonic
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatmaps_db._acompat import sleep, within
from chatmaps_db.db_async import AsyncDatabase
from chatmaps_db.errors import (
    ConfigError,
    ConnectError,
    ConnectionLost,
    ConstraintViolation,
    DatabaseError,
    ExclusionViolation,
    ForeignKeyViolation,
    LoginRefused,
    QueryCancelled,
    SchemaMismatch,
    UniqueViolation,
)

log = logging.getLogger("chatmaps_db")
SchemaMode = Literal["fail", "warn", "off"]
_NO_CACHE = {"Cache-Control": "no-store"}

# The db test's write: the transaction takes a transaction id, as any write does, which a
# standby or a read-only session refuses; then reads it back, and rolls back. No table is
# made: a temporary one per call left ~13 dead pg_attribute rows each (catalog bloat, for an
# endpoint a load balancer may call every few seconds). One transaction: fine behind PgBouncer.
_WRITE = "SELECT pg_current_xact_id()::text"
_READ_BACK = "SELECT pg_current_xact_id_if_assigned()::text"


def exception_handlers() -> dict[int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]]:
    """Handlers for the package's errors, for Starlette's or FastAPI's `exception_handlers=`."""

    async def answer(request: Request, exc: Exception) -> Response:
        status, retry = _status(exc)
        headers = {**_NO_CACHE, **({"Retry-After": "1"} if retry else {})}
        if status >= 500:
            log.warning("%s %s: %s", request.method, request.url.path, _one_line(exc))
        return JSONResponse({"error": " ".join(str(exc).split())}, status_code=status, headers=headers)

    return {DatabaseError: answer}


def _status(exc: Exception) -> tuple[int, bool]:
    """(HTTP status, whether to send Retry-After) for one of the package's errors."""
    if isinstance(exc, UniqueViolation | ExclusionViolation):
        return 409, False  # the row exists, or conflicts with one
    if isinstance(exc, ForeignKeyViolation):
        # A row that others still refer to (a delete) is a conflict; a reference to no row is the client's.
        return (409 if exc.still_referenced else 422), False
    if isinstance(exc, ConstraintViolation):
        return 422, False  # CHECK, NOT NULL: the request's values
    if isinstance(exc, ConnectError | ConnectionLost | QueryCancelled):
        return 503, True  # down, busy or slow: the client may try again
    return 503, False  # refused login, missing migrations, configuration: an operator must act


def client_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A request-validation error list (pydantic's, FastAPI's `exc.errors()`) without the values
    the client sent (`input`, and `ctx`, which may quote them): where, and what is wrong."""
    return [{k: v for k, v in e.items() if k not in ("input", "ctx", "url")} for e in errors]


def routes(
    db: AsyncDatabase, *, prefix: str = "/api", deadline: float | None = None, metrics: bool = False
) -> list[Route]:
    """The health, liveness and db test routes for `db`, as Starlette routes under `prefix`; with
    `metrics`, /metrics too (Prometheus: the `metrics` extra, chatmaps_db.metrics)."""
    limit = db.settings.health_timeout if deadline is None else deadline

    async def health(request: Request) -> JSONResponse:
        try:
            found = await db.health(timeout=limit)
        except Exception as exc:  # health() never raises; if it did, say what, not where
            return _json({"ready": False, "status": "error", "error": _one_line(exc)}, 503)
        return _json(found.as_dict(), 200 if found.ready else 503)

    async def live(request: Request) -> JSONResponse:
        alive = db.live()
        body: dict[str, Any] = {"live": alive, "pool": db.stats()}
        if not alive:
            body["error"] = "callers have waited for a pooled connection while none came back: restart the service"
        return _json(body, 200 if alive else 503)

    async def db_test(request: Request) -> JSONResponse:
        return await round_trip(db, limit)

    prefix = prefix.rstrip("/")
    out = [
        Route(f"{prefix}/health", health, methods=["GET", "HEAD"], name="chatmaps_db_health"),
        Route(f"{prefix}/health/live", live, methods=["GET", "HEAD"], name="chatmaps_db_live"),
        Route(f"{prefix}/db/test", db_test, methods=["GET", "POST"], name="chatmaps_db_test"),
    ]
    if metrics:
        out.append(_metrics_route(db, prefix))
    return out


def _metrics_route(db: AsyncDatabase, prefix: str) -> Route:
    """GET /api/metrics: the Prometheus text exposition of `db` (chatmaps_db.metrics)."""
    try:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        from chatmaps_db.metrics import registry
    except ImportError:
        raise ConfigError(
            "routes(db, metrics=True) needs prometheus-client: install the package's metrics extra "
            "(pip install './generated[metrics]')"
        ) from None
    found = registry(db)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(found), media_type=CONTENT_TYPE_LATEST)

    return Route(f"{prefix}/metrics", metrics, methods=["GET"], name="chatmaps_db_metrics")


async def round_trip(db: AsyncDatabase, deadline: float) -> JSONResponse:
    """/api/db/test: each step timed; 503 naming the step that failed, or ran past the deadline."""
    steps: list[dict[str, Any]] = []
    start = monotonic()
    current = ["connect"]

    def done(step: str, since: float) -> float:
        now = monotonic()
        steps.append({"step": step, "ms": round((now - since) * 1000, 3)})
        return now

    async def run() -> None:
        t = monotonic()
        # connection(), not transaction(): the test ends its transaction itself, with ROLLBACK.
        async with db.connection(timeout=deadline) as conn:
            t = done("connect", t)
            current[0] = "write"
            cur = await conn.execute(_WRITE)
            written = await cur.fetchone()
            t = done("write", t)
            current[0] = "read"
            cur = await conn.execute(_READ_BACK)
            row = await cur.fetchone()
            if row is None or written is None or row[0] != written[0]:
                raise DatabaseError("the write's transaction id was not read back")
            t = done("read", t)
            current[0] = "rollback"
            await conn.rollback()
            t = done("rollback", t)
        if db.settings.replica_urls:
            current[0] = "replica read"
            async with db.read(timeout=deadline) as conn:
                await conn.execute("SELECT 1")
            done("replica read", t)

    try:
        await within(deadline, run)
    except TimeoutError:
        error = f"no answer within {deadline:.2f} sec"
    except Exception as exc:
        error = _one_line(exc)
    else:
        total = round((monotonic() - start) * 1000, 3)
        return _json({"ok": True, "steps": steps, "total_ms": total, "left_behind": 0}, 200)
    return _json({"ok": False, "failed_step": current[0], "error": error, "steps": steps}, 503)


def lifespan(
    db: AsyncDatabase, *, wait: float | None = None, schema: SchemaMode = "fail", deep: bool = False
) -> Callable[[Any], AbstractAsyncContextManager[dict[str, Any]]]:
    """A Starlette/FastAPI lifespan: at startup open the pool (waiting up to `wait` seconds for
    the database, if given) and check the schema; at shutdown close the pool.

    schema="fail": a database without exactly this package's migrations (or, with `deep`, with
    a column that differs) stops the startup with SchemaMismatch; "warn" logs it and starts
    (readiness then says why it is not ready); "off" skips the check. With wait=None a database
    that is down at startup fails the check in "fail" mode and is logged in "warn" mode.
    The lifespan state has the database: `request.state.db`.
    """

    @asynccontextmanager
    async def span(app: Any) -> AsyncIterator[dict[str, Any]]:
        await startup(db, wait=wait, schema=schema, deep=deep)
        try:
            yield {"db": db}
        finally:
            await db.close()

    return span


async def startup(db: AsyncDatabase, *, wait: float | None, schema: SchemaMode, deep: bool) -> None:
    """What lifespan() does at startup."""
    if wait:
        await _wait_for(db, wait)
    if schema == "off":
        return
    try:
        await db.check_schema(deep=deep)
    except (SchemaMismatch, ConnectError, LoginRefused, ConfigError) as exc:
        if schema == "fail":
            log.error("startup stopped: %s", exc)
            raise
        log.warning("starting anyway (schema check in warn mode): %s", exc)
    else:
        log.info("database %s has this package's migrations", db.settings.safe_url)


async def _wait_for(db: AsyncDatabase, seconds: float) -> None:
    """Until the database takes a connection, at most `seconds`: then ServerUnavailable, as is."""
    deadline = monotonic() + seconds
    pause = 0.1
    while True:
        try:
            async with db.connection(timeout=max(0.1, deadline - monotonic())) as conn:
                await conn.execute("SELECT 1")
            return
        except ConnectError as exc:
            if monotonic() + pause >= deadline:
                log.error("the database did not answer within %g s: %s", seconds, exc)
                raise
            log.info("waiting for the database: %s", exc)
        await sleep(pause)
        pause = min(2.0, pause * 2)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _json(body: dict[str, Any], status: int) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=_NO_CACHE)


__all__ = ["SchemaMode", "client_errors", "exception_handlers", "lifespan", "round_trip", "routes", "startup"]
