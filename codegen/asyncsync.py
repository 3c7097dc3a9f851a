"""Derive the sync connection module from the async one (the psycopg approach).

The rules are plain token replacements, so the two modules cannot drift: db.py is
always regenerated from db_async.py, and `make check` fails if either was hand-edited.
"""

from __future__ import annotations

import re

_RULES: tuple[tuple[str, str], ...] = (
    (
        r'^"""Connection layer \(async\).*$',
        '"""Connection layer (sync): Database. Derived from db_async.py; do not edit.',
    ),
    (r"\bAsyncConnectionPool\b", "ConnectionPool"),
    (r"\bAsyncConnection\b", "Connection"),
    (r"\bAsyncDatabase\b", "Database"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\basynccontextmanager\b", "contextmanager"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\basync (def|with|for) ", r"\1 "),
    (r"\bawait ", ""),
)


def to_sync(source: str) -> str:
    """The sync twin of an async module."""
    text = source
    for pattern, repl in _RULES:
        text = re.sub(pattern, repl, text, flags=re.M)
    return text
