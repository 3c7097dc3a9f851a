"""Command line: `python -m codegen COMMAND`. The Makefile targets call these."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from codegen import output, pipeline, sqlfile
from codegen.config import Config, load_config
from codegen.dev import atlas, downs, lint, lock, migrations, pg, probe, twins
from codegen.errors import CodegenError, InvalidSetting, OutOfSync, UsageError
from codegen.introspect import catalog as introspect
from codegen.paths import DOCS, GENERATED, LOCAL_DATA, MIGRATIONS, ROOT, SCHEMA, shown
from codegen.redact import redact
from codegen.render.runtime.errors import ConfigError
from codegen.render.runtime.settings import validate_url
from codegen.signals import Stopped, scratch_folder, stop_on_signals


def _config(args: argparse.Namespace) -> Config:
    """[tool.codegen]: --config's file; else, for a package made from migrations/, the project's
    own (pyproject.toml beside migrations/); another database (--from-url) gets none."""
    if getattr(args, "config", None):
        return load_config(args.config, required=True)
    if getattr(args, "from_url", None):
        return Config()
    return load_config(args.migrations.resolve().parent / "pyproject.toml")


def _queries(args: argparse.Namespace) -> sqlfile.Parsed:
    """The checked queries (--queries DIR; by default the queries/ beside the migrations, when
    it exists), split and checked; prepared later on the generating database. A package made
    --from-url another database has none unless asked: the project's queries are not its."""
    directory: Path | None = args.queries
    if directory is None:
        if getattr(args, "from_url", None):
            return sqlfile.NONE
        directory = args.migrations.parent / "queries"
    return sqlfile.read(directory, shown(directory))


def _report_diff(result: migrations.DiffResult, args: argparse.Namespace, observed: probe.Probe | None = None) -> None:
    """What diff_and_lint did, naming the files where they land in args.migrations (update stages
    a copy), and what the probe saw them do."""
    if result.new_file is None:
        print(f"{shown(args.schema)} unchanged: {shown(args.migrations)}/ already matches it, no new migration")
        return
    for problem in [*result.report.warnings, *result.report.allowed]:
        where = f"{shown(args.migrations / problem.path.name)}:{problem.line}"
        print(f"{'warning' if problem.allowed is None else 'note'}: {problem.describe(where)}", file=sys.stderr)
    note = " (destructive changes allowed by ALLOW_DESTRUCTIVE=1)" if args.allow_destructive else ""
    for written in result.files or (result.new_file,):
        print(f"wrote {shown(args.migrations / written.name)}: linted{note}; review it and commit")
    if observed is not None:
        print("\n".join(observed.lines(args.migrations)))
        _print_verdicts(result.report.problems, observed, args.migrations)


def _print_verdicts(problems: Sequence[lint.Problem], observed: probe.Probe, folder: Path | None = None) -> None:
    """Each lint finding that claims a lock, rewrite, scan or failure, beside what the run showed."""
    verdicts = probe.verdicts(problems, observed, folder)
    if verdicts:
        disagree = sum(1 for v in verdicts if v.agree is False)
        print(f"the lint beside the run ({len(verdicts) - disagree} agree, {disagree} disagree):")
        print("\n".join(f"  {v}" for v in verdicts))


def _rows(args: argparse.Namespace) -> int:
    """Rows per table for the probe: --rows (make generate ROWS=...), else 1,000."""
    rows = getattr(args, "rows", None)
    return probe.DEFAULT_ROWS if rows is None else int(rows)


def _diff_and_lint(args: argparse.Namespace, folder: Path, dev: str, config: Config) -> migrations.DiffResult:
    """diff_and_lint with what the command line says (NAME, ALLOW_DESTRUCTIVE, ALLOW) and the config."""
    return migrations.diff_and_lint(
        args.schema,
        folder,
        dev,
        name=args.name,
        allow_destructive=args.allow_destructive,
        allow=args.allow,
        settings=config.migrations,
    )


def cmd_diff(args: argparse.Namespace) -> int:
    """Diff schema.hcl into a new, linted migration (no code generation)."""
    migrations.check_order(args.migrations)
    with pg.dev_server() as server, pg.dev_database(server) as dev:
        result = _diff_and_lint(args, args.migrations, dev, _config(args))
        observed = None
        if result.files:
            observed = probe.probe(result.files, args.migrations, server.url, package=GENERATED, rows=_rows(args))
    _report_diff(result, args, observed)
    return 0


