"""PostgreSQL regular expressions (ARE) as pydantic patterns, where the two provably agree.

A CHECK `col ~ 'pattern'` becomes `Field(pattern=...)` only when every part of the pattern
means the same in PostgreSQL and in pydantic's engine (Rust's regex crate, searched anywhere
in the value, as `~` searches). The two differ in much: PostgreSQL's `.` and `[^x]` match a
newline, and its `\\d`, `\\w`, `\\s` and `[[:alpha:]]` follow the database's locale; it has
`\\m`, `\\y`, back-references, lookahead and embedded options, which Rust's engine lacks or
spells otherwise. So the subset translated is: literal characters, escaped punctuation, `.`
(as `(?s:.)`), bracket expressions of literal characters and ASCII ranges, groups,
alternation, the anchors `^` and `$`, and the quantifiers `* + ? {m} {m,} {m,n}` (greedy or
not). Anything else returns None and the check is left to the database, which the field's
description says. tests/test_check_regex.py tries both engines on the same strings.

The pattern is parsed and written out again in Rust's syntax, every punctuation character
escaped, so that what passes is exactly what was understood.
"""

from __future__ import annotations

_QUANTIFIERS = "*+?"
# Rust's metacharacters, escaped wherever they stand for themselves (and nothing else: `\<`
# is a word boundary there).
_META = frozenset("\\.+*?()|[]{}^$#&-~")
_ESCAPED_LETTERS = {"n": "\\n", "t": "\\t", "r": "\\r"}  # the same character in both


class _Untranslatable(Exception):
    pass


def _literal(char: str) -> str:
    """One character as a Rust regex literal."""
    if char in _META:
        return "\\" + char
    return char if char.isprintable() or not char.isascii() else f"\\x{ord(char):02x}"


class _Reader:
    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.at = 0

    def peek(self, offset: int = 0) -> str:
        i = self.at + offset
        return self.text[i] if i < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        if not char:
            raise _Untranslatable
        self.at += 1
        return char

    def alternation(self, depth: int) -> str:
        branches = [self.sequence(depth)]
        while self.peek() == "|":
            self.take()
            branches.append(self.sequence(depth))
        return "|".join(branches)

    def sequence(self, depth: int) -> str:
        out: list[str] = []
        while self.peek() and self.peek() != "|" and not (self.peek() == ")" and depth):
            atom = self.atom(depth)
            out.append(atom + self.quantifier() if atom not in ("^", "$") else atom)
        return "".join(out)

    def atom(self, depth: int) -> str:
        char = self.take()
        if char == "(":
            if self.peek() == "?":
                if self.peek(1) != ":":
                    raise _Untranslatable  # lookahead, embedded options
                self.at += 2
            inner = self.alternation(depth + 1)
            if self.take() != ")":
                raise _Untranslatable
            return f"(?:{inner})"
        if char in "^$":
            return char
        if char == ".":
            return "(?s:.)"
        if char == "[":
            return self.bracket()
        if char == "\\":
            escaped = self.take()
            if escaped in _ESCAPED_LETTERS:
                return _ESCAPED_LETTERS[escaped]
            if escaped.isalnum() or not escaped.isascii():
                raise _Untranslatable  # \d \w \s \m \y \A \Z, back-references, \uXXXX ...
            return _literal(escaped)
        if char in _QUANTIFIERS or char in "{})":
            raise _Untranslatable  # a quantifier with nothing before it, or a stray brace
        return _literal(char)

    def quantifier(self) -> str:
        char = self.peek()
        if char in _QUANTIFIERS and char:
            self.take()
            quantified = char
        elif char == "{":
            self.take()
            bound = ""
            while self.peek() and self.peek() != "}":
                bound += self.take()
            self.take()
            low, _, high = bound.partition(",")
            if not low.isdigit() or (high and not high.isdigit()) or int(low) > 255 or (high and int(high) > 255):
                raise _Untranslatable
            if high and int(high) < int(low):
                raise _Untranslatable
            quantified = "{" + bound + "}"
        else:
            return ""
        if self.peek() == "?":  # non-greedy: the same strings match
            self.take()
            quantified += "?"
        if self.peek() in _QUANTIFIERS + "{" and self.peek():
            raise _Untranslatable  # a quantified quantifier: an error in PostgreSQL
        return quantified

    def bracket(self) -> str:
        negated = self.peek() == "^"
        if negated:
            self.take()
        members: list[str] = []
        first = True
        while True:
            char = self.take()
            if char == "]" and not first:
                break
            first = False
            if char == "[" and self.peek() in ":.=":
                raise _Untranslatable  # [:alpha:], collating elements, equivalence classes
            if char == "\\":
                char = self.take()
                if char.isalnum() or not char.isascii():
                    raise _Untranslatable
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.take()
                end = self.take()
                if end == "\\" or end == "[" or not (char.isascii() and end.isascii()) or end < char:
                    raise _Untranslatable
                members.append(f"{_literal(char)}-{_literal(end)}")
            else:
                members.append(_literal(char))
        return "[" + ("^" if negated else "") + "".join(members) + "]"


def translate(pattern: str) -> str | None:
    """`pattern` (a PostgreSQL ARE, as `~` reads it) in Rust's syntax, or None if it uses
    anything whose meaning differs between the two (see the module docstring)."""
    if pattern.startswith("***"):
        return None  # a director: ***= (literal) or ***: (ARE) with options
    reader = _Reader(pattern)
    try:
        out = reader.alternation(0)
    except (_Untranslatable, ValueError):
        return None
    return out if reader.at == len(pattern) else None
