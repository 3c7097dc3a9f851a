"""Errors raised by chatmaps_db. Messages are one line and never contain a password."""

from __future__ import annotations


class DatabaseError(Exception):
    """Base class of every chatmaps_db error."""


class ConfigError(DatabaseError):
    """DATABASE_URL or a pool setting is missing or malformed."""


class ConnectError(DatabaseError):
    """The server could not be reached or refused the login."""


class SchemaMismatch(DatabaseError):
    """The database is not at the migration this package was generated from."""