def cmd_lint_migrations(args: argparse.Namespace) -> int:
    """Lint every migration after [tool.codegen.migrations] lint_after (Atlas's analyzers and
    squawk), and run them on a copy with rows to show what each statement does."""
    if not args.migrations.is_dir():
        raise UsageError(f"{shown(args.migrations)}: no such folder: name the migrations folder (--migrations)")
    with pg.dev_server() as server, pg.dev_database(server) as dev:
        report, linted = _lint_all(args, dev)
        if linted:
            observed = probe.probe(linted, args.migrations, server.url, package=GENERATED, rows=_rows(args))
            print("\n".join(observed.lines()))
            _print_verdicts(report.problems, observed)
    print(f"ok: {shown(args.migrations)}/ passes the migration lint ({len(report.warnings)} warnings)")
    return 0


def _lint_all(args: argparse.Namespace, dev: str) -> tuple[lint.Report, list[Path]]:
    """The lint report on migrations/ (printed: warnings and opt-outs; errors raise UnsafeMigration),
    and the files it read."""
    settings = _config(args).migrations
    linted, skipped = lint.files_after(args.migrations, settings.lint_after)
    report = lint.lint(linted, args.migrations, dev)
    if skipped:
        print(f"not linted: {len(skipped)} migrations at or before lint_after {settings.lint_after} (pyproject.toml)")
    for problem in [*report.warnings, *report.allowed]:
        print(f"{'warning' if problem.allowed is None else 'note'}: {problem}")
    report.raise_errors(f"{len(report.errors)} migration lint errors: fix them, or opt out as the README says")
    return report, linted


def cmd_check(args: argparse.Namespace) -> int:
    """Fail unless atlas.sum is valid, migrations/ matches schema.hcl and generated/ is fresh."""
    stale = twins.diff()
    if stale:
        sys.stdout.write(stale)
        raise OutOfSync("a sync twin in codegen/render/runtime/ is stale (diff above): run `make generate` and commit")
    print("ok: the sync twins match their async sources")
    with pg.dev_server() as server:
        with pg.dev_database(server) as dev:
            migrations.check(args.schema, args.migrations, dev)
            print(f"ok: {shown(args.migrations)}/ matches {shown(args.schema)} and atlas.sum is valid")
            lacking = downs.missing(args.migrations)
            if lacking:
                raise OutOfSync(
                    f"{shown(downs.down_path(lacking[0]))} is missing (the down script of {lacking[0].name}"
                    f"{f' and {len(lacking) - 1} more' if len(lacking) > 1 else ''}): run `make generate` and commit"
                )
            _lint_all(args, dev)
        print(f"ok: {shown(args.migrations)}/ passes the migration lint")
        out = pipeline.build_from_migrations(args.migrations, _config(args), server, _queries(args))
    files = pipeline.placed(out, GENERATED, DOCS)
    stale = output.diff(files, pipeline.managed(GENERATED), ROOT)
    if stale:
        sys.stdout.write(stale)
        raise OutOfSync("generated/ or docs/SCHEMA.md is stale (diff above): run `make generate` and commit")
    print("ok: generated/ and docs/SCHEMA.md are fresh")
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    """What `make generate` runs: diff and generate on one server, all or nothing.

    The new migration is written into a copy of migrations/ and the package is generated
    from that copy, in memory; only when both succeed are migrations/, atlas.sum and
    generated/ written. A failure leaves all three as they were.
    """
    config = _config(args)
    migrations.check_order(args.migrations)
    for twin in twins.refresh():
        print(f"derived {shown(twin)} from its async source")
    with pg.dev_server() as server, scratch_folder("chatmaps-generate-") as tmp:
        staged = Path(tmp) / "migrations"
        earlier = Path(tmp) / "earlier"  # what the probe's database is built from, meanwhile
        if args.migrations.exists():
            shutil.copytree(args.migrations, staged)
            shutil.copytree(args.migrations, earlier)
        else:
            earlier.mkdir()
        with (
            probe.ahead(server.url, earlier, package=args.out or GENERATED, rows=_rows(args)) as ready,
            pg.dev_database(server) as dev,
            ThreadPoolExecutor(1) as pool,  # shut down (its thread done) before `dev` is dropped
        ):
            result = _diff_and_lint(args, staged, dev, config)
            # The down scripts of the new files, and of any migration without one yet: in a thread
            # (Atlas's and PostgreSQL's work, mostly) while this one generates the package and probes.
            wanted = sorted({*result.files, *downs.missing(staged)})
            reversing = pool.submit(downs.compute, staged, wanted, server.url, dev)  # `dev`: free from here
            out = pipeline.build_from_migrations(staged, config, server, _queries(args))
            # Its database has been seeded meanwhile (prepare() started before the diff).
            observed = ready.result().run(result.files) if result.files else None
            down_scripts = reversing.result()
        for path, text in down_scripts.items():
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
        target, files = _package_files(out, args)
        migration_files = {
            args.migrations / p.relative_to(staged): p.read_text() for p in sorted(staged.rglob("*")) if p.is_file()
        }
    output.write(migration_files)
    _report_diff(result, args, observed)
    for path in down_scripts:
        print(
            f"wrote {shown(args.migrations / path.relative_to(staged))}: a down script (make migrate-down); review it"
        )
    _report_generated(out, output.write(files, pipeline.managed(target)), target)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate the Python package from the migrations (or from --from-url) and write it."""
    config = _config(args)
    if args.from_url:
        if args.out is None:
            raise UsageError(
                "generate --from-url needs --out DIR: a package from another database must not replace generated/"
            )
        out = pipeline.build(args.from_url, config, _queries(args))
        target = args.out
        files = pipeline.placed(out, target, target)
    else:
        out = pipeline.build_from_migrations(args.migrations, config, queries=_queries(args))
        target, files = _package_files(out, args)
    _report_generated(out, output.write(files, pipeline.managed(target)), target)
    return 0


def _package_files(out: pipeline.Output, args: argparse.Namespace) -> tuple[Path, dict[Path, str]]:
    """Where the package from migrations/ goes: --out (docs beside it), else generated/ and docs/."""
    target = args.out or GENERATED
    return target, pipeline.placed(out, target, DOCS if args.out is None else target)


def _report_generated(out: pipeline.Output, changed: list[Path], target: Path) -> None:
    for item in out.catalog.unsupported:
        print(f"note: {item.line()}", file=sys.stderr)
    for line in out.warnings:
        print(line, file=sys.stderr)
    what = f"{len(changed)} file(s) changed" if changed else "no file changed"
    print(f"generated {len(out.catalog.tables)} tables into {shown(target)}/: {what}")


def cmd_dump_ir(args: argparse.Namespace) -> int:
    """Print the IR (what the database holds) as JSON."""
    if args.from_url:
        sys.stdout.write(introspect.introspect(args.from_url).to_json())
        return 0
    with pg.throwaway_server() as server, pg.scratch_database(server.url, "codegen") as url:
        atlas.migrate_apply(args.migrations, url)
        sys.stdout.write(introspect.introspect(url).to_json())
    return 0


def _target_url(args: argparse.Namespace) -> str:
    """DATABASE_URL, validated as the package validates it, or the local dev server (started if needed)."""
    url = os.environ.get("DATABASE_URL")
    if url is None:
        return pg.start_local(args.data_dir).url
    try:
        return validate_url(url)
    except ConfigError as exc:
        raise InvalidSetting(str(exc)) from None


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply pending migrations to DATABASE_URL or the local dev server."""
    url = _target_url(args)
    print(redact(atlas.migrate_apply(args.migrations, url)).rstrip())
    return 0


