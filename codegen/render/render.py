"""Render the plan into file contents, in memory: {relative path: text}.

Paths are relative to the package directory (generated/); SCHEMA.md is placed by the
writer. Runtime modules that do not depend on the schema are ordinary .py files in
codegen/render/runtime, copied with the generated-file header.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from codegen import ir
from codegen.plan import docs
from codegen.plan.models import ModelsPlan
from codegen.render.async_to_sync import to_sync

RUNTIME = Path(__file__).parent / "runtime"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)
PACKAGE = "chatmaps_db"


def render(plan: ModelsPlan, catalog: ir.Catalog, tables_source: str) -> dict[str, str]:
    """Every output file, unformatted."""
    ctx = {"plan": plan, "schema_hash": plan.schema_hash, "migration_version": plan.migration_version or "none"}
    header = _ENV.get_template("_header.j2").render(**ctx)
    exports = [e.name for e in plan.enums] + [t.name for t in plan.type_defs]
    exports += [c.name for t in plan.tables for c in t.classes]
    files = {
        "pyproject.toml": _ENV.get_template("pyproject.toml.j2").render(**ctx),
        f"{PACKAGE}/__init__.py": _ENV.get_template("__init__.py.j2").render(**ctx),
        f"{PACKAGE}/py.typed": "",
        f"{PACKAGE}/models.py": _ENV.get_template("models.py.j2").render(exports=sorted(exports), **ctx),
        f"{PACKAGE}/_meta.py": _ENV.get_template("_meta.py.j2").render(**ctx),
        f"{PACKAGE}/_shape.py": _ENV.get_template("_shape.py.j2").render(**ctx),
        f"{PACKAGE}/tables.py": header + tables_source,
        "SCHEMA.md": _ENV.get_template("SCHEMA.md.j2").render(docs=docs.plan(catalog)),
    }
    # The runtime: ordinary modules, copied; each *_async.py also gives its derived sync twin.
    for path in sorted(RUNTIME.glob("*.py")):
        source = path.read_text()
        files[f"{PACKAGE}/{path.name}"] = header + source
        if path.stem.endswith("_async"):
            files[f"{PACKAGE}/{path.stem.removesuffix('_async')}.py"] = header + to_sync(source, path.name)
    return files
