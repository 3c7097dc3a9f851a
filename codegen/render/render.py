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
from codegen.plan.access import AccessPlan
from codegen.plan.models import ModelsPlan
from codegen.plan.queries import QueriesPlan
from codegen.render import HEADER, PACKAGE

RUNTIME = Path(__file__).parent / "runtime"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)


def render(plan: ModelsPlan, access: AccessPlan, queries: QueriesPlan, catalog: ir.Catalog) -> dict[str, str]:
    """Every output file but tables.py (render/tables.py), unformatted."""
    ctx = {"plan": plan, "access": access, "queries": queries, "header": HEADER}
    files = {
        "pyproject.toml": _ENV.get_template("pyproject.toml.j2").render(**ctx),
        f"{PACKAGE}/__init__.py": _ENV.get_template("__init__.py.j2").render(**ctx),
        f"{PACKAGE}/py.typed": "",
        f"{PACKAGE}/models/__init__.py": _ENV.get_template("models/__init__.py.j2").render(**ctx),
        f"{PACKAGE}/models/_shared.py": _ENV.get_template("models/_shared.py.j2").render(**ctx),
        f"{PACKAGE}/_meta.py": _ENV.get_template("_meta.py.j2").render(**ctx),
        f"{PACKAGE}/_shape.py": _ENV.get_template("_shape.py.j2").render(**ctx),
        "SCHEMA.md": _ENV.get_template("SCHEMA.md.j2").render(
            docs=docs.plan(catalog, access.relations), queries=queries.docs
        ),
    }
    table_module = _ENV.get_template("models/table.py.j2")
    for table in plan.tables:
        files[f"{PACKAGE}/models/{table.module}.py"] = table_module.render(table=table, **ctx)
    files[f"{PACKAGE}/access/__init__.py"] = _ENV.get_template("access/__init__.py.j2").render(**ctx)
    files[f"{PACKAGE}/access/_constraints.py"] = _ENV.get_template("access/_constraints.py.j2").render(**ctx)
    access_module = _ENV.get_template("access/table.py.j2")
    for t in access.tables:
        files[f"{PACKAGE}/access/{t.module}.py"] = access_module.render(t=t, **ctx)
    files[f"{PACKAGE}/queries/__init__.py"] = _ENV.get_template("queries/__init__.py.j2").render(**ctx)
    query_module = _ENV.get_template("queries/module.py.j2")
    for m in queries.modules:
        files[f"{PACKAGE}/queries/{m.module}.py"] = query_module.render(m=m, **ctx)
    # The runtime: ordinary modules, copied (the sync twins are derived into it: codegen/dev/twins.py).
    for path in sorted(RUNTIME.glob("*.py")):
        files[f"{PACKAGE}/{path.name}"] = HEADER + path.read_text()
    return files
