"""Which result columns of a query may be NULL: pure, from PostgreSQL's description of the
prepared query and its parse tree (pglast), never from guessing at the text.

The rule:
- a column that is a table's column passed through (PostgreSQL's ftable/ftablecol) is as
  nullable as that column, unless it comes from the nullable side of an outer join (the
  right of LEFT, the left of RIGHT, either of FULL), there or in the subquery or CTE it
  comes through;
- anything else (an expression, an aggregate, a column of a subquery) is nullable unless
  proven otherwise: a constant, count(...), EXISTS, IS [NOT] NULL, COALESCE or GREATEST with
  one proven argument, CASE whose every branch is proven, an operator or cast of proven
  operands, or a NOT NULL column from a side that is never NULL-extended;
- a column aliased `"name!"` is declared non-null and `"name?"` nullable, as in Prisma's
  TypedSQL (plan/queries.py strips the suffix from the name).

Where the parse cannot tie a result column to its source (SELECT * over a subquery, UNION),
the answer is the safe one: nullable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pglast import ast, parser
from pglast.enums import A_Expr_Kind, JoinType, SetOperation, SubLinkType

from codegen import ir

# Functions that never return NULL, whatever their arguments (count counts; the rest make a value).
_NEVER_NULL = frozenset(
    {
        "count", "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "now", "clock_timestamp",
        "statement_timestamp", "transaction_timestamp", "gen_random_uuid", "random", "uuidv4", "uuidv7",
    }
)  # fmt: skip
_STRICT_EXPR = (A_Expr_Kind.AEXPR_OP, A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE, A_Expr_Kind.AEXPR_SIMILAR)


@dataclass
class _Rel:
    """One item of a FROM list: a table, or something else (subquery, CTE, function)."""

    name: str  # what qualifies its columns: the alias, else the relation's name
    table: ir.Table | None  # the catalog table or view, when it is one
    nullable: bool  # on the nullable side of an outer join


@dataclass
class _Scope:
    rels: list[_Rel] = field(default_factory=list)  # the statement's own FROM items, in order
    # every table occurrence at any depth (subqueries, CTEs): (schema.table, NULL-extended)
    deep: list[tuple[str, bool]] = field(default_factory=list)


class Tables:
    """The catalog's tables and views as a query names them (plan/queries.py resolves with it too)."""

    def __init__(self, catalog: ir.Catalog) -> None:
        self.by_name: dict[tuple[str, str], ir.Table] = {(t.schema, t.name): t for t in catalog.tables}

    def named(self, schema: str, name: str) -> ir.Table | None:
        """`schema.name`; without a schema, public's, else the only table of that name (search_path)."""
        if schema:
            return self.by_name.get((schema, name))
        found = self.by_name.get(("public", name))
        if found is None:
            others = [t for (_, n), t in self.by_name.items() if n == name]
            found = others[0] if len(others) == 1 else None
        return found

    def find(self, rel: Any) -> ir.Table | None:
        """The table a RangeVar names."""
        return self.named(str(rel.schemaname or ""), str(rel.relname))


def result_nullable(sql: str, fields: tuple[ir.ResultField, ...], catalog: ir.Catalog) -> tuple[bool, ...]:
    """Per result column of `sql`: may it be NULL (before any `!`/`?` alias suffix)."""
    stmt = parser.parse_sql(sql)[0].stmt
    tables = Tables(catalog)
    scope = _Scope()
    targets: tuple[Any, ...] | None = None
    if isinstance(stmt, ast.SelectStmt):
        ctes = _ctes(stmt.withClause, {})
        if stmt.op == SetOperation.SETOP_NONE:
            for item in stmt.fromClause or ():
                _from_item(item, False, scope, ctes, tables)
            targets = tuple(stmt.targetList or ())
        else:
            _walk_query(stmt, False, scope, ctes, tables)
    elif isinstance(stmt, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt):
        ctes = _ctes(stmt.withClause, {})
        _from_item(stmt.relation, False, scope, ctes, tables)
        extra = stmt.fromClause if isinstance(stmt, ast.UpdateStmt) else getattr(stmt, "usingClause", None)
        for item in extra or ():
            _from_item(item, False, scope, ctes, tables)
        if isinstance(stmt, ast.InsertStmt) and stmt.selectStmt is not None:
            _walk_query(stmt.selectStmt, False, _Scope(deep=scope.deep), ctes, tables)
        targets = tuple(stmt.returningClause.exprs or ()) if stmt.returningClause else ()
    mapping = _expand(targets, scope) if targets is not None else None
    if mapping is not None and len(mapping) != len(fields):
        mapping = None
    return tuple(_nullable(f, mapping[i] if mapping else None, scope) for i, f in enumerate(fields))


