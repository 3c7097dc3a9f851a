"""Connection layer (async): AsyncDatabase. The sync twin, db.py, is derived from this file.

Importing this module touches neither the environment nor the network; the pool
opens on first use.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.types import TypeInfo
from psycopg.types.composite import CompositeInfo, register_composite
from psycopg.types.enum import EnumInfo, register_enum
from psycopg.types.hstore import register_hstore
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from chatmaps_db._meta import MIGRATION_VERSION, PG_COMPOSITES, PG_ENUMS, PG_HSTORE
from chatmaps_db.errors import ConnectError, SchemaMismatch
from chatmaps_db.health import Health
from chatmaps_db.settings import Settings, redact_url

_REVISION_SQL = "SELECT max(version) FROM atlas_schema_revisions.atlas_schema_revisions WHERE applied = total"


def _reason(exc: BaseException) -> str:
    """libpq's reason for a failed connection, on one line."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[-1] if lines else type(exc).__name__
    for prefix in ("FATAL:", "connection failed:"):
        text = text.split(prefix)[-1].strip()
    return text


class AsyncDatabase:
    """A lazily opened psycopg pool for one database, plus health and schema checks."""

    def __init__(
        self,
        url: str | None = None,
        *,
        min_size: int | None = None,
        max_size: int | None = None,
        max_idle: float | None = None,
        connect_timeout: float | None = None,
        pgbouncer: bool | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Validate the settings now (no I/O). Keywords override DATABASE_POOL_* variables."""
        self.settings = Settings.build(
            url,
            env,
            min_size=min_size,
            max_size=max_size,
            max_idle=max_idle,
            connect_timeout=connect_timeout,
            pgbouncer=pgbouncer,
        )
        self._pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        self._enum_infos: dict[str, EnumInfo] = {}
        self._composite_infos: dict[str, CompositeInfo] = {}
        self._hstore_infos: dict[str, TypeInfo] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Any) -> AsyncDatabase:
        """Build from DATABASE_URL (and DATABASE_POOL_*); fails now if it is missing or malformed."""
        return cls(None, env=env, **options)

    def __repr__(self) -> str:
        state = "open" if self._pool is not None else "not opened"
        return f"{type(self).__name__}({self.settings.safe_url!r}, max_size={self.settings.max_size}, {state})"

    def _connect_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"connect_timeout": max(1, round(self.settings.connect_timeout))}
        if self.settings.pgbouncer:
            # PgBouncer in transaction mode cannot keep server-side prepared statements.
            kwargs["prepare_threshold"] = None
        return kwargs

    async def _configure(self, conn: AsyncConnection[Any]) -> None:
        """Teach each new connection our enums, composite types and hstore."""
        for name, enum_cls in PG_ENUMS.items():
            if name not in self._enum_infos:
                info = await EnumInfo.fetch(conn, name)
                if info is None:
                    continue
                self._enum_infos[name] = info
            # Members map to labels by value (VERY_SAD -> 'very sad'), not by name.
            register_enum(self._enum_infos[name], conn, enum_cls, mapping={m: m.value for m in enum_cls})
        for name, composite_cls in PG_COMPOSITES.items():
            if name not in self._composite_infos:
                cinfo = await CompositeInfo.fetch(conn, name)
                if cinfo is None:
                    continue
                self._composite_infos[name] = cinfo
            register_composite(self._composite_infos[name], conn, composite_cls)
        for name in PG_HSTORE:
            if name not in self._hstore_infos:
                hinfo = await TypeInfo.fetch(conn, name)
                if hinfo is None:
                    continue
                self._hstore_infos[name] = hinfo
            register_hstore(self._hstore_infos[name], conn)
        await conn.commit()

    async def _probe(self) -> None:
        """One direct connection, so a bad password or host gives libpq's own reason."""
        try:
            conn = await AsyncConnection.connect(self.settings.url, **self._connect_kwargs())
        except psycopg.OperationalError as exc:
            raise ConnectError(f"cannot connect to {self.settings.safe_url}: {_reason(exc)}") from None
        await conn.close()

    async def pool(self) -> AsyncConnectionPool[AsyncConnection[Any]]:
        """The pool, opened on first call."""
        if self._pool is None:
            await self._probe()
            pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
                self.settings.url,
                min_size=self.settings.min_size,
                max_size=self.settings.max_size,
                max_idle=self.settings.max_idle,
                timeout=self.settings.connect_timeout,
                kwargs=self._connect_kwargs(),
                configure=self._configure,
                open=False,
                name=f"chatmaps_db {redact_url(self.settings.url)}",
            )
            try:
                await pool.open(wait=True, timeout=self.settings.connect_timeout)
            except PoolTimeout:
                await pool.close()
                raise ConnectError(
                    f"cannot connect to {self.settings.safe_url}: "
                    f"no connection after {self.settings.connect_timeout:.2f} sec"
                ) from None
            self._pool = pool
        return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection[Any]]:
        """A pooled connection; committed on success, rolled back on error."""
        pool = await self.pool()
        try:
            async with pool.connection() as conn:
                yield conn
        except PoolTimeout:
            raise ConnectError(
                f"couldn't get a connection to {self.settings.safe_url} after {self.settings.connect_timeout:.2f} sec"
            ) from None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection[Any]]:
        """A pooled connection inside one transaction (BEGIN ... COMMIT or ROLLBACK)."""
        async with self.connection() as conn, conn.transaction():
            yield conn

    async def schema_version(self) -> str | None:
        """The newest migration applied to the database (None if Atlas never ran there)."""
        async with self.connection() as conn:
            cur = await conn.execute("SELECT to_regclass('atlas_schema_revisions.atlas_schema_revisions')")
            row = await cur.fetchone()
            if row is None or row[0] is None:
                return None
            cur = await conn.execute(_REVISION_SQL)
            row = await cur.fetchone()
            return str(row[0]) if row and row[0] else None

    async def check_schema(self) -> None:
        """Raise SchemaMismatch unless the database is at MIGRATION_VERSION."""
        actual = await self.schema_version()
        if actual == MIGRATION_VERSION:
            return
        where = self.settings.safe_url
        if actual is None or (MIGRATION_VERSION is not None and actual < MIGRATION_VERSION):
            raise SchemaMismatch(
                f"database {where} is behind: at migration {actual or 'none'}, this package expects "
                f"{MIGRATION_VERSION}: run `atlas migrate apply --env prod`"
            )
        raise SchemaMismatch(
            f"database {where} is ahead: at migration {actual}, this package expects {MIGRATION_VERSION}: "
            "upgrade chatmaps-db in this service"
        )

    async def health(self) -> Health:
        """Ping the server: latency, version, pool stats and schema version. Never raises."""
        try:
            start = time.perf_counter()
            async with self.connection() as conn:
                cur = await conn.execute("SELECT current_setting('server_version')")
                row = await cur.fetchone()
            latency = (time.perf_counter() - start) * 1000
            version = await self.schema_version()
            stats = self._pool.get_stats() if self._pool is not None else {}
            return Health(
                ok=True,
                latency_ms=round(latency, 3),
                server_version=str(row[0]) if row else None,
                schema_version=version,
                expected_schema_version=MIGRATION_VERSION,
                pool=stats,
            )
        except Exception as exc:  # health reports, it does not raise
            return Health(False, None, None, None, MIGRATION_VERSION, error=redact_url(str(exc)))

    async def close(self) -> None:
        """Close the pool; the next use opens a new one."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def __aenter__(self) -> AsyncDatabase:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
