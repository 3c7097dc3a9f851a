"""The example service traced (run by tests/faults/test_service.py in its own process: a tracer
provider is process-wide). The OpenTelemetry SDK with an in-memory exporter, the ASGI middleware
for the request's span, uvicorn serving real HTTP in a thread; argv[1], argv[2]: a password and an email the requests write.
Prints one JSON object: every span the exporter recorded, and every chatmaps_db log record."""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
import time

import httpx
import uvicorn
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

RECORDS: list[str] = []


class Keep(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        RECORDS.append(f"{record.name} {record.levelname} {record.getMessage()}")


def main(password: str, email: str) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    logging.getLogger("chatmaps_db").addHandler(Keep())
    logging.getLogger("chatmaps_db").setLevel(logging.DEBUG)

    from examples.service.app import app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        user = client.post("/api/users", json={"name": "Traced", "email": email}).json()
        client.post(
            "/api/accounts",
            json={"user_id": user["id"], "account_id": "t", "provider_id": "credential", "password": password},
        )
        client.post(f"/api/users/{user['id']}/sessions")
        overview = client.get(f"/api/users/{user['id']}/overview")
        duplicate = client.post("/api/users", json={"name": "Again", "email": email})
    server.should_exit = True
    thread.join()
    spans = [
        {
            "name": s.name,
            "kind": s.kind.name,
            "trace": s.context.trace_id,
            "id": s.context.span_id,
            "parent": s.parent.span_id if s.parent else None,
            "status": s.status.status_code.name,
            "attributes": dict(s.attributes or {}),
            "events": [{"name": e.name, "attributes": dict(e.attributes or {})} for e in s.events],
        }
        for s in exporter.get_finished_spans()
    ]
    print(
        json.dumps(
            {"spans": spans, "records": RECORDS, "statuses": [overview.status_code, duplicate.status_code]},
            default=str,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
