"""[tool.codegen] in pyproject.toml: type overrides, class names, secret columns."""

from __future__ import annotations

import keyword
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from codegen.errors import CodegenError
from codegen.plan.typemap import PyType, parse_override


@dataclass(frozen=True)
class Config:
    """[tool.codegen] in pyproject.toml.

    types: {"schema.type" or "type": "annotation" or "module:Class"}, for types the table lacks.
    names: {"schema.object": "ClassName"}, for tables, enums, domains and composite types
    whose generated class names would collide.
    secret_columns: ["schema.table.column", ...], kept out of repr() and serialisation
    (as is any column whose comment holds @secret).
    server_columns: ["schema.table.column", ...], set by the server, never by an API's client
    (as is any column whose comment holds @server): its table gets <Row>Create and <Row>Patch
    models without them, for request bodies.
    """

    types: dict[str, PyType] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    secret_columns: tuple[str, ...] = ()
    server_columns: tuple[str, ...] = ()
    # Array elements are `T | None` (PostgreSQL arrays hold NULLs whatever NOT NULL says);
    # `not_null_array_elements = true` declares that this schema's arrays never do.
    not_null_array_elements: bool = False
    source: str = "pyproject.toml"  # the file it came from, as error messages name it
    # {"schema.table.name": "new_name"}: renames a relation (plan/relations.py's rule gave `name`).
    relations: dict[str, str] = field(default_factory=dict)
    # {"schema.view.column": "schema.table.column"}: a foreign key the database cannot hold (a view's,
    # or one a schema left out), for relations only: nothing is enforced.
    foreign_keys: dict[str, str] = field(default_factory=dict)
    # [tool.codegen.migrations]: what `make generate` writes into a new migration, and what is linted.
    migrations: MigrationSettings = field(default_factory=lambda: MigrationSettings())


@dataclass(frozen=True)
class MigrationSettings:
    """[tool.codegen.migrations] in pyproject.toml."""

    # SET at the top of each new migration: a statement that waits longer for a lock fails (its
    # file rolls back) instead of queueing every query on the table behind it.
    lock_timeout: str = "5s"
    # Migrations at or before this version are not linted (they predate the lint: strong_migrations'
    # start_after). Empty: all are.
    lint_after: str = ""
    # A new migration's CREATE/DROP INDEX on a table that already exists is written CONCURRENTLY,
    # into a file of its own that Atlas runs outside a transaction (`-- atlas:txmode none`).
    concurrent_indexes: bool = True


_DURATION = re.compile(r"\d+(ms|s|min)")


def _migration_settings(section: object, pyproject: Path) -> MigrationSettings:
    where = f"{pyproject}: [tool.codegen.migrations]"
    if not isinstance(section, dict):
        raise CodegenError(f"{where} must be a table")
    unknown = sorted(set(section) - {"lock_timeout", "lint_after", "concurrent_indexes"})
    if unknown:
        raise CodegenError(f"{where} has no setting {unknown[0]!r}: lock_timeout, lint_after and concurrent_indexes")
    timeout = section.get("lock_timeout", "5s")
    if not isinstance(timeout, str) or not _DURATION.fullmatch(timeout):
        raise CodegenError(f'{where} lock_timeout must be a duration PostgreSQL reads, like "5s", "500ms" or "1min"')
    after = section.get("lint_after", "")
    if not isinstance(after, str) or not (after == "" or (len(after) == 14 and after.isdigit())):
        raise CodegenError(f'{where} lint_after must be a migration version (YYYYMMDDHHMMSS), like "20261122215456"')
    concurrent = section.get("concurrent_indexes", True)
    if not isinstance(concurrent, bool):
        raise CodegenError(f"{where} concurrent_indexes must be true or false")
    return MigrationSettings(timeout, after, concurrent)


def load_config(pyproject: Path, *, required: bool = False) -> Config:
    """Read [tool.codegen] from `pyproject` (an empty Config when the file is absent, unless
    `required`: a file named by --config must exist)."""
    if not pyproject.exists():
        if required:
            raise CodegenError(f"{pyproject}: no such file (--config): name a TOML file with a [tool.codegen] table")
        return Config()
    try:
        data = tomllib.loads(pyproject.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise CodegenError(f"{pyproject}: invalid TOML ({exc}): fix the file") from None
    section = data.get("tool", {}).get("codegen", {})
    names = {str(k): str(v) for k, v in section.get("names", {}).items()}
    for key, value in names.items():
        if not value.isidentifier() or keyword.iskeyword(value):
            raise CodegenError(
                f'{pyproject}: [tool.codegen.names] "{key}" = "{value}" is not a Python class name: use letters, digits and _'
            )
    secrets = section.get("secret_columns", [])
    if not isinstance(secrets, list) or not all(isinstance(s, str) and s.count(".") >= 2 for s in secrets):
        raise CodegenError(
            f'{pyproject}: [tool.codegen] secret_columns must be a list of "schema.table.column" strings'
        )
    server = section.get("server_columns", [])
    if not isinstance(server, list) or not all(isinstance(s, str) and s.count(".") >= 2 for s in server):
        raise CodegenError(
            f'{pyproject}: [tool.codegen] server_columns must be a list of "schema.table.column" strings'
        )
    types = {str(k): parse_override(str(v)) for k, v in section.get("types", {}).items()}
    not_null = section.get("not_null_array_elements", False)
    if not isinstance(not_null, bool):
        raise CodegenError(f"{pyproject}: [tool.codegen] not_null_array_elements must be true or false")
    relations = section.get("relations", {})
    if not isinstance(relations, dict) or not all(isinstance(v, str) for v in relations.values()):
        raise CodegenError(
            f'{pyproject}: [tool.codegen.relations] maps "schema.table.relation" to a new name: '
            '"public.sessions.user" = "owner"'
        )
    keys = section.get("foreign_keys", {})
    if not isinstance(keys, dict) or not all(
        isinstance(v, str) and v.count(".") >= 2 and k.count(".") >= 2 for k, v in keys.items()
    ):
        raise CodegenError(
            f'{pyproject}: [tool.codegen.foreign_keys] maps "schema.view.column" to the column it refers to: '
            '"public.user_stats.user_id" = "public.users.id"'
        )
    settings = _migration_settings(section.get("migrations", {}), pyproject)
    return Config(
        types, names, tuple(secrets), tuple(server), not_null, _shown(pyproject), dict(relations), dict(keys), settings
    )


def _shown(path: Path) -> str:
    """`path` relative to the working directory when it is under it (pyproject.toml), else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