# -- FROM lists --------------------------------------------------------------------------------


def _ctes(with_clause: Any, outer: dict[str, Any]) -> dict[str, Any]:
    ctes = dict(outer)
    for cte in (with_clause.ctes if with_clause else None) or ():
        ctes[cte.ctename] = cte.ctequery
    return ctes


def _from_item(node: Any, nullable: bool, scope: _Scope, ctes: dict[str, Any], tables: Tables) -> None:
    if isinstance(node, ast.RangeVar):
        name = str(node.alias.aliasname if node.alias else node.relname)
        if not node.schemaname and node.relname in ctes:  # a CTE: what it reads is NULL-extended with it
            _walk_query(
                ctes[node.relname], nullable, scope, {k: v for k, v in ctes.items() if k != node.relname}, tables
            )
            scope.rels.append(_Rel(name, None, nullable))
            return
        table = tables.find(node)
        scope.rels.append(_Rel(name, table, nullable))
        if table is not None:
            scope.deep.append((table.qualified, nullable))
    elif isinstance(node, ast.JoinExpr):
        kind = node.jointype
        _from_item(node.larg, nullable or kind in (JoinType.JOIN_RIGHT, JoinType.JOIN_FULL), scope, ctes, tables)
        _from_item(node.rarg, nullable or kind in (JoinType.JOIN_LEFT, JoinType.JOIN_FULL), scope, ctes, tables)
        if node.alias:  # JOIN ... AS j: its columns are qualified by j, which we do not follow
            scope.rels.append(_Rel(str(node.alias.aliasname), None, True))
    elif isinstance(node, ast.RangeSubselect):
        _walk_query(node.subquery, nullable, scope, ctes, tables)
        scope.rels.append(_Rel(str(node.alias.aliasname) if node.alias else "", None, nullable))
    else:  # a function in FROM, VALUES, ...: its columns are not a table's
        alias = getattr(node, "alias", None)
        scope.rels.append(_Rel(str(alias.aliasname) if alias else "", None, nullable))


def _walk_query(node: Any, nullable: bool, scope: _Scope, ctes: dict[str, Any], tables: Tables) -> None:
    """Record the table occurrences of a nested query into scope.deep (not its own FROM items)."""
    if not isinstance(node, ast.SelectStmt):
        return
    inner_ctes = _ctes(node.withClause, ctes)
    if node.op != SetOperation.SETOP_NONE:
        _walk_query(node.larg, nullable, scope, inner_ctes, tables)
        _walk_query(node.rarg, nullable, scope, inner_ctes, tables)
        return
    inner = _Scope(deep=scope.deep)
    for item in node.fromClause or ():
        _from_item(item, nullable, inner, inner_ctes, tables)


# -- result columns ----------------------------------------------------------------------------

_Entry = tuple[str, Any, "_Rel | None"]  # ("expr", node, None) or ("col", column name, rel)


def _expand(targets: tuple[Any, ...], scope: _Scope) -> list[_Entry] | None:
    """The target list with * and t.* expanded, one entry per result column; None when a star
    covers something whose columns the catalog does not list."""
    out: list[_Entry] = []
    for target in targets:
        value = target.val
        parts: tuple[Any, ...] = value.fields or () if isinstance(value, ast.ColumnRef) else ()
        if parts and isinstance(parts[-1], ast.A_Star):
            if len(parts) > 1:
                rel = _rel(scope, str(parts[-2].sval))
                rels = [rel] if rel is not None else []
                if rel is None:
                    return None
            else:
                rels = scope.rels
            for rel in rels:
                if rel.table is None:
                    return None
                out += [("col", c.name, rel) for c in rel.table.columns]
        else:
            out.append(("expr", value, None))
    return out


