"""The generator pipeline: introspect -> IR -> plan -> render -> format -> write|check."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from codegen import fmt, ir
from codegen.config import Config
from codegen.dev import atlas, pg
from codegen.introspect import catalog as introspect
from codegen.plan import models as plan
from codegen.plan import sqla
from codegen.render import render
from codegen.render import tables as tables_py


@dataclass(frozen=True)
class Output:
    """Everything one generation produced, in memory."""

    catalog: ir.Catalog
    files: dict[str, str]  # path relative to the package dir (and "SCHEMA.md") -> text
    warnings: tuple[str, ...] = ()  # "warning: ..." lines from SQLAlchemy and sqlacodegen


def build(url: str, config: Config) -> Output:
    """Generate from a live database."""
    catalog = introspect.introspect(url)
    # The config may serve other databases (generate --from-url): entries for tables this one
    # lacks are skipped; a missing column of a table it has is a typo, which plan() reports.
    known = {t.qualified for t in catalog.tables}
    secrets = tuple(c for c in config.secret_columns if c.rsplit(".", 1)[0] in known)
    models = plan.plan(
        catalog, config.types, config.names, secrets, not_null_array_elements=config.not_null_array_elements
    )
    tables_source, warnings = tables_py.generate(sqla.metadata(catalog))
    files = render.render(models, catalog, tables_source)
    formatted = {name: fmt.format_python(text, name) if name.endswith(".py") else text for name, text in files.items()}
    return Output(catalog, formatted, warnings)


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
