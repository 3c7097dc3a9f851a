"""Lint migrations with Atlas's analyzers and squawk, as one report (rules: lint_rules.py).

Atlas reads a file against the schema of the files before it (it knows which tables are new);
squawk reads the SQL alone (it knows more statements). Both run on every new migration
(`make generate`) and on every migration after [tool.codegen.migrations] lint_after
(`make lint-migrations`, `make check`). A finding both report on a statement is one line:

    migrations/20261203_x.sql:4: error require-concurrent-index-creation (atlas PG101, squawk): CREATE INDEX
    takes a SHARE lock that blocks writes ...: use CREATE INDEX CONCURRENTLY ...

An error stops unless a comment line above the statement opts out by name, with a reason:

    -- lint:allow changing-column-type: users.age is empty until the feature ships

and the report lists every opt-out it honoured. `-- atlas:nolint destructive` (what
ALLOW_DESTRUCTIVE=1 writes) is the destructive rule's.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codegen.dev import atlas
from codegen.dev.lint_rules import BY_CODE, BY_KEY, Rule
from codegen.errors import CodegenError, ToolMissing
from codegen.paths import ROOT, shown

SQUAWK_CONFIG = ROOT / ".squawk.toml"
ALLOW = "-- lint:allow"
NOLINT_DESTRUCTIVE = "-- atlas:nolint destructive"
TXMODE_NONE = "-- atlas:txmode none"
_ALLOW_FORM = re.compile(r"--\s*lint:allow\s+(?P<rules>[a-z0-9, -]+?)\s*:\s*(?P<reason>\S.*)$")


class UnsafeMigration(CodegenError):
    """A migration does something that blocks or breaks production (a lint error), without an opt-out."""


@dataclass(frozen=True)
class Problem:
    """One rule on one statement: what the tools said, and the opt-out that allows it, if any."""

    path: Path
    line: int
    rule: Rule
    sources: tuple[str, ...]  # "atlas PG101", "squawk"
    allowed: str | None = None  # the opt-out's reason
    statement: str = ""  # the statement's first line
    detail: str = ""  # Atlas's own words, which name the object ('Dropping non-virtual column "image"')

    @property
    def blocking(self) -> bool:
        return self.rule.severity == "error" and self.allowed is None

    def __str__(self) -> str:
        return self.describe(f"{shown(self.path)}:{self.line}")

    def describe(self, where: str) -> str:
        """The report's line, `where` naming the statement (file:line, or the statement itself)."""
        said = ", ".join(self.sources)
        if self.allowed is not None:
            return f"{where}: allowed {self.rule.key} ({said}): {self.allowed}"
        return f"{where}: {self.rule.severity} {self.rule.key} ({said}): {self.rule.why}: {self.rule.fix}"


@dataclass(frozen=True)
class Report:
    problems: tuple[Problem, ...] = ()
    skipped: tuple[Path, ...] = field(default=())  # files at or before lint_after

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.rule.severity == "warning" and p.allowed is None]

    @property
    def allowed(self) -> list[Problem]:
        return [p for p in self.problems if p.allowed is not None]

    def raise_errors(self, after: str = "", *, by_statement: bool = False) -> None:
        """Raise UnsafeMigration with one line per error (then `after`), if there is any; each named
        by file:line, or `by_statement` by its statement (a refused new migration is not kept)."""
        errors = self.errors
        if errors:
            lines = [p.describe(f"`{p.statement}`") if by_statement else str(p) for p in errors]
            if after:
                lines.append(after)
            raise UnsafeMigration("\n".join(lines))


def squawk_binary() -> Path:
    """squawk, from the squawk-cli wheel in the same environment as this Python."""
    found = Path(sys.executable).parent / "squawk"
    if not found.is_file():
        raise ToolMissing(
            f"squawk not found at {found}: run `make venv` (the squawk-cli wheel is pinned in pyproject.toml)"
        )
    return found


