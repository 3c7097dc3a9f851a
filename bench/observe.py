"""Observability's price, side by side in one run (make bench part 15):

- 10k `db.users.get(id)` with no hook and no tracer provider, on this tree's package vs the
  package of commit OBSERVE_BEFORE (the last one before query events: "today's code" for issue 29),
  both in one process, alternating chunks of calls (processes differ here by more than is measured);
- the same on this tree with an OpenTelemetry SDK tracer provider and an in-memory exporter
  behind the SDK's BatchSpanProcessor (what a service runs: spans exported off the request's
  thread), a span per statement, vs without one; and, as the floor under that ratio, the SDK's
  own span with the same name and attributes made right after each untraced get. One process,
  alternating chunks: the tracer provider is switched by the API's module global (the public
  set_tracer_provider refuses a second call), a bench-only liberty.

`python -m bench.observe` runs this part alone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated")]

from codegen.dev import atlas, pg  # noqa: E402
from codegen.paths import GENERATED, MIGRATIONS  # noqa: E402

OBSERVE_BEFORE = os.environ.get("BENCH_OBSERVE_BEFORE", "1edd759")
GETS = int(os.environ.get("BENCH_OBSERVE_GETS", "10000"))

# The tracer's price in one process: argv = the package folder, the URL, the number of gets;
# prints three p50s in microseconds: no tracer, tracer, no tracer + the SDK's own span after each get.
_TRACED = """
import random, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import opentelemetry.trace as api
from opentelemetry.trace import SpanKind
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from chatmaps_db import Database
provider = TracerProvider()
exporter = InMemorySpanExporter()
provider.add_span_processor(BatchSpanProcessor(exporter))
bare = provider.get_tracer("bench")
db = Database(sys.argv[2], max_size=1)
with db.connection() as conn:
    ids = [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id")]
    server = {"db.namespace": conn.info.dbname, "server.address": conn.info.host, "server.port": conn.info.port}
seen = []
stop = db.on_query(seen.append)
db.users.get(ids[0])
stop()
sql = seen[-1].sql  # the get's own SQL text, as its span carries it
attributes = {**server, "db.system.name": "postgresql", "db.operation.name": "SELECT",
              "db.query.summary": "SELECT public.users", "chatmaps_db.call": "users.get",
              "db.collection.name": "public.users", "db.query.text": sql}
times = {"plain": [], "tracer": [], "sdk": []}
for round in range(int(sys.argv[3]) // 1000 + 1):
    for mode in random.sample(list(times), len(times)):
        api._TRACER_PROVIDER = provider if mode == "tracer" else None  # None: the API's no-op proxy
        exporter.clear()  # as an exporter that sends spans away: kept spans would slow the GC
        for i in range(1000):
            start = time.perf_counter_ns()
            db.users.get(ids[i % len(ids)])
            if mode == "sdk":
                bare.start_span("SELECT public.users", kind=SpanKind.CLIENT, attributes=attributes).end()
            if round:  # the first round warms all up
                times[mode].append(time.perf_counter_ns() - start)
print(*(statistics.median(times[mode]) / 1000 for mode in ("plain", "tracer", "sdk")))
"""


# Both packages in one process, alternating chunks of calls: processes differ by several percent
# on this machine, more than what is measured. argv = the two package folders, the URL; prints
# the two p50s (before, ours) in microseconds.
_BOTH = """
import statistics, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import random
from chatmaps_db_before import Database as Before
from chatmaps_db_again import Database as Again
from chatmaps_db import Database as Ours
url = sys.argv[3]
sides = {"before": Before(url, max_size=1), "again": Again(url, max_size=1), "ours": Ours(url, max_size=1)}
with sides["ours"].connection() as conn:
    ids = [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id")]
times = {name: [] for name in sides}
for round in range(int(sys.argv[4]) // 1000 + 1):
    for name in random.sample(list(sides), len(sides)):
        db = sides[name]
        for i in range(1000):
            start = time.perf_counter_ns()
            db.users.get(ids[i % len(ids)])
            if round:  # the first round warms both up
                times[name].append(time.perf_counter_ns() - start)
print(*(statistics.median(times[name]) / 1000 for name in ("before", "again", "ours")))
"""


def _renamed(package: Path, into: Path) -> Path:
    """Two copies of the generated package `package`, `chatmaps_db_before` and `chatmaps_db_again`,
    importable beside ours (the second measures the bench's own noise: the same code twice)."""
    for name in ("chatmaps_db_before", "chatmaps_db_again"):
        target = into / name
        shutil.copytree(package, target)
        for path in target.rglob("*.py"):
            path.write_text(re.sub(r"\bchatmaps_db\b", name, path.read_text()))
    return into


def run() -> list[str]:
    lines = ["", f"observability (python -m bench.observe), {GETS:,} db.users.get per side:"]
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", OBSERVE_BEFORE, "generated/chatmaps_db"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        return [*lines, f"  no baseline: commit {OBSERVE_BEFORE} is not in this clone"]
    with (
        tempfile.TemporaryDirectory(prefix="bench-observe-") as tmp,
        pg.throwaway_server() as server,
        pg.scratch_database(server.url, "observe") as url,
    ):
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        before = _renamed(Path(tmp) / "generated" / "chatmaps_db", Path(tmp) / "renamed")
        atlas.migrate_apply(MIGRATIONS, url)
        with pg.connect(url) as conn:
            conn.execute(
                "INSERT INTO users (name, email) SELECT 'u' || i, 'u' || i || '@x.io' FROM generate_series(1, 1000) i"
            )
        both = subprocess.run(
            [sys.executable, "-c", _BOTH, str(before), str(GENERATED), url, str(GETS)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": ""},
        )
        o, a, p = (float(x) for x in both.stdout.split())
        traced = subprocess.run(
            [sys.executable, "-c", _TRACED, str(GENERATED), url, str(GETS)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": ""},
        )
        n, t, s = (float(x) for x in traced.stdout.split())
    lines.append(
        f"  no hook, no tracer    p50 {p:6.1f}us vs commit {OBSERVE_BEFORE}'s package (before query events), "
        f"same process, alternating {o:6.1f}us: {p / o:4.2f}x the time (goal <= 1.02x); "
        f"the same old package twice: {a / o:4.2f}x (the bench's own noise)"
    )
    lines.append(
        f"  tracer + in-memory exporter p50 {t:6.1f}us vs no tracer {n:6.1f}us, same process, alternating: "
        f"{t / n:4.2f}x the time (goal <= 1.15x); the SDK's own span alone (same name and attributes, "
        f"made after an untraced get): {s:6.1f}us, {s / n:4.2f}x (the floor under the goal)"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
