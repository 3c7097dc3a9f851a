"""`make bench`: chatmaps-db side by side with a named baseline, in one run, as ratios.

Scenarios (each side run REPEAT times, interleaved, median wall time, peak RSS of the
largest process):

1. `make generate`, unchanged schema     vs  baseline "raw tools": the same Atlas diff,
2. `make generate`, one column added          Atlas apply and sqlacodegen run by hand on
                                              the same embedded PostgreSQL, nothing else.
   Both also vs "before": the same command in commit BEFORE's checkout (git archive).
3. generate --from-url, synthetic 500    vs  sqlacodegen alone; and vs "before". Four ways:
   tables (bench/synth.py)                    as is (format cache warm), cold format cache,
                                              serial (CODEGEN_WORKERS=0), and both sides
                                              on one core (taskset -c 0).
4. tables.py's MetaData from the IR      vs  SQLAlchemy's MetaData.reflect() (the two paths
                                              to sqlacodegen's generator; we keep the IR's).
5. import chatmaps_db.models and use one vs  "before" (one models.py, built at import); plus
   table's three models (fresh process)       figures: every model, tables.py.
6. generate --from-url on pagila         vs  sqlacodegen alone on the same database.
7. read 20,000 users as models           vs  the same rows as psycopg dict rows
   (the price of typed rows at run time).
8. 50 threads x 200 short transactions   vs  psycopg_pool.ConnectionPool used directly,
   through Database                           same sizes and timeouts: throughput, p50, p99.
9. faults (figures, no baseline ratio): a call while the server is down, the first call
   after it is back (ours vs psycopg_pool after a 5 s outage), and 2,000 transactions
   behind a transaction-mode PgBouncer with prepared statements forced on, detected, and said.
10. the table layer (bench/access.py): db.users.list / insert_many / get on 200k users vs
   psycopg binary tuples, binary COPY and a raw prepared execute; list also vs SQLAlchemy's
   ORM and vs today's dict rows + model_validate.
11. checked queries (bench/queries.py): a :many join of 200k rows vs psycopg binary tuples of the
    same SQL, and what 200 queries add to generation.
12. services and replicas (bench/service.py): 5,000 db.users.get routed to a real streaming
    replica vs the same on the primary without replicas; /api/health over real HTTP vs
    /api/health/live (no database I/O) on the same uvicorn.
13. make seed (bench/seed.py): 10k users + accounts + sessions through the Insert models and
    insert_many vs the same Faker values generated alone.
15. observability (bench/observe.py): 10k db.users.get without hooks or tracer vs the package
    of the commit before query events; with an OpenTelemetry tracer provider vs without.
16. migration safety (bench/migrate_safety.py): `codegen update` for one change (a column and its
    index: lint, probe on 1,000 rows a table, down scripts) vs the commit before them.
14. `make generate`, one column added to vs  the same with Atlas built without
    a 500-table schema.hcl (bench/scale.py)    tools/atlas/scale.patch (pg16.patch only);
                                              plus figures: the curve at SCALE_TABLES
                                              (100, 250, 500, 1000 tables), ours only.

Nothing here is a test: there are no thresholds. Run it, read the ratios.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated")]

from bench import scale, synth  # noqa: E402
from codegen import fmt  # noqa: E402
from codegen.dev import atlas, pg  # noqa: E402
from codegen.paths import MIGRATIONS, SCHEMA  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
HERE = Path(__file__).resolve().parent
# The "before" baseline: the last commit before issue 10 (one read of the database, lazy models).
BEFORE = os.environ.get("BENCH_BEFORE", "01c035f")
SYNTH_TABLES = int(os.environ.get("BENCH_SYNTH_TABLES", "500"))
SCALE_TABLES = [int(n) for n in os.environ.get("BENCH_SCALE_TABLES", "100,250,500,1000").split(",")]
PY = sys.executable
CORPUS = Path(os.environ.get("CHATMAPS_CORPUS", ROOT.parent / "shared" / "corpus"))
NEW_COLUMN = """  column "bio" {
    null    = true
    type    = text
    comment = "A few words about the user."
  }
