"""The generator on real schemas nobody here wrote (../shared/corpus/, read in place).

Each schema is loaded into a fresh database, generated with `--from-url`, and the package
must import (SQLAlchemy mappers configured too) and pass `mypy --strict`. What the project
does not generate (views, functions, triggers, ...) must be one `note:` line per object.
The per-schema table is printed at the end of the run (see conftest.py).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from codegen.dev import pg
from codegen.introspect import catalog as introspect
from codegen.paths import ROOT
from tests.package_checks import LOAD_EVERYTHING, codegen_seed, generate_from_url, mypy_strict, run_python
from tests.test_ddl_roundtrip import roundtrip as ddl_roundtrip

CORPUS = Path(os.environ.get("CHATMAPS_CORPUS", ROOT.parent / "shared" / "corpus"))
REPORT: list[CorpusRow] = []  # printed by conftest.pytest_terminal_summary

# Every test that loads a corpus schema carries it (here, test_seed.py, test_studio.py).
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS} (set CHATMAPS_CORPUS to its folder)"
)
pytestmark = needs_corpus

# Statements of PostgREST's fixtures that fail to load, by what the server lacks. PostGIS
# (three tables: shops, shop_bles, lines, and what depends on them) is on no server here;
# pgcrypto (the JWT helpers) and libxml (xml values) are missing from the embedded build.
CANNOT_LOAD = {
    "PostGIS": re.compile(r'postgis|geometry|"shops"|shop_bles|"lines"|test\.lines'),
    "pgcrypto": re.compile(r'pgcrypto|hmac\(|/jwt\.sql:|schema "jwt"'),  # jwt.sql signs with hmac()
    "libxml": re.compile(r"unsupported XML feature"),
}
DUMP_PATH = "/tmp/projects_dump.csv"  # the fixtures' server-side COPY target, moved per test
# What the fixtures' names need: the message for each is a test of its own (test_generator.py).
POSTGREST_CONFIG = """\
[tool.codegen.types]
"test.projects" = "str"   # domain over a table's row type: psycopg returns it as text

