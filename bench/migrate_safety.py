"""What migration safety adds to `make generate` (make bench part 16), side by side in one run:

`codegen update` for one schema change on ChatMaps (users gains a column and an index on it: two
new files, the second CONCURRENTLY), run on fresh copies of the project by this tree and by the
tree of commit SAFETY_BEFORE (the last one before issue 28: Atlas's destructive lint only),
alternating, REPEAT times each, with the same Atlas and the same Python. Ours lints with Atlas
and squawk, runs the migration on a copy with ROWS=1000 per table (the seed engine, through
generated/'s package) and writes the down scripts. Medians, and the seconds added.
`python -m bench.migrate_safety` runs this part alone.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAFETY_BEFORE = os.environ.get("BENCH_SAFETY_BEFORE", "6c924c7")
REPEAT = int(os.environ.get("BENCH_SAFETY_REPEAT", "5"))
CHANGE = (
    '  index "users_email_lower_key" {',
    '  column "nickname" {\n    null = true\n    type = text\n  }\n'
    '  index "users_nick_idx" {\n    columns = [column.nickname]\n  }\n'
    '  index "users_email_lower_key" {',
)


def _project(into: Path) -> Path:
    """A fresh copy of the project (schema.hcl changed), its package beside it for the probe."""
    into.mkdir()
    for name in ("schema.hcl", "pyproject.toml"):
        shutil.copy(ROOT / name, into / name)
    shutil.copytree(ROOT / "migrations", into / "migrations")
    shutil.copytree(ROOT / "generated", into / "generated")
    schema = into / "schema.hcl"
    schema.write_text(schema.read_text().replace(*CHANGE, 1))
    return into


def _update(tree: Path, project: Path) -> float:
    """Seconds for `python -m codegen update` run from `tree`'s codegen/ on `project`."""
    command = [sys.executable, "-m", "codegen", "update", "--schema", str(project / "schema.hcl")]
    command += ["--migrations", str(project / "migrations"), "--out", str(project / "generated")]
    env = {**os.environ, "ATLAS": str(ROOT / ".tools" / "bin" / "atlas"), "PYTHONPATH": ""}
    start = time.perf_counter()
    subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def run() -> list[str]:
    lines = [
        "",
        f"migration safety (python -m bench.migrate_safety), `codegen update` for one change, {REPEAT} runs each:",
    ]
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", SAFETY_BEFORE, "codegen"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        return [*lines, f"  no baseline: commit {SAFETY_BEFORE} is not in this clone"]
    ours: list[float] = []
    before: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-safety-") as tmp:
        base = Path(tmp) / "before"
        base.mkdir()
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
        for i in range(REPEAT):
            for tree, times in ((ROOT, ours), (base, before))[:: 1 if i % 2 else -1]:
                times.append(_update(tree, _project(Path(tmp) / f"p{i}-{len(times)}-{tree.name}")))
    o, b = statistics.median(ours), statistics.median(before)
    lines.append(
        f"  make generate: {o:5.2f}s vs {b:5.2f}s at commit {SAFETY_BEFORE} (before the lint, probe and down "
        f"scripts): +{o - b:4.2f}s, {o / b:4.2f}x the time (goal: under 2 s added)"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
