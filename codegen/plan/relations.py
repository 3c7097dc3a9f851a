"""Relations between tables, from their foreign keys: both directions, named by one rule.

A foreign key from `sessions (user_id)` to `users (id)` gives two relations:

- `sessions.user` (many-to-one): the FK's column without its `_id` suffix (`user_id` -> `user`);
  a composite FK, or a column without the suffix, takes the target's row name (`User` -> `user`).
- `users.sessions` (one-to-many): the referencing table's attribute (`db.sessions` -> `sessions`);
  one-to-one instead when the FK's columns are unique in the referencing table, named by its
  row (`profile`).

A join table whose primary key is exactly the columns of its two foreign keys (`post_tags
(post_id, tag_id)`) also gives many-to-many relations past it: `posts.tags`, `tags.posts`
(not when both keys point at the same table: which side is which is not the schema's to say).

Clashes are settled in this order: a self-reference's one-to-many is `<table>_by_<many-to-one
name>` (`employees.employees_by_manager`), as is every one-to-many of two or more FKs to the same
table (`users.messages_by_sender`, `users.messages_by_recipient`); a name a column's field
already has gets a trailing `_` (`user_`); a name still given twice takes the foreign key's
name after it (`team_membership_org_code_fkey`); a many-to-many that meets another relation's
or a field's name is `<name>_via_<join table>`. `[tool.codegen.relations]` renames any of them:
`"public.sessions.user" = "owner"` (the table, then the name this rule gave). docs/SCHEMA.md
lists every relation with its foreign key.

A view has no foreign keys; `[tool.codegen.foreign_keys]` declares one (`"public.user_stats.user_id"
= "public.users.id"`, the column referred to unique in its table), named by the same rule. So can
a table whose schema left one out: nothing is enforced, the relations only read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from codegen import ir
from codegen.errors import UnsupportedSchema
from codegen.plan import names
from codegen.plan.models import ModelsPlan, TablePlan

_ID = re.compile(r"(.+?)(?:_id|Id|ID)$")


@dataclass(frozen=True)
class RelationPlan:
    owner: str  # schema.table whose rows have the relation
    name: str  # its attribute: sessions.user, users.sessions
    kind: str  # "many-to-one", "one-to-one", "one-to-many", "many-to-many"
    target: str  # schema.table of the related rows
    owner_columns: tuple[str, ...]  # the owner's columns the link compares ...
    target_columns: tuple[str, ...]  # ... with these of the target (or, through a join table, of it)
    constraint: str  # the foreign key (the owner's or the target's; the join table's to the target)
    through: str = ""  # many-to-many: the join table, schema.table
    through_owner: tuple[str, ...] = ()  # its columns that refer to the owner
    through_target: tuple[str, ...] = ()  # its columns that refer to the target
    declared: bool = False  # the foreign key is [tool.codegen.foreign_keys]'s, not the database's

    @property
    def many(self) -> bool:
        return self.kind in ("one-to-many", "many-to-many")


def _snake(stem: str) -> str:
    """`UserAccount` -> `user_account`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", stem).lower()


def _unique_columns(table: ir.Table) -> set[frozenset[str]]:
    keys = {frozenset(table.primary_key)} if table.primary_key else set()
    for index in table.indexes:
        if index.unique and not index.predicate and all(k.column for k in index.keys):
            keys.add(frozenset(k.column for k in index.keys if k.column))
    return keys


def plan(
    catalog: ir.Catalog,
    models: ModelsPlan,
    renames: dict[str, str],
    config_file: str,
    declared: dict[str, str] | None = None,
) -> tuple[RelationPlan, ...]:
    """Every relation between the modelled tables and views, named by the rule above, from their
    foreign keys and those `declared` under [tool.codegen.foreign_keys] (a view's)."""
    plans: dict[str, TablePlan] = {t.qualified: t for t in models.tables}
    tables = {t.qualified: t for t in catalog.tables if t.qualified in plans}
    fields = {q: {c.field for c in plans[q].columns} for q in tables}
    keys = _declared(tables, declared or {}, config_file)
    found: list[RelationPlan] = []
    for table in tables.values():
        unique_keys = _unique_columns(table)
        table_keys = (*table.foreign_keys, *keys.get(table.qualified, ()))
        for fk in table_keys:
            target = f"{fk.ref_schema}.{fk.ref_table}"
            if target not in tables:
                continue
            match = _ID.fullmatch(fk.columns[0]) if len(fk.columns) == 1 else None
            one = names.field_name(match[1], "ref") if match else _snake(plans[target].stem)
            declared_fk = fk not in table.foreign_keys
            found.append(
                RelationPlan(
                    table.qualified,
                    one,
                    "many-to-one",
                    target,
                    fk.columns,
                    fk.ref_columns,
                    fk.name,
                    declared=declared_fk,
                )
            )
            unique = frozenset(fk.columns) in unique_keys
            inverse = _snake(plans[table.qualified].stem) if unique else plans[table.qualified].module
            same = [f for f in table_keys if f"{f.ref_schema}.{f.ref_table}" == target]
            if target == table.qualified or len(same) > 1:
                inverse = f"{inverse}_by_{one}"
            found.append(
                RelationPlan(
                    target,
                    inverse,
                    "one-to-one" if unique else "one-to-many",
                    table.qualified,
                    fk.ref_columns,
                    fk.columns,
                    fk.name,
                    declared=declared_fk,
                )
            )
    found = _apart([_clear_of_fields(r, fields[r.owner]) for r in found], fields)
    taken = {(r.owner, r.name) for r in found}
    for table in tables.values():  # many-to-many past join tables
        fks = [f for f in table.foreign_keys if f"{f.ref_schema}.{f.ref_table}" in tables]
        if len(fks) != 2 or not table.primary_key:
            continue
        a, b = fks
        ends = (f"{a.ref_schema}.{a.ref_table}", f"{b.ref_schema}.{b.ref_table}")
        if set(table.primary_key) != set(a.columns) | set(b.columns) or ends[0] == ends[1]:
            continue
        for near, far, end_near, end_far in ((a, b, ends[0], ends[1]), (b, a, ends[1], ends[0])):
            name = plans[end_far].module
            if (end_near, name) in taken or name in fields[end_near]:
                name = f"{name}_via_{plans[table.qualified].module}"
            taken.add((end_near, name))
            found.append(
                RelationPlan(
                    end_near,
                    name,
                    "many-to-many",
                    end_far,
                    near.ref_columns,
                    far.ref_columns,
                    far.name,
                    table.qualified,
                    near.columns,
                    far.columns,
                )
            )
    return _renamed(found, renames, fields, config_file)


