"""Repairs for two defects in sqlacodegen 4.0.4's rendering of PostgreSQL domains.

1. It writes `metadata=MetaData()` without importing MetaData.
2. It passes the collation as DOMAIN's third positional argument, which SQLAlchemy 2
   declares keyword-only (a TypeError at import, and a mypy error).
Both show only for columns whose type is a domain. Remove when sqlacodegen fixes them.
"""

from __future__ import annotations

import re

_STR = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
# DOMAIN(<name>, <TYPE(...)>, <collation>, ...: the type has no top-level comma.
_DOMAIN_COLLATION = re.compile(rf"(DOMAIN\(\s*{_STR},\s*\w+\((?:{_STR}|[^()'\"])*\),\s*)({_STR}|None)(\s*,)")


def fix(source: str) -> str:
    source = _DOMAIN_COLLATION.sub(r"\1collation=\2\3", source)
    if "MetaData(" in source and not re.search(r"^from sqlalchemy import .*\bMetaData\b", source, re.M):
        source = "from sqlalchemy import MetaData\n" + source
    return source
