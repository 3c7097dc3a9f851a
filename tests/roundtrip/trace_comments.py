"""DATABASE_TRACE_COMMENTS with an OpenTelemetry SDK provider (its own process: a provider is
process-wide); argv[1] a migrated database. Prints JSON: what PostgreSQL itself shows."""

from __future__ import annotations

import json
import sys

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from chatmaps_db import Database

SHOW = "SELECT application_name, query FROM pg_stat_activity WHERE pid = pg_backend_pid()"


def parent_of(span: trace.Span) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def main(url: str) -> None:
    trace.set_tracer_provider(TracerProvider())
    tracer = trace.get_tracer("test")
    out: dict[str, object] = {}
    # A connection that prepares statements: the traceparent is its application_name.
    db = Database(url, trace_comments=True, max_size=1, application_name="svc")
    with tracer.start_as_current_span("request") as span:
        out["request"] = parent_of(span)
        for _ in range(8):  # psycopg prepares a statement from its 5th run
            db.users.count()
        with db.connection() as conn:
            out["direct"] = conn.execute(SHOW).fetchone()
            out["prepared"] = [r[0] for r in conn.execute("SELECT statement FROM pg_prepared_statements")]
    with db.connection() as conn:  # no span: nothing is sent, the last request's name stays
        out["after"] = conn.execute(SHOW).fetchone()
    db.close()
    # One that prepares nothing (as behind PgBouncer in transaction mode): a comment on the statement.
    pooled = Database(url, trace_comments=True, pgbouncer="transaction", max_size=1, application_name="svc")
    with tracer.start_as_current_span("another") as span, pooled.connection() as conn:
        out["another"] = parent_of(span)
        out["pooled"] = conn.execute(SHOW).fetchone()
    with pooled.connection() as conn:
        out["pooled_after"] = conn.execute(SHOW).fetchone()
    pooled.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
