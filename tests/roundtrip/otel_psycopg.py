"""chatmaps_db's spans beside opentelemetry-instrumentation-psycopg, both enabled (its own
process: a tracer provider and the instrumentation are process-wide); argv[1] a migrated
database. Prints JSON: each finished span's name, instrumentation scope and attributes."""

from __future__ import annotations

import json
import sys

import psycopg
from opentelemetry import trace
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def main(url: str) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    PsycopgInstrumentor().instrument()  # before chatmaps_db is imported, as opentelemetry-instrument does

    from chatmaps_db import Database
    from chatmaps_db.models import UserInsert

    db = Database(url, max_size=1)
    user = db.users.insert(UserInsert(name="Both", email="both@example.com"))
    db.users.get(user.id)
    with db.connection() as conn:
        conn.execute("SELECT 1")  # raw SQL on the package's connection
    db.close()
    with psycopg.connect(url) as conn:  # a connection of the service's own: the instrumentation's
        conn.execute("SELECT 2")
    spans = [
        {"name": s.name, "scope": s.instrumentation_scope.name if s.instrumentation_scope else None}
        | {"attributes": dict(s.attributes or {})}
        for s in exporter.get_finished_spans()
    ]
    print(json.dumps(spans))


if __name__ == "__main__":
    main(sys.argv[1])
