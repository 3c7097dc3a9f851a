"""Read pg_catalog into the IR. The only stage of the generator that talks to a database.

Every query ends in ORDER BY, so the IR is the same from run to run.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

import psycopg

from codegen import ir
from codegen.dev import pg
from codegen.render.runtime import schema_check

# Schemas that belong to PostgreSQL or to Atlas's bookkeeping, never to the design.
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast", "atlas_schema_revisions")
_USER_NS = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'atlas_schema_revisions') \
AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'"
# Objects that an extension installed are the extension's, not the schema's.
_NOT_EXTENSION = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"

_TYPE_KIND: dict[str, ir.TypeKind] = {
    "b": "base", "e": "enum", "d": "domain", "c": "composite", "r": "range", "m": "multirange", "p": "pseudo",
}  # fmt: skip

TYPES_SQL = """
SELECT t.oid, n.nspname, t.typname, t.typtype, t.typelem, t.typcategory, t.typbasetype, t.typtypmod,
       t.typnotnull, pg_get_expr(t.typdefaultbin, 0), obj_description(t.oid, 'pg_type'), t.typrelid,
       EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
ORDER BY t.oid
"""

_TABLES_SQL = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, obj_description(c.oid, 'pg_class')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {_USER_NS}
  AND {_NOT_EXTENSION.format(oid="c.oid")}
ORDER BY n.nspname, c.relname
"""

_PARTITIONS_SQL = f"""
SELECT n.nspname, c.relname, pn.nspname, p.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_inherits i ON i.inhrelid = c.oid JOIN pg_class p ON p.oid = i.inhparent
JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE c.relispartition AND c.relkind IN ('r', 'p') AND {_USER_NS}
ORDER BY n.nspname, c.relname
"""

# A partitioned table's strategy, key columns (an expression: "") and its partitions' bounds.
_PARTITIONING_SQL = """
SELECT p.partrelid, p.partstrat,
       ARRAY(SELECT COALESCE(a.attname, '') FROM unnest(p.partattrs) WITH ORDINALITY k(num, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k.num ORDER BY k.ord)::text[],
       ARRAY(SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = p.partrelid ORDER BY 1)::text[]
FROM pg_partitioned_table p WHERE p.partrelid = ANY(%s)
ORDER BY p.partrelid
"""

_COLUMNS_SQL = """
SELECT a.attrelid, a.attname, a.attnum, a.atttypid, a.atttypmod, format_type(a.atttypid, a.atttypmod),
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
       col_description(a.attrelid, a.attnum), a.attndims
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

# Constraints as declared: not the copies PostgreSQL makes of a foreign key to a partitioned
# table, one per partition (they have a conparentid; the declared one covers them).
_CONSTRAINTS_SQL = """
SELECT c.conrelid, c.contypid, c.conname, c.contype, pg_get_constraintdef(c.oid),
       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.ord)::text[],
       rn.nspname, r.relname,
       ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num ORDER BY k.ord)::text[],
       c.confupdtype, c.confdeltype, c.condeferrable, c.condeferred
FROM pg_constraint c
LEFT JOIN pg_class r ON r.oid = c.confrelid LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE (c.conrelid = ANY(%s) OR c.contypid = ANY(%s)) AND c.conparentid = 0
ORDER BY c.conrelid, c.contypid, c.conname
"""

# One row per index: its keys (the key's SQL and, for a plain column, its name; a non-default
# operator class; the indoption bits 1 = DESC, 2 = NULLS FIRST), INCLUDE columns, predicate,
# access method, NULLS NOT DISTINCT (a column since PostgreSQL 15: read through to_jsonb so that
# older servers answer false), and the UNIQUE or EXCLUDE constraint that owns it (its kind,
# operators and deferrability).
_INDEXES_SQL = """
SELECT i.indrelid, c.relname, i.indisunique, pg_get_indexdef(i.indexrelid),
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k)::text[],
       ARRAY(SELECT a.attname FROM generate_series(1, i.indnkeyatts) k LEFT JOIN pg_attribute a
             ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1] AND i.indkey[k - 1] <> 0 ORDER BY k)::text[],
       ARRAY(SELECT CASE WHEN oc.opcdefault THEN NULL ELSE oc.opcname END
             FROM generate_series(1, i.indnkeyatts) k JOIN pg_opclass oc ON oc.oid = i.indclass[k - 1] ORDER BY k)::text[],
       ARRAY(SELECT i.indoption[k - 1] FROM generate_series(1, i.indnkeyatts) k ORDER BY k)::int[],
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(i.indnkeyatts + 1, i.indnatts) k
             ORDER BY k)::text[],
       pg_get_expr(i.indpred, i.indrelid, true), am.amname,
       COALESCE((to_jsonb(i) ->> 'indnullsnotdistinct')::bool, false), x.contype,
       ARRAY(SELECT o.oprname FROM unnest(x.conexclop) WITH ORDINALITY e(op, ord)
             JOIN pg_operator o ON o.oid = e.op ORDER BY e.ord)::text[],
       COALESCE(x.condeferrable, false), COALESCE(x.condeferred, false), COALESCE(c.reloptions, '{}')
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
LEFT JOIN pg_constraint x ON x.conindid = i.indexrelid AND x.conrelid = i.indrelid AND x.contype IN ('u', 'x')
WHERE i.indrelid = ANY(%s) AND NOT i.indisprimary
ORDER BY i.indrelid, c.relname
"""

_ENUM_LABELS_SQL = "SELECT enumtypid, enumlabel FROM pg_enum ORDER BY enumtypid, enumsortorder"

_ROUTINES_SQL = f"""
SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' WHEN 'p' THEN 'procedure' ELSE 'function' END,
       n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE {_USER_NS} AND {_NOT_EXTENSION.format(oid="p.oid")}
