"""The result of Database.health() and AsyncDatabase.health()."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Health:
    """What `health()` found. `ok` is False when the server could not be queried."""

    ok: bool
    latency_ms: float | None
    server_version: str | None
    schema_version: str | None
    expected_schema_version: str | None
    pool: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