def _squawk(paths: Sequence[Path], in_transaction: bool) -> list[tuple[Path, int, str]]:
    """squawk's findings on `paths`: (file, 1-based line, rule name)."""
    if not paths:
        return []
    args = [str(squawk_binary()), "--config", str(SQUAWK_CONFIG), "--reporter", "json"]
    if not in_transaction:
        args.append("--no-assume-in-transaction")
    proc = subprocess.run([*args, *map(str, paths)], capture_output=True, text=True, check=False)
    try:
        found = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        first = (proc.stderr or proc.stdout).strip().splitlines()[:1]
        raise CodegenError(f"squawk failed: {first[0] if first else f'exit {proc.returncode}'}") from None
    by_name = {str(p): p for p in paths}
    return [(by_name.get(d["file"], Path(d["file"])), int(d["line"]) + 1, d["rule_name"]) for d in found]


def txmode_none(text: str) -> bool:
    """Whether a migration runs outside a transaction: `-- atlas:txmode none` among the comment
    lines that open the file (Atlas's file directives), wherever in that block."""
    for line in text.lstrip("\ufeff").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            return False
        if stripped == TXMODE_NONE:
            return True
    return False


@dataclass(frozen=True)
class Statement:
    first: int  # its first line, 1-based
    last: int  # its last line
    text: str  # without the comments above it or its semicolon


def statements(text: str) -> list[Statement]:
    """The statements of a migration file, split by PostgreSQL's own parser (pglast); raises
    pglast's ParseError on text PostgreSQL would refuse."""
    from pglast import parse_sql

    out = []
    for raw in parse_sql(text):
        begin = raw.stmt_location or 0
        end = begin + (raw.stmt_len or len(text) - begin)
        first, last = text.count("\n", 0, begin) + 1, text.count("\n", 0, max(begin, end - 1)) + 1
        out.append(Statement(first, last, text[begin:end]))
    return out


def spans(text: str) -> list[tuple[int, int]]:
    """(first line, last line) of each statement; [] when it cannot parse the file (Atlas and
    squawk then say why)."""
    from pglast.parser import ParseError

    try:
        return [(s.first, s.last) for s in statements(text)]
    except ParseError:
        return []


def _start(line: int, statement_spans: list[tuple[int, int]]) -> int:
    """The first line of the statement `line` is in (squawk names a clause's line), else `line`."""
    return next((first for first, last in statement_spans if first <= line <= last), line)


_DIRECTIVE = re.compile(r"--\s*lint:allow\b")


def _opt_outs(lines: list[str], line: int) -> dict[str, tuple[str, int]]:
    """The opt-outs on the comment lines right above line `line` (1-based): {rule key: (reason, its
    line)}. Their form was checked by _directives()."""
    found: dict[str, tuple[str, int]] = {}
    index = line - 2
    while index >= 0 and lines[index].lstrip().startswith("--"):
        text = lines[index].strip()
        if text == NOLINT_DESTRUCTIVE:
            found["destructive"] = ("ALLOW_DESTRUCTIVE=1 (-- atlas:nolint destructive)", index + 1)
        match = _ALLOW_FORM.match(text)
        if match is not None:
            for key in (k.strip() for k in match["rules"].split(",")):
                found[key] = (match["reason"], index + 1)
        index -= 1
    return found


def _directives(path: Path, lines: list[str], statement_spans: list[tuple[int, int]]) -> list[tuple[int, list[str]]]:
    """Every `-- lint:allow` comment outside the statements (one inside a function's body is the
    function's text), each checked: a known rule and a reason, or UnsafeMigration by file:line."""
    inside = {n for first, last in statement_spans for n in range(first + 1, last + 1)}
    out: list[tuple[int, list[str]]] = []
    for number, text in enumerate(lines, 1):
        stripped = text.strip()
        if number in inside or not _DIRECTIVE.match(stripped):
            continue
        match = _ALLOW_FORM.match(stripped)
        if match is None:
            raise UnsafeMigration(
                f"{shown(path)}:{number}: an opt-out needs a rule and a reason: `{ALLOW} <rule>: <why it is safe here>`"
            )
        keys = [k.strip() for k in match["rules"].split(",")]
        for key in keys:
            if key not in BY_KEY:
                raise UnsafeMigration(
                    f"{shown(path)}:{number}: no lint rule is called {key!r}: the report names the rule to allow "
                    f"(codegen/dev/lint_rules.py lists them)"
                )
        out.append((number, keys))
    return out


