"""SQLAlchemy column types for PostgreSQL types SQLAlchemy has no class for.

tables.py uses `PgType("point")` for such a column (xml, the geometric types, pg_lsn,
extension types such as ltree, composite types), so that its DDL names the real type and
SQLAlchemy never falls back to NullType. Values pass through as psycopg returns them (text).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.types import UserDefinedType


class PgType(UserDefinedType[str]):
    """A PostgreSQL type by its SQL name, e.g. `PgType("point")`."""

    cache_ok = True

    def __init__(self, name: str) -> None:
        self.name = name

    def get_col_spec(self, **kw: Any) -> str:
        return self.name

    @property
    def python_type(self) -> type[str]:
        return str
