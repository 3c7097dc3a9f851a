"""An example ChatMaps service: FastAPI on the generated package and its table layer.

    DATABASE_URL=postgresql://... uvicorn examples.service.app:app

Request bodies are the generated Create and Patch models: the Insert and Update models without
the columns the server sets ([tool.codegen] server_columns: a user's id, email_verified and
timestamps), so a client that gives one gets 422. Responses are row models, whose secret
columns (an account's password, a session's token) are left out of the JSON. The
database routes come from chatmaps_db.asgi: /api/health, /api/health/live, /api/db/test, and
/api/metrics (Prometheus: the pool per node, statement durations per call).
/api/users/{id}/overview shows relations: a user with sessions and accounts, loaded by load=.

Watching it: DATABASE_SLOW_QUERY_MS=250 logs each slower statement at WARNING (logger
chatmaps_db.queries, naming its call); under a tracer provider (`opentelemetry-instrument
uvicorn examples.service.app:app`, or the SDK set up before this module is imported, as
tests/roundtrip/otel_service.py does) each request's span gets one child span per statement;
DATABASE_TRACE_COMMENTS=1 shows the request's traceparent in pg_stat_activity.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from chatmaps_db import AsyncDatabase, models
from chatmaps_db.access.sessions import SessionLoad
from chatmaps_db.access.users import UserLoad
from chatmaps_db.asgi import SchemaMode, client_errors, exception_handlers, lifespan, routes
from chatmaps_db.errors import UniqueViolation

db = AsyncDatabase.from_env()
# At startup: wait up to SERVICE_DB_WAIT seconds for the database, then check that it has this
# package's migrations: SERVICE_SCHEMA_CHECK=fail (refuse to start), warn (start unready) or off.
CHECKS: dict[str, SchemaMode] = {"fail": "fail", "warn": "warn", "off": "off"}
schema_check = CHECKS.get(os.environ.get("SERVICE_SCHEMA_CHECK", "fail"))
if schema_check is None:
    raise SystemExit("SERVICE_SCHEMA_CHECK must be fail, warn or off")
app = FastAPI(
    title="ChatMaps example service",
    lifespan=lifespan(db, wait=float(os.environ.get("SERVICE_DB_WAIT", "0")), schema=schema_check),
    # The package's errors as 409/422 (the request's mistake) or 503 (the database's), one line, no value.
    exception_handlers=exception_handlers(),
)
app.router.routes.extend(routes(db, metrics=True))  # /api/health, /api/health/live, /api/db/test, /api/metrics


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, without echoing what the client sent (a password in a body)."""
    return JSONResponse({"detail": client_errors(exc.errors())}, status_code=422)


@app.post("/api/users", status_code=201)
async def create_user(body: models.UserCreate) -> models.User:
    try:
        return await db.users.insert(body.to_insert())
    except UniqueViolation:
        raise HTTPException(409, "a user with this email exists") from None


@app.get("/api/users")
async def list_users(limit: int = Query(50, ge=1, le=500)) -> list[models.User]:
    return await db.users.list(order_by="created_at", limit=limit)


@app.get("/api/users/{user_id}")
async def get_user(user_id: UUID) -> models.User:
    user = await db.users.get(user_id)
    if user is None:
        raise HTTPException(404, "no such user")
    return user


class UserOverview(BaseModel):
    """A user's page: the user, their live sessions (newest first) and accounts, and how many
    sessions they have in all. One call to the table layer: three statements, one per relation level."""

    user: models.User
    sessions: Sequence[models.Session]  # a session's token stays out of the JSON (a secret column)
    accounts: Sequence[models.Account]
    session_count: int


@app.get("/api/users/{user_id}/overview")
async def user_overview(user_id: UUID, sessions: int = Query(20, ge=0, le=100)) -> UserOverview:
    now = datetime.now(UTC)
    load = UserLoad(
        sessions=SessionLoad(lambda s: s.expires_at.gt(now), order_by="-created_at", limit=sessions),
        accounts=True,
        count=["sessions"],
    )
    user = await db.users.get(user_id, load=load)
    if user is None:
        raise HTTPException(404, "no such user")
    return UserOverview(
        user=user, sessions=user.sessions, accounts=user.accounts, session_count=user.count_of("sessions")
    )


@app.patch("/api/users/{user_id}")
async def update_user(user_id: UUID, body: models.UserPatch) -> models.User:
    user = await db.users.update(user_id, body.to_update())
    if user is None:
        raise HTTPException(404, "no such user")
    return user


@app.delete("/api/users/{user_id}", status_code=204)
async def delete_user(user_id: UUID) -> Response:
    if not await db.users.delete(user_id):
        raise HTTPException(404, "no such user")
    return Response(status_code=204)


@app.post("/api/accounts", status_code=201)
async def link_account(body: models.AccountCreate) -> models.Account:
    """The body carries the password hash or tokens; the response leaves them out."""
    return await db.accounts.insert(body.to_insert())


@app.post("/api/users/{user_id}/sessions", status_code=201)
async def sign_in(user_id: UUID) -> models.Session:
    """A session with a fresh token: the token is written, and not returned in the JSON."""
    session = models.SessionInsert(
        user_id=user_id, token=secrets.token_urlsafe(32), expires_at=datetime.now(UTC) + timedelta(days=7)
    )
    async with db.transaction() as tx:
        if await tx.users.get(user_id) is None:
            raise HTTPException(404, "no such user")
        return await tx.sessions.insert(session)
