"""Run the Atlas CLI. Only this module builds Atlas command lines."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from codegen.dev import hcl_errors
from codegen.dev.pg import atlas_url, connect, installation, without_password
from codegen.errors import AtlasFailed, ChecksumMismatch, MissingExtension, SchemaError, ToolMissing
from codegen.paths import ATLAS_DEFAULT, ROOT, shown
from codegen.redact import redact
from codegen.signals import scratch_folder


def binary() -> Path:
    """The Atlas binary: $ATLAS if set, else the pinned build in .tools/bin."""
    path = Path(os.environ.get("ATLAS") or ATLAS_DEFAULT)
    if not path.is_file():
        raise ToolMissing(f"atlas not found at {path}: run `make atlas` to build it, or set ATLAS=/path/to/atlas")
    return path


def _dir(path: Path) -> str:
    return f"file://{path.resolve()}"


# What to use instead of a contrib extension on a server that lacks it.
EXTENSION_ALTERNATIVES = {
    "citext": "text with a unique index on lower(column) (as schema.hcl does for users.email)",
    "hstore": "jsonb",
    "ltree": "text[] (one element per path level) or text",
    "uuid-ossp": "the built-in gen_random_uuid()",
    "pgcrypto": "the built-in gen_random_uuid() for ids, and hashing in the application",
    "postgis": "the built-in geometric types (point, box, polygon)",
}
_NOT_AVAILABLE = re.compile(
    r'executing statement .*? from version "(?P<version>\d+)".*?extension "(?P<name>[^"]+)" is not available'
    r'|could not open extension control file ".*?/(?P<file>[^/"]+)\.control"'
)


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run atlas with `args`; on failure raise AtlasFailed with Atlas's own first error line."""
    env = {**os.environ, "ATLAS_NO_UPDATE_NOTIFIER": "1"}
    args, passwords = _passwords_out(args)
    if len(passwords) == 1:
        env["PGPASSWORD"] = passwords.pop()  # lib/pq reads it, as libpq does; `ps` never shows it
    elif passwords:
        raise AtlasFailed(
            "two database URLs with different passwords in one Atlas command: give the scratch one "
            "(ATLAS_DEV_URL) none (a local trust login), or set PGPASSFILE"
        )
    proc = subprocess.run([str(binary()), *args], text=True, capture_output=True, env=env, check=False)
    if check and proc.returncode != 0:
        folder = _arg(args, "--dir")
        missing_extension(proc.stderr + proc.stdout, folder)
        lock_timeout(proc.stderr + proc.stdout, folder)
        if "checksum mismatch" in proc.stderr + proc.stdout and folder:
            raise ChecksumMismatch(sum_mismatch(Path(folder.removeprefix("file://"))))
        target = _arg(args, "--to") or ""
        if target.startswith("file://") and target.endswith(".hcl"):  # the error is about schema.hcl
            schema = Path(target.removeprefix("file://"))
            raise SchemaError(hcl_errors.explain(first_error_line(proc), schema, shown(schema)))
        why = first_error_line(proc)
        if "out of shared memory" in why:
            why += (
                " (one transaction locked more tables and indexes than the server's lock table holds: "
                "raise max_locks_per_transaction on that server, or split the migration)"
            )
        raise AtlasFailed(f"atlas {' '.join(args[:2])} failed: {why}")
    return proc


_URL_FLAGS = ("--url", "--dev-url", "--from", "--to")


def _passwords_out(args: tuple[str, ...]) -> tuple[tuple[str, ...], set[str]]:
    """`args` with the password of each database URL taken out, and those passwords: a process's
    arguments are readable by every local user (`ps -eo args`), its environment only by its own."""
    out = list(args)
    passwords: set[str] = set()
    for i, arg in enumerate(out[:-1]):
        if arg in _URL_FLAGS and out[i + 1].startswith(("postgres://", "postgresql://")):
            out[i + 1], password = without_password(out[i + 1])
            if password:
                passwords.add(password)
    return tuple(out), passwords


