"""The fault suite: a server of its own that tests stop, restart and overload under live clients.

Every test that stops the server starts it again (the `restartable` fixture checks), so the
tests stay independent of their order.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from codegen.dev import atlas, pg
from codegen.paths import MIGRATIONS


@pytest.fixture(scope="package")
def fault_server() -> Iterator[pg.ThrowawayServer]:
    """A server only the fault suite uses, so stopping it disturbs no other test."""
    with pg.throwaway_server() as srv:
        yield srv


@pytest.fixture
def restartable(fault_server: pg.ThrowawayServer) -> Iterator[pg.ThrowawayServer]:
    """The fault server, running again after the test whatever the test did to it."""
    try:
        yield fault_server
    finally:
        running(fault_server)


@pytest.fixture
def fault_db(restartable: pg.ThrowawayServer) -> Iterator[str]:
    """A migrated database on the fault server, dropped afterwards."""
    with pg.scratch_database(restartable.url, "fault") as url:
        atlas.migrate_apply(MIGRATIONS, url)
        try:
            yield url
        finally:
            running(restartable)


def running(server: pg.ThrowawayServer) -> None:
    """Start the server if a test left it stopped."""
    if not (server.data / "postmaster.pid").exists():
        server.start()


def backends(server_url: str, application_name: str) -> int:
    """How many sessions the server has for `application_name`."""
    with pg.connect(server_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (application_name,)
        ).fetchone()
    return int(row[0]) if row else 0
