"""The errors a user can meet. Each message is one line: it names the thing and the fix."""

from __future__ import annotations

from typing import ClassVar


class CodegenError(Exception):
    """A user-facing error: the CLI prints its message alone, without a traceback."""

    # True where the message was built password-free; the CLI redacts all others.
    redacted: ClassVar[bool] = False


class InvalidSetting(CodegenError):
    """An environment variable (DATABASE_URL) is missing or malformed; the message comes from
    the package's own validator, which shows no password (and may show the `user:password`
    placeholder of the expected form)."""

    redacted = True


class ToolMissing(CodegenError):
    """A tool the pipeline runs (Atlas, ruff, pg_ctl) is not installed."""


class AtlasFailed(CodegenError):
    """Atlas exited non-zero."""


class ChecksumMismatch(AtlasFailed):
    """A migration file differs from what atlas.sum recorded."""


class SchemaError(AtlasFailed):
    """Atlas refused schema.hcl: the message names the file, the line and the likely cause."""


class MissingExtension(AtlasFailed):
    """A migration needs a PostgreSQL extension the server does not have."""


class DestructiveChange(CodegenError):
    """A new migration would drop data and carries no explicit opt-in."""


class MigrationOrder(CodegenError):
    """A migration's version is in the future, not a timestamp, or shared with another file:
    the next generated migration would sort before it."""


class UsageError(CodegenError):
    """The command cannot do what it was asked without risking files it does not own."""


class OutOfSync(CodegenError):
    """Files on disk differ from what schema.hcl produces."""


class ServerFailed(CodegenError):
    """A PostgreSQL server could not be started or stopped, or cannot open its data."""


class DatabaseError(CodegenError):
    """A database could not be reached, created or read."""


class UnsupportedSchema(CodegenError):
    """The database holds something the generator cannot describe in Python.

    The planner reports every such object, one per line, before it stops.
    """


class QueryError(CodegenError):
    """queries/*.sql has queries that do not parse or prepare: one `file:line:col: message` line each."""
