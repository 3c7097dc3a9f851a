"""queries/*.sql, the generator's second input: named statements in sqlc's notation, split and
checked with PostgreSQL's own lexer and parser (pglast), never with regular expressions.

    -- name: GetSessionWithUser :one
    -- A comment under the name line is the function's docstring.
    SELECT ... WHERE s.token = @token AND s.expires_at > now();

Kinds: :one, :many, :exec, :execrows, :copyfrom. Parameters: `$1` (named from what it is
compared with or inserted into), `@name`, `sqlc.arg(name)`, and `sqlc.narg(name)` for one that
may be NULL. Each query becomes SQL with `$n` placeholders, which introspect/queries.py
prepares on the scratch database. Problems are collected for every file, not only the first.
"""

from __future__ import annotations

import keyword
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pglast import ast, parser
from pglast.enums import SetOperation

Kind = Literal["one", "many", "exec", "execrows", "copyfrom"]
KINDS: tuple[Kind, ...] = ("one", "many", "exec", "execrows", "copyfrom")
_NAMED = ("arg", "narg")  # sqlc.arg(name), sqlc.narg(name)


@dataclass(frozen=True)
class Param:
    number: int  # $n in the prepared SQL
    name: str  # the keyword argument: "token", or for $n what it meets ("id"), else "p1"
    nullable: bool  # sqlc.narg(name): None is a value it may take
    spelled: str  # as written, for messages: "@token", "sqlc.narg(image)", "$1"
    uses: int = 1  # how many places it is written
    at: int = 0  # its first use: an offset into the query's SQL
    # (schema or "", table, column) where the parameter is a column's value (INSERT ... VALUES,
    # UPDATE ... SET): a nullable column makes it `T | None`, as sqlc does.
    target: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class Query:
    """One named statement, as written and as it will be prepared."""

    name: str  # GetSessionWithUser
    kind: Kind
    file: str  # "queries/sessions.sql", for messages
    line: int  # the `-- name:` line
    sql: str  # the statement, placeholders as $n, without its final semicolon
    params: tuple[Param, ...]
    doc: str = ""
    relative: str = ""  # its file under the queries directory: "sessions.sql" (the module's name)
    # :copyfrom: (schema or "", table, columns), the COPY target
    copy: tuple[str, str, tuple[str, ...]] | None = None
    # sql offset -> file offset, piecewise: (sql start, file start) per unchanged run
    origin: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)
    text: str = field(default="", repr=False, compare=False)  # the whole file, for line:col
    read: bool = False  # only reads (see reads_only): a read replica may run it

    def locate(self, position: int) -> str:
        """`queries/x.sql:12:8` for a 0-based offset into `sql`."""
        return location(self.file, self.text, _to_file(self.origin, position))


