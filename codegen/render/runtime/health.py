"""The result of Database.health() and AsyncDatabase.health(): readiness, in one of a few states."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# ok          ready: the server answered and has exactly this package's migrations
# down        the server is down or full, did not answer within the deadline, or the connection broke
# refused     the server refused the login (user, password, database name, pg_hba.conf, CONNECT),
#             or the database cannot be used (SQL_ASCII): waiting will not help; fix the configuration
# busy        every pooled connection stayed busy past the deadline (the server may be fine)
# unmigrated  no Atlas migration was ever applied to this database
# behind      some of this package's migrations are not applied yet (deploy migrations first)
# ahead       the database has newer migrations than this package (upgrade the service)
# diverged    the database has a migration this package does not know, older than its newest,
#             or one failed partway
Status = Literal["ok", "down", "refused", "busy", "unmigrated", "behind", "ahead", "diverged"]
# A read replica: ok; down (no answer, or broken); refused (the login, as above); busy (its pool);
# lagging (replays the primary's changes more than replica_max_lag seconds late). Reads skip one
# that is not ok.
ReplicaStatus = Literal["ok", "down", "refused", "busy", "lagging"]


@dataclass(frozen=True)
class ReplicaHealth:
    """One read replica, as `health()` found it. `url` has no password."""

    url: str
    status: ReplicaStatus
    latency_ms: float | None = None
    lag_s: float | None = None  # seconds behind the primary (0 when it has replayed all it received)
    error: str | None = None


@dataclass(frozen=True)
class Health:
    """What `health()` found. `ready` is True only for status "ok"; `error` says why not, in one line."""

    status: Status
    latency_ms: float | None = None
    server_version: str | None = None
    schema_version: str | None = None  # the newest migration applied to the database
    expected_schema_version: str | None = None  # the newest migration this package knows
    pool: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None
    # Every read replica (DATABASE_REPLICA_URLS). One that is not ok is skipped by reads, which
    # go to another replica or the primary: it does not make the database unready.
    replicas: tuple[ReplicaHealth, ...] = ()

    @property
    def ready(self) -> bool:
        return self.status == "ok"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: what /api/health and `python -m chatmaps_db health --json` print."""
        return {"ready": self.ready, **asdict(self)}
