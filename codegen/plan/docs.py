"""docs/SCHEMA.md's content, precomputed: the summary, the Mermaid ER lines, one table each."""

from __future__ import annotations

from dataclasses import dataclass

from codegen import ir
from codegen.plan.relations import RelationPlan


@dataclass(frozen=True)
class DocsPlan:
    summary: str
    er_lines: tuple[str, ...]
    tables: tuple[DocTable, ...]
    enums: tuple[str, ...]  # ready list items
    unsupported: tuple[str, ...]


@dataclass(frozen=True)
class DocTable:
    title: str  # "public.users", "public.active_users (view)"
    comment: str
    rows: tuple[tuple[str, ...], ...]
    extras: tuple[str, ...]


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _relation_line(r: RelationPlan) -> str:
    if r.through:
        how = f"through {r.through} ({', '.join(r.through_owner)} / {', '.join(r.through_target)})"
    else:
        how = f"({', '.join(r.owner_columns)}) = {r.target} ({', '.join(r.target_columns)})"
    fk = "declared under [tool.codegen.foreign_keys]" if r.declared else f"FK `{r.constraint}`"
    return f"relation `{r.name}` ({r.kind}): {r.target} rows, {how}, {fk}"


def _doc_tables(catalog: ir.Catalog, relations: tuple[RelationPlan, ...]) -> tuple[DocTable, ...]:
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
            + [_relation_line(r) for r in relations if r.owner == t.qualified]
        )
        title = t.qualified if t.kind == "table" else f"{t.qualified} ({t.kind})"
        out.append(DocTable(title, _cell(t.comment), rows, extras))
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


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def plan(catalog: ir.Catalog, relations: tuple[RelationPlan, ...] = ()) -> DocsPlan:
    kinds = [t.kind for t in catalog.tables]
    parts = [_count(kinds.count("table") + kinds.count("partitioned table"), "table")]
    parts += [_count(kinds.count(k), k) for k in ("view", "materialized view") if k in kinds]
    parts += [
        _count(len(items), what) for items, what in ((catalog.enums, "enum"), (catalog.domains, "domain")) if items
    ]
    source = (
        f"Migration {catalog.migration_version}."
        if catalog.migration_version
        else "Read from a database with no Atlas migrations applied."
    )
    return DocsPlan(
        summary=f"{', '.join(parts)}. {source}",
        er_lines=tuple(_er_lines(catalog)),
        tables=_doc_tables(catalog, relations),
        enums=tuple(f"`{e.qualified}`: {', '.join(e.labels)}" for e in catalog.enums),
        unsupported=tuple(u.line() for u in catalog.unsupported),
    )
