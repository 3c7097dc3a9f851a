"""Format generated Python with ruff: imports sorted and unused ones removed, then ruff format.

All files go through one `ruff check --fix` and one `ruff format` run over a scratch
directory (ruff formats files in parallel; one process per file cost ~35 ms each).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from codegen.errors import ToolMissing

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
    with tempfile.TemporaryDirectory(prefix="chatmaps-fmt-") as tmp:
        root = Path(tmp)
        for name, text in python.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        _run(["check", *_COMMON, *_ISORT, "--select", "I,F401", "--fix-only", "--exit-zero", "--quiet", "."], root)
        _run(["format", *_COMMON, "--quiet", "."], root)
        formatted = {name: (root / name).read_text() for name in python}
    return {name: formatted.get(name, text) for name, text in files.items()}