def lint(paths: Sequence[Path], migrations: Path, dev_url: str) -> Report:
    """Lint `paths`, the newest files of `migrations` (in order), with both tools."""
    if not paths:
        return Report()
    merged: dict[tuple[Path, int, str], list[str]] = {}
    details: dict[tuple[Path, int, str], str] = {}

    def add(path: Path, line: int, code: str, source: str, detail: str = "") -> None:
        rule = BY_CODE.get(code)
        if rule is None or rule.severity == "off":
            return
        sources = merged.setdefault((path, line, rule.key), [])
        if source not in sources:
            sources.append(source)
        if detail:
            details.setdefault((path, line, rule.key), detail)

    by_name = {p.name: p for p in paths}
    raw_texts = {p: p.read_text() for p in paths}
    texts = {p: text.splitlines() for p, text in raw_texts.items()}
    statement_spans = {p: spans(text) for p, text in raw_texts.items()}
    directives = {p: _directives(p, texts[p], statement_spans[p]) for p in paths}
    for finding in atlas.migrate_lint(migrations, dev_url, latest=len(paths)):
        if finding.file not in by_name:
            continue
        words = finding.statement.upper().replace("(", " ").split()
        if finding.code == "PG102" and (words[:2] != ["DROP", "INDEX"] or "CONCURRENTLY" in words[2:3]):
            # Atlas 0.13 says it of a dropped column's own index (dropped with it: the column drop's
            # rules cover that) and of DROP INDEX CONCURRENTLY too (its parser drops the word).
            continue
        if finding.code == "PG101" and "CONCURRENTLY" in words[2:4]:
            continue  # and of CREATE [UNIQUE] INDEX CONCURRENTLY on an expression or with WHERE
        add(by_name[finding.file], finding.line, finding.code, f"atlas {finding.code}", finding.text)
    plain = [p for p in paths if not txmode_none(raw_texts[p])]
    for path, line, name in [*_squawk(plain, True), *_squawk([p for p in paths if p not in plain], False)]:
        add(path, _start(line, statement_spans.get(path, [])), name, "squawk")
    # What Atlas left out itself: statements under `-- atlas:nolint destructive`.
    for path, lines in texts.items():
        for number, text in enumerate(lines, 1):
            if text.strip() == NOLINT_DESTRUCTIVE:
                below = next((n for n in range(number + 1, len(lines) + 1) if not lines[n - 1].startswith("--")), 0)
                if below:
                    merged.setdefault((path, below, "destructive"), ["atlas"])
    problems: list[Problem] = []
    used: set[tuple[Path, int, str]] = set()
    for (path, line, key), sources in sorted(merged.items(), key=lambda item: (item[0][0].name, item[0][1])):
        allowed = _opt_outs(texts[path], line).get(key)
        if allowed is not None:
            used.add((path, allowed[1], key))
        reason = None if allowed is None else allowed[0]
        statement = texts[path][line - 1].strip() if 0 < line <= len(texts[path]) else ""
        detail = details.get((path, line, key), "")
        problems.append(Problem(path, line, BY_KEY[key], tuple(sources), reason, statement, detail))
    _unused(directives, used)
    return Report(tuple(problems))


def _unused(directives: dict[Path, list[tuple[int, list[str]]]], used: set[tuple[Path, int, str]]) -> None:
    """Refuse a `-- lint:allow` that allows nothing: a stale opt-out would hide the next problem."""
    for path, found in directives.items():
        for number, keys in found:
            for key in keys:
                if (path, number, key) not in used:
                    raise UnsafeMigration(
                        f"{shown(path)}:{number}: `{ALLOW} {key}` allows nothing (no {key} finding on the statement "
                        "below it): remove it"
                    )


def files_after(migrations: Path, lint_after: str) -> tuple[list[Path], list[Path]]:
    """migrations/*.sql in order, split into (linted, skipped: at or before `lint_after`)."""
    ordered = sorted(migrations.glob("*.sql"))
    skipped = [p for p in ordered if lint_after and p.name.split("_", 1)[0].removesuffix(".sql") <= lint_after]
    return [p for p in ordered if p not in skipped], skipped
