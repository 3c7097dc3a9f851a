"""A new user's first run: the Atlas build says plainly when Go is too old.

No older Go can be installed here (nothing downloads at test time), so the real Go meets a
copy of tools/atlas whose go.mod asks for a version newer than any Go: the check, not Go's
own message, must answer, before anything is downloaded or built."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from codegen.paths import ROOT


@pytest.mark.skipif(shutil.which("go") is None, reason="no go on PATH: Atlas came from ATLAS=, nothing to build")
def test_atlas_build_names_the_go_version_it_needs(tmp_path: Path) -> None:
    tools = tmp_path / "tools" / "atlas"
    shutil.copytree(ROOT / "tools" / "atlas", tools)
    go_mod = tools / "go.mod"
    go_mod.write_text(go_mod.read_text().replace("\ngo 1.25.0\n", "\ngo 99.1.0\n", 1))
    found = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()
    proc = subprocess.run(
        ["bash", str(tools / "build.sh"), str(tmp_path / "atlas")], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"error: building Atlas needs Go 99.1.0 or newer, found {found}: install Go 99.1.0 or newer "
        "(https://go.dev/dl), or set ATLAS=/path/to/atlas to use a binary you have"
    ]
    assert not (tmp_path / "atlas").exists() and not (tmp_path / ".tools").exists()


def test_go_mod_states_the_minimum_the_readme_gives() -> None:
    go_line = next(ln for ln in (ROOT / "tools" / "atlas" / "go.mod").read_text().splitlines() if ln.startswith("go "))
    minimum = ".".join(go_line.split()[1].split(".")[:2])
    assert f"Go {minimum}+" in (ROOT / "README.md").read_text()
