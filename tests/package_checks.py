"""Checks on a generated package directory (the parent of chatmaps_db/), each in a fresh
process so that one test's generated chatmaps_db never meets another's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def mypy_strict(out: Path) -> subprocess.CompletedProcess[str]:
    """`mypy --strict` on out/chatmaps_db."""
    cmd = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "chatmaps_db"]
    return subprocess.run(cmd, cwd=out, capture_output=True, text=True, check=False)


# `python -c` code that loads everything a package defines: tables.py (its mappers configured)
# and every model. Each table's models module is imported on first use and each model builds
# its validator on first use, so both are forced here. Prints how many names models exports.
LOAD_EVERYTHING = """
import chatmaps_db.tables
from sqlalchemy.orm import configure_mappers
from chatmaps_db import models
configure_mappers()
for name in models.__all__:
    value = getattr(models, name)
    if hasattr(value, "model_rebuild"):
        value.model_rebuild(force=True)
print(len(models.__all__))
"""


def run_python(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python ARGS` with out/ first on the import path (`-c CODE` or a script)."""
    env = {**os.environ, "PYTHONPATH": str(out)}
    return subprocess.run([sys.executable, *args], cwd=out, env=env, capture_output=True, text=True, check=False)


def generate_from_url(
    url: str, out: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m codegen generate --from-url URL --out OUT [EXTRA...]`."""
    cmd = [sys.executable, "-m", "codegen", "generate", "--from-url", url, "--out", str(out), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)


def codegen_seed(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m codegen seed ARGS` on `url` (as DATABASE_URL), from the project's folder."""
    return subprocess.run(
        [sys.executable, "-m", "codegen", "seed", *args],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )


def models_source(out: Path) -> str:
    """out/chatmaps_db/models/, every module, the package's __init__ first: what one models.py held."""
    return models_source_of({f"models/{p.name}": p.read_text() for p in (out / "chatmaps_db" / "models").glob("*.py")})


def models_source_of(files: dict[str, str]) -> str:
    """The same from {name: text} (pipeline.build's files, or a directory's)."""
    texts = {name.rsplit("/", 1)[-1]: text for name, text in files.items() if "models/" in name}
    order = ["__init__.py", *sorted(n for n in texts if n != "__init__.py")]
    return "\n".join(texts[n] for n in order if n in texts)
