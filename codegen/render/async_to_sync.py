"""Derive the sync connection module from the async one (the psycopg approach).

The rules are plain token replacements, so the two modules cannot drift: db.py is
always regenerated from db_async.py, and `make check` fails if either was hand-edited.
"""

from __future__ import annotations

import re

_RULES: tuple[tuple[str, str], ...] = (
    (r"\b_acompat\b", "_compat"),
    (r"\bpool_async\b", "pool"),
    (r"\bAsyncPool\b", "Pool"),
    (r"\bAwaitable\[([\w.]+(?:\[[^\[\]]*\])?)\]", r"\1"),
    (r"\bAsyncConnection\b", "Connection"),
    (r"\bAsyncDatabase\b", "Database"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\basynccontextmanager\b", "contextmanager"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\basync (def|with|for) ", r"\1 "),
    (r"\bawait ", ""),
    (
        r"\(async\)(.*?)The sync twin, (\w+)\.py, is derived from this file\.",
        r"(sync)\1Derived from \2_async.py; do not edit.",
    ),
)


def to_sync(source: str) -> str:
    """The sync twin of an async module."""
    text = source
    for pattern, repl in _RULES:
        text = re.sub(pattern, repl, text, flags=re.M)
    return text