@dataclass(frozen=True)
class Problem:
    where: str  # queries/x.sql:12:8
    message: str

    def line(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Parsed:
    queries: tuple[Query, ...]
    problems: tuple[Problem, ...]


NONE = Parsed((), ())  # no queries/ directory


def column_name(described: str) -> tuple[str, bool | None]:
    """A result column's name without the nullability suffix of its alias, and what the suffix
    says: `"total!"` -> ("total", False: not null), `"nick?"` -> ("nick", True), else None."""
    if len(described) > 1 and described[-1] in "!?" and described != "?column?":
        return described[:-1], described[-1] == "?"
    return described, None


def location(file: str, text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{file}:{line}:{column}"


def read(directory: Path, shown_as: str = "queries") -> Parsed:
    """Every `*.sql` file under `directory` (sorted), as named queries and problems."""
    queries: list[Query] = []
    problems: list[Problem] = []
    if directory.is_dir():
        for path in sorted(directory.rglob("*.sql")):
            relative = path.relative_to(directory).as_posix()
            found, wrong = parse(path.read_text(), f"{shown_as}/{relative}")
            queries += [replace(q, relative=relative) for q in found]
            problems += wrong
    seen: dict[str, Query] = {}
    for q in queries:
        key = snake(q.name)
        other = seen.get(key)
        if other is not None:
            what = "" if other.name == q.name else f" (as {key}, like {other.name})"
            problems.append(
                Problem(
                    f"{q.file}:{q.line}:1",
                    f"query name {q.name} is taken{what} by {other.file}:{other.line}: rename one",
                )
            )
        else:
            seen[key] = q
    return Parsed(tuple(queries), tuple(problems))


def snake(name: str) -> str:
    """GetUserByEmail -> get_user_by_email: the method's name."""
    out: list[str] = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (name[i - 1].islower() or name[i - 1].isdigit() or _next_lower(name, i)):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _next_lower(name: str, i: int) -> bool:
    return i + 1 < len(name) and name[i + 1].islower() and name[i - 1] != "_"


# -- one file ----------------------------------------------------------------------------------


def parse(text: str, file: str) -> tuple[list[Query], list[Problem]]:
    """The named queries of one file's `text`, and what is wrong with it."""
    try:
        tokens = parser.scan(text)
    except parser.ParseError as exc:
        message, offset = exc.args
        return [], [Problem(location(file, text, offset), str(message))]
    # (token index, name, kind, offset) per `-- name:` line; kind None for a malformed one, which
    # still ends the query above it
    heads: list[tuple[int, str, Kind | None, int]] = []
    problems: list[Problem] = []
    for i, tok in enumerate(tokens):
        if tok.name != "SQL_COMMENT":
            continue
        words = text[tok.start : tok.end + 1].removeprefix("--").split()
        if not words or words[0] != "name:":
            continue
        where = location(file, text, tok.start)
        heads.append((i, "", None, tok.start))
        if len(words) != 3 or not words[2].startswith(":"):
            problems.append(Problem(where, "write the name line as `-- name: QueryName :kind`"))
            continue
        name, kind = words[1], words[2][1:]
        if not name.isidentifier() or keyword.iskeyword(name):
            problems.append(Problem(where, f"query name {name!r} is not an identifier: use letters, digits and _"))
            continue
        if kind not in KINDS:
            problems.append(Problem(where, f"{name}: unknown kind :{kind}; use one of :{', :'.join(KINDS)}"))
            continue
        heads[-1] = (i, name, KINDS[KINDS.index(kind)], tok.start)
    first = heads[0][0] if heads else len(tokens)
    stray = next((t for t in tokens[:first] if t.name not in ("SQL_COMMENT", "C_COMMENT")), None)
    if stray is not None:
        problems.append(
            Problem(
                location(file, text, stray.start),
                "SQL without a `-- name: QueryName :kind` line above it: name every query",
            )
        )
    queries: list[Query] = []
    for n, (i, name, head_kind, offset) in enumerate(heads):
        if head_kind is None:
            continue
        end = heads[n + 1][0] if n + 1 < len(heads) else len(tokens)
        block = tokens[i + 1 : end]
        try:
            queries.append(_query(text, file, name, head_kind, text.count("\n", 0, offset) + 1, block))
        except _Wrong as exc:
            problems.append(Problem(location(file, text, exc.offset), f"{name}: {exc.message}"))
    return queries, problems


class _Wrong(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset, self.message = offset, message


def _query(text: str, file: str, name: str, kind: Kind, line: int, block: list[Any]) -> Query:
    doc: list[str] = []
    body = 0
    while body < len(block) and block[body].name in ("SQL_COMMENT", "C_COMMENT"):
        if block[body].name == "SQL_COMMENT":
            doc.append(text[block[body].start + 2 : block[body].end + 1].strip())
        body += 1
    code = block[body:]
    if not code:
        after = block[-1].end + 1 if block else 0
        raise _Wrong(after, "no SQL under this name")
    start, stop = code[0].start, code[-1].end + 1
    while code and code[-1].name in ("SQL_COMMENT", "C_COMMENT", "ASCII_59"):  # trailing comments and ;
        code.pop()
        stop = code[-1].end + 1 if code else start
    sql, origin, params = _placeholders(text, code, start, stop)
    try:
        statements = parser.parse_sql(sql)
    except parser.ParseError as exc:
        message, offset = exc.args
        raise _Wrong(_to_file(origin, offset), str(message)) from None
    if len(statements) != 1:
        second = (statements[1].stmt_location or 0) if len(statements) > 1 else 0
        raise _Wrong(
            _to_file(origin, second), "two statements under one name: give each its own `-- name: Name :kind` line"
        )
    stmt = statements[0].stmt
    params = _name_positional(stmt, params, origin)
    copy = _copy_target(stmt, params, origin) if kind == "copyfrom" else None
    read = reads_only(stmt)
    return Query(name, kind, file, line, sql, params, " ".join(doc), copy=copy, origin=origin, text=text, read=read)


# Functions a SELECT may call that write, which a read replica refuses.
_WRITING_FUNCTIONS = frozenset({"nextval", "setval", "pg_advisory_lock", "pg_advisory_xact_lock", "lo_create"})


def reads_only(stmt: Any) -> bool:
    """True for a SELECT that writes nothing: no FOR UPDATE/SHARE, no INSERT/UPDATE/DELETE/MERGE in
    a WITH, no SELECT INTO, no nextval(). (A function of your own that writes is not seen: run
    such a query in db.transaction(), which uses the primary.)"""
    if not isinstance(stmt, ast.SelectStmt):
        return False

    def writes(node: Any) -> bool:
        if isinstance(node, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt | ast.MergeStmt):
            return True
        if isinstance(node, ast.SelectStmt) and (node.lockingClause or node.intoClause):
            return True
        if isinstance(node, ast.FuncCall) and node.funcname and str(node.funcname[-1].sval) in _WRITING_FUNCTIONS:
            return True
        return any(writes(child) for child in _children(node))

    return not writes(stmt)


def _to_file(origin: tuple[tuple[int, int], ...], offset: int) -> int:
    """A 0-based offset into the rewritten SQL, as an offset into its file."""
    if not origin:
        return offset
    starts = [s for s, _ in origin]
    i = max(bisect_right(starts, offset) - 1, 0)
    return origin[i][1] + offset - origin[i][0]


def _placeholders(
    text: str, code: list[Any], start: int, stop: int
) -> tuple[str, tuple[tuple[int, int], ...], tuple[Param, ...]]:
    """Replace @name, sqlc.arg(name) and sqlc.narg(name) with $n (numbered by first use)."""
    pieces: list[str] = []
    origin: list[tuple[int, int]] = []
    numbers: dict[str, tuple[int, bool, str]] = {}
    positional: dict[int, int] = {}  # $n -> its first offset
    uses: dict[int, int] = {}  # $n -> how many places
    first: dict[int, int] = {}  # $n -> its first offset in the SQL
    copied = start  # file offset copied up to
    size = 0  # length of the SQL so far

    def copy_to(offset: int) -> None:
        nonlocal copied, size
        if offset > copied:
            origin.append((size, copied))
            pieces.append(text[copied:offset])
            size += offset - copied
        copied = offset

    def emit(name: str, nullable: bool, spelled: str, at: int, end: int) -> None:
        nonlocal copied, size
        if name in numbers and numbers[name][1] != nullable:
            raise _Wrong(at, f"{spelled}: {name} is written both sqlc.arg and sqlc.narg: use one")
        number = numbers.setdefault(name, (len(numbers) + 1, nullable, spelled))[0]
        uses[number] = uses.get(number, 0) + 1
        copy_to(at)
        first.setdefault(number, size)
        origin.append((size, at))
        placeholder = f"${number}"
        pieces.append(placeholder)
        size += len(placeholder)
        copied = end

    i = 0
    while i < len(code):
        tok = code[i]
        word = text[tok.start : tok.end + 1]
        if tok.name == "PARAM":
            positional.setdefault(int(word[1:]), tok.start)
            uses[int(word[1:])] = uses.get(int(word[1:]), 0) + 1
        elif (
            tok.name == "Op"
            and word.endswith("@")
            and not word.endswith("@@")
            and i + 1 < len(code)
            and code[i + 1].start == tok.end + 1
        ):
            ident = _word(text, code[i + 1])
            if ident:
                emit(ident, False, "@" + ident, tok.end, code[i + 1].end + 1)
                i += 2
                continue
        elif (
            word.lower() == "sqlc"
            and i + 5 < len(code)
            and code[i + 1].name == "ASCII_46"
            and code[i + 3].name == "ASCII_40"
            and code[i + 5].name == "ASCII_41"
        ):
            func = text[code[i + 2].start : code[i + 2].end + 1].lower()
            arg = text[code[i + 4].start : code[i + 4].end + 1]
            ident = arg[1:-1] if code[i + 4].name == "SCONST" else _word(text, code[i + 4])
            if func not in _NAMED:
                raise _Wrong(tok.start, f"sqlc.{func}() is not supported: use @name, and = ANY(@names) for a list")
            if not ident or not ident.isidentifier():
                raise _Wrong(code[i + 4].start, f"sqlc.{func}() takes a parameter name, not {arg}")
            emit(ident, func == "narg", f"sqlc.{func}({ident})", tok.start, code[i + 5].end + 1)
            i += 6
            continue
        i += 1
    copy_to(stop)
    if positional and numbers:
        earliest = min(positional.values())
        raise _Wrong(earliest, "mixes $n with named parameters (@name, sqlc.arg): use one style")
    sql = "".join(pieces)
    if numbers:
        params = tuple(
            Param(n, name, nullable, spelled, uses[n], first[n]) for name, (n, nullable, spelled) in numbers.items()
        )
    else:
        for n, offset in positional.items():
            if n < 1 or n > len(positional):
                raise _Wrong(offset, f"${n} without ${', $'.join(str(k) for k in range(1, n) if k not in positional)}")
        # nothing was rewritten: an offset in the file is one in the SQL, from the statement's start
        params = tuple(Param(n, f"p{n}", False, f"${n}", uses[n], positional[n] - start) for n in sorted(positional))
    return sql, tuple(origin), params


def _word(text: str, tok: Any) -> str:
    """An identifier token's name (a keyword like `limit` too): what @ or sqlc.arg( names."""
    word = text[tok.start : tok.end + 1]
    if tok.name == "IDENT" or tok.kind != "NO_KEYWORD":
        return word[1:-1] if word.startswith('"') else word
    return ""


# -- what the parse tree says about parameters ----------------------------------------------------


def _param_number(node: Any) -> int | None:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return node.number if isinstance(node, ast.ParamRef) else None


def _column_name(node: Any) -> str | None:
    parts: tuple[Any, ...] = (node.fields or ()) if isinstance(node, ast.ColumnRef) else ()
    return str(parts[-1].sval) if parts and isinstance(parts[-1], ast.String) else None


def _relation(rel: Any) -> tuple[str, str]:
    """(schema or "", name) of a RangeVar."""
    return str(rel.schemaname or ""), str(rel.relname)


def _name_positional(stmt: Any, params: tuple[Param, ...], origin: tuple[tuple[int, int], ...]) -> tuple[Param, ...]:
    """$n gets the name of the column it is compared with or stored in, LIMIT/OFFSET theirs;
    every parameter records the column it is stored in (INSERT VALUES, UPDATE SET)."""
    names: dict[int, str] = {}
    targets: dict[int, tuple[str, str, str]] = {}
    if isinstance(stmt, ast.InsertStmt) and stmt.cols and isinstance(stmt.selectStmt, ast.SelectStmt):
        table = _relation(stmt.relation)
        columns = [c.name for c in stmt.cols]
        for row in stmt.selectStmt.valuesLists or ():
            for column, value in zip(columns, row, strict=False):
                number = _param_number(value)
                if number is not None:
                    names.setdefault(number, column)
                    targets.setdefault(number, (*table, column))
    if isinstance(stmt, ast.UpdateStmt):
        table = _relation(stmt.relation)
        for target in stmt.targetList or ():
            number = _param_number(target.val)
            if number is not None and target.name:
                names.setdefault(number, target.name)
                targets.setdefault(number, (*table, target.name))

    casts: dict[int, dict[str, int]] = {}  # $n -> the types it is cast to, and where

    def visit(node: Any) -> None:
        if isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.ParamRef) and node.typeName is not None:
            type_name = ".".join(str(n.sval) for n in node.typeName.names or ()) + "[]" * len(
                node.typeName.arrayBounds or ()
            )
            casts.setdefault(node.arg.number or 0, {}).setdefault(
                type_name.removeprefix("pg_catalog."), node.location or 0
            )
        if isinstance(node, ast.A_Expr):
            for a, b in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr)):
                number, column = _param_number(a), _column_name(b)
                if number is not None and column is not None:
                    names.setdefault(number, column)
        if isinstance(node, ast.SelectStmt) and node.op == SetOperation.SETOP_NONE:
            for clause, word in ((node.limitCount, "limit"), (node.limitOffset, "offset")):
                number = _param_number(clause)
                if number is not None:
                    names.setdefault(number, word)
        for value in _children(node):
            visit(value)

    visit(stmt)
    for number, types in casts.items():
        if len(types) > 1:
            spelled = next(p.spelled for p in params if p.number == number)
            raise _Wrong(
                _to_file(origin, max(types.values())),
                f"{spelled} is cast to {' and to '.join(types)}: a parameter has one type; use two parameters",
            )
    out: list[Param] = []
    taken: set[str] = set()
    for p in params:
        name = p.name
        if p.spelled.startswith("$"):
            base = names.get(p.number, name)
            name = base if base not in taken else f"{base}_{p.number}"
        taken.add(name)
        out.append(Param(p.number, name, p.nullable, p.spelled, p.uses, p.at, targets.get(p.number)))
    return tuple(out)


