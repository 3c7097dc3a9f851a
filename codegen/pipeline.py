"""The generator pipeline: introspect -> IR -> plan -> render -> format -> write|check.

tables.py's render (sqlacodegen) runs in a worker process, beside the models' plan and
render in this one; the worker starts first and imports SQLAlchemy while the database is read.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from codegen import fmt, ir, sqlfile, worker
from codegen.config import Config
from codegen.dev import atlas, pg
from codegen.introspect import catalog as introspect
from codegen.introspect import queries as describe
from codegen.plan import access as access_plan
from codegen.plan import models as plan
from codegen.plan import queries as queries_plan
from codegen.plan import relations as relations_plan
from codegen.render import PACKAGE, render

_TABLES = "codegen.render.tables"  # tables.py: made in the worker process (codegen/worker.py)


@dataclass(frozen=True)
class Output:
    """Everything one generation produced, in memory."""

    catalog: ir.Catalog
    files: dict[str, str]  # path relative to the package dir (and "SCHEMA.md") -> text
    warnings: tuple[str, ...] = ()  # "warning: ..." lines from SQLAlchemy and sqlacodegen


def build(url: str, config: Config, queries: sqlfile.Parsed = sqlfile.NONE) -> Output:
    """Generate from a live database (its queries are prepared there, never run)."""
    with worker.worker(_TABLES) as w:
        return _build(url, config, w, queries)


def build_from_migrations(
    migrations: Path, config: Config, server: pg.Server | None = None, queries: sqlfile.Parsed = sqlfile.NONE
) -> Output:
    """Apply `migrations` to a fresh database and generate from it, preparing `queries` there.

    The database is created on `server`, else on ATLAS_DEV_URL's server when that is set
    (a server with the contrib extensions the migrations need), else on the embedded one.
    """
    with (
        worker.worker(_TABLES) as w,
        nullcontext(server) if server else pg.dev_server() as host,
        pg.scratch_database(host.url, "codegen") as url,
    ):
        atlas.migrate_apply(migrations, url)
        return _build(url, config, w, queries)


def _build(url: str, config: Config, w: worker.Worker | worker.InProcess, queries: sqlfile.Parsed) -> Output:
    catalog = introspect.introspect(url)
    described = describe.describe(url, queries) if queries.queries or queries.problems else ()
    # tables.py in the worker, while this process does the rest
    tables_py = w.submit(_TABLES, "build", catalog, not config.not_null_array_elements)
    # The config is this database's own (generate --from-url another one gets none unless
    # --config says): a secret column it lacks is a typo, which plan() reports.
    secrets = config.secret_columns
    models = plan.plan(
        catalog,
        config.types,
        config.names,
        secrets,
        not_null_array_elements=config.not_null_array_elements,
        config_file=config.source,
        server_columns=config.server_columns,
    )
    access = access_plan.plan(
        catalog, models, relations_plan.plan(catalog, models, config.relations, config.source, config.foreign_keys)
    )
    checked = queries_plan.plan(
        catalog,
        models,
        queries.queries,
        described,
        config.types,
        config.names,
        secrets,
        not_null_array_elements=config.not_null_array_elements,
    )
    files = fmt.format_files(render.render(models, access, checked, catalog))
    files[f"{PACKAGE}/tables.py"], warnings = tables_py.result()
    return Output(catalog, files, warnings)


def managed(package_dir: Path) -> tuple[Path, ...]:
    """The directories under `package_dir` that hold only generated files: a file there
    that is no longer generated is removed."""
    return tuple(package_dir / PACKAGE / sub for sub in ("", "models", "access", "queries"))


def placed(output: Output, package_dir: Path, docs_dir: Path) -> dict[Path, str]:
    """Absolute destination for every file."""
    return {
        (docs_dir / name if name == "SCHEMA.md" else package_dir / name): text for name, text in output.files.items()
    }
