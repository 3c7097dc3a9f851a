"""Format generated Python with ruff: imports sorted and unused ones removed, then ruff format.

All files go through one `ruff check --fix` and one `ruff format` run over a scratch
directory (ruff formats files in parallel; one process per file cost ~35 ms each).

A file formatted before is not formatted again: the result is kept in .tools/cache/ruff/,
by a digest of the file's name, its unformatted text, the options and the ruff binary. At 500
tables the package is 1,150 files and 7.5 MB, and formatting it was 40% of a generate; a
schema change touches a few of them. An entry unused for 30 days is removed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codegen.errors import ToolMissing
from codegen.paths import ROOT

CACHE = ROOT / ".tools" / "cache" / "ruff"
_KEEP_SECONDS = 30 * 24 * 3600

_COMMON = ["--isolated", "--line-length", "120", "--target-version", "py311"]
_ISORT = ["--config", 'lint.isort.known-first-party = ["chatmaps_db"]']


def _ruff() -> str:
    path = Path(sys.executable).parent / "ruff"
    if not path.exists():
        raise ToolMissing(f"ruff not found at {path}: run `make venv`")
    return str(path)


def _run(args: list[str], cwd: Path) -> None:
    proc = subprocess.run([_ruff(), *args], cwd=cwd, text=True, capture_output=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise ToolMissing(
            f"`ruff {args[0]}` failed on the generated code (exit {proc.returncode}): "
            f"{detail[0] if detail else 'no output'}"
        )


def format_files(files: dict[str, str]) -> dict[str, str]:
    """`files` ({relative path: text}) with every .py file formatted; others unchanged."""
    python = {name: text for name, text in files.items() if name.endswith(".py")}
    salt = _salt()
    keys = {name: hashlib.sha256(f"{salt}\0{name}\0{text}".encode()).hexdigest() for name, text in python.items()}
    formatted = {name: hit for name in python if (hit := _cached(keys[name])) is not None}
    todo = {name: text for name, text in python.items() if name not in formatted}
    if todo:
        with tempfile.TemporaryDirectory(prefix="chatmaps-fmt-") as tmp:
            root = Path(tmp)
            for name, text in todo.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text(text)
            _run(["check", *_COMMON, *_ISORT, "--select", "I,F401", "--fix-only", "--exit-zero", "--quiet", "."], root)
            _run(["format", *_COMMON, "--quiet", "."], root)
            for name in todo:
                formatted[name] = (root / name).read_text()
                _keep(keys[name], formatted[name])
        _prune()
    return {name: formatted.get(name, text) for name, text in files.items()}


def _salt() -> str:
    """What else decides the output: the options, and which ruff (its path, size and time)."""
    ruff = Path(_ruff()).stat()
    return f"{_COMMON} {_ISORT} {_ruff()} {ruff.st_size} {ruff.st_mtime_ns}"


def _cached(key: str) -> str | None:
    path = CACHE / key[:2] / key
    try:
        text = path.read_text()
        os.utime(path)  # used now: kept another 30 days
    except OSError:
        return None
    return text


def _keep(key: str, text: str) -> None:
    """Store one result; a cache that cannot be written (a read-only checkout) is no cache."""
    path = CACHE / key[:2] / key
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{key}.{os.getpid()}.tmp")
        partial.write_text(text)
        partial.replace(path)  # atomic: a concurrent generate reads it whole or not at all
    except OSError:
        pass


def _prune() -> None:
    """Remove the entries unused for 30 days."""
    old = time.time() - _KEEP_SECONDS
    try:
        folders = list(os.scandir(CACHE))
    except OSError:
        return
    for folder in folders:
        for entry in os.scandir(folder.path):
            if entry.stat().st_mtime < old:
                Path(entry.path).unlink(missing_ok=True)