ORDER BY 2
"""

_TRIGGERS_SQL = f"""
SELECT n.nspname || '.' || c.relname || '.' || t.tgname
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND {_USER_NS}
ORDER BY 1
"""

_SEQUENCES_SQL = f"""
SELECT n.nspname || '.' || c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND {_USER_NS} AND {_NOT_EXTENSION.format(oid="c.oid")}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
ORDER BY 1
"""

_POLICIES_SQL = """
SELECT n.nspname || '.' || c.relname || '.' || p.polname
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
ORDER BY 1
"""

_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_RELKIND: dict[str, ir.RelationKind] = {
    "r": "table", "p": "partitioned table", "v": "view", "m": "materialized view",
}  # fmt: skip


class Types:
    """pg_type rows by oid, and the IR TypeRef for a (type oid, typmod) pair."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = {r[0]: r for r in rows}

    def ref(self, oid: int, typmod: int, sql: str, declared_dims: int = 0) -> ir.TypeRef:
        dims = 0
        row = self.rows[oid]
        # An array type has typcategory 'A' and points at its element through typelem.
        while row[5] == "A" and row[4]:
            dims += 1
            row = self.rows[row[4]]
        # format_type() prints one [] whatever the dimensions; attndims keeps the declared ones.
        dims = max(dims, sql.count("[]"), declared_dims)
        length, precision, scale = _modifiers(row[2], typmod)
        return ir.TypeRef(
            schema=row[1],
            name=row[2],
            kind=_TYPE_KIND.get(row[3], "base"),
            dims=dims,
            length=length,
            precision=precision,
            scale=scale,
            sql=sql,
        )


def _modifiers(name: str, typmod: int) -> tuple[int | None, int | None, int | None]:
    """Decode atttypmod into (length, precision, scale)."""
    if typmod < 0:
        return None, None, None
    if name in ("varchar", "bpchar"):
        return typmod - 4, None, None
    if name in ("bit", "varbit"):
        return typmod, None, None
    if name == "numeric":
        value = typmod - 4
        return None, (value >> 16) & 0xFFFF, value & 0xFFFF
    if name in ("time", "timetz", "timestamp", "timestamptz", "interval"):
        return None, typmod & 0xFFFF, None
    return None, None, None


def _ordering(indoption: int) -> tuple[bool, bool | None]:
    """(descending, nulls_first) from pg_index.indoption's bits; nulls_first is None when it
    is the direction's default (NULLS LAST ascending, NULLS FIRST descending)."""
    descending, nulls_first = bool(indoption & 1), bool(indoption & 2)
    return descending, (None if nulls_first == descending else nulls_first)


def _key_collations(definition: str, count: int) -> list[str | None]:
    """Each key's COLLATE where it differs from the key's own (pg_get_indexdef() prints it then;
    its per-key form does not), read from the definition with PostgreSQL's own parser."""
    if " COLLATE " not in definition:
        return [None] * count
    import pglast  # only for the rare index with a COLLATE: its parser costs 0.1 s to load

    stmt = pglast.parse_sql(definition)[0].stmt
    assert isinstance(stmt, pglast.ast.IndexStmt)
    out: list[str | None] = []
    for elem in (stmt.indexParams or ())[:count]:
        names = [n.sval for n in elem.collation or ()]
        out.append(".".join(_quote(n) for n in names) or None)
    return out


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def introspect(url: str) -> ir.Catalog:
    """Read every user table, enum, domain and composite type reachable at `url`."""
    with pg.connect(url) as conn:
        return _read(conn)


