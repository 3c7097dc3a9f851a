"""Where the project's files live. Everything is relative to the repository root."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema.hcl"
MIGRATIONS = ROOT / "migrations"
QUERIES = ROOT / "queries"
GENERATED = ROOT / "generated"
DOCS = ROOT / "docs"
LOCAL_DATA = ROOT / ".data" / "postgres"
ATLAS_DEFAULT = ROOT / ".tools" / "bin" / "atlas"


def shown(path: Path) -> str:
    """`path` as messages name it: relative to the project when inside it, else as given."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
