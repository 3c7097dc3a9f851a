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
Remove each when sqlacodegen fixes it.
"""

from __future__ import annotations

import re

_STR = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
# DOMAIN(<name>, <TYPE(...)>, <collation>, ...: the type has no top-level comma.
_DOMAIN_COLLATION = re.compile(rf"(DOMAIN\(\s*{_STR},\s*\w+\((?:{_STR}|[^()'\"])*\),\s*)({_STR}|None)(\s*,)")


_AND_OF_LAMBDAS = re.compile(r"\band_\(((?:lambda: [^,()]+(?:\([^()]*\))?[^,()]*, )+lambda: [^,()]+)\)")
_NULLTYPE_OBJECT = re.compile(r"Mapped\[(Optional\[)?object(\]?)\] = mapped_column\(NullType\b")
_TABLE_ASSIGN = re.compile(r"^(t_\w+) = Table\(", re.M)


def _imports(source: str, name: str) -> bool:
    return re.search(rf"^from sqlalchemy import .*\b{name}\b", source, re.M) is not None


def fix(source: str) -> str:
    source = _DOMAIN_COLLATION.sub(r"\1collation=\2\3", source)
    if "MetaData(" in source and not _imports(source, "MetaData"):
        source = "from sqlalchemy import MetaData\n" + source
    source = _AND_OF_LAMBDAS.sub(lambda m: "lambda: and_(" + m[1].replace("lambda: ", "") + ")", source)
    if "and_(" in source and not _imports(source, "and_"):
        source = "from sqlalchemy import and_\n" + source
    if "HSTORE(Text())" in source and not _imports(source, "Text"):
        source = "from sqlalchemy import Text\n" + source
    source = _NULLTYPE_OBJECT.sub(r"Mapped[\1str\2] = mapped_column(NullType", source)
    if _TABLE_ASSIGN.search(source):
        source = _TABLE_ASSIGN.sub(r"\1: Table = Table(", source)
    return source
