"""What Atlas's error about schema.hcl means, said plainly, with the line it is about.

Atlas reports some mistakes far from their cause: a misspelt block (`colum "image" {`) shows as
`Unknown variable; There is no variable named "text"` on the line after, a misspelt attribute
(`nul = true`) is ignored until `specutil: ... nil type`, and a type from an extension the
dev database lacks is PostgreSQL's `pq: type "geography" does not exist`. `explain()` reads
schema.hcl's block structure (names and braces only: the file already parsed as HCL up to the
error) and Atlas's message, and returns one line per problem, each with the file and line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from codegen.errors import SchemaError

# The blocks and attributes Atlas's PostgreSQL HCL (community edition 0.13) knows, by the
# block they sit in ("" is the file's top level).
_BLOCKS = {
    "": {"schema", "table", "view", "enum", "variable", "locals"},
    "table": {"column", "primary_key", "index", "foreign_key", "check", "partition", "unique"},
    "column": {"identity", "as"},
    "index": {"on"},
    "partition": {"on"},
}
_ATTRIBUTES = {
    "schema": {"comment", "charset", "collate"},
    "table": {"schema", "comment", "charset", "collate", "unlogged", "depends_on"},
    "view": {"schema", "as", "comment", "check_option", "depends_on"},
    "column": {"type", "null", "default", "comment", "charset", "collate", "as", "identity", "on_update"},
    "primary_key": {"columns", "on", "include", "comment"},
    "index": {"columns", "unique", "where", "type", "include", "comment", "nulls_distinct", "on", "page_per_range"},
    "foreign_key": {"columns", "ref_columns", "on_update", "on_delete", "comment"},
    "check": {"expr", "comment"},
    "enum": {"schema", "values", "comment"},
    "identity": {"generated", "start", "increment"},
    "as": {"expr", "type"},
    "on": {"column", "expr", "desc", "ops", "collate", "nulls_first", "nulls_last"},
    "partition": {"type", "columns", "by"},
    "unique": {"columns", "comment"},
}
# Types that come from an extension rather than from PostgreSQL itself.
EXTENSION_TYPES = {
    "geography": "postgis", "geometry": "postgis", "box2d": "postgis", "box3d": "postgis", "raster": "postgis_raster",
    "citext": "citext", "hstore": "hstore", "ltree": "ltree", "lquery": "ltree", "ltxtquery": "ltree",
    "cube": "cube", "earth": "earthdistance", "isbn": "isn", "isbn13": "isn", "ean13": "isn", "issn": "isn",
    "vector": "vector", "halfvec": "vector", "sparsevec": "vector", "seg": "seg",
}  # fmt: skip
# The type names Atlas's PostgreSQL HCL takes (`type = ...`), for a suggestion of our own: Atlas's
# "Did you mean" picks from a Go map, a different type from run to run.
HCL_TYPES = frozenset(
    [
        "bigint",
        "bigserial",
        "bit",
        "bit_varying",
        "bool",
        "boolean",
        "box",
        "bytea",
        "char",
        "character",
        "character_varying",
        "cidr",
        "circle",
        "date",
        "daterange",
        "decimal",
        "double_precision",
        "float",
        "float4",
        "float8",
        "inet",
        "int",
        "int2",
        "int4",
        "int4range",
        "int8",
        "int8range",
        "integer",
        "interval",
        "json",
        "jsonb",
        "line",
        "lseg",
        "macaddr",
        "macaddr8",
        "money",
        "numeric",
        "numrange",
        "path",
        "point",
        "polygon",
        "real",
        "serial",
        "serial2",
        "serial4",
        "serial8",
        "smallint",
        "smallserial",
        "text",
        "time",
        "timestamp",
        "timestamptz",
        "timetz",
        "tsquery",
        "tsrange",
        "tstzrange",
        "tsvector",
        "uuid",
        "varbit",
        "varchar",
        "xml",
    ]
)
_HEADER = re.compile(r'^\s*(?P<type>[A-Za-z_]\w*)(?:\s+(?:"[^"]*"|[A-Za-z_][\w.]*))*\s*\{\s*(?:#.*)?$')
_ATTRIBUTE = re.compile(r"^\s*(?P<name>[A-Za-z_]\w*)\s*=")
_LOCATION = re.compile(r"(?P<file>[^\s:]+\.hcl):(?P<line>\d+),\d+(?:-\d+)?: (?P<text>.+)")
_NO_TYPE = re.compile(r'There is no type named "(?P<type>[^"]+)"')
_PQ_TYPE = re.compile(r'create "(?P<table>[^"]+)" table: pq: type "(?:[^"]+\.)?(?P<type>[^".]+)" does not exist')
_NIL_TYPE = re.compile(r'cannot convert table "(?P<table>[^"]+)": specutil: nil type')


@dataclass(frozen=True)
class _Block:
    type: str
    label: str  # the header as written, for the message
    line: int
    parent: str


def _blocks(lines: list[str]) -> tuple[list[_Block], list[tuple[int, str, str]]]:
    """Every block (type, header, line, parent type) and every attribute (line, name, block type)."""
    blocks: list[_Block] = []
    attributes: list[tuple[int, str, str]] = []
    stack: list[str] = []
    for number, text in enumerate(lines, 1):
        code = text.split("#", 1)[0].split("//", 1)[0]
        if (m := _HEADER.match(code)) is not None:
            blocks.append(_Block(m["type"], code.strip().rstrip("{").strip(), number, stack[-1] if stack else ""))
            stack.append(m["type"])
            continue
        if (m := _ATTRIBUTE.match(code)) is not None and stack and code.count("{") == code.count("}"):
            attributes.append((number, m["name"], stack[-1]))
        opened, closed = code.count("{"), code.count("}")
        for _ in range(closed - opened):
            if stack:
                stack.pop()
        for _ in range(opened - closed):
            stack.append("")  # an object value: { ... } on its own lines
    return blocks, attributes


def _suggest(word: str, known: set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _structure(lines: list[str], shown: str) -> list[str]:
    """Unknown block types and unknown attributes in known blocks, one line each."""
    blocks, attributes = _blocks(lines)
    problems = []
    for block in blocks:
        allowed = _BLOCKS.get(block.parent)
        if allowed is not None and block.type not in allowed:
            where = f"inside a {block.parent} block" if block.parent else "at the top level"
            problems.append(
                f"{shown}:{block.line}: `{block.label}` is not a block Atlas knows {where}"
                f"{_suggest(block.type, allowed)}: fix its name"
            )
    for number, name, parent in attributes:
        allowed = _ATTRIBUTES.get(parent)
        if allowed is not None and name not in allowed:
            problems.append(
                f"{shown}:{number}: `{name}` is not an attribute of a {parent} block{_suggest(name, allowed)}: "
                "fix its name (Atlas ignores it, so the block is read without it)"
            )
    return problems


def _type_line(lines: list[str], shown: str, name: str) -> str:
    """`schema.hcl:N` of the first `type = name` or `sql("name")`, else the file alone."""
    pattern = re.compile(rf'\btype\s*=\s*(?:{re.escape(name)}\b|sql\("\s*{re.escape(name)}\b)')
    for number, text in enumerate(lines, 1):
        if pattern.search(text):
            return f"{shown}:{number}"
    return shown


def _extension(name: str) -> str:
    extension = EXTENSION_TYPES.get(name)
    if extension is None:
        return ""
    return (
        f": the type comes from the extension {extension}; create it in a migration of its own "
        f"(`CREATE EXTENSION {extension};`, written by hand and hashed with `make migrate-hash`), and if the "
        "embedded PostgreSQL lacks it, set ATLAS_DEV_URL to a server that has it (README, Extensions)"
    )


def check(schema: Path, shown: str) -> None:
    """Raise SchemaError for a misspelt block or attribute before Atlas runs: Atlas ignores an
    unknown attribute, so `nul = true` would silently make a column NOT NULL."""
    problems = _structure(schema.read_text().splitlines(), shown)
    if problems:
        raise SchemaError("\n".join(problems))


def explain(message: str, schema: Path, shown: str) -> str:
    """Atlas's one-line `message` about `schema` (named `shown` to the user), as what to fix:
    one line per problem, each naming the file and line."""
    lines = schema.read_text().splitlines()
    structure = _structure(lines, shown)
    if structure:  # the true cause of "Unknown variable" after a misspelt block, or of "nil type"
        return "\n".join(structure)
    if (m := _LOCATION.search(message)) is not None:
        number = int(m["line"])
        text = m["text"].rstrip(".")
        source = " ".join(lines[number - 1].split()) if 0 < number <= len(lines) else ""
        if (t := _NO_TYPE.search(text)) is not None:
            if t["type"] in EXTENSION_TYPES:
                return f"{shown}:{number}: `{source}`: there is no built-in type {t['type']}{_extension(t['type'])}"
            return (
                f"{shown}:{number}: `{source}`: Atlas knows no type {t['type']}{_suggest(t['type'], set(HCL_TYPES))}: "
                'fix the name, or write sql("...") for a type of PostgreSQL\'s that Atlas does not name'
            )
        return f"{shown}:{number}: `{source}`: {text}"
    if (m := _PQ_TYPE.search(message)) is not None:
        where = _type_line(lines, shown, m["type"])
        cause = _extension(m["type"]) or ": create the type in a hand-written migration first"
        return f'{where}: table "{m["table"]}" uses the type {m["type"]}, which the dev database does not have{cause}'
    if (m := _NIL_TYPE.search(message)) is not None:
        return f'{shown}: a column of table "{m["table"]}" has no `type`: add one (for example `type = text`)'
    return f"{shown}: {message}"
