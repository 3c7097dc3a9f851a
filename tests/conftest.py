"""Shared fixtures: one throwaway embedded PostgreSQL per test session, a fresh
database per test. Everything is real: pgserver's PostgreSQL and the pinned Atlas."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen import atlas, pg
from codegen.paths import MIGRATIONS, SCHEMA


@pytest.fixture(scope="session")
def server() -> Iterator[pg.Server]:
    with pg.throwaway_server() as srv:
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
