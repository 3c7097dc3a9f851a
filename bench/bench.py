"""`make bench`: chatmaps-db side by side with a named baseline, in one run, as ratios.

Scenarios (each side run REPEAT times, interleaved, median wall time, peak RSS of the
largest process):

1. `make generate`, unchanged schema     vs  baseline "raw tools": the same Atlas diff,
2. `make generate`, one column added          Atlas apply and sqlacodegen run by hand on
                                              the same embedded PostgreSQL, nothing else.
3. generate --from-url on pagila         vs  sqlacodegen alone on the same database.
4. read 20,000 users as models           vs  the same rows as psycopg dict rows
   (the price of typed rows at run time).

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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated")]

from codegen import atlas, pg  # noqa: E402
from codegen.paths import MIGRATIONS, SCHEMA  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
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


def measure(cmds: list[list[str]], prepare: Callable[[], None] | None = None) -> tuple[float, float]:
    if prepare is not None:
        prepare()
    out = subprocess.run([PY, "-c", _MEASURE, json.dumps(cmds)], capture_output=True, text=True, check=False)
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
        # exactly what `make generate` runs, with the output redirected to the scratch copy
        return [
            [PY, "-m", "codegen", "update", *common, "--out", str(self.out), "--config", str(ROOT / "pyproject.toml")]
        ]

    def baseline(self) -> list[list[str]]:
        return [
            [PY, str(Path(__file__).parent / "raw_tools.py"), str(self.schema), str(self.migrations), str(self.out)]
        ]


def generate_scenarios(results: list[Result]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = Project(Path(tmp))
        for label, add in (("make generate, unchanged schema", False), ("make generate, one column added", True)):

            def reset(add: bool = add) -> None:
                p.reset(add_column=add)

            def ours(reset: Callable[[], None] = reset) -> tuple[float, float]:
                return measure(p.ours(), reset)

            def base(reset: Callable[[], None] = reset) -> tuple[float, float]:
                return measure(p.baseline(), reset)

            results.append(side_by_side(label, "raw tools (RSS)", ours, base))


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
                lambda: measure([[PY, "-m", "codegen", "generate", "--from-url", url, "--out", tmp]]),
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


def main() -> None:
    results: list[Result] = []
    print(f"chatmaps-db bench: {REPEAT} runs per side, interleaved; median time, peak memory\n", flush=True)
    generate_scenarios(results)
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
    cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    print(f"\n(bench process CPU {cpu:.1f}s; machine: {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
