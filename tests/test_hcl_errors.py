"""A mistake in schema.hcl is named at its own line, with its likely cause, through the real
Atlas: a misspelt block or attribute, an unknown type, a type from an extension."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codegen.paths import ROOT

IMAGE = '  column "image" {\n    type    = text\n    null    = true\n'  # users.image, lines 36-38


def _diff(schema: Path, migrations: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "codegen", "diff", "--schema", str(schema), "--migrations", str(migrations)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


EXTENSION = (
    "the type comes from the extension {0}; create it in a migration of its own (`CREATE EXTENSION {0};`, written "
    "by hand and hashed with `make migrate-hash`), and if the embedded PostgreSQL lacks it, set ATLAS_DEV_URL to "
    "a server that has it (README, Extensions)"
)


@pytest.mark.parametrize(
    ("edited", "expected"),
    [
        (  # before: `Unknown variable; There is no variable named "text"`, pointing at line 37
            '  colum "image" {\n    type    = text\n    null    = true\n',
            '{schema}:36: `colum "image"` is not a block Atlas knows inside a table block (did you mean `column`?): '
            "fix its name",
        ),
        (  # before: nothing at all; the column silently became NOT NULL
            '  column "image" {\n    type    = text\n    nul = true\n',
            "{schema}:38: `nul` is not an attribute of a column block (did you mean `null`?): fix its name (Atlas "
            "ignores it, so the block is read without it)",
        ),
        (
            '  column "image" {\n    type    = txt\n    null    = true\n',
            # before: Atlas's `Did you mean "int"?` (or "bit", or "text": it picks from a Go map)
            "{schema}:37: `type = txt`: Atlas knows no type txt (did you mean `text`?): fix the name, or write "
            'sql("...") for a type of PostgreSQL\'s that Atlas does not name',
        ),
        (
            '  column "image" {\n    type    = geography\n    null    = true\n',
            "{schema}:37: `type = geography`: there is no built-in type geography: " + EXTENSION.format("postgis"),
        ),
        (  # before: `create "users" table: pq: type "geography" does not exist`
            '  column "image" {\n    type    = sql("geography")\n    null    = true\n',
            '{schema}:37: table "users" uses the type geography, which the dev database does not have: '
            + EXTENSION.format("postgis"),
        ),
    ],
)
def test_a_schema_mistake_is_one_line_at_its_own_line(
    project_copy: tuple[Path, Path], edited: str, expected: str
) -> None:
    schema, migrations = project_copy
    text = schema.read_text()
    assert text.splitlines()[35:38] == IMAGE.splitlines()
    schema.write_text(text.replace(IMAGE, edited, 1))
    before = sorted(p.name for p in migrations.iterdir())
    proc = _diff(schema, migrations)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == "error: " + expected.format(schema=schema) + "\n"
    assert sorted(p.name for p in migrations.iterdir()) == before  # no migration written
