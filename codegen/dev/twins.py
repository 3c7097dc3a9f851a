"""The runtime's sync modules (db.py, pool.py), derived from their async sources and committed.

As in psycopg (tools/async_to_sync.py, checked in CI), each sync twin is a file in
codegen/render/runtime/, written by codegen/render/async_to_sync.py and never by hand, so
generation copies it like any runtime module and does not pay for the transform. Its first
line records a digest of the async source and of the transform:

- `make generate` re-derives a twin whose digest is stale (cheap to test: no libcst import);
- `make check` derives every twin afresh and fails if one differs from the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from codegen import fmt, output
from codegen.paths import ROOT

RUNTIME = ROOT / "codegen" / "render" / "runtime"
TRANSFORM = ROOT / "codegen" / "render" / "async_to_sync.py"


def pairs(runtime: Path = RUNTIME) -> list[tuple[Path, Path]]:
    """(async source, sync twin) for every *_async.py of the runtime."""
    return [
        (src, src.with_name(src.name.removesuffix("_async.py") + ".py")) for src in sorted(runtime.glob("*_async.py"))
    ]


def _first_line(source: Path) -> str:
    digest = hashlib.sha256(source.read_bytes() + TRANSFORM.read_bytes()).hexdigest()[:16]
    return f"# Derived from {source.name} by codegen/render/async_to_sync.py (digest {digest}); do not edit.\n"


def derive(source: Path, twin: Path) -> str:
    """The twin's text: the transform's output, formatted, under its digest line."""
    from codegen.render.async_to_sync import to_sync  # libcst: imported only when deriving

    formatted = fmt.format_files({twin.name: to_sync(source.read_text(), source.name)})[twin.name]
    return _first_line(source) + formatted


def _is_current(source: Path, twin: Path) -> bool:
    if not twin.exists():
        return False
    with twin.open() as fh:
        return fh.readline() == _first_line(source)


def refresh(runtime: Path = RUNTIME) -> list[Path]:
    """Re-derive every twin whose source or transform changed; the twins written."""
    stale = {twin: derive(src, twin) for src, twin in pairs(runtime) if not _is_current(src, twin)}
    return output.write(stale)


def diff(runtime: Path = RUNTIME) -> str:
    """A unified diff from each twin on disk to what the transform derives; empty when current."""
    return output.diff({twin: derive(src, twin) for src, twin in pairs(runtime)}, root=ROOT)
