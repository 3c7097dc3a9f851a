"""tables.py (sqlacodegen) is faithful: atlas-provider-sqlalchemy turns it into DDL, and
`atlas schema diff` between that DDL and schema.hcl reports no change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from codegen.dev import atlas
from codegen.paths import GENERATED, SCHEMA

TABLES = GENERATED / "chatmaps_db" / "tables.py"


def ddl_from(tables_py: str, folder: Path) -> Path:
    """DDL that atlas-provider-sqlalchemy derives from a tables.py."""
    folder.mkdir()
    (folder / "tables.py").write_text(tables_py)
    provider = Path(sys.executable).parent / "atlas-provider-sqlalchemy"
    proc = subprocess.run(
        [str(provider), "--path", str(folder), "--dialect", "postgresql"],
        capture_output=True,
        text=True,
        check=False,
        cwd=folder,
    )
    assert proc.returncode == 0, proc.stderr
    assert "CREATE TABLE users" in proc.stdout
    ddl = folder.parent / f"{folder.name}.sql"
    ddl.write_text(proc.stdout)
    return ddl


def test_tables_py_matches_schema_hcl(dev_url: str, tmp_path: Path) -> None:
    ddl = ddl_from(TABLES.read_text(), tmp_path / "generated")
    assert atlas.schema_diff(f"file://{ddl}", f"file://{SCHEMA}", dev_url) == ""


def test_the_comparison_sees_a_lost_expression_index(dev_url: str, tmp_path: Path) -> None:
    """An index on the plain column instead of lower(email) must not pass as equal."""
    source = TABLES.read_text()
    broken = source.replace(
        'Index("users_email_lower_key", text("lower(email)"), unique=True)', 'Index("users_email_lower_key", "email")'
    )
    assert broken != source
    ddl = ddl_from(broken, tmp_path / "broken")
    assert "users_email_lower_key" in atlas.schema_diff(f"file://{ddl}", f"file://{SCHEMA}", dev_url)
