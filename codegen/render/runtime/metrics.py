"""Prometheus metrics of a Database or AsyncDatabase: the `metrics` extra (prometheus-client).

    pip install 'chatmaps-db[metrics]'
    app.router.routes.extend(routes(db, metrics=True))      # GET /api/metrics (chatmaps_db.asgi)

or, without the ASGI helper, `registry(db)` and prometheus_client's own exposition. Per node
(label `node`: primary, replica 1, ...):

    chatmaps_db_pool_connections{state="idle"|"busy"}   gauge   connections open, by state
    chatmaps_db_pool_max_connections                    gauge   DATABASE_POOL_MAX_SIZE
    chatmaps_db_pool_waiting                             gauge   callers queued for a connection
    chatmaps_db_pool_longest_busy_seconds                gauge   the longest checkout still out
    chatmaps_db_pool_checkout_wait_seconds{quantile}     gauge   wait of the latest 1,024 checkouts
    chatmaps_db_pool_<event>_total                       counter connects, connect_errors, dropped,
                                                                 exhausted, checkouts
    chatmaps_db_query_duration_seconds{call, error}      histogram every statement (query events)

The pool's numbers are read when Prometheus scrapes (a collector, as prometheus_client means
custom metrics to be written); statement durations come from the database's query events.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from chatmaps_db.events import QueryEvent

_COUNTERS = ("connects", "connect_errors", "dropped", "exhausted", "checkouts")
# Statement durations: from a cached primary-key read (0.1 ms) to a migration-sized scan.
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PoolCollector(Collector):
    """The pools of every node of a database, read at each scrape."""

    def __init__(self, db: Any) -> None:
        self._db = db  # Database or AsyncDatabase: node_stats() is the same

    def collect(self) -> Iterator[Metric]:
        nodes = self._db.node_stats()
        connections = GaugeMetricFamily(
            "chatmaps_db_pool_connections", "Connections open, by state", labels=["node", "state"]
        )
        limit = GaugeMetricFamily("chatmaps_db_pool_max_connections", "The pool's maximum size", labels=["node"])
        waiting = GaugeMetricFamily("chatmaps_db_pool_waiting", "Callers queued for a connection", labels=["node"])
        longest = GaugeMetricFamily(
            "chatmaps_db_pool_longest_busy_seconds", "The longest checkout still out", labels=["node"]
        )
        wait = GaugeMetricFamily(
            "chatmaps_db_pool_checkout_wait_seconds",
            "How long the latest checkouts waited for a connection",
            labels=["node", "quantile"],
        )
        counters = {
            name: CounterMetricFamily(f"chatmaps_db_pool_{name}", f"Pool {name.replace('_', ' ')}", labels=["node"])
            for name in _COUNTERS
        }
        for node, stats in nodes.items():
            connections.add_metric([node, "idle"], stats["idle"])
            connections.add_metric([node, "busy"], stats["busy"])
            limit.add_metric([node], stats["max_size"])
            waiting.add_metric([node], stats["waiting"])
            longest.add_metric([node], stats["longest_busy_s"])
            for quantile, key in (("0.5", "wait_p50_ms"), ("0.95", "wait_p95_ms"), ("0.99", "wait_p99_ms")):
                wait.add_metric([node, quantile], round(stats[key] / 1000, 6))
            for name, family in counters.items():
                family.add_metric([node], stats[name])
        yield from (connections, limit, waiting, longest, wait, *counters.values())


def registry(db: Any) -> CollectorRegistry:
    """A registry of `db`'s metrics (its own, not prometheus_client's global one: two databases in a
    process, or two test apps, do not collide); statement durations are recorded from now on."""
    out = CollectorRegistry()
    out.register(PoolCollector(db))
    durations = Histogram(
        "chatmaps_db_query_duration_seconds",
        "Statements by call (users.list, queries.x, raw), node and error class",
        ["call", "node", "error"],
        buckets=_BUCKETS,
        registry=out,
    )

    def observe(event: QueryEvent) -> None:
        durations.labels(event.call, event.node, event.error or "").observe(event.duration)

    db.on_query(observe)
    return out