def cmd_migrate_down(args: argparse.Namespace) -> int:
    """Take DATABASE_URL (or the local server) back by its newest applied migration (its down script)."""
    url = _local_target(args, "migrate-down takes migrations back")
    done = downs.migrate_down(args.migrations, url, allow_destructive=args.allow_destructive)
    print(
        f"took {redact(url)} back from {done.version}: ran {shown(done.script)} ({done.statements} statements) "
        "and removed its revision; `make migrate` applies it again"
    )
    return 0


def _local_target(args: argparse.Namespace, what: str) -> str:
    """_target_url, refusing a DATABASE_URL not on this machine unless --force: `what` the command does."""
    url = _target_url(args)
    if "DATABASE_URL" in os.environ and not args.force:
        from codegen.dev import push  # pglast: only the commands that need it load it

        push.refuse_remote(url, what)
    return url


def cmd_push(args: argparse.Namespace) -> int:
    """Apply schema.hcl straight to the local dev database, with no migration (prototyping)."""
    from codegen.dev import push

    url = _local_target(args, "push changes a database in place, with no migration")
    with pg.dev_database() as dev:
        planned = push.plan(url, args.schema, dev)
        if planned.empty:
            print(f"{shown(args.schema)} and {redact(url)} already match: nothing to push")
            return 0
        print(f"-- the plan for {redact(url)}:\n{planned.sql}")
        push.apply(url, args.schema, dev, planned, allow_destructive=args.allow_destructive)
        # Back where migrations/ leaves a database (a prototype undone): nothing to write down.
        matches = args.migrations.is_dir() and not atlas.schema_diff(
            f"file://{args.migrations}", f"file://{args.schema}", dev
        )
    if matches:
        print(
            f"pushed {shown(args.schema)} to {redact(url)}, which now matches {shown(args.migrations)}/ again: "
            "there is no change to write as a migration"
        )
        return 0
    print(
        f"pushed {shown(args.schema)} to {redact(url)}. It is not a migration yet: run `make generate NAME=...` "
        "to write one before you commit (`make db-reset` then rebuilds this database from migrations/)"
    )
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    """Fill DATABASE_URL (or the local dev server) with deterministic fake rows, through the package."""
    url = _local_target(args, "seed writes fake rows")
    sys.path.insert(0, str(args.package.resolve()))
    from chatmaps_db import Database  # the package in --package (generated/ by default)
    from codegen.dev import seed  # Faker: 0.45 s to import, which no other command pays

    catalog = introspect.introspect(url)
    if not any(not t.view for t in catalog.tables):
        raise UsageError(f"{redact(url)} has no tables to seed: run `make migrate` (or `make db-reset SEED=1`) first")
    start = time.perf_counter()
    with Database(url, min_size=0) as db:
        report = seed.seed(db, catalog, rows=seed.DEFAULT_ROWS if args.rows is None else args.rows, seed=args.seed)
    total = sum(t.rows for t in report.tables)
    print(f"seeded {redact(url)} with {total} rows (--seed {args.seed}) in {time.perf_counter() - start:.1f} s:")
    print("\n".join(report.lines()))
    return 0


