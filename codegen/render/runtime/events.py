"""Query events: what every statement the package's connections run is reported as, to the
database's hooks (db.on_query) and to the `chatmaps_db.queries` logger (no psycopg here: the
cursors that time statements are in _observe.py).

An event names the call (`users.list`, `queries.get_session_with_user`, `connect` for a new
connection's setup, or `raw` for SQL a service runs itself), the node (`primary`, `replica 1`),
the SQL operation, the duration, the rows and the error's class; the SQL text only when it is
the package's own (placeholders, never a value). Never a parameter value, so never a secret.
Statements slower than DATABASE_SLOW_QUERY_MS are logged at WARNING, the others at DEBUG.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from time import time_ns
from typing import Any

LOG = logging.getLogger("chatmaps_db.queries")


@dataclass(frozen=True, slots=True)
class QueryEvent:
    """One statement, as a hook and the `chatmaps_db.queries` logger see it."""

    call: str  # users.list, queries.get_session_with_user, raw
    node: str  # primary, replica 1, ...
    operation: str  # SELECT, INSERT, ... (the statement's first keyword)
    sql: str | None  # the package's SQL, with placeholders; None for raw SQL (its text may hold values)
    duration: float  # seconds, from sending the statement to its result (or its error)
    rows: int | None  # rows returned or changed, when PostgreSQL says (None for an error)
    error: str | None  # the error's class name (UniqueViolation, QueryCanceled, ...), or None
    table: str | None = None  # the table a table-layer call is on (public.users), else None

    @property
    def summary(self) -> str:
        """OpenTelemetry's db.query.summary: `SELECT public.users`, or the operation alone."""
        return f"{self.operation} {self.table}" if self.table else self.operation

    def __str__(self) -> str:
        what = f"{self.call} {self.operation}"
        outcome = f"error {self.error}" if self.error else f"{self.rows if self.rows is not None else '-'} rows"
        return f"{what} on {self.node}: {self.duration * 1000:.1f} ms, {outcome}"


Hook = Callable[[QueryEvent], object]


class Observer:
    """A database's hooks and slow-statement threshold; its connections report to it."""

    __slots__ = ("_hooks", "slow", "trace_comments")

    def __init__(self, slow_ms: float | None = None, trace_comments: bool = False) -> None:
        self._hooks: tuple[Hook, ...] = ()
        self.trace_comments = trace_comments  # DATABASE_TRACE_COMMENTS: the cursors carry the trace context
        self.slow = float("inf") if slow_ms is None else slow_ms / 1000

    def subscribe(self, hook: Hook) -> Callable[[], None]:
        """Call `hook` with every statement's event; returns the function that stops it."""
        if not callable(hook):
            raise TypeError(f"on_query takes a function of a QueryEvent, not {type(hook).__name__}")
        self._hooks = (*self._hooks, hook)

        def unsubscribe() -> None:
            self._hooks = tuple(h for h in self._hooks if h is not hook)

        return unsubscribe

    def active(self) -> bool:
        """Whether anyone watches statements now: a hook, a slow threshold, the logger at DEBUG, or
        an OpenTelemetry tracer provider. Asked at each checkout: a connection handed out while
        nobody does runs psycopg's own cursors, and its statements cost nothing extra."""
        return (
            bool(self._hooks)
            or self.trace_comments
            or self.slow != float("inf")
            or LOG.isEnabledFor(logging.DEBUG)
            or ("opentelemetry.trace" in sys.modules and tracer() is not None)
        )

    def wants(self, duration: float) -> bool:
        """Whether a statement that took `duration` is reported at all (the common case: no: then
        this is all a statement costs, well under a microsecond)."""
        return (
            bool(self._hooks)
            or duration >= self.slow
            or LOG.isEnabledFor(logging.DEBUG)
            or ("opentelemetry.trace" in sys.modules and tracer() is not None)
        )

    def report(self, event: QueryEvent, server: dict[str, Any] | None = None) -> None:
        """Tell the hooks, the logger and (when an OpenTelemetry tracer provider is set) a span;
        `server`: the connection's db.namespace, server.address and server.port, for the span."""
        found = tracer()
        if found is not None:
            _span(found, event, server)
        for hook in self._hooks:
            try:
                hook(event)
            except Exception as exc:  # a hook's bug must not fail the service's query
                LOG.error(
                    "a query hook (%s) raised %s: fix the hook", getattr(hook, "__name__", hook), type(exc).__name__
                )
        if event.duration >= self.slow:
            LOG.warning("slow statement: %s (over %g ms: DATABASE_SLOW_QUERY_MS)", event, self.slow * 1000)
        else:
            LOG.debug("%s", event)


# -- OpenTelemetry ----------------------------------------------------------------------------
# A span per statement when the application configured a tracer provider (the `otel` extra:
# opentelemetry-api). Without one, nothing is imported and nothing is made: `tracer()` looks
# only at whether opentelemetry.trace was imported and its global provider is a real one.

_FOUND: list[Any] = [None, None]  # the provider last seen, and its chatmaps_db tracer (or None)


def tracer() -> Any:
    """The chatmaps_db tracer of the configured provider, or None (no SDK set up: no spans)."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    provider = trace.get_tracer_provider()
    if provider is not _FOUND[0]:  # asked at each checkout and statement: the answer is kept
        real = not isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider))
        _FOUND[:] = [provider, provider.get_tracer("chatmaps_db") if real else None]
    return _FOUND[1]


def traceparent() -> str | None:
    """The current OpenTelemetry span's W3C traceparent (00-<trace>-<span>-<flags>), or None."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def _span(found: Any, event: QueryEvent, server: dict[str, Any] | None) -> None:
    """The statement as a CLIENT span of the current context (the request's span, say), named and
    attributed by OpenTelemetry's database conventions; never a parameter value (nor raw SQL)."""
    from opentelemetry.trace import SpanKind, Status, StatusCode  # imported already: a dict look-up

    end = time_ns()
    attributes: dict[str, Any] = {
        **(server or {}),
        "db.system.name": "postgresql",
        "db.operation.name": event.operation,
        "db.query.summary": event.summary,
        "chatmaps_db.call": event.call,
    }
    if event.node != "primary":
        attributes["chatmaps_db.node"] = event.node  # a replica
    if event.table:
        attributes["db.collection.name"] = event.table
    if event.sql is not None:
        attributes["db.query.text"] = event.sql  # the package's own: placeholders, no values
    if event.error:
        attributes["error.type"] = event.error
    span = found.start_span(
        event.summary, kind=SpanKind.CLIENT, attributes=attributes, start_time=end - int(event.duration * 1e9)
    )
    if event.error:
        span.set_status(Status(StatusCode.ERROR, event.error))  # the class only: a message may hold values
    span.end(end_time=end)


QUIET = Observer()  # a connection no database configured: reports nothing but what logging asks for


def operation(query: Any) -> str:
    """The statement's first keyword (SELECT, WITH, INSERT, ...), for raw SQL given as text."""
    if isinstance(query, bytes):
        query = query.decode(errors="replace")
    if not isinstance(query, str):
        return "SQL"  # psycopg.sql.Composed: its text needs a connection to say
    for word in query.lstrip(" \t\r\n(").split(None, 1)[:1]:
        return word.rstrip(";(").upper()
    return "SQL"
