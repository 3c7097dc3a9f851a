"""Shared fixtures: one throwaway embedded PostgreSQL per test session, a fresh
database per test. Everything is real: pgserver's PostgreSQL and the pinned Atlas."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen import atlas, pg
from codegen.paths import MIGRATIONS, SCHEMA
from tests import contrib_pg


@pytest.fixture(scope="session")
def server() -> Iterator[pg.Server]:
    with pg.throwaway_server() as srv:
        yield srv


@pytest.fixture(scope="session")
def contrib() -> Iterator[pg.Server]:
    """Debian's PostgreSQL with contrib (citext, hstore, ltree, pgcrypto, ...), for the
    extension tests and the PostgREST corpus; `make test` installs it when missing."""
    if contrib_pg.bin_dir() is None:
        pytest.skip(contrib_pg.MISSING)
    with contrib_pg.contrib_server() as srv:
        yield srv


@pytest.fixture
def fresh_db(server: pg.Server) -> Iterator[str]:
    """An empty database, dropped after the test."""
    with pg.scratch_database(server.url, "test") as url:
        yield url


@pytest.fixture
def dev_url(server: pg.Server) -> Iterator[str]:
    """An empty database Atlas may use as its dev database."""
    with pg.scratch_database(server.url, "atlas_dev") as url:
        yield url


@pytest.fixture
def migrated_db(fresh_db: str) -> str:
    """A fresh database with every migration in migrations/ applied."""
    atlas.migrate_apply(MIGRATIONS, fresh_db)
    return fresh_db


@pytest.fixture
def project_copy(tmp_path: Path) -> tuple[Path, Path]:
    """Temporary copies of schema.hcl and migrations/ that a test may change."""
    schema = tmp_path / "schema.hcl"
    shutil.copy(SCHEMA, schema)
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, migrations)
    return schema, migrations


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The per-schema table of the corpus run (tests/test_corpus.py)."""
    from tests.test_corpus import REPORT

    if not REPORT:
        return
    tr = terminalreporter
    tr.section("corpus: generate --from-url on schemas nobody here wrote")
    tr.write_line(f"{'schema':24} {'tables':>6} {'columns':>7} {'types':>5} {'unsupported':>11} {'time':>6}")
    for r in sorted(REPORT, key=lambda r: r.schema):
        tr.write_line(
            f"{r.schema:24} {r.tables:>6} {r.columns:>7} {len(r.types):>5} {sum(r.unsupported.values()):>11} "
            f"{r.seconds:>5.1f}s"
        )
    for r in sorted(REPORT, key=lambda r: r.schema):
        kinds = ", ".join(f"{n} {k}" for k, n in r.unsupported.items()) or "none"
        tr.write_line(
            f"  {r.schema}: unsupported (one note each): {kinds}" + (f"; {r.not_loaded}" if r.not_loaded else "")
        )
        tr.write_line(f"    types met: {', '.join(r.types)}")
