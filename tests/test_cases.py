"""The generator, feature by feature: tests/cases/<feature>/ is one schema and what it must give.

A case directory holds:

- schema.sql: loaded into a fresh database, then `generate --from-url` runs on it;
- config.toml (optional): passed as --config (a [tool.codegen] table);
- queries/ (optional): passed as --queries (checked queries, prepared on that database);
- expected.stderr: the generator's whole stderr (notes, warnings, errors), `<out>` for the
  output directory; empty when it must say nothing;
- expected/ : the output files to compare, by path under --out (only those present are
  compared, so a case shows just what its feature changes). Without expected/, generation
  must fail (exit 1), and expected.stderr holds the error.

A mismatch fails with the unified diff. `UPDATE_GOLDEN=1 make test` (or `make golden`)
rewrites expected.stderr and every file present under expected/; to add a file to a case,
create it empty and run that.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from codegen.dev import pg
from tests.package_checks import generate_from_url

CASES = Path(__file__).parent / "cases"
UPDATE = bool(os.environ.get("UPDATE_GOLDEN"))


def _diff(expected: str, actual: str, name: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(True), actual.splitlines(True), f"expected/{name}", f"generated/{name}"
    )
    return "".join(lines)


def _compare(golden: Path, actual: str, name: str, problems: list[str]) -> None:
    if UPDATE:
        golden.write_text(actual)
        return
    expected = golden.read_text()
    if expected != actual:
        problems.append(_diff(expected, actual, name))


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if (p / "schema.sql").exists()))
def test_case(case: str, server: pg.Server, tmp_path: Path) -> None:
    here = CASES / case
    out = tmp_path / "out"
    config = here / "config.toml"
    with pg.scratch_database(server.url, "case") as url:
        loaded = pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(here / "schema.sql"))
        assert loaded.returncode == 0, f"{here / 'schema.sql'}: {loaded.stderr}"
        extra = ["--queries", str(here / "queries")] if (here / "queries").is_dir() else []
        extra += ["--config", str(config)] if config.exists() else []
        proc = generate_from_url(url, out, *extra)
    expected_dir = here / "expected"
    should_fail = not expected_dir.is_dir()
    assert proc.returncode == (1 if should_fail else 0), f"exit {proc.returncode}:\n{proc.stderr}"
    problems: list[str] = []
    _compare(here / "expected.stderr", proc.stderr.replace(str(out), "<out>"), "stderr", problems)
    if not should_fail:
        for golden in sorted(p for p in expected_dir.rglob("*") if p.is_file()):
            name = str(golden.relative_to(expected_dir))
            made = out / name
            _compare(golden, made.read_text() if made.exists() else "", name, problems)
    assert not problems, f"tests/cases/{case} differs (UPDATE_GOLDEN=1 rewrites it if intended):\n" + "".join(problems)