"""

# Runs one command list in a fresh process and prints "seconds max_rss_kb": the child's
# peak RSS is the largest of every process it waited for (Atlas, sqlacodegen, postgres
# helpers are all descendants).
_MEASURE = """
import resource, subprocess, sys, time, json
cmds = json.loads(sys.argv[1])
start = time.perf_counter()
for cmd in cmds:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def measure(
    cmds: list[list[str]], prepare: Callable[[], None] | None = None, cwd: Path | None = None
) -> tuple[float, float]:
    if prepare is not None:
        prepare()
    out = subprocess.run([PY, "-c", _MEASURE, json.dumps(cmds)], capture_output=True, text=True, check=False, cwd=cwd)
    if out.returncode != 0:
        raise SystemExit(f"bench command failed: {cmds}\n{out.stderr}")
    seconds, rss_kb = out.stdout.split()
    return float(seconds), int(rss_kb) / 1024


@dataclass(frozen=True)
class Result:
    name: str
    baseline: str
    seconds: float
    base_seconds: float
    mb: float
    base_mb: float


Measure = Callable[[], tuple[float, float]]  # -> (seconds, MB)


def side_by_side(name: str, baseline: str, ours: Measure, base: Measure) -> Result:
    a, b = [], []
    for _ in range(REPEAT):  # interleaved, so drift hits both sides alike
        a.append(ours())
        b.append(base())
    return Result(
        name,
        baseline,
        statistics.median(x[0] for x in a),
        statistics.median(x[0] for x in b),
        max(x[1] for x in a),
        max(x[1] for x in b),
    )


class Project:
    """A scratch copy of schema.hcl and migrations/, so the working tree is never touched."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.schema = base / "schema.hcl"
        self.migrations = base / "migrations"
        self.out = base / "out"

    def reset(self, *, add_column: bool) -> None:
        shutil.rmtree(self.migrations, ignore_errors=True)
        shutil.rmtree(self.out, ignore_errors=True)
        shutil.copytree(MIGRATIONS, self.migrations)
        text = SCHEMA.read_text()
        if add_column:
            marker = '  column "image" {'
            assert marker in text, "bench: schema.hcl has no users.image column to add after"
            text = text.replace(marker, NEW_COLUMN + marker, 1)
        self.schema.write_text(text)

    def ours(self) -> list[list[str]]:
        common = ["--schema", str(self.schema), "--migrations", str(self.migrations)]
        # exactly what `make generate` runs, with the output redirected to the scratch copy (run
        # in another checkout's directory, it is that checkout's codegen: the "before" baseline)
        config = ["--config", str(ROOT / "pyproject.toml")]
        return [[PY, "-O", "-m", "codegen", "update", *common, "--out", str(self.out), *config]]

    def baseline(self) -> list[list[str]]:
        return [
            [PY, str(Path(__file__).parent / "raw_tools.py"), str(self.schema), str(self.migrations), str(self.out)]
        ]


@contextmanager
def before_checkout() -> Iterator[Path | None]:
    """Commit BEFORE's tree (`git archive`), whose codegen is the "before" baseline; None
    when this clone lacks the commit."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE], capture_output=True, check=False)
    if archive.returncode != 0:
        print(f"no 'before' baseline: commit {BEFORE} is not in this clone", file=sys.stderr)
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="bench-before-") as tmp:
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        yield Path(tmp)