def _declared(
    tables: dict[str, ir.Table], declared: dict[str, str], config_file: str
) -> dict[str, list[ir.ForeignKey]]:
    """[tool.codegen.foreign_keys] as foreign keys of their tables (or views), each checked: both
    columns exist, and the one referred to is its table's primary key or a unique key."""
    out: dict[str, list[ir.ForeignKey]] = {}
    where = f"{config_file}: [tool.codegen.foreign_keys]"
    for key, value in declared.items():
        (owner, column), (target, ref) = (key.rsplit(".", 1), value.rsplit(".", 1))
        table, referred = tables.get(owner), tables.get(target)
        if table is None or referred is None:
            raise UnsupportedSchema(
                f"{where} {key!r} = {value!r}: {owner if table is None else target} is no table or view "
                "of the schema: write schema.table.column"
            )
        for t, c in ((table, column), (referred, ref)):
            if c not in {col.name for col in t.columns}:
                raise UnsupportedSchema(f"{where} {key!r} = {value!r}: {t.qualified} has no column {c!r}")
        if frozenset([ref]) not in _unique_columns(referred):
            raise UnsupportedSchema(
                f"{where} {key!r} = {value!r}: {value} is not unique (not the primary key or a unique "
                "index of its table): a foreign key refers to one row"
            )
        name = f"{table.name}_{column}_declared"
        out.setdefault(owner, []).append(ir.ForeignKey(name, (column,), referred.schema, referred.name, (ref,), "", ""))
    return out


def _apart(found: list[RelationPlan], fields: dict[str, set[str]]) -> list[RelationPlan]:
    """Names the rule still gives twice on one table (two composite FKs to one table, say) each take
    their foreign key's name after them: `ta_tb_b1_fkey`, `ta_tb_b2_fkey`."""
    count: dict[tuple[str, str], int] = {}
    for r in found:
        count[(r.owner, r.name)] = count.get((r.owner, r.name), 0) + 1
    out = []
    for r in found:
        if count[(r.owner, r.name)] > 1:
            r = replace(r, name=names.field_name(f"{r.name}_{r.constraint}", "rel", frozenset(fields[r.owner])))
        out.append(r)
    return out


# What a <Stem>Load takes besides its relations: a relation named so takes a trailing _.
_LOAD_PARAMS = frozenset({"self", "where", "order_by", "limit", "count"})


def _clear_of_fields(relation: RelationPlan, fields: set[str]) -> RelationPlan:
    """A relation's name clear of the row's fields, of <Stem>Load's parameters and of pydantic's
    attributes (a table `copy` would give a relation `copy`, BaseModel.copy): a trailing _."""
    name = names.field_name(relation.name, "rel", frozenset(fields | _LOAD_PARAMS))
    return relation if name == relation.name else replace(relation, name=name)


def _renamed(
    found: list[RelationPlan], renames: dict[str, str], fields: dict[str, set[str]], config_file: str
) -> tuple[RelationPlan, ...]:
    by_key = {f"{r.owner}.{r.name}": r for r in found}
    problems = []
    for key, name in renames.items():
        if key not in by_key:
            problems.append(
                f"{config_file}: [tool.codegen.relations] names {key!r}, which is no relation: "
                "write schema.table.name as docs/SCHEMA.md lists them"
            )
        elif not name.isidentifier() or name.startswith("_"):
            problems.append(f"{config_file}: [tool.codegen.relations] {key!r} = {name!r} is not an attribute name")
    if problems:
        raise UnsupportedSchema("\n".join(problems))
    out = [replace(r, name=renames.get(f"{r.owner}.{r.name}", r.name)) for r in found]
    seen: dict[tuple[str, str], RelationPlan] = {}
    for r in out:
        clash = seen.get((r.owner, r.name))
        if clash is not None or r.name in fields[r.owner]:
            what = f"relation {clash.owner}.{clash.name}" if clash else "a column's field"
            raise UnsupportedSchema(
                f"{r.owner}: relation {r.name} ({r.kind} to {r.target}, {r.constraint}) has the name of {what}: "
                f'rename one under [tool.codegen.relations] in {config_file} ("{r.owner}.{r.name}" = "other")'
            )
        seen[(r.owner, r.name)] = r
    return tuple(sorted(out, key=lambda r: (r.owner, r.name)))