def _read(conn: psycopg.Connection[tuple[Any, ...]]) -> ir.Catalog:
    types = Types(conn.execute(TYPES_SQL).fetchall())
    rels = conn.execute(_TABLES_SQL).fetchall()
    unsupported: list[ir.Unsupported] = []
    table_rows = []
    for oid, schema, name, relkind, comment in rels:
        if relkind == "f":
            unsupported.append(
                ir.Unsupported(
                    "foreign table", f"{schema}.{name}", "foreign tables are not generated; query them with SQL"
                )
            )
        else:
            table_rows.append((oid, schema, name, relkind, comment))
    for schema, name, pschema, parent in conn.execute(_PARTITIONS_SQL):
        unsupported.append(
            ir.Unsupported("partition", f"{schema}.{name}", f"a partition of {pschema}.{parent}, whose model covers it")
        )
    oids = [r[0] for r in table_rows]

    columns: dict[int, list[ir.Column]] = defaultdict(list)
    for relid, name, num, typid, typmod, sql, notnull, default, identity, generated, comment, ndims in conn.execute(
        _COLUMNS_SQL, (oids,)
    ):
        columns[relid].append(
            ir.Column(
                name=name,
                position=num,
                type=types.ref(typid, typmod, sql, ndims),
                nullable=not notnull,
                default=None if identity or generated else default,
                identity={"a": "always", "d": "by default"}.get(identity, ""),  # type: ignore[arg-type]
                generated=default if generated == "s" else None,
                comment=comment,
            )
        )

    domain_oids = [oid for oid, row in types.rows.items() if row[3] == "d" and row[1] not in SYSTEM_SCHEMAS]
    pks: dict[int, tuple[str, tuple[str, ...]]] = {}
    fks: dict[int, list[ir.ForeignKey]] = defaultdict(list)
    checks: dict[int, list[ir.Check]] = defaultdict(list)
    domain_checks: dict[int, list[ir.Check]] = defaultdict(list)
    for (
        relid,
        typid,
        name,
        kind,
        definition,
        cols,
        rschema,
        rtable,
        rcols,
        upd,
        dele,
        deferrable,
        deferred,
    ) in conn.execute(_CONSTRAINTS_SQL, (oids, domain_oids)):
        if kind == "p":
            pks[relid] = (name, tuple(cols))
        elif kind == "f":
            fks[relid].append(
                ir.ForeignKey(
                    name,
                    tuple(cols),
                    rschema,
                    rtable,
                    tuple(rcols),
                    _ACTIONS[upd],
                    _ACTIONS[dele],
                    deferrable,
                    deferred,
                )
            )
        elif kind == "c" and typid:
            domain_checks[typid].append(ir.Check(name, definition))
        elif kind == "c":
            checks[relid].append(ir.Check(name, definition, tuple(cols)))

    strategies: dict[str, Literal["range", "list", "hash"]] = {"r": "range", "l": "list", "h": "hash"}
    partitionings = {
        relid: ir.Partitioning(strategies[strategy], tuple(columns), tuple(bounds))
        for relid, strategy, columns, bounds in conn.execute(_PARTITIONING_SQL, (oids,))
    }
    indexes: dict[int, list[ir.Index]] = defaultdict(list)
    for (
        relid,
        name,
        unique,
        definition,
        keys,
        plain,
        opclasses,
        options,
        include,
        predicate,
        method,
        nulls_not_distinct,
        owner,
        operators,
        deferrable,
        deferred,
        storage,
    ) in conn.execute(_INDEXES_SQL, (oids,)):
        collations = _key_collations(definition, len(keys))
        index_keys = tuple(
            ir.IndexKey(sql, column, opclass, *_ordering(opt), collation)
            for sql, column, opclass, opt, collation in zip(keys, plain, opclasses, options, collations, strict=True)
        )
        indexes[relid].append(
            ir.Index(
                name,
                unique,
                definition,
                index_keys,
                method,
                tuple(include),
                predicate,
                owner == "u",
                nulls_not_distinct,
                tuple(operators),
                deferrable,
                deferred,
                tuple(storage),
            )
        )

    tables = tuple(
        ir.Table(
            schema=schema,
            name=name,
            columns=tuple(columns[oid]),
            primary_key=pks.get(oid, ("", ()))[1],
            primary_key_name=pks.get(oid, ("", ()))[0],
            foreign_keys=tuple(fks[oid]),
            indexes=tuple(indexes[oid]),
            checks=tuple(checks[oid]),
            comment=comment,
            kind=_RELKIND[relkind],
            partitioning=partitionings.get(oid),
        )
        for oid, schema, name, relkind, comment in table_rows
    )

    labels: dict[int, list[str]] = defaultdict(list)
    for typid, label in conn.execute(_ENUM_LABELS_SQL):
        labels[typid].append(label)

    # Types an extension owns (earthdistance's earth, tablefunc's composites) are the
    # extension's: generated only when a column uses one.
    used = {c.type.qualified for t in tables for c in t.columns}
    enums, domains, composites = [], [], []
    for oid, row in types.rows.items():
        _, schema, name, typtype, _, _, basetype, typmod, notnull, default, comment, typrelid, owned = row
        if schema in SYSTEM_SCHEMAS or schema.startswith("pg_") or (owned and f"{schema}.{name}" not in used):
            continue
        if typtype == "e":
            enums.append(ir.Enum(schema, name, tuple(labels[oid]), comment))
        elif typtype == "d":
            base_sql = conn.execute("SELECT format_type(%s, %s)", (basetype, typmod)).fetchone()
            base = types.ref(basetype, typmod, base_sql[0] if base_sql else "")
            domains.append(ir.Domain(schema, name, base, notnull, default, tuple(domain_checks[oid]), comment))
        elif typtype == "c" and typrelid:
            relkind = conn.execute("SELECT relkind FROM pg_class WHERE oid = %s", (typrelid,)).fetchone()
            if relkind and relkind[0] == "c":
                attrs = conn.execute(
                    "SELECT attname, atttypid, atttypmod, format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                    (typrelid,),
                ).fetchall()
                composites.append(
                    ir.Composite(
                        schema, name, tuple(ir.Attribute(a, types.ref(t, m, s)) for a, t, m, s in attrs), comment
                    )
                )

    for kind, name in conn.execute(_ROUTINES_SQL):
        unsupported.append(ir.Unsupported(kind, name, f"{kind}s are not generated; call them with SQL"))
    for (name,) in conn.execute(_TRIGGERS_SQL):
        unsupported.append(ir.Unsupported("trigger", name, "triggers run in the database; nothing to generate"))
    for (name,) in conn.execute(_SEQUENCES_SQL):
        unsupported.append(ir.Unsupported("sequence", name, "standalone sequences are not generated; use nextval()"))
    for (name,) in conn.execute(_POLICIES_SQL):
        unsupported.append(ir.Unsupported("policy", name, "row-level security policies apply in the database only"))

    version_row = conn.execute("SHOW server_version").fetchone()
    migrations = _migrations(conn)
    return ir.Catalog(
        tables=tables,
        enums=tuple(sorted(enums, key=lambda e: (e.schema, e.name))),
        domains=tuple(sorted(domains, key=lambda d: (d.schema, d.name))),
        composites=tuple(sorted(composites, key=lambda c: (c.schema, c.name))),
        unsupported=tuple(sorted(set(unsupported), key=lambda u: (u.name, u.kind))),
        server_version=str(version_row[0]).split()[0] if version_row else "",
        migration_version=migrations[-1] if migrations else None,
        migrations=migrations,
        shape=_shape(conn, [t.qualified for t in tables], [e.qualified for e in enums]),
    )


def _migrations(conn: psycopg.Connection[tuple[Any, ...]]) -> tuple[str, ...]:
    """The Atlas revisions applied completely, oldest first."""
    exists = conn.execute(schema_check.REVISIONS_EXIST_SQL).fetchone()
    if not exists or not exists[0]:
        return ()
    return tuple(str(v) for v, complete in conn.execute(schema_check.REVISIONS_SQL) if complete)


def _shape(
    conn: psycopg.Connection[tuple[Any, ...]], tables: list[str], enums: list[str]
) -> tuple[tuple[str, str, str, str, bool | str], ...]:
    """The package's tables and enums as its deep schema check will read them."""
    with conn.transaction():
        conn.execute(schema_check.SEARCH_PATH_SQL)
        rows = conn.execute(schema_check.COLUMNS_SQL, schema_check.split(tuple(tables))).fetchall()
        rows += conn.execute(schema_check.ENUMS_SQL, schema_check.split(tuple(enums))).fetchall()
    return tuple((str(a), str(b), str(c), str(d), e) for a, b, c, d, e in rows)
