"""Name a migration after what it changes (`add_places`, `drop_users_bio`), as drizzle-kit
and Prisma never write a nameless one. Atlas's SQL is read with PostgreSQL's own parser."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import pglast
from pglast import ast
from pglast.enums import AlterTableType, ObjectType

MAX_LENGTH = 60
_COLUMN_CHANGE = {
    AlterTableType.AT_AddColumn: "add",
    AlterTableType.AT_DropColumn: "drop",
    AlterTableType.AT_AlterColumnType: "alter",
    AlterTableType.AT_SetNotNull: "alter",
    AlterTableType.AT_DropNotNull: "alter",
    AlterTableType.AT_ColumnDefault: "alter",
}


def _object_name(obj: object) -> str:
    """The last part of a dropped object's name: ("public", "users"), a TypeName or a String."""
    if isinstance(obj, tuple):
        return _last(obj)
    if isinstance(obj, ast.TypeName):
        return _last(obj.names)
    return str(getattr(obj, "sval", "object"))


def _last(names: tuple[ast.String, ...] | None) -> str:
    return str(names[-1].sval) if names else ""


def _table_of(statement: ast.Node) -> str | None:
    """The table a statement works on, when it works on one."""
    relation = getattr(statement, "relation", None)
    if relation is not None:
        return str(relation.relname)
    if isinstance(statement, ast.CommentStmt) and isinstance(statement.object, tuple):
        names = [str(n.sval) for n in statement.object]
        return names[-2] if statement.objtype == ObjectType.OBJECT_COLUMN else names[-1]
    return None


def _changes(statement: ast.Node) -> Iterator[str]:
    """Words for one statement."""
    table = _table_of(statement) or "table"
    if isinstance(statement, ast.CreateStmt):
        yield f"add_{table}"
    elif isinstance(statement, ast.AlterTableStmt):
        for cmd in statement.cmds or ():
            verb = _COLUMN_CHANGE.get(cmd.subtype)
            if verb is not None:
                yield f"{verb}_{table}_{cmd.name or cmd.def_.colname}"
            elif cmd.subtype == AlterTableType.AT_AddConstraint:
                yield f"add_{table}_{cmd.def_.conname or 'constraint'}"
            elif cmd.subtype == AlterTableType.AT_DropConstraint:
                yield f"drop_{table}_{cmd.name}"
            else:
                yield f"alter_{table}"
    elif isinstance(statement, ast.DropStmt):
        for obj in statement.objects or ():
            yield f"drop_{_object_name(obj)}"
    elif isinstance(statement, ast.IndexStmt):
        yield f"add_{statement.idxname or table + '_index'}"
    elif isinstance(statement, ast.CommentStmt):
        parts = 2 if statement.objtype == ObjectType.OBJECT_COLUMN else 1
        names: tuple[ast.String, ...] = statement.object if isinstance(statement.object, tuple) else ()
        yield "comment_" + "_".join(str(n.sval) for n in names[-parts:])
    elif isinstance(statement, ast.CreateEnumStmt):
        yield f"add_{_last(statement.typeName)}"
    elif isinstance(statement, ast.AlterEnumStmt):
        yield f"alter_{_last(statement.typeName)}"
    elif isinstance(statement, ast.CreateSchemaStmt):
        yield f"add_schema_{statement.schemaname}"
    elif isinstance(statement, ast.RenameStmt):
        yield f"rename_{table}_{statement.subname or statement.newname}"
    else:
        yield "change"


def _file_safe(word: str) -> str:
    """ASCII letters, digits and _ (accents dropped: `Ünïcode` -> `unicode`)."""
    ascii_only = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_only.lower()).strip("_")


def name_from_sql(text: str) -> str:
    """`add_places`, `add_places_and_drop_users_bio`, `add_places_and_3_more`: new tables first,
    then dropped ones, then the rest, so that "and N more" never hides a table."""
    created: set[str] = set()  # the indexes, comments and keys of a new table are part of "add_<table>"
    ranked: list[tuple[int, str]] = []
    for raw in pglast.parse_sql(text):
        statement = raw.stmt
        if statement is None:
            continue
        if isinstance(statement, ast.CreateStmt):
            created.add(_table_of(statement) or "")
        elif _table_of(statement) in created:
            continue
        rank = 0 if isinstance(statement, ast.CreateStmt) else 1 if isinstance(statement, ast.DropStmt) else 2
        ranked += [(rank, w) for w in _changes(statement) if w not in {r[1] for r in ranked}]
    words = [_file_safe(w) for _, w in sorted(ranked, key=lambda r: r[0])] or ["change"]
    if len(words) == 1:
        name = words[0]
    elif len(words) == 2:
        name = f"{words[0]}_and_{words[1]}"
    else:
        name = f"{words[0]}_and_{len(words) - 1}_more"
    return name[:MAX_LENGTH].rstrip("_")
