"""Render the plan into file contents, in memory: {relative path: text}.

Paths are relative to the package directory (generated/); SCHEMA.md is placed by the
writer. Runtime modules that do not depend on the schema are ordinary .py files in
codegen/render/runtime, copied with the generated-file header.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from codegen import ir, sqla_fixes
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


@dataclass(frozen=True)
class DocTable:
    qualified: str
    comment: str
    rows: tuple[tuple[str, ...], ...]
    extras: tuple[str, ...]


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _doc_tables(catalog: ir.Catalog) -> tuple[DocTable, ...]:
    out = []
    for t in catalog.tables:
        rows = tuple(
            (
                f"`{_cell(c.name)}`" + (" (PK)" if c.name in t.primary_key else ""),
                f"`{_cell(c.type.sql)}`",
                "yes" if c.nullable else "no",
                f"`{_cell(c.default)}`"
                if c.default
                else ("identity" if c.identity else ("generated" if c.generated else "")),
                _cell(c.comment),
            )
            for c in t.columns
        )
        extras = tuple(
            [
                f"FK `{fk.name}`: ({', '.join(fk.columns)}) -> {fk.ref_schema}.{fk.ref_table} ({', '.join(fk.ref_columns)}), on delete {fk.on_delete}"
                for fk in t.foreign_keys
            ]
            + [f"{'unique ' if i.unique else ''}index `{i.name}`: `{_cell(i.definition)}`" for i in t.indexes]
            + [f"check `{c.name}`: `{_cell(c.expression)}`" for c in t.checks]
        )
        out.append(DocTable(t.qualified, _cell(t.comment), rows, extras))
    return tuple(out)


def _er_name(qualified: str) -> str:
    return '"' + qualified.replace('"', "'") + '"'


def _er_lines(catalog: ir.Catalog) -> list[str]:
    lines: list[str] = []
    for t in catalog.tables:
        lines.append(f"{_er_name(t.qualified)} {{")
        for c in t.columns:
            ctype = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in c.type.name) + (
                "_array" if c.type.dims else ""
            )
            cname = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in c.name) or "column"
            key = (
                " PK"
                if c.name in t.primary_key
                else (" FK" if any(c.name in fk.columns for fk in t.foreign_keys) else "")
            )
            lines.append(f"    {ctype} {cname}{key}")
        lines.append("}")
    for t in catalog.tables:
        for fk in t.foreign_keys:
            child_nullable = any(t.column(c).nullable for c in fk.columns)
            left = "|o" if child_nullable else "||"
            lines.append(
                f'{_er_name(f"{fk.ref_schema}.{fk.ref_table}")} {left}--o{{ {_er_name(t.qualified)} : "{fk.name}"'
            )
    return lines


def _expression_indexes(catalog: ir.Catalog) -> dict[str, str]:
    """Index name -> key SQL, for the indexes whose keys include an expression."""
    found = {}
    for table in catalog.tables:
        for index in table.indexes:
            keys = sqla_fixes.expression_keys(index.definition)
            if keys is not None:
                found[index.name] = keys
    return found


def render(plan: ModelsPlan, catalog: ir.Catalog, tables_source: str) -> dict[str, str]:
    """Every output file, unformatted."""
    ctx = {"plan": plan, "schema_hash": plan.schema_hash, "migration_version": plan.migration_version or "none"}
    header = _ENV.get_template("_header.j2").render(**ctx)
    exports = [e.name for e in plan.enums] + [t.name for t in plan.type_defs]
    exports += [c.name for t in plan.tables for c in (t.row, t.insert, t.update)]
    files = {
        "pyproject.toml": _ENV.get_template("pyproject.toml.j2").render(**ctx),
        f"{PACKAGE}/__init__.py": _ENV.get_template("__init__.py.j2").render(**ctx),
        f"{PACKAGE}/py.typed": "",
        f"{PACKAGE}/models.py": _ENV.get_template("models.py.j2").render(exports=sorted(exports), **ctx),
        f"{PACKAGE}/_meta.py": _ENV.get_template("_meta.py.j2").render(**ctx),
        f"{PACKAGE}/_shape.py": _ENV.get_template("_shape.py.j2").render(**ctx),
        f"{PACKAGE}/tables.py": header + sqla_fixes.fix(tables_source, _expression_indexes(catalog)),
        "SCHEMA.md": _ENV.get_template("SCHEMA.md.j2").render(
            catalog=catalog, tables=_doc_tables(catalog), er_lines=_er_lines(catalog), **ctx
        ),
    }
    # The runtime: ordinary modules, copied; each *_async.py also gives its derived sync twin.
    for path in sorted(RUNTIME.glob("*.py")):
        source = path.read_text()
        files[f"{PACKAGE}/{path.name}"] = header + source
        if path.stem.endswith("_async"):
            files[f"{PACKAGE}/{path.stem.removesuffix('_async')}.py"] = header + to_sync(source)
    return files