def _arg(args: tuple[str, ...], flag: str) -> str | None:
    return args[args.index(flag) + 1] if flag in args[:-1] else None


def _statement_location(migrations: str | None, version: str | None, name: str) -> str:
    """`migrations/V_x.sql:LINE` of the CREATE EXTENSION, as precisely as can be found."""
    if not (migrations and version):
        return "a migration"
    folder = Path(migrations.removeprefix("file://"))
    for path in sorted(folder.glob(f"{version}*.sql")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "extension" in line.lower() and name in line:
                return f"{folder.name}/{path.name}:{number}"
        return f"{folder.name}/{path.name}"
    return f"migration {version}"


def missing_extension(output: str, migrations: str | None = None) -> None:
    """Raise MissingExtension if Atlas failed because the server lacks an extension."""
    match = _NOT_AVAILABLE.search(output)
    if match is None:
        return
    name = match["name"] or match["file"]
    where = _statement_location(migrations, match["version"], name)
    server = (
        "the server at ATLAS_DEV_URL does not have"
        if os.environ.get("ATLAS_DEV_URL")
        else f"{installation().describe()} does not ship"
    )
    instead = EXTENSION_ALTERNATIVES.get(name, "built-in types")
    raise MissingExtension(
        f"{where} needs the extension {name}, which {server}: use {instead} instead, or set ATLAS_DEV_URL "
        "to a server that has it (see README, Extensions)"
    )


def _display(path: Path) -> str:
    """Relative to the project, else `<folder>/<file>` (make generate works on a staged copy)."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return f"{path.parent.name}/{path.name}"


def _sum_entries(atlas_sum: Path) -> list[tuple[str, str]]:
    """(file, hash) per line of atlas.sum, after its total."""
    if not atlas_sum.exists():
        return []
    lines = atlas_sum.read_text().splitlines()[1:]
    return [(name, digest) for name, _, digest in (ln.rpartition(" ") for ln in lines if ln.strip())]


def sum_mismatch(migrations: Path) -> str:
    """Which file breaks atlas.sum, and the way out; Atlas itself hashes a copy.

    Each hash in atlas.sum covers its file and every file before it, so the first entry
    that differs is the first edited (or added, or removed) file; later ones cannot be told.
    """
    recorded = _sum_entries(migrations / "atlas.sum")
    with scratch_folder("chatmaps-sum-") as tmp:
        copy = Path(tmp) / "migrations"
        shutil.copytree(migrations, copy)
        migrate_hash(copy)
        actual = _sum_entries(copy / "atlas.sum")
    rehash = "run `make migrate-hash` to record it"
    known, present = dict(recorded), dict(actual)
    for name, digest in actual:
        where = _display(migrations / name)
        if name not in known:
            return (
                f"{where} is not in atlas.sum (checksum mismatch): if you wrote it by hand, {rehash}; if not, remove it"
            )
        if known[name] != digest:
            return (
                f"{where} was edited after atlas.sum was written (checksum mismatch; later files not checked): "
                f"restore it (`git checkout -- {where}`), or if the edit is intended and no database has "
                f"applied it yet, {rehash}"
            )
    gone = next((name for name, _ in recorded if name not in present), None)
    if gone is not None:
        where = _display(migrations / gone)
        return f"{where} is in atlas.sum but missing (checksum mismatch): restore it (`git checkout -- {where}`)"
    return f"{_display(migrations / 'atlas.sum')} does not match the files (checksum mismatch): {rehash}"


_LOCK_TIMEOUT = re.compile(
    r'executing statement .*? from version "(?P<version>\d+)".*?canceling statement due to lock timeout'
)


def lock_timeout(output: str, migrations: str | None) -> None:
    """Raise AtlasFailed, saying what happened and what to do, if a migration's statement gave up
    waiting for a lock (its SET lock_timeout: another transaction held the table)."""
    match = _LOCK_TIMEOUT.search(output)
    if match is None or not migrations:
        return
    folder = Path(migrations.removeprefix("file://"))
    found = sorted(folder.glob(f"{match['version']}*.sql"))
    if not found:
        return
    text = found[0].read_text()
    setting = re.search(r"^SET lock_timeout = '([^']*)';", text, re.MULTILINE)
    limit = f" ({setting[1]})" if setting else ""
    applied = (
        "the statements before it were applied (the file runs outside a transaction): rerun to finish it"
        if any(line.strip() == "-- atlas:txmode none" for line in text.splitlines()[:10])
        else "nothing of it was applied (its transaction rolled back)"
    )
    raise AtlasFailed(
        f"{_display(found[0])}: waited longer than its lock_timeout{limit} for a lock another transaction holds on "
        f"a table it changes, and gave up rather than queue every query behind it; {applied}. Find the blocker "
        "in pg_stat_activity (a long transaction, `idle in transaction`), and apply again once it ends"
    )


def first_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The most telling line of a failed Atlas run, password-free."""
    lines = [ln.strip() for ln in (proc.stderr + "\n" + proc.stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("Error:")]
    line = (errors or lines or [f"exit code {proc.returncode}"])[0]
    return redact(line.removeprefix("Error: "))


_SCHEMAS = "SELECT quote_ident(nspname) FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'"
_USED = """
SELECT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public')
    OR EXISTS (SELECT FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public')
    OR EXISTS (SELECT FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public')
    OR EXISTS (SELECT FROM pg_extension WHERE extname <> 'plpgsql')
"""


def emptied(dev_url: str) -> str:
    """`dev_url` with everything in it dropped, as Atlas expects its dev database. Atlas CE cleans
    up after itself only the objects it knows (tables, indexes, enums): a hand-written migration's
    function or trigger would stay, and the next replay of that file fail ("function ... already
    exists"). Every command below that replays migrations on the dev database empties it first."""
    with connect(dev_url) as conn:
        schemas = [row[0] for row in conn.execute(_SCHEMAS).fetchall()]
        used = conn.execute(_USED).fetchone()
        if schemas != ["public"] or (used is not None and used[0]):
            for schema in schemas:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
            conn.execute("CREATE SCHEMA public")
    return dev_url


def migrate_diff(name: str, schema: Path, migrations: Path, dev_url: str) -> None:
    """Write a new migration file if `schema` differs from what `migrations` build."""
    dev_url = emptied(dev_url)
    args = ["migrate", "diff"] + ([name] if name else [])
    run(*args, "--dir", _dir(migrations), "--to", f"file://{schema.resolve()}", "--dev-url", atlas_url(dev_url))


def migrate_hash(migrations: Path) -> None:
    """Recompute atlas.sum after a file in `migrations` changed."""
    run("migrate", "hash", "--dir", _dir(migrations))


def migrate_validate(migrations: Path, dev_url: str) -> None:
    """Check atlas.sum and that every file replays on an empty database."""
    run("migrate", "validate", "--dir", _dir(migrations), "--dev-url", atlas_url(emptied(dev_url)))


def migrate_apply(migrations: Path, url: str, *, lock_timeout: str = "60s", amount: int | None = None) -> str:
    """Apply pending migrations to `url` (each file in its own transaction); `amount`: only the first so many."""
    proc = run(
        "migrate",
        "apply",
        "--dir",
        _dir(migrations),
        "--url",
        atlas_url(url),
        "--lock-timeout",
        lock_timeout,
        *([] if amount is None else [str(amount)]),
    )
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


def migrate_lint(migrations: Path, dev_url: str, latest: int = 1) -> list[Finding]:
    """Lint the newest `latest` migration files (each against the schema of the files before it);
    returns every diagnostic Atlas's analyzers report (their policy is codegen/dev/lint_rules.py's)."""
    dev_url = emptied(dev_url)
    proc = run(
        "migrate",
        "lint",
        "--dir",
        _dir(migrations),
        "--dev-url",
        atlas_url(dev_url),
        "--latest",
        str(latest),
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
