"""Format generated Python with ruff: imports sorted and unused ones removed, then ruff format.

All files go through one `ruff check --fix` and one `ruff format` run over a scratch
directory (ruff formats files in parallel; one process per file cost ~35 ms each).

A file formatted before is not formatted again: the result is kept in .tools/cache/ruff.sqlite,
by a digest of the file's name, its unformatted text, the options and the ruff binary. At 500
tables the package is 1,150 files and 7.5 MB, and formatting it was 40% of a generate; a
schema change touches a few of them. An entry unused for 30 days is removed.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from codegen.errors import ToolMissing
from codegen.paths import ROOT
from codegen.signals import scratch_folder

CACHE = ROOT / ".tools" / "cache" / "ruff.sqlite"
_KEEP_SECONDS = 30 * 24 * 3600

# --no-cache: the folder is a scratch one; ruff's cache there would only be written and lost.
_COMMON = ["--isolated", "--no-cache", "--line-length", "120", "--target-version", "py311"]
_ISORT = ["--config", 'lint.isort.known-first-party = ["chatmaps_db"]']


def _ruff() -> str:
    path = Path(sys.executable).parent / "ruff"
    if not path.exists():
        raise ToolMissing(f"ruff not found at {path}: run `make venv`")
    return str(path)


def _run(args: list[str], cwd: Path) -> None:
    proc = subprocess.run([_ruff(), *args], cwd=cwd, text=True, capture_output=True, check=False)
    if proc.returncode != 0:
        detail = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.startswith("error")] or (
            proc.stderr or proc.stdout
        ).strip().splitlines()
        raise ToolMissing(
            f"`ruff {args[0]}` failed on the generated code (exit {proc.returncode}): "
            f"{detail[0] if detail else 'no output'}"
        )


def format_files(files: dict[str, str]) -> dict[str, str]:
    """`files` ({relative path: text}) with every .py file formatted; others unchanged."""
    python = {name: text for name, text in files.items() if name.endswith(".py")}
    salt = _salt()
    keys = {name: hashlib.sha256(f"{salt}\0{name}\0{text}".encode()).hexdigest() for name, text in python.items()}
    with _Cache() as cache:
        known = cache.get(set(keys.values()))
        formatted = {name: known[keys[name]] for name in python if keys[name] in known}
        todo = {name: text for name, text in python.items() if name not in formatted}
        if todo:
            with scratch_folder("chatmaps-fmt-") as tmp:
                root = Path(tmp)
                for name, text in todo.items():
                    (root / name).parent.mkdir(parents=True, exist_ok=True)
                    (root / name).write_text(text)
                _run(
                    ["check", *_COMMON, *_ISORT, "--select", "I,F401", "--fix-only", "--exit-zero", "."],
                    root,
                )
                _run(["format", *_COMMON, "."], root)  # not --quiet: it hides the reason of a failure
                made = {name: (root / name).read_text() for name in todo}
            formatted |= made
            cache.put({keys[name]: text for name, text in made.items()})
    return {name: formatted.get(name, text) for name, text in files.items()}


def _salt() -> str:
    """What else decides the output: the options, and which ruff (its path, size and time)."""
    ruff = Path(_ruff()).stat()
    return f"{_COMMON} {_ISORT} {_ruff()} {ruff.st_size} {ruff.st_mtime_ns}"


class _Cache:
    """Formatted texts by digest, in one SQLite file (one transaction for a whole package: a file
    per entry cost more than the formatting it saved). One that cannot be opened or written (a
    read-only checkout, a locked file) is no cache: every call then formats everything."""

    def __enter__(self) -> _Cache:
        self._db: sqlite3.Connection | None = None
        try:
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(CACHE, timeout=10, isolation_level=None)
            self._db.execute("CREATE TABLE IF NOT EXISTS formatted (key TEXT PRIMARY KEY, text TEXT, used REAL)")
        except (OSError, sqlite3.Error):
            self._db = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._db is not None:
            self._db.close()

    def get(self, keys: set[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        if self._db is None:
            return found
        ordered = sorted(keys)
        try:
            for i in range(0, len(ordered), 500):  # SQLite's limit on parameters
                chunk = ordered[i : i + 500]
                marks = ",".join("?" * len(chunk))
                found.update(self._db.execute(f"SELECT key, text FROM formatted WHERE key IN ({marks})", chunk))
                self._db.execute(f"UPDATE formatted SET used = ? WHERE key IN ({marks})", [time.time(), *chunk])
        except sqlite3.Error:
            return {}
        return found

    def put(self, entries: dict[str, str]) -> None:
        if self._db is None or not entries:
            return
        now = time.time()
        try:
            with self._db:  # one transaction
                self._db.execute("BEGIN")
                self._db.executemany(
                    "INSERT OR REPLACE INTO formatted VALUES (?, ?, ?)", [(k, t, now) for k, t in entries.items()]
                )
                self._db.execute("DELETE FROM formatted WHERE used < ?", [now - _KEEP_SECONDS])
        except sqlite3.Error:
            pass
