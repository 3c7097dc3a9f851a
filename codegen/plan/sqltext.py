"""Walking SQL text as PostgreSQL prints it: parenthesis depth outside string literals."""

from __future__ import annotations

from collections.abc import Iterator


def depths(text: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(position, character, depth after it) for each character outside '...' literals.

    `'it''s'` needs no special case: the doubled quote closes and reopens the literal.
    """
    depth, quoted = 0, False
    for pos in range(start, len(text)):
        ch = text[pos]
        if ch == "'":
            quoted = not quoted
            continue
        if quoted:
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        yield pos, ch, depth


def balanced(text: str) -> bool:
    """Every parenthesis closes, and none closes before it opens."""
    depth = 0
    for _, _, depth in depths(text):
        if depth < 0:
            return False
    return depth == 0


def split_top_level(text: str, separator: str) -> list[str]:
    """`text` split at `separator` where it stands outside parentheses and literals."""
    parts, start, skip_to = [], 0, 0
    for pos, _, depth in depths(text):
        if pos < skip_to:
            continue
        if depth == 0 and text.startswith(separator, pos):
            parts.append(text[start:pos])
            start = skip_to = pos + len(separator)
    parts.append(text[start:])
    return parts


def group_at(text: str, start: int) -> str | None:
    """The inside of the parenthesised group opening at `start` ("(a(b))c" at 0 -> "a(b)")."""
    for pos, _, depth in depths(text, start):
        if depth == 0:
            return text[start + 1 : pos]
    return None


def quote(name: str) -> str:
    """A quoted SQL identifier: `"a""b"`."""
    return '"' + name.replace('"', '""') + '"'


def sql_name(name: str) -> str:
    """A quoted identifier as it goes into SQL that psycopg formats (its %s placeholders), with a %
    doubled (`"50%%off"`), so that a table or column named with one cannot break a call."""
    return quote(name).replace("%", "%%")