def cmd_studio(args: argparse.Namespace) -> int:
    """Browse the data in a browser (sqladmin on tables.py): read-only unless --write."""
    import uvicorn

    from codegen.dev import studio

    url = _local_target(args, "the studio shows every row (and with WRITE=1 edits them)")
    password = os.environ.get("STUDIO_PASSWORD") or None
    studio.check_bind(args.host, password)
    sys.path.insert(0, str(args.package.resolve()))
    hosts = studio.allowed_hosts(args.host, args.port)
    application = studio.app(url, write=args.write, password=password, hosts=hosts)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    mode = "read-write: edits are validated by the Insert and Update models" if args.write else "read-only"
    print(f"chatmaps-db studio on {redact(url)}, {mode}: http://{shown}:{args.port}/", flush=True)
    uvicorn.run(application, host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_hash(args: argparse.Namespace) -> int:
    """Rewrite atlas.sum after a hand-written or intentionally edited migration file."""
    atlas.migrate_hash(args.migrations)
    print(f"{shown(args.migrations / 'atlas.sum')} rewritten: review the migration files and commit")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Show which migrations DATABASE_URL (or the local server) has applied."""
    print(redact(atlas.migrate_status(args.migrations, _target_url(args))).rstrip())
    return 0


def cmd_db_start(args: argparse.Namespace) -> int:
    """Start the local dev server under .data/postgres and print its URL."""
    server = pg.start_local(args.data_dir)
    print(f"local PostgreSQL is running: DATABASE_URL={server.url}")
    return 0


def cmd_db_stop(args: argparse.Namespace) -> int:
    """Stop the local dev server."""
    stopped = pg.stop_local(args.data_dir)
    print("local PostgreSQL stopped" if stopped else "local PostgreSQL was not running")
    return 0


def cmd_db_reset(args: argparse.Namespace) -> int:
    """Delete the local dev server's data and start it afresh with all migrations applied."""
    pg.stop_local(args.data_dir)
    shutil.rmtree(args.data_dir, ignore_errors=True)
    server = pg.start_local(args.data_dir)
    atlas.migrate_apply(args.migrations, server.url)
    print(f"local PostgreSQL reset and migrated: DATABASE_URL={server.url}")
    return 0


def cmd_db_shell(args: argparse.Namespace) -> int:
    """Open psql on DATABASE_URL or the local dev server."""
    url, password = pg.without_password(_target_url(args))
    if password:  # in psql's environment, not its arguments, which every local user sees in `ps`
        os.environ["PGPASSWORD"] = password
    os.execv(pg.psql_path(), [pg.psql_path(), url])


# The commands that write migrations/ (and generated/) hold the project's lock while they run.
_LOCKED = {"update", "diff", "hash", "generate"}
_MAKE_NAMES = {"update": "generate", "hash": "migrate-hash"}

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "update": cmd_update,
    "diff": cmd_diff,
    "check": cmd_check,
    "lint-migrations": cmd_lint_migrations,
    "migrate-down": cmd_migrate_down,
    "generate": cmd_generate,
    "dump-ir": cmd_dump_ir,
    "migrate": cmd_migrate,
    "status": cmd_status,
    "push": cmd_push,
    "seed": cmd_seed,
    "studio": cmd_studio,
    "hash": cmd_hash,
    "db-start": cmd_db_start,
    "db-stop": cmd_db_stop,
    "db-reset": cmd_db_reset,
    "db-shell": cmd_db_shell,
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m codegen", description="chatmaps-db: schema.hcl to migrations and code")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = p.add_subparsers(dest="command", required=True)
    for name, fn in COMMANDS.items():
        c = sub.add_parser(name, help=(fn.__doc__ or "").splitlines()[0])
        c.add_argument("--schema", type=Path, default=SCHEMA, help="the schema file (default: schema.hcl)")
        c.add_argument("--migrations", type=Path, default=MIGRATIONS, help="the migration directory")
        if name in ("generate", "dump-ir"):
            c.add_argument("--from-url", help="generate from this existing database instead of migrations/")
        if name == "update":
            c.set_defaults(from_url=None)  # update always generates from migrations/
        if name in ("generate", "update", "check"):
            c.add_argument(
                "--queries",
                type=Path,
                help="the checked queries' directory (default: queries/ beside --migrations; with --from-url: none)",
            )
        if name in ("generate", "update"):
            c.add_argument(
                "--out", type=Path, help="output directory (default: generated/ and docs/; required with --from-url)"
            )
            c.add_argument(
                "--config",
                type=Path,
                help="the file with [tool.codegen] (default: pyproject.toml; with --from-url: none)",
            )
        if name in (
            "migrate",
            "migrate-down",
            "status",
            "push",
            "seed",
            "studio",
            "db-start",
            "db-stop",
            "db-reset",
            "db-shell",
        ):
            c.add_argument("--data-dir", type=Path, default=LOCAL_DATA, help="the local server's data (.data/postgres)")
        if name in ("diff", "update"):
            c.add_argument("--name", default="", help="suffix of the new migration file")
        if name in ("diff", "update", "push", "migrate-down"):
            c.add_argument("--allow-destructive", action="store_true", help="accept changes that drop data")
        if name in ("diff", "update", "lint-migrations"):
            c.add_argument("--rows", type=int, help="rows per table the probe runs the migration on (default: 1000)")
        if name in ("diff", "update"):
            c.add_argument(
                "--allow", default="", help="accept lint errors: 'rule[, rule]: why it is safe' (written into the file)"
            )
        if name in ("push", "seed", "studio", "migrate-down"):
            c.add_argument("--force", action="store_true", help="use a DATABASE_URL that is not on this machine")
        if name == "seed":
            c.add_argument("--rows", type=int, help="rows per table (default: 100)")
            c.add_argument("--seed", type=int, default=0, help="the random seed: the same seed gives the same rows")
        if name in ("seed", "studio"):
            c.add_argument("--package", type=Path, default=GENERATED, help="the folder holding chatmaps_db")
        if name == "studio":
            c.add_argument(
                "--host", default="127.0.0.1", help="the address to listen on (another needs STUDIO_PASSWORD)"
            )
            c.add_argument("--port", type=int, default=4983, help="the port (Drizzle Studio's, 4983)")
            c.add_argument("--write", action="store_true", help="allow edits, validated by the Insert/Update models")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    stop_on_signals()
    # psycopg warns "error ignored in rollback ... another command is already in progress" when a
    # signal stops a command mid-query and the connection is closed on the way out: expected then,
    # and not the one line a stopped command prints. Its errors still raise as exceptions.
    logging.getLogger("psycopg").setLevel(logging.ERROR if not args.debug else logging.DEBUG)
    try:
        if args.command in _LOCKED and not getattr(args, "from_url", None):
            # the project: the folder holding migrations/ (schema.hcl, generated/ beside it)
            args.migrations.parent.mkdir(parents=True, exist_ok=True)
            with lock.project_lock(
                args.migrations.resolve().parent, f"make {_MAKE_NAMES.get(args.command, args.command)}"
            ):
                return COMMANDS[args.command](args)
        return COMMANDS[args.command](args)
    except CodegenError as exc:
        if args.debug:
            raise
        for line in str(exc).splitlines():  # several problems: one line each
            print(f"error: {line if exc.redacted else redact(line)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Stopped as stop:  # everything above has been cleaned up on the way here
        print(f"error: {stop}", file=sys.stderr)
        return 128 + stop.signum