def generate_scenarios(results: list[Result], before: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = Project(Path(tmp))
        for label, add in (("make generate, unchanged schema", False), ("make generate, one column added", True)):

            def reset(add: bool = add) -> None:
                p.reset(add_column=add)

            def ours(reset: Callable[[], None] = reset) -> tuple[float, float]:
                return measure(p.ours(), reset, cwd=ROOT)

            def base(reset: Callable[[], None] = reset) -> tuple[float, float]:
                return measure(p.baseline(), reset)

            def old(reset: Callable[[], None] = reset) -> tuple[float, float]:
                return measure(p.ours(), reset, cwd=before)

            results.append(side_by_side(label, "raw tools (RSS)", ours, base))
            if before is not None:
                results.append(side_by_side(label, f"before, {BEFORE}", ours, old))


def probe(*args: str) -> tuple[float, float]:
    """bench/probe.py ARGS in a fresh process: (seconds, MB of RSS it added)."""
    out = subprocess.run([PY, str(HERE / "probe.py"), *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"bench probe failed: {args}\n{out.stderr}")
    seconds, mb = out.stdout.split()
    return float(seconds), float(mb)


def synthetic_scenarios(results: list[Result], before: Path | None) -> list[str]:
    """A synthetic SYNTH_TABLES-table schema (bench/synth.py): generation, tables.py's MetaData, imports."""
    figures = [f"synthetic schema, {SYNTH_TABLES} tables (bench/synth.py), figures (median of {REPEAT}):"]
    with (
        pg.throwaway_server() as server,
        pg.scratch_database(server.url, "synth") as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        schema = Path(tmp) / "synth.sql"
        schema.write_text(synth.schema(SYNTH_TABLES))
        proc = pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(schema))
        assert proc.returncode == 0, proc.stderr
        label = f"generate --from-url, {SYNTH_TABLES} tables"
        ours_out, old_out = Path(tmp) / "ours", Path(tmp) / "before"
        # The "before" codegen could not map geometric types; both sides get the same override.
        config = Path(tmp) / "codegen.toml"
        config.write_text('[tool.codegen.types]\npoint = "str"\nbox = "str"\n')
        gen = [PY, "-O", "-m", "codegen", "generate", "--from-url", url, "--config", str(config), "--out"]
        sqlacodegen = [str(Path(PY).parent / "sqlacodegen"), url.replace("postgresql://", "postgresql+psycopg://", 1)]

        def ours() -> tuple[float, float]:
            return measure([[*gen, str(ours_out)]], cwd=ROOT)

        def cold_cache() -> None:
            fmt.CACHE.unlink(missing_ok=True)

        alone = [*sqlacodegen, "--outfile", f"{tmp}/sa.py"]
        one_core = ["taskset", "-c", "0"] if shutil.which("taskset") else []
        # The same generation four ways, each against sqlacodegen alone run the same way: the
        # default (a worker process beside, formatted files kept in .tools/cache/ruff.sqlite), the
        # format cache emptied first, serial (the worker's job in-process, CODEGEN_WORKERS=0),
        # and both sides on one core (where generate goes serial by itself).
        for variant, prefix, prepare in (
            ("", [], None),
            (", cold format cache", [], cold_cache),
            (", serial", ["env", "CODEGEN_WORKERS=0"], None),
            (", one core", one_core, None),
        ):
            if variant == ", one core" and not one_core:
                continue
            base_prefix = one_core if variant == ", one core" else []
            results.append(
                side_by_side(
                    label + variant,
                    "sqlacodegen alone (RSS)" + (", one core" if base_prefix else ""),
                    lambda prefix=prefix, prepare=prepare: measure(  # type: ignore[misc]
                        [[*prefix, *gen, str(ours_out)]], prepare, cwd=ROOT
                    ),
                    lambda base_prefix=base_prefix: measure([[*base_prefix, *alone]]),  # type: ignore[misc]
                )
            )
        if before is not None:
            results.append(
                side_by_side(label, f"before, {BEFORE}", ours, lambda: measure([[*gen, str(old_out)]], cwd=before))
            )
        results.append(
            side_by_side(
                "tables.py's MetaData from the IR",
                "MetaData.reflect() (RSS added)",
                lambda: probe("metadata-ir", url),
                lambda: probe("metadata-reflect", url),
            )
        )
        one = "T0007"  # any synthetic table: each has a row, an Insert and an Update model
        if before is not None:
            results.append(
                side_by_side(
                    "import models, use one table's 3",
                    f"before, {BEFORE} (RSS added)",
                    lambda: probe("models-one", str(ours_out), one),
                    lambda: probe("models-one", str(old_out), one),
                )
            )
        for what, where in (
            ("models-one", str(ours_out)),
            ("models-all", str(ours_out)),
            ("tables", str(ours_out)),
            ("metadata-build", url),  # what the IR path adds, given the read the models need anyway
        ):
            runs = [probe(what, where, one) for _ in range(REPEAT)]
            seconds = statistics.median(r[0] for r in runs)
            figures.append(f"  {what:14} {seconds:6.3f} s  {max(r[1] for r in runs):6.1f} MB RSS added")
    return figures


@contextmanager
def unpatched_atlas() -> Iterator[Path | None]:
    """Atlas built as tools/atlas builds it, without scale.patch: the baseline of the scale
    scenario. None (and a line saying why) when it cannot be built here."""
    with tempfile.TemporaryDirectory(prefix="bench-atlas-") as tmp:
        tools = Path(tmp) / "tools" / "atlas"
        shutil.copytree(ROOT / "tools" / "atlas", tools)
        (tools / "scale.patch").unlink()
        out = Path(tmp) / "atlas"
        built = subprocess.run([str(tools / "build.sh"), str(out)], capture_output=True, text=True, check=False)
        if built.returncode != 0:
            print(f"no unpatched Atlas baseline: {built.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            yield None
        else:
            yield out


def scale_scenarios(results: list[Result]) -> list[str]:
    """`make generate` with one column added to a synthetic schema.hcl (bench/scale.py): at 500
    tables side by side with Atlas without scale.patch, and the curve at SCALE_TABLES."""
    figures = ["make generate, one column added to an N-table schema.hcl (bench/scale.py), one run each:"]
    with pg.throwaway_server() as server, tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        curve: list[tuple[int, float]] = []
        for n in SCALE_TABLES:
            project = scale.Project.create(n, Path(tmp) / str(n), server)
            if n == 500:
                with unpatched_atlas() as old:
                    if old is not None:
                        results.append(
                            side_by_side(
                                "make generate, +1 column, 500 tables",
                                "Atlas without scale.patch",
                                lambda p=project: measure([p.command()], p.reset, cwd=ROOT),  # type: ignore[misc]
                                lambda p=project, old=old: measure(  # type: ignore[misc]
                                    [["env", f"ATLAS={old}", *p.command()]], p.reset, cwd=ROOT
                                ),
                            )
                        )
            seconds, _ = measure([project.command()], project.reset, cwd=ROOT)
            curve.append((n, seconds))
            shutil.rmtree(project.base)
        for n, seconds in curve:
            figures.append(f"  {n:5} tables {seconds:6.1f} s  ({1000 * seconds / n:5.1f} ms per table)")
        if len(curve) > 1:
            (n0, s0), (n1, s1) = curve[0], curve[-1]
            figures.append(f"  slope {1000 * (s1 - s0) / (n1 - n0):.1f} ms per added table ({n0} -> {n1})")
    return figures


def corpus_scenario(results: list[Result]) -> None:
    schema = CORPUS / "pagila" / "pagila-schema.sql"
    if not schema.exists():
        print(f"skipped corpus scenario: {schema} not found", file=sys.stderr)
        return
    with (
        pg.throwaway_server() as server,
        pg.scratch_database(server.url, "pagila") as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        proc = pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(schema))
        assert proc.returncode == 0, proc.stderr
        sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        sqlacodegen = str(Path(PY).parent / "sqlacodegen")
        results.append(
            side_by_side(
                "generate --from-url, pagila",
                "sqlacodegen alone (RSS)",
                lambda: measure([[PY, "-O", "-m", "codegen", "generate", "--from-url", url, "--out", tmp]]),
                lambda: measure([[sqlacodegen, sa_url, "--outfile", f"{tmp}/sqlacodegen.py"]]),
            )
        )


def runtime_scenario(results: list[Result]) -> None:
    import tracemalloc

    from psycopg.rows import dict_row

    from chatmaps_db import models

    rows = 20_000
    with pg.throwaway_server() as server, pg.scratch_database(server.url, "rt") as url:
        atlas.migrate_apply(MIGRATIONS, url)
        with pg.connect(url) as conn:
            conn.execute(
                "INSERT INTO users (name, email, image) "
                "SELECT 'user ' || i, 'user' || i || '@example.com', NULL FROM generate_series(1, %s) i",
                (rows,),
            )

            def fetch(as_models: bool) -> tuple[float, float]:
                tracemalloc.start()
                start = time.perf_counter()
                data = conn.cursor(row_factory=dict_row).execute("SELECT * FROM users").fetchall()
                typed = [models.User.model_validate(r) for r in data] if as_models else []
                seconds = time.perf_counter() - start
                peak = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
                assert len(data) == rows and len(typed) == (rows if as_models else 0)
                return seconds, peak

            results.append(
                side_by_side(
                    f"read {rows:,} users as models",
                    "psycopg dict rows (heap peak)",
                    lambda: fetch(True),
                    lambda: fetch(False),
                )
            )


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _load(checkout: Callable[[], Any], threads: int = 50, each: int = 200) -> tuple[float, list[float]]:
    """`threads` threads x `each` short transactions; (tx/s, per-transaction latencies in ms)."""
    import threading

    latencies: list[list[float]] = [[] for _ in range(threads)]
    barrier = threading.Barrier(threads + 1)

    def work(slot: int) -> None:
        mine = latencies[slot]
        barrier.wait()
        for i in range(each):
            t0 = time.perf_counter()
            with checkout() as conn:
                conn.execute(
                    "INSERT INTO verifications (identifier, value, expires_at) VALUES (%s, 'v', now())", (str(i),)
                )
            mine.append((time.perf_counter() - t0) * 1000)

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    seconds = time.perf_counter() - start
    return threads * each / seconds, [x for xs in latencies for x in xs]


def pool_scenario() -> list[str]:
    """Database against psycopg_pool directly, same settings, interleaved; median throughput."""
    from psycopg_pool import ConnectionPool

    from chatmaps_db import Database

    lines = []
    with pg.throwaway_server() as server, pg.scratch_database(server.url, "pool") as url:
        atlas.migrate_apply(MIGRATIONS, url)
        db = Database(url, min_size=1, max_size=10, max_idle=20, pool_timeout=10, connect_timeout=10)
        base = ConnectionPool(url, min_size=1, max_size=10, max_idle=20, timeout=10, open=True)
        ours_runs, base_runs = [], []
        for _ in range(REPEAT):
            ours_runs.append(_load(db.transaction))
            base_runs.append(_load(base.connection))
        ours = sorted(ours_runs, key=lambda r: r[0])[len(ours_runs) // 2]
        theirs = sorted(base_runs, key=lambda r: r[0])[len(base_runs) // 2]
        lines.append("50 threads x 200 short transactions (INSERT, commit), median of runs:")
        for label, (tps, lat) in (("Database.transaction()", ours), ("psycopg_pool directly", theirs)):
            lines.append(
                f"  {label:24} {tps:8.0f} tx/s   p50 {_percentile(lat, 0.5):6.2f} ms   p99 {_percentile(lat, 0.99):6.2f} ms"
            )
        lines.append(f"  throughput ratio ours/psycopg_pool: {ours[0] / theirs[0]:.2f}x")
        db.close()
        base.close()
    return lines


def _first_success(call: Callable[[], None], limit: float = 120.0) -> float:
    """Seconds until `call` succeeds, calling it every 10 ms."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        try:
            call()
            return time.perf_counter() - start
        except Exception:
            time.sleep(0.01)
    return float("inf")


def faults_scenario() -> list[str]:
    from psycopg_pool import ConnectionPool

    from chatmaps_db import Database

    lines = ["faults:"]
    with pg.throwaway_server() as server, pg.scratch_database(server.url, "faults") as url:
        db = Database(url, max_size=4, pool_timeout=10, connect_timeout=10)
        base = ConnectionPool(url, min_size=1, max_size=4, timeout=10, open=True)

        def ours() -> None:
            with db.connection() as conn:
                conn.execute("SELECT 1")

        def theirs() -> None:
            with base.connection() as conn:
                conn.execute("SELECT 1")

        ours()
        theirs()
        server.stop()

        def failing(call: Callable[[], None]) -> tuple[float, str]:
            """The second call while down (the first may meet a stale connection): seconds, error."""
            for _ in range(2):
                t0 = time.perf_counter()
                try:
                    call()
                    error = "no error"
                except Exception as exc:
                    error = type(exc).__name__
            return time.perf_counter() - t0, error

        down_ours, error_ours = failing(ours)
        down_theirs, error_theirs = failing(theirs)
        time.sleep(5)
        server.start()
        back_ours = _first_success(ours)
        back_theirs = _first_success(theirs)
        lines.append(
            f"  a call while the server is down: ours {down_ours * 1000:.1f} ms ({error_ours}, with libpq's reason), "
            f"psycopg_pool {down_theirs:.2f} s ({error_theirs})"
        )
        lines.append(
            f"  first success after the server is back (5 s outage): ours {back_ours:.3f} s, "
            f"psycopg_pool {back_theirs:.2f} s"
        )
        db.close()
        base.close()
    lines += _pgbouncer_figures()
    return lines


def _pgbouncer_figures() -> list[str]:
    from chatmaps_db import Database
    from tests.conftest import pgbouncer_binary
    from tests.faults.test_pgbouncer import _hammer

    binary = pgbouncer_binary()
    if binary is None:
        return ["  PgBouncer: not installed (apt-get install pgbouncer), figures skipped"]
    lines = ["  2,000 transactions (4,000 statements) behind PgBouncer 1.x, transaction mode, 4 server connections:"]
    with pg.throwaway_server() as server, pg.pgbouncer(server, binary) as template:
        url = template.format(db="postgres")
        for mode, label in (
            ("session", "prepared statements on (the old default)"),
            ("auto", "pooler detected (default)"),
            ("transaction", "DATABASE_PGBOUNCER=transaction"),
        ):
            db = Database(url, max_size=10, pgbouncer=mode)
            t0 = time.perf_counter()
            failed, wrong = _hammer(db)
            seconds = time.perf_counter() - t0
            lines.append(f"    {label:42} {failed:4} failed, {wrong:3} wrong results, {2000 / seconds:6.0f} tx/s")
            db.close()
    return lines


def main() -> None:
    results: list[Result] = []
    print(f"chatmaps-db bench: {REPEAT} runs per side, interleaved; median time, peak memory\n", flush=True)
    with before_checkout() as before:
        generate_scenarios(results, before)
        figures = synthetic_scenarios(results, before)
    figures += scale_scenarios(results)
    corpus_scenario(results)
    runtime_scenario(results)
    print(
        f"{'scenario':34} {'ours':>8} {'baseline':>9} {'time x':>7} {'mem MB':>7} {'base MB':>8} {'mem x':>6}  baseline"
    )
    for r in results:
        print(
            f"{r.name:34} {r.seconds:7.2f}s {r.base_seconds:8.2f}s {r.seconds / r.base_seconds:6.2f}x "
            f"{r.mb:7.1f} {r.base_mb:8.1f} {r.mb / r.base_mb:5.2f}x  {r.baseline}"
        )
    print()
    from bench import access, migrate_safety, observe, queries, seed, service

    lines = figures + access.run() + queries.run() + service.run() + seed.run() + observe.run()
    lines += migrate_safety.run()
    for line in lines + pool_scenario() + faults_scenario():
        print(line)
    cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    print(f"\n(bench process CPU {cpu:.1f}s; machine: {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
