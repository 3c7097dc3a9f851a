"""The last stage: write the rendered files, or compare them with what is on disk."""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

from codegen.errors import UsageError
from codegen.render import GENERATED_MARK


def _stale(files: dict[Path, str], managed_dirs: tuple[Path, ...]) -> list[Path]:
    return [p for d in managed_dirs for p in sorted(d.glob("*.py")) if p not in files]


def write(files: dict[Path, str], managed_dirs: tuple[Path, ...] = ()) -> list[Path]:
    """Write every file atomically; remove the generated files in `managed_dirs` that are no
    longer generated. A file there that codegen did not write stops it before any write."""
    stale = _stale(files, managed_dirs)
    for path in stale:
        with path.open(errors="replace") as fh:
            if not fh.readline().startswith(GENERATED_MARK):
                raise UsageError(
                    f"{path} was not written by codegen, and the package there no longer has it: "
                    "move it out of the way, or choose another --out"
                )
    changed = []
    for path, text in sorted(files.items()):
        if path.exists() and path.read_text() == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; these are source files others read
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
        changed.append(path)
    for path in stale:
        path.unlink()
        changed.append(path)
    return changed


def diff(files: dict[Path, str], managed_dirs: tuple[Path, ...] = (), root: Path | None = None) -> str:
    """A unified diff from disk to the fresh output; empty when nothing is stale."""
    chunks: list[str] = []

    def show(p: Path) -> str:
        return str(p.relative_to(root)) if root and p.is_relative_to(root) else str(p)

    for path, text in sorted(files.items()):
        old = path.read_text() if path.exists() else ""
        if old != text:
            chunks.extend(
                difflib.unified_diff(old.splitlines(True), text.splitlines(True), f"a/{show(path)}", f"b/{show(path)}")
            )
    for path in _stale(files, managed_dirs):
        chunks.append(f"--- a/{show(path)}\n+++ /dev/null (no longer generated)\n")
    return "".join(chunks)
