"""A CHECK's regular expression in the Insert model accepts exactly what PostgreSQL accepts.

PostgreSQL is the oracle: each pattern is a CHECK on a column of its own, each string is
inserted into it (in a savepoint) and validated by the generated Insert model, and the two
answers must agree. A pattern the generator cannot prove equal (codegen/plan/regex.py) is
left to the database: the model then accepts every string, and the field says why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegen.plan.regex import translate
from tests.package_checks import generate_from_url, models_source, run_python

# The awkward ones: where PostgreSQL's ARE and Rust's regex differ, and where they agree.
PATTERNS = [
    r"^.{1,100}$", r"^.$", r"a.b", r"^[a-z0-9_-]+$", r"^[^@\s]+@[^@\s]+$", r"^[^@]+@[^@]+\.[a-z]{2,}$",
    r"^\d+$", r"^\w+$", r"^\s*$", r"[[:alpha:]]", r"^[[:digit:]]+$", r"\mfoo\M", r"\yfoo\y", r"(a)\1",
    r"(?i)abc", r"***=a.b", r"^(?:ab)+$", r"foo|bar", r"^(foo|)bar$", r"^$", r"^[^x]$", r"^[]a]+$",
    r"^[a\-z]$", r"\.", r"[.]", r"^a{2,3}$", r"^a{2}$", r"^a{2,}$", r"^(a|b)*?c$", r"^é+$", r"^[à-ÿ]+$",
    r"^\+?[0-9 ]+$", r"x$", r"^x", r"a<b>", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", r"^\t$", r"^#", r"a&&b", r"[~]",
    r"^(?=a)", r"^A\Z", r"\n",
]  # fmt: skip
STRINGS = [
    "", "a", "b", "c", "x", "abc", "ABC", "aBc", "foo", "bar", "foobar", "foo bar", "a foo b", "afoob", "\n", "a\nb",
    "x\n", "\nx", "a\n", "\t", " ", "  ", "aa", "aaa", "aaaa", "ab", "abab", "aab", "ac", "abc\n", "1", "1234", "١٢٣",
    "²", "٣", "é", "éé", "É", "ß", "ǅ", "ä", "_", "-", ".", "]", "[", "@", "a@b", "a@b.cd", "a@b.c", "x@y.com",
    "+49 30 123", "2026-12-02", "2026-1-2", "a" * 100, "a" * 101, "a.b", "axb", "a<b>", "a&&b", "~", "#x", "A",
    "a\u00a0b", "z", "ÿ", "à", "Ā", "\x00x",
]  # fmt: skip
STRINGS = [s for s in STRINGS if "\x00" not in s]  # text cannot hold NUL


def _schema() -> str:
    columns = ", ".join(
        f"c{i} text CONSTRAINT c{i}_pattern CHECK (c{i} ~ '{p.replace(chr(39), chr(39) * 2)}')"
        for i, p in enumerate(PATTERNS)
    )
    return f"CREATE TABLE patterns (id serial PRIMARY KEY, {columns});"


COMPARE = """
import json, sys
import psycopg
from pydantic import ValidationError
from chatmaps_db import models

strings = json.loads(sys.argv[2])
out = []
with psycopg.connect(sys.argv[1]) as conn:
    for field in sorted((f for f in models.PatternInsert.model_fields if f != "id"), key=lambda f: int(f[1:])):
        for s in strings:
            try:
                models.PatternInsert.model_validate({field: s})
                model = True
            except ValidationError:
                model = False
            try:
                with conn.transaction():
                    conn.execute(f"INSERT INTO patterns ({field}) VALUES (%s)", [s])
                    raise LookupError  # undo the row
            except LookupError:
                database = True
            except psycopg.errors.CheckViolation:
                database = False
            out.append([field, s, model, database])
print(json.dumps(out))
"""


def test_the_model_accepts_exactly_what_postgresql_accepts(fresh_db: str, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(fresh_db) as conn:
        conn.execute(_schema())  # type: ignore[call-overload]
    out = tmp_path / "out"
    proc = generate_from_url(fresh_db, out)
    assert proc.returncode == 0, proc.stderr
    ran = run_python(out, "-c", COMPARE, fresh_db, json.dumps(STRINGS))
    assert ran.returncode == 0, ran.stderr
    answers = json.loads(ran.stdout)
    assert len(answers) == len(PATTERNS) * len(STRINGS)
    translated = {p for p in PATTERNS if translate(p) is not None}
    # Where translated, the model refuses exactly what the database refuses; elsewhere it refuses
    # nothing (the database is the only check, and says why).
    differing = [
        (pattern, s)
        for f, s, model, database in answers
        if model != (database if (pattern := PATTERNS[int(f[1:])]) in translated else True)
    ]
    assert differing == []
    source = models_source(out)
    for i, pattern in enumerate(PATTERNS):
        if pattern not in translated:
            assert f"c{i}_pattern: checked by the database only" in source, pattern
    assert len(translated) >= 20  # the common forms are checked in the model, not only in the database


@pytest.mark.parametrize(
    "pattern",
    [r"^\d+$", r"^\w+$", r"\s", r"[[:alpha:]]", r"\mfoo", r"(a)\1", r"(?i)a", r"***=a", r"^(?=a)", r"\Z", r"[[.a.]]"],
)
def test_what_differs_between_the_engines_is_left_to_the_database(pattern: str) -> None:
    assert translate(pattern) is None
