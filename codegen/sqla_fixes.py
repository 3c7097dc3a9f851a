"""Repairs for defects in sqlacodegen 4.0.4's output, each found on a real schema.

1. Domains: it writes `metadata=MetaData()` without importing MetaData.
2. Domains: it passes the collation as DOMAIN's third positional argument, which
   SQLAlchemy 2 declares keyword-only (a TypeError at import, and a mypy error).
3. Many-to-many over a composite key: it writes `and_(lambda: a, lambda: b)` (a join of
   two lambdas, and and_ not imported) where `lambda: and_(a, b)` is meant.
4. A relationship's lambda may use a `t_x = Table(...)` defined further down, which mypy
   cannot type ("Cannot determine type"): the Table assignments get an annotation.
5. A type SQLAlchemy lacks (xml) becomes `Mapped[object] = mapped_column(NullType)`,
   which SQLAlchemy refuses at import: the annotation becomes str, as psycopg returns it.
6. hstore: it writes `HSTORE(Text())` without importing Text.
7. Expression indexes: it drops the expression (`Index("users_email_lower_key",
   unique=True)` indexes nothing). The keys are restored from pg_get_indexdef() as
   `text("lower(email)")`; the atlas-provider-sqlalchemy test proves the DDL equal.
Remove each when sqlacodegen fixes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from codegen.plan import sqltext

_STR = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
# DOMAIN(<name>, <TYPE(...)>, <collation>, ...: the type has no top-level comma.
_DOMAIN_COLLATION = re.compile(rf"(DOMAIN\(\s*{_STR},\s*\w+\((?:{_STR}|[^()'\"])*\),\s*)({_STR}|None)(\s*,)")


_AND_OF_LAMBDAS = re.compile(r"\band_\(((?:lambda: [^,()]+(?:\([^()]*\))?[^,()]*, )+lambda: [^,()]+)\)")
_NULLTYPE_OBJECT = re.compile(r"Mapped\[(Optional\[)?object(\]?)\] = mapped_column\(NullType\b")
_TABLE_ASSIGN = re.compile(r"^(t_\w+) = Table\(", re.M)


def _imports(source: str, name: str) -> bool:
    return re.search(rf"^from sqlalchemy import .*\b{name}\b", source, re.M) is not None


def expression_keys(definition: str) -> str | None:
    """The key list of an index whose keys include an expression, from pg_get_indexdef():
    `CREATE UNIQUE INDEX x ON public.users USING btree (lower(email))` -> `lower(email)`."""
    start = definition.find("(", definition.find(" USING "))
    keys = sqltext.group_at(definition, start) if start >= 0 else None
    return keys if keys is not None and ("(" in keys or "::" in keys) else None


def _restore_index_keys(source: str, index_keys: Mapping[str, str]) -> str:
    for name, keys in sorted(index_keys.items()):
        pattern = re.compile(rf"Index\(\s*(['\"]){re.escape(name)}\1(?P<rest>[^()]*)\)")

        def repl(m: re.Match[str], keys: str = keys, name: str = name) -> str:
            kwargs = [a.strip() for a in m["rest"].split(",") if "=" in a]
            quoted_name = m[1] + name + m[1]
            return "Index(" + ", ".join([quoted_name, f"text({keys!r})", *kwargs]) + ")"

        source = pattern.sub(repl, source)
    return source


def fix(source: str, index_keys: Mapping[str, str] | None = None) -> str:
    """Repair `source`; `index_keys` maps index name -> key SQL for expression indexes."""
    if index_keys:
        source = _restore_index_keys(source, index_keys)
        if "text(" in source and not _imports(source, "text"):
            source = "from sqlalchemy import text\n" + source
    source = _DOMAIN_COLLATION.sub(r"\1collation=\2\3", source)
    if "MetaData(" in source and not _imports(source, "MetaData"):
        source = "from sqlalchemy import MetaData\n" + source
    source = _AND_OF_LAMBDAS.sub(lambda m: "lambda: and_(" + m[1].replace("lambda: ", "") + ")", source)
    if "and_(" in source and not _imports(source, "and_"):
        source = "from sqlalchemy import and_\n" + source
    if "HSTORE(Text())" in source and not _imports(source, "Text"):
        source = "from sqlalchemy import Text\n" + source
    source = _NULLTYPE_OBJECT.sub(r"Mapped[\1str\2] = mapped_column(NullType", source)
    source = _TABLE_ASSIGN.sub(r"\1: Table = Table(", source)
    return source
