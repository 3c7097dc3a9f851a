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
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from codegen import introspect, pg
from codegen.paths import ROOT
from tests.contrib_pg import bin_dir
from tests.package_checks import generate_from_url, mypy_strict, run_python

CORPUS = Path(os.environ.get("CHATMAPS_CORPUS", ROOT.parent / "shared" / "corpus"))
REPORT: list[CorpusRow] = []  # printed by conftest.pytest_terminal_summary

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS} (set CHATMAPS_CORPUS to its folder)"
)

# PostgREST's fixtures need PostGIS for three tables (shops, shop_bles, lines) and what
# depends on them; Debian's contrib has no PostGIS, so those statements fail to load.
POSTGIS_ONLY = re.compile(r'postgis|geometry|"shops"|shop_bles|"lines"|test\.lines')
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


def psql(url: str, *args: str, bindir: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = str(bindir / "psql") if bindir else pg.psql_path()
    return subprocess.run([exe, url, "-q", *args], capture_output=True, text=True, check=False)


def load_plain(url: str, sql_file: Path, tmp: Path) -> None:
    """Load one SQL file, stopping at the first error. Chinook creates and enters its own
    database: those lines are dropped (the corpus file itself is never changed)."""
    text = sql_file.read_text(encoding="utf-8-sig")
    kept = [ln for ln in text.splitlines() if not re.match(r"(DROP|CREATE) DATABASE|\\c ", ln)]
    script = tmp / sql_file.name
    script.write_text("\n".join(kept) + "\n")
    proc = psql(url, "-v", "ON_ERROR_STOP=1", "-f", str(script))
    assert proc.returncode == 0, proc.stderr[-2000:]


def load_postgrest(url: str, bindir: Path) -> str:
    folder = CORPUS / "postgrest-fixtures"
    dbname = url.split("?")[0].rsplit("/", 1)[1]
    errors = []
    for part in ("database", "roles", "schema", "jwt", "jsonschema", "privileges", "data"):
        proc = psql(
            url, "-v", f"DBNAME={dbname}", "-v", "PGUSER=postgres", "-f", str(folder / f"{part}.sql"), bindir=bindir
        )
        errors += [ln for ln in proc.stderr.splitlines() if "ERROR:" in ln]
    unexpected = [e for e in errors if not POSTGIS_ONLY.search(e)]
    assert not unexpected, "\n".join(unexpected)
    return f"{len(errors)} statements need PostGIS"


def generate_and_check(name: str, url: str, out: Path, config: Path | None = None) -> CorpusRow:
    extra = ["--config", str(config)] if config is not None else []
    start = time.perf_counter()
    proc = generate_from_url(url, out, *extra)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    notes = proc.stderr.splitlines()
    bad = [ln for ln in notes if not re.fullmatch(r"note: \S+ .+: .+", ln)]
    assert not bad, f"not one clear line per unsupported object: {bad[:5]}"

    mypy = mypy_strict(out)
    assert mypy.returncode == 0, mypy.stdout[-3000:]
    code = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "import chatmaps_db, chatmaps_db.models, chatmaps_db.tables\n"
        "from sqlalchemy.orm import configure_mappers; configure_mappers()\n"
        "print(len(chatmaps_db.models.__all__))"
    )
    imp = run_python(out, "-c", code)
    assert imp.returncode == 0, imp.stderr[-3000:]

    catalog = introspect.introspect(url)
    assert len(catalog.unsupported) == len(notes)
    types = sorted({c.type.sql.split("(")[0] for t in catalog.tables for c in t.columns})
    kinds = dict(sorted(Counter(u.kind for u in catalog.unsupported).items()))
    columns = sum(len(t.columns) for t in catalog.tables)
    return CorpusRow(name, len(catalog.tables), columns, types, kinds, "", seconds)


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


def test_postgrest_fixtures_generate_imports_and_type_checks(contrib: pg.Server, tmp_path: Path) -> None:
    bindir = bin_dir()
    assert bindir is not None
    config = tmp_path / "pyproject.toml"
    config.write_text(POSTGREST_CONFIG)
    with pg.scratch_database(contrib.url, "postgrest") as url:
        not_loaded = load_postgrest(url, bindir)
        row = generate_and_check("postgrest-fixtures", url, tmp_path / "out", config)
    REPORT.append(dataclasses.replace(row, not_loaded=not_loaded))
    assert row.tables > 200
