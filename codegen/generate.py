"""The generator pipeline: introspect -> IR -> plan -> render -> format -> write|check."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from codegen import atlas, fmt, introspect, ir, pg, plan, render
from codegen.errors import CodegenError
from codegen.typemap import PyType, parse_override


@dataclass(frozen=True)
class Output:
    """Everything one generation produced, in memory."""

    catalog: ir.Catalog
    files: dict[str, str]  # path relative to the package dir (and "SCHEMA.md") -> text


def load_overrides(pyproject: Path) -> dict[str, PyType]:
    """[tool.codegen.types] from pyproject.toml: {"schema.type" or "type": "annotation"}."""
    if not pyproject.exists():
        return {}
    try:
        data = tomllib.loads(pyproject.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise CodegenError(f"{pyproject}: invalid TOML ({exc}): fix the file") from None
    table = data.get("tool", {}).get("codegen", {}).get("types", {})
    return {str(k): parse_override(str(v)) for k, v in table.items()}


def build(url: str, overrides: dict[str, PyType]) -> Output:
    """Generate from a live database."""
    catalog = introspect.introspect(url)
    schemas = sorted({t.schema for t in catalog.tables})
    tables_source = introspect.sqlalchemy_source(url, schemas)
    models = plan.plan(catalog, overrides)
    files = render.render(models, catalog, tables_source)
    formatted = {name: fmt.format_python(text, name) if name.endswith(".py") else text for name, text in files.items()}
    return Output(catalog, formatted)


def build_from_migrations(migrations: Path, overrides: dict[str, PyType]) -> Output:
    """Apply `migrations` to a fresh embedded database and generate from it."""
    with pg.throwaway_server() as server, pg.scratch_database(server.url, "codegen") as url:
        atlas.migrate_apply(migrations, url)
        return build(url, overrides)


def placed(output: Output, package_dir: Path, docs_dir: Path) -> dict[Path, str]:
    """Absolute destination for every file."""
    return {
        (docs_dir / name if name == "SCHEMA.md" else package_dir / name): text for name, text in output.files.items()
    }