def _children(node: Any) -> list[Any]:
    if isinstance(node, tuple | list):
        return list(node)
    if isinstance(node, ast.Node):
        slots: Any = getattr(node, "__slots__", ())
        return [getattr(node, slot) for slot in slots if getattr(node, slot, None) is not None]
    return []


def _copy_target(
    stmt: Any, params: tuple[Param, ...], origin: tuple[tuple[int, int], ...]
) -> tuple[str, str, tuple[str, ...]]:
    """:copyfrom: INSERT INTO t (a, b) VALUES ($1, $2), one parameter per column, nothing else."""
    shape = "write :copyfrom as INSERT INTO table (columns) VALUES (@a, @b, ...), one parameter per column"
    if not isinstance(stmt, ast.InsertStmt) or not stmt.cols or not isinstance(stmt.selectStmt, ast.SelectStmt):
        raise _Wrong(_to_file(origin, 0), shape)
    rows = stmt.selectStmt.valuesLists or ()
    numbers = [_param_number(v) if not isinstance(v, ast.TypeCast) else None for v in rows[0]] if len(rows) == 1 else []
    if (
        stmt.returningClause
        or stmt.onConflictClause
        or stmt.withClause
        or len(numbers) != len(stmt.cols)
        or None in numbers
        or numbers != list(range(1, len(params) + 1))
    ):
        raise _Wrong(_to_file(origin, 0), shape + " (COPY can neither compute, convert nor return)")
    schema, table = _relation(stmt.relation)
    return schema, table, tuple(str(c.name) for c in stmt.cols)