[tool.codegen.names]
"test.foo" = "TestFooLower"   # test.foo and test.Foo
"test.surr_gen_default_upsert" = "TestSurrGenDefaultUpsertLower"
"""


@dataclass(frozen=True)
class CorpusRow:
    schema: str
    tables: int
    columns: int
    types: list[str]
    unsupported: dict[str, int]  # kind -> count
    not_loaded: str
    seconds: float
    ddl_compared: int = 0  # indexes and constraints compiled back from tables.py, all equal
    write_path: tuple[int, int] = (0, 0)  # tables whose whole write path ran, of all tables
    left_out: list[str] = dataclasses.field(default_factory=list)  # "  table: done: why" each


def psql(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([pg.psql_path(), url, "-q", *args], capture_output=True, text=True, check=False)


def load_plain(url: str, sql_file: Path, tmp: Path) -> None:
    """Load one SQL file, stopping at the first error. Chinook creates and enters its own
    database: those lines are dropped (the corpus file itself is never changed)."""
    text = sql_file.read_text(encoding="utf-8-sig")
    kept = [ln for ln in text.splitlines() if not re.match(r"(DROP|CREATE) DATABASE|\\c ", ln)]
    script = tmp / sql_file.name
    script.write_text("\n".join(kept) + "\n")
    proc = psql(url, "-v", "ON_ERROR_STOP=1", "-f", str(script))
    assert proc.returncode == 0, proc.stderr[-2000:]


def load_postgrest(url: str, tmp: Path) -> str:
    """Load the fixtures in their order. Their server-side dump file moves from /tmp into a
    folder of this test's own (the corpus files are never changed), so that no run depends
    on who ran the suite before. Failures must all be explained by CANNOT_LOAD."""
    folder = CORPUS / "postgrest-fixtures"
    dbname = url.split("?")[0].rsplit("/", 1)[1]
    dump_dir = Path(tempfile.mkdtemp(prefix="chatmaps-postgrest-"))
    pg.give_to_server(dump_dir)  # the server writes it (COPY ... TO) and reads it (file_fdw)
    errors = []
    try:
        for part in ("database", "roles", "schema", "jwt", "jsonschema", "privileges", "data"):
            script = tmp / f"{part}.sql"
            script.write_text((folder / f"{part}.sql").read_text().replace(DUMP_PATH, f"{dump_dir}/projects_dump.csv"))
            proc = psql(url, "-v", f"DBNAME={dbname}", "-v", "PGUSER=postgres", "-f", str(script))
            errors += [ln for ln in proc.stderr.splitlines() if "ERROR:" in ln]
    finally:
        shutil.rmtree(dump_dir, ignore_errors=True)
    causes = {name: [e for e in errors if pattern.search(e)] for name, pattern in CANNOT_LOAD.items()}
    unexpected = [e for e in errors if not any(e in found for found in causes.values())]
    assert not unexpected, "\n".join(unexpected)
    return ", ".join(f"{len(found)} statements need {name}" for name, found in causes.items() if found)


def generate_and_check(name: str, url: str, out: Path, config: Path | None = None) -> CorpusRow:
    extra = ["--config", str(config)] if config is not None else []
    start = time.perf_counter()
    proc = generate_from_url(url, out, *extra)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    notes = proc.stderr.splitlines()
    # A note per object not generated; SQLAlchemy's and sqlacodegen's warnings, one line each,
    # naming their objects (PostgREST's fixtures have a foreign-key cycle: test.agents <-> test.departments).
    warnings = [ln for ln in notes if ln.startswith("warning: ")]
    assert all('"' in ln for ln in warnings), warnings
    bad = [ln for ln in notes if ln not in warnings and not re.fullmatch(r"note: \S+ .+: .+", ln)]
    assert not bad, f"not one clear line per unsupported object: {bad[:5]}"

    mypy = mypy_strict(out)
    assert mypy.returncode == 0, mypy.stdout[-3000:]
    imp = run_python(out, "-c", "import warnings; warnings.simplefilter('ignore')\n" + LOAD_EVERYTHING)
    assert imp.returncode == 0, imp.stderr[-3000:]
    # Rows in every table (make seed's engine, beside the schema's own), then the table layer's
    # whole write path on every table: insert, get, update, delete, upsert.
    seeded = codegen_seed(url, "--rows", "20", "--package", str(out))
    assert seeded.returncode == 0, seeded.stderr
    smoke = run_python(out, "-W", "ignore", str(ROOT / "tests" / "roundtrip" / "corpus_smoke.py"), url)
    assert smoke.returncode == 0, smoke.stdout[-3000:] + smoke.stderr[-3000:]
    summary = re.fullmatch(
        r"(\d+) tables with a primary key, (\d+) with the whole write path \(insert, get, update, delete, "
        r"upsert\); \d+ without one inserted; 0 bugs",
        smoke.stdout.splitlines()[-1],
    )
    assert summary, smoke.stdout
    where = re.fullmatch(r"where: (\d+) conditions on (\d+) tables and views .*", smoke.stdout.splitlines()[-2])
    assert where and int(where[2]) > 0 and int(where[1]) >= 2 * int(where[2]), smoke.stdout[-3000:]
    filtered = re.fullmatch(r"relations: (\d+) filtered on, (\d+) loaded", smoke.stdout.splitlines()[-3])
    assert filtered and int(filtered[2]) >= 0.9 * int(filtered[1]), smoke.stdout[-3000:]  # tables with a key
    assert int(filtered[1]) >= 2 * sum(len(t.foreign_keys) for t in introspect.introspect(url).tables), smoke.stdout[
        -3000:
    ]
    tables, whole = int(summary[1]), int(summary[2])
    left_out = [line for line in smoke.stdout.splitlines() if line.startswith("  ")]  # "  table: done: why"
    assert whole >= 0.95 * tables, "\n".join(left_out)  # each one left out is listed with its reason

    compared, _ = ddl_roundtrip(url, out)

    catalog = introspect.introspect(url)
    assert len(catalog.unsupported) == len(notes) - len(warnings)
    types = sorted({c.type.sql.split("(")[0] for t in catalog.tables for c in t.columns})
    kinds = dict(sorted(Counter(u.kind for u in catalog.unsupported).items()))
    columns = sum(len(t.columns) for t in catalog.tables)
    return CorpusRow(name, len(catalog.tables), columns, types, kinds, "", seconds, compared, (whole, tables), left_out)


PLAIN = {
    "northwind": "northwind/northwind.sql",
    "chinook": "chinook/Chinook_PostgreSql.sql",
    "chinook (identity PKs)": "chinook/Chinook_PostgreSql_AutoIncrementPKs.sql",
    "pagila": "pagila/pagila-schema.sql",
}


@pytest.mark.parametrize("name", list(PLAIN))
def test_corpus_schema_generates_imports_and_type_checks(server: pg.Server, tmp_path: Path, name: str) -> None:
    with pg.scratch_database(server.url, "corpus") as url:
        load_plain(url, CORPUS / PLAIN[name], tmp_path)
        REPORT.append(generate_and_check(name, url, tmp_path / "out"))


def test_postgrest_fixtures_generate_imports_and_type_checks(server: pg.Server, tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text(POSTGREST_CONFIG)
    with pg.scratch_database(server.url, "postgrest") as url:
        not_loaded = load_postgrest(url, tmp_path)
        row = generate_and_check("postgrest-fixtures", url, tmp_path / "out", config)
    REPORT.append(dataclasses.replace(row, not_loaded=not_loaded))
    assert row.tables > 200
