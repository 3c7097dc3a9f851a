"""How `make generate` grows with the schema: a project of N synthetic tables (bench/synth.py,
the subset Atlas's community edition writes as HCL), one column added.

`Project.create(N, dir, server)` writes DIR/schema.hcl (Atlas's own HCL of the synthetic
schema, from `atlas schema inspect`) and DIR/migrations/ (the same schema as one migration,
hashed), runs `make generate` once on it unchanged (so generated/ exists, as in a developer's
checkout) and keeps a copy of all three. `reset()` puts them back and adds one column to the
first table, as a developer would; `command()` is what `make generate` runs.

usage: python bench/scale.py N [N ...]   (seconds per `make generate`, one column added;
       ATLAS=/path/to/atlas to time another Atlas build)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench import synth  # noqa: E402
from codegen.dev import atlas, pg  # noqa: E402

NEW_COLUMN = '  column "scale_note" {\n    null = true\n    type = text\n  }\n'
_KEPT = ("schema.hcl", "migrations", "out")


@dataclass(frozen=True)
class Project:
    base: Path

    @classmethod
    def create(cls, n: int, base: Path, server: pg.Server) -> Project:
        """A project of `n` tables in `base`: schema.hcl and migrations/ that agree, generated once."""
        sql = synth.schema(n, atlas_ce=True)
        migrations = base / "migrations"
        migrations.mkdir(parents=True)
        initial = migrations / "20260101000000_initial.sql"
        initial.write_text(sql)
        atlas.migrate_hash(migrations)
        with pg.scratch_database(server.url, "scale") as url:
            loaded = pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(initial))
            if loaded.returncode != 0:
                raise SystemExit(f"bench: the synthetic schema did not load: {loaded.stderr}")
            hcl = atlas.run("schema", "inspect", "--url", pg.atlas_url(url), "--schema", "public").stdout
        (base / "schema.hcl").write_text(hcl)
        (base / "codegen.toml").write_text("[tool.codegen]\n")  # not ChatMaps' secret columns
        project = cls(base)
        subprocess.run(project.command(), cwd=ROOT, capture_output=True, check=True)
        kept = base / "kept"
        kept.mkdir()
        for name in _KEPT:
            _copy(base / name, kept / name)
        return project

    def reset(self) -> None:
        """The project as created, then one new column in table t0000."""
        for name in _KEPT:
            target = self.base / name
            if target.is_dir():
                shutil.rmtree(target)
            _copy(self.base / "kept" / name, target)
        schema = self.base / "schema.hcl"
        text = schema.read_text()
        at = text.index('table "t0000" {\n')
        line_end = text.index("\n", text.index("\n", at) + 1) + 1  # after its `schema = ...` line
        schema.write_text(text[:line_end] + NEW_COLUMN + text[line_end:])

    def command(self) -> list[str]:
        """Exactly what `make generate` runs, pointed at this project."""
        base = self.base
        return [
            *(sys.executable, "-O", "-m", "codegen", "update"),
            *("--schema", str(base / "schema.hcl"), "--migrations", str(base / "migrations")),
            *("--out", str(base / "out"), "--config", str(base / "codegen.toml")),
        ]


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy(source, target)


def main(sizes: list[int]) -> None:
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"scale-{n}-") as tmp, pg.throwaway_server() as server:
            project = Project.create(n, Path(tmp), server)
            project.reset()
            start = time.perf_counter()
            proc = subprocess.run(project.command(), cwd=ROOT, capture_output=True, text=True, check=False)
            took = time.perf_counter() - start
            if proc.returncode != 0 or "add_t0000_scale_note.sql" not in proc.stdout:
                raise SystemExit(f"bench: make generate on {n} tables failed: {proc.stdout}{proc.stderr}")
            print(f"{n:5} tables: {took:7.1f} s", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100])
