"""Format generated Python with ruff (fix imports, then format), through stdin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from codegen.errors import ToolMissing

_COMMON = ["--isolated", "--line-length", "120", "--target-version", "py311"]
_ISORT = ["--config", 'lint.isort.known-first-party = ["chatmaps_db"]']


def _ruff() -> str:
    path = Path(sys.executable).parent / "ruff"
    if not path.exists():
        raise ToolMissing(f"ruff not found at {path}: run `make venv`")
    return str(path)


def _run(args: list[str], source: str, name: str) -> str:
    proc = subprocess.run([_ruff(), *args], input=source, text=True, capture_output=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise ToolMissing(
            f"`ruff {' '.join(args[:1])}` failed on generated {name} (exit {proc.returncode}): "
            f"{detail[0] if detail else 'no output'}"
        )
    return proc.stdout


def format_python(source: str, name: str) -> str:
    """Sorted imports, unused ones removed, then ruff format."""
    fixed = _run(
        ["check", *_COMMON, *_ISORT, "--select", "I,F401", "--fix-only", "--exit-zero", "--stdin-filename", name, "-"],
        source,
        name,
    )
    return _run(["format", *_COMMON, "--stdin-filename", name, "-"], fixed, name)
