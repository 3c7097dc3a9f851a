"""Run the Atlas CLI. Only this module builds Atlas command lines."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from codegen.errors import AtlasFailed, ToolMissing
from codegen.paths import ATLAS_DEFAULT
from codegen.pg import atlas_url
from codegen.redact import redact


def binary() -> Path:
    """The Atlas binary: $ATLAS if set, else the pinned build in .tools/bin."""
    path = Path(os.environ.get("ATLAS") or ATLAS_DEFAULT)
    if not path.is_file():
        raise ToolMissing(f"atlas not found at {path}: run `make atlas` to build it, or set ATLAS=/path/to/atlas")
    return path


def _dir(path: Path) -> str:
    return f"file://{path.resolve()}"


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run atlas with `args`; on failure raise AtlasFailed with Atlas's own first error line."""
    env = {**os.environ, "ATLAS_NO_UPDATE_NOTIFIER": "1"}
    proc = subprocess.run([str(binary()), *args], text=True, capture_output=True, env=env, check=False)
    if check and proc.returncode != 0:
        raise AtlasFailed(f"atlas {' '.join(args[:2])} failed: {first_error_line(proc)}")
    return proc


def first_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The most telling line of a failed Atlas run, password-free."""
    lines = [ln.strip() for ln in (proc.stderr + "\n" + proc.stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("Error:")]
    line = (errors or lines or [f"exit code {proc.returncode}"])[0]
    return redact(line.removeprefix("Error: "))


def migrate_diff(name: str, schema: Path, migrations: Path, dev_url: str) -> None:
    """Write a new migration file if `schema` differs from what `migrations` build."""
    args = ["migrate", "diff"] + ([name] if name else [])
    run(*args, "--dir", _dir(migrations), "--to", f"file://{schema.resolve()}", "--dev-url", atlas_url(dev_url))


def migrate_hash(migrations: Path) -> None:
    """Recompute atlas.sum after a file in `migrations` changed."""
    run("migrate", "hash", "--dir", _dir(migrations))


def migrate_validate(migrations: Path, dev_url: str) -> None:
    """Check atlas.sum and that every file replays on an empty database."""
    run("migrate", "validate", "--dir", _dir(migrations), "--dev-url", atlas_url(dev_url))


def migrate_apply(migrations: Path, url: str, *, lock_timeout: str = "60s") -> str:
    """Apply pending migrations to `url` (each file in its own transaction)."""
    proc = run("migrate", "apply", "--dir", _dir(migrations), "--url", atlas_url(url), "--lock-timeout", lock_timeout)
    return proc.stdout


def migrate_status(migrations: Path, url: str) -> str:
    """Atlas's own status report for `url`."""
    return run("migrate", "status", "--dir", _dir(migrations), "--url", atlas_url(url)).stdout


def schema_diff(from_url: str, to: str, dev_url: str) -> str:
    """SQL that would turn `from_url` into `to`; empty when they are equal.

    Atlas's bookkeeping schema is excluded: it is not part of the design.
    """
    proc = run(
        "schema",
        "diff",
        "--from",
        from_url,
        "--to",
        to,
        "--dev-url",
        atlas_url(dev_url),
        "--exclude",
        "atlas_schema_revisions",
    )
    out = proc.stdout.strip()
    return "" if out.startswith("Schemas are synced") else out


@dataclass(frozen=True)
class Finding:
    """One lint diagnostic in one migration file."""

    file: str
    line: int
    statement: str
    code: str
    text: str

    @property
    def destructive(self) -> bool:
        """Atlas's DS analyzers flag changes that drop data."""
        return self.code.startswith("DS")


def migrate_lint_latest(migrations: Path, dev_url: str) -> list[Finding]:
    """Lint the newest migration file; returns every diagnostic Atlas reports."""
    proc = run(
        "migrate",
        "lint",
        "--dir",
        _dir(migrations),
        "--dev-url",
        atlas_url(dev_url),
        "--latest",
        "1",
        "--log",
        "{{ json .Files }}",
        check=False,
    )
    try:
        files = json.loads(proc.stdout or "[]") or []
    except json.JSONDecodeError:
        raise AtlasFailed(f"atlas migrate lint failed: {first_error_line(proc)}") from None
    if proc.returncode != 0 and not files:
        raise AtlasFailed(f"atlas migrate lint failed: {first_error_line(proc)}")
    findings: list[Finding] = []
    for file in files:
        text: str = file.get("Text", "")
        for report in file.get("Reports") or []:
            for diag in report.get("Diagnostics") or []:
                pos = int(diag.get("Pos", 0))
                line_no = text.count("\n", 0, pos) + 1
                statement = text.splitlines()[line_no - 1].strip() if text else ""
                findings.append(Finding(file["Name"], line_no, statement, diag.get("Code", ""), diag["Text"]))
        if file.get("Error") and not file.get("Reports"):
            raise AtlasFailed(f"atlas migrate lint failed on {file['Name']}: {file['Error']}")
    return findings
