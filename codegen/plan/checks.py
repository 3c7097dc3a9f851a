"""Turn simple CHECK constraints into pydantic Field arguments.

Handled (as pg_get_constraintdef prints them): comparisons with a number, AND of those,
length()/char_length() bounds, `~` regexes, and `= ANY (ARRAY[...])` lists of strings.
Anything else is returned as unparsed, so the planner names it in the docstring. A `~` regex
becomes a pattern only where PostgreSQL's and pydantic's engines agree (plan/regex.py); any
other is left to the database, and the field's description says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codegen.plan import regex, sqltext

_COL = r'(?:"(?P<qcol>(?:[^"]|"")+)"|(?P<col>[A-Za-z_][\w$]*))'
_NUM = r"\(?'?(?P<num>-?\d+(?:\.\d+)?)'?\)?(?:::[a-z ]+(?:\(\d+(?:,\d+)?\))?)?"
_CMP = re.compile(rf"^\(?{_COL}\)?(?:::[a-z ]+)? (?P<op>>=|<=|>|<) {_NUM}$")
_LEN = re.compile(rf"^(?:length|char_length|character_length)\(\(?{_COL}\)?(?:::text)?\) (?P<op>>=|<=|>|<|=) {_NUM}$")
_REGEX = re.compile(rf"^\(?{_COL}\)?(?:::text)? ~ '(?P<re>(?:[^']|'')*)'::text$")
_ANY = re.compile(rf"^\(?{_COL}\)?(?:::text)? = ANY \(\(?ARRAY\[(?P<items>.*)\]\)?(?:::text\[\])?\)$")
_ITEM = re.compile(r"^'(?P<v>(?:[^']|'')*)'::(?:text|character varying|bpchar)$")

_BOUND = {">": "gt", ">=": "ge", "<": "lt", "<=": "le"}
_LEN_BOUND = {">": ("min_length", 1), ">=": ("min_length", 0), "<": ("max_length", -1), "<=": ("max_length", 0)}


@dataclass
class Constraints:
    """Field arguments and, for IN-lists, the allowed literals of one column."""

    kwargs: dict[str, object] = field(default_factory=dict)
    literals: tuple[str, ...] = ()
    database_only: list[str] = field(default_factory=list)  # terms only the database checks


def _strip(expr: str) -> str:
    expr = expr.strip()
    while expr.startswith("(") and expr.endswith(")") and sqltext.balanced(expr[1:-1]):
        expr = expr[1:-1].strip()
    return expr


def _split_and(expr: str) -> list[str]:
    return [_strip(p) for p in sqltext.split_top_level(expr, " AND ")]


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def parse(definition: str, column: str) -> Constraints | None:
    """Constraints on `column` (or VALUE, for domains) if every term is understood."""
    if not definition.startswith("CHECK "):
        return None
    out = Constraints()
    for term in _split_and(_strip(definition.removeprefix("CHECK "))):
        if not _apply(term, column, out):
            return None
    return out


def _column_ok(m: re.Match[str], column: str) -> bool:
    name = m["qcol"].replace('""', '"') if m["qcol"] else m["col"]
    return name == column


def _apply(term: str, column: str, out: Constraints) -> bool:
    if (m := _CMP.match(term)) and _column_ok(m, column):
        out.kwargs[_BOUND[m["op"]]] = _number(m["num"])
        return True
    if (m := _LEN.match(term)) and _column_ok(m, column) and "." not in m["num"]:
        n = int(m["num"])
        if m["op"] == "=":
            out.kwargs["min_length"] = out.kwargs["max_length"] = n
        else:
            key, delta = _LEN_BOUND[m["op"]]
            out.kwargs[key] = n + delta
        return True
    if (m := _REGEX.match(term)) and _column_ok(m, column):
        translated = regex.translate(m["re"].replace("''", "'"))
        if translated is None or "pattern" in out.kwargs:
            out.database_only.append(term)
        else:
            out.kwargs["pattern"] = translated
        return True
    if (m := _ANY.match(term)) and _column_ok(m, column):
        values = []
        for item in m["items"].split(", "):
            if not (im := _ITEM.match(item.strip())):
                return False
            values.append(im["v"].replace("''", "'"))
        out.literals = tuple(values)
        return True
    return False