def _rel(scope: _Scope, name: str) -> _Rel | None:
    found = [r for r in scope.rels if r.name == name]
    return found[0] if len(found) == 1 else None


def _resolve(ref: ast.ColumnRef, scope: _Scope) -> tuple[_Rel, str] | None:
    """The FROM item and column a column reference names, when it is a table's."""
    parts: tuple[Any, ...] = ref.fields or ()
    names = [str(f.sval) for f in parts if isinstance(f, ast.String)]
    if len(names) != len(parts) or not names:
        return None
    column = names[-1]
    if len(names) >= 2:
        rel = _rel(scope, names[-2])
        return (rel, column) if rel is not None else None
    having = [r for r in scope.rels if r.table is None or any(c.name == column for c in r.table.columns)]
    return (having[0], column) if len(having) == 1 and having[0].table is not None else None


def _nullable(f: ir.ResultField, entry: _Entry | None, scope: _Scope) -> bool:
    if f.table:
        if not f.not_null:
            return True
        rel: _Rel | None = None
        if entry is not None and entry[0] == "col":
            rel = entry[2]
        elif entry is not None and isinstance(entry[1], ast.ColumnRef):
            found = _resolve(entry[1], scope)
            rel = found[0] if found else None
        if rel is not None and rel.table is not None and rel.table.qualified == f.table:
            return rel.nullable
        # Through a subquery, CTE or expression: NULL-extended if any occurrence of its table is.
        occurrences = [n for t, n in scope.deep if t == f.table]
        return (rel is not None and rel.nullable) or not occurrences or any(occurrences)
    if entry is None:
        return True
    if entry[0] == "col":
        return True  # a star over a non-table: not reached (_expand gives up), kept safe
    return not _proven(entry[1], scope)


def _proven(node: Any, scope: _Scope) -> bool:
    """Is this expression non-null whatever the data?"""
    if isinstance(node, ast.A_Const):
        return not node.isnull
    if isinstance(node, ast.TypeCast):
        return _proven(node.arg, scope)
    if isinstance(node, ast.ColumnRef):
        found = _resolve(node, scope)
        if found is None:
            return False
        rel, column = found
        assert rel.table is not None
        col = next((c for c in rel.table.columns if c.name == column), None)
        return col is not None and not col.nullable and not rel.nullable and not rel.table.view
    if isinstance(node, ast.FuncCall):
        return str((node.funcname or ("",))[-1].sval).lower() in _NEVER_NULL
    if isinstance(node, ast.SQLValueFunction | ast.NullTest | ast.BooleanTest):
        return True
    if isinstance(node, ast.CoalesceExpr | ast.MinMaxExpr):
        return any(_proven(a, scope) for a in node.args or ())
    if isinstance(node, ast.SubLink):
        return node.subLinkType == SubLinkType.EXISTS_SUBLINK
    if isinstance(node, ast.BoolExpr):
        return all(_proven(a, scope) for a in node.args or ())
    if isinstance(node, ast.A_Expr):
        if node.kind in (A_Expr_Kind.AEXPR_DISTINCT, A_Expr_Kind.AEXPR_NOT_DISTINCT):
            return True
        if node.kind in _STRICT_EXPR or node.kind == A_Expr_Kind.AEXPR_IN:
            operands = [node.lexpr, *(node.rexpr if isinstance(node.rexpr, tuple | list) else (node.rexpr,))]
            return all(_proven(o, scope) for o in operands if o is not None)
        return False
    if isinstance(node, ast.CaseExpr):
        results = [w.result for w in node.args or ()]
        return node.defresult is not None and all(_proven(r, scope) for r in [*results, node.defresult])
    return False
