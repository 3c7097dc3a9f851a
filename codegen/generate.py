"""The generator pipeline: introspect -> IR -> plan -> render -> format -> write|check."""

from __future__ import annotations

import keyword
import tomllib
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from codegen import atlas, fmt, introspect, ir, pg, plan, render
from codegen.errors import CodegenError
from codegen.typemap import PyType, parse_override


@dataclass(frozen=True)
class Output:
    """Everything one generation produced, in memory."""

    catalog: ir.Catalog
    files: dict[str, str]  # path relative to the package dir (and "SCHEMA.md") -> text


@dataclass(frozen=True)
class Config:
    """[tool.codegen] in pyproject.toml.

    types: {"schema.type" or "type": "annotation" or "module:Class"}, for types the table lacks.
    names: {"schema.object": "ClassName"}, for tables, enums, domains and composite types
    whose generated class names would collide.
    secret_columns: ["schema.table.column", ...], kept out of repr() and serialisation
    (as is any column whose comment holds @secret).
    """

    types: dict[str, PyType] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    secret_columns: tuple[str, ...] = ()


def load_config(pyproject: Path) -> Config:
    """Read [tool.codegen] from `pyproject` (an empty Config when the file is absent)."""
    if not pyproject.exists():
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
    types = {str(k): parse_override(str(v)) for k, v in section.get("types", {}).items()}
    return Config(types, names, tuple(secrets))


def build(url: str, config: Config) -> Output:
    """Generate from a live database."""
    catalog = introspect.introspect(url)
    schemas = sorted({t.schema for t in catalog.tables})
    tables_source = introspect.sqlalchemy_source(url, schemas)
    # The config may serve other databases (generate --from-url): entries for tables this one
    # lacks are skipped; a missing column of a table it has is a typo, which plan() reports.
    tables = {t.qualified for t in catalog.tables}
    secrets = tuple(c for c in config.secret_columns if c.rsplit(".", 1)[0] in tables)
    models = plan.plan(catalog, config.types, config.names, secrets)
    files = render.render(models, catalog, tables_source)
    formatted = {name: fmt.format_python(text, name) if name.endswith(".py") else text for name, text in files.items()}
    return Output(catalog, formatted)


def build_from_migrations(migrations: Path, config: Config, server: pg.Server | None = None) -> Output:
    """Apply `migrations` to a fresh database and generate from it.

    The database is created on `server`, else on ATLAS_DEV_URL's server when that is set
    (a server with the contrib extensions the migrations need), else on the embedded one.
    """
    with (
        nullcontext(server) if server else pg.dev_server() as host,
        pg.scratch_database(host.url, "codegen") as url,
    ):
        atlas.migrate_apply(migrations, url)
        return build(url, config)


def placed(output: Output, package_dir: Path, docs_dir: Path) -> dict[Path, str]:
    """Absolute destination for every file."""
    return {
        (docs_dir / name if name == "SCHEMA.md" else package_dir / name): text for name, text in output.files.items()
    }
