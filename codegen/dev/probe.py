"""What a migration does, seen by running it: the statements of new migration files, one at a
time, on a scratch database that holds the schema before them and rows in every table (the seed
engine, seed.py), with PostgreSQL itself asked after each statement:

- the locks it took on tables that existed before the migration (pg_locks, while the file's
  transaction is still open: a lock is held until the file commits);
- whether it rewrote a table (the table's relfilenode changed);
- whether it scanned one (rows this transaction read from it: pg_stat_xact_user_tables), as a
  CHECK, NOT NULL or foreign key validation does;
- how long it took.

A statement that must run outside a transaction (`-- atlas:txmode none`: CREATE INDEX
CONCURRENTLY) is run while a second connection holds ROW EXCLUSIVE on those tables (what any
writer holds), so the statement's own locks can be read while it waits for that writer (and
only then is the writer let go). ACCESS EXCLUSIVE on a table with rows, and rewrites, are
flagged. The lint (lint.py) reads the SQL; this runs it, and tests compare the two rule by rule.
"""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter, sleep
from typing import Any

import psycopg

from codegen.dev import atlas, pg
from codegen.dev.lint import statements, txmode_none
from codegen.paths import shown

# PostgreSQL's table lock modes, weakest first, as pg_locks names them and as SQL does.
MODES = {
    "AccessShareLock": "ACCESS SHARE",
    "RowShareLock": "ROW SHARE",
    "RowExclusiveLock": "ROW EXCLUSIVE",
    "ShareUpdateExclusiveLock": "SHARE UPDATE EXCLUSIVE",
    "ShareLock": "SHARE",
    "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE",
    "ExclusiveLock": "EXCLUSIVE",
    "AccessExclusiveLock": "ACCESS EXCLUSIVE",
}
STRENGTH = {mode: i for i, mode in enumerate(MODES.values())}
# What each mode keeps other sessions from doing while it is held (PostgreSQL's conflict table).
BLOCKS = {
    "ACCESS SHARE": "",
    "ROW SHARE": "",
    "ROW EXCLUSIVE": "",
    "SHARE UPDATE EXCLUSIVE": "schema changes and VACUUM",
    "SHARE": "writes",
    "SHARE ROW EXCLUSIVE": "writes",
    "EXCLUSIVE": "writes and SELECT FOR UPDATE",
    "ACCESS EXCLUSIVE": "reads and writes",
}

DEFAULT_ROWS = 1000  # rows per table the probe's database gets unless told (make generate ROWS=...)


def _where(path: Path, folder: Path | None) -> str:
    return shown(folder / path.name if folder is not None else path)


_TABLES = """
SELECT c.oid, format('%I.%I', n.nspname, c.relname), c.relfilenode
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname <> 'atlas_schema_revisions'
"""
_INDEXES = """
SELECT i.indexrelid, i.indexrelid::regclass::text, i.indrelid FROM pg_index i WHERE i.indrelid = ANY(%s)
"""
_LOCKS = "SELECT relation, mode, granted FROM pg_locks WHERE pid = %s AND locktype = 'relation' AND relation = ANY(%s)"
_READ = "SELECT relid, seq_tup_read FROM pg_stat_xact_user_tables WHERE relid = ANY(%s)"


@dataclass(frozen=True)
class Step:
    """One statement, as PostgreSQL saw it run."""

    path: Path
    line: int
    statement: str  # its first line
    locks: tuple[tuple[str, str], ...] = ()  # (table, mode): the strongest it took on each table that existed
    rewrote: tuple[str, ...] = ()
    scanned: tuple[tuple[str, int], ...] = ()  # (table, rows read)
    seconds: float = 0.0
    error: str | None = None  # the error's class (a NOT NULL column added to a table with rows)
    rows: dict[str, int] = field(default_factory=dict)  # rows each table had before the migration
    outside_transaction: bool = False
    # (index, its table, mode): locks on the indexes of existing tables. The planner locks every
    # index of a table it plans a query on, so ACCESS EXCLUSIVE on one (REINDEX) stalls them all.
    index_locks: tuple[tuple[str, str, str], ...] = ()

    @property
    def stalls(self) -> list[str]:
        """Tables whose every query waits, through an ACCESS EXCLUSIVE lock on one of their indexes."""
        return sorted({table for _, table, mode in self.index_locks if mode == "ACCESS EXCLUSIVE"})

    def mode_on(self, table: str) -> str | None:
        return next((mode for name, mode in self.locks if name == table), None)

    @property
    def flags(self) -> list[str]:
        """ACCESS EXCLUSIVE on a table with rows, a rewrite, a failure: what to look at."""
        out = [
            f"ACCESS EXCLUSIVE on {table} ({self.rows.get(table, 0)} rows) blocks its reads and writes"
            for table, mode in self.locks
            if mode == "ACCESS EXCLUSIVE" and self.rows.get(table, 0)
        ]
        out += [
            f"ACCESS EXCLUSIVE on an index of {table} ({self.rows.get(table, 0)} rows) stalls every query on it"
            for table in self.stalls
            if self.rows.get(table, 0) and self.mode_on(table) != "ACCESS EXCLUSIVE"
        ]
        out += [f"rewrote {table}" for table in self.rewrote]
        if self.error:
            out.append(f"failed on the rows: {self.error}")
        return out

    def __str__(self) -> str:
        return self.describe()

    def describe(self, folder: Path | None = None) -> str:
        locks = ", ".join(
            f"{mode} {table}" + (f" (blocks {BLOCKS[mode]})" if BLOCKS[mode] else "") for table, mode in self.locks
        )
        indexes = ", ".join(  # news only where the table's own lock lets queries through
            f"ACCESS EXCLUSIVE index {index} (every query on {table} waits: the planner locks each index)"
            for index, table, mode in self.index_locks
            if mode == "ACCESS EXCLUSIVE" and self.mode_on(table) != "ACCESS EXCLUSIVE"
        )
        parts = [
            locks or "no lock on an existing table",
            indexes,
            "rewrote " + ", ".join(self.rewrote) if self.rewrote else "",
            "scanned " + ", ".join(f"{t} ({n} rows)" for t, n in self.scanned) if self.scanned else "",
            f"{self.seconds * 1000:.1f} ms",
        ]
        flags = self.flags
        text = f"{_where(self.path, folder)}:{self.line}: " + "; ".join(p for p in parts if p)
        return text + (f"  <- {'; '.join(flags)}" if flags else "")


@dataclass(frozen=True)
class Probe:
    steps: tuple[Step, ...]
    rows: dict[str, int]  # rows per table before the migration
    seeded: str  # how the rows got there (or why there are none)

    def lines(self, folder: Path | None = None) -> list[str]:
        """The report; `folder`: where the files will be (make generate probes a staged copy)."""
        filled = sum(1 for n in self.rows.values() if n)
        out = [f"what it did, run on a copy with rows ({self.seeded}; {filled} of {len(self.rows)} tables have rows):"]
        for path in dict.fromkeys(step.path for step in self.steps):
            steps = [s for s in self.steps if s.path == path]
            out += [f"  {step.describe(folder)}" for step in steps]
            if steps[0].outside_transaction:
                continue
            held: dict[str, str] = {}
            for step in steps:
                for table, mode in step.locks:
                    if STRENGTH[mode] > STRENGTH.get(held.get(table, ""), -1):
                        held[table] = mode
            if held:
                locks = ", ".join(f"{mode} {table}" for table, mode in sorted(held.items()))
                out.append(f"  {_where(path, folder)} holds until it commits: {locks}")
        return out


@dataclass(frozen=True)
class Prepared:
    """A scratch database with the schema before the migration, and rows."""

    url: str
    tables: dict[int, tuple[str, int]]  # oid: (schema.table, relfilenode)
    counts: dict[str, int]
    seeded: str
    indexes: dict[int, tuple[str, str]] = field(default_factory=dict)  # oid: (index, its schema.table)

    def run(self, paths: Sequence[Path]) -> Probe:
        """Run the new files on it, in order: each against the tables that exist before it (an
        earlier file may have made one)."""
        steps: list[Step] = []
        tables, counts, indexes = self.tables, self.counts, self.indexes
        for number, path in enumerate(paths):
            if number:
                tables, counts, indexes = _catalog(self.url)
            steps += _run_file(self.url, path, tables, counts, indexes)
        return Probe(tuple(steps), self.counts, self.seeded)


def _catalog(
    url: str,
) -> tuple[dict[int, tuple[str, int]], dict[str, int], dict[int, tuple[str, str]]]:
    """The database's tables (oid: name, relfilenode), their rows, and their indexes (oid: index, table)."""
    with pg.connect(url) as conn:
        tables = {oid: (name, node) for oid, name, node in conn.execute(_TABLES)}
        indexes = {
            oid: (name, tables[table][0]) for oid, name, table in conn.execute(_INDEXES, [list(tables)]).fetchall()
        }
        counts = {
            name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # type: ignore[index]
            for name, _ in tables.values()
        }
    return tables, counts, indexes


def prepare(
    url: str, migrations: Path, *, amount: int | None, package: Path | None, rows: int, seed: int = 0
) -> Prepared:
    """Apply the first `amount` files of `migrations` (None: all) to the empty database `url`, and
    fill every table with `rows` fake rows through the generated package in `package`."""
    if amount is None or amount > 0:
        atlas.migrate_apply(migrations, url, amount=amount)
    seeded = _seed(url, package, rows, seed)
    tables, counts, indexes = _catalog(url)
    return Prepared(url, tables, counts, seeded, indexes)


@contextmanager
def ahead(server_url: str, migrations: Path, *, package: Path | None, rows: int) -> Iterator[Future[Prepared]]:
    """prepare() on a scratch database, in a thread, while the caller goes on (make generate
    diffs and lints meanwhile): `migrations` must hold the files before the new ones, and not
    change. The database is dropped when the block ends."""
    name = f"chatmaps_probe_{uuid.uuid4().hex[:12]}"
    # A thread, not a process: a process of its own would spare the GIL, but Ctrl-C reaches every
    # process of the terminal's group, and a child caught starting up prints a traceback.
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(_build, server_url, name, migrations, package, rows)
        try:
            yield future
        finally:
            wait([future])  # never drop the database under the thread
            pg.drop_database(server_url, name)


def _build(server_url: str, name: str, migrations: Path, package: Path | None, rows: int) -> Prepared:
    """ahead()'s work, in its process: create the database, then prepare() it."""
    url = pg.create_database(server_url, name)
    return prepare(url, migrations, amount=None, package=package, rows=rows)


def probe(
    paths: Sequence[Path], migrations: Path, server_url: str, *, package: Path | None, rows: int, seed: int = 0
) -> Probe:
    """Run `paths` (the newest files of `migrations`, in order) on a scratch database on
    `server_url` that holds every file before them and `rows` fake rows per table (made through
    the generated package in `package`)."""
    before = len(list(migrations.glob("*.sql"))) - len(paths)
    with pg.scratch_database(server_url, "chatmaps_probe") as url:
        return prepare(url, migrations, amount=before, package=package, rows=rows, seed=seed).run(paths)


def _seed(url: str, package: Path | None, rows: int, seed: int) -> str:
    """Fill the scratch database through the package's table layer; says what it did."""
    if rows <= 0:
        return "ROWS=0: no rows"
    if package is None or not (package / "chatmaps_db" / "__init__.py").is_file():
        return f"no rows: no generated package at {package} to write them through"
    from codegen.dev import seed as seeding  # Faker: imported only when rows are wanted
    from codegen.introspect import catalog as introspect

    sys.path.insert(0, str(package.resolve()))
    try:
        from chatmaps_db import Database  # the package of the schema before the migration
    except ImportError as exc:
        return f"no rows: cannot import the package in {package} ({type(exc).__name__})"
    finally:
        sys.path.remove(str(package.resolve()))
    catalog = introspect.introspect(url)
    with Database(url, min_size=0) as db:
        report = seeding.seed(db, catalog, rows=rows, seed=seed)
    return f"ROWS={rows} per table, {sum(t.rows for t in report.tables)} rows in all"


def _run_file(
    url: str,
    path: Path,
    tables: dict[int, tuple[str, int]],
    counts: dict[str, int],
    indexes: dict[int, tuple[str, str]],
) -> list[Step]:
    """Each statement of `path` in a transaction of its own (so its locks are its own; Atlas holds
    them all until the file commits, which Probe.lines() adds up), committed: the next statement,
    and the next file, run on what it made. A failure ends the file."""
    sql = path.read_text()
    outside = txmode_none(sql)
    oids = list(tables)
    names = [tables[o][0] for o in oids]
    watched = oids + list(indexes)  # the relations whose locks are read
    steps: list[Step] = []
    with psycopg.connect(url, autocommit=True) as conn:
        pid = conn.info.backend_pid
        for line, text in ((s.first, s.text) for s in statements(sql)):
            first = text.strip().splitlines()[0]
            if first.upper().startswith(("SET ", "RESET ")):  # a setting (lock_timeout): run, not reported
                conn.execute(text)
                continue
            nodes = _nodes(conn, oids)
            read: dict[int, int] = {}
            try:
                if outside:
                    seconds, locks = _outside(url, conn, pid, text, watched, names)
                else:
                    conn.execute("BEGIN")
                    read = dict(conn.execute(_READ, [oids]).fetchall())
                    start = perf_counter()
                    conn.execute(text)
                    seconds = perf_counter() - start
                    locks = conn.execute(_LOCKS, [pid, watched]).fetchall()
            except psycopg.Error as exc:
                if not outside:
                    conn.execute("ROLLBACK")
                steps.append(
                    Step(path, line, first, error=type(exc).__name__, rows=counts, outside_transaction=outside)
                )
                break
            taken: dict[str, str] = {}
            on_index: dict[tuple[str, str], str] = {}
            for oid, mode, _granted in locks:
                sql_mode = MODES.get(mode, mode)
                if oid in indexes:
                    if STRENGTH.get(sql_mode, -1) > STRENGTH.get(on_index.get(indexes[oid], ""), -1):
                        on_index[indexes[oid]] = sql_mode
                    continue
                name = tables[oid][0]
                if STRENGTH.get(sql_mode, -1) > STRENGTH.get(taken.get(name, ""), -1):
                    taken[name] = sql_mode
            scanned: tuple[tuple[str, int], ...] = ()
            if not outside:
                now: dict[int, int] = dict(conn.execute(_READ, [oids]).fetchall())
                scanned = tuple(
                    sorted((tables[o][0], n - read.get(o, 0)) for o, n in now.items() if n > read.get(o, 0))
                )
                conn.execute("COMMIT")
            after = _nodes(conn, oids)
            rewrote = tuple(sorted(tables[o][0] for o in oids if o in after and after[o] != nodes.get(o)))
            index_locks = tuple(sorted((index, table, mode) for (index, table), mode in on_index.items()))
            steps.append(
                Step(
                    path,
                    line,
                    first,
                    tuple(sorted(taken.items())),
                    rewrote,
                    scanned,
                    seconds,
                    None,
                    counts,
                    outside,
                    index_locks,
                )
            )
    return steps


def _nodes(conn: psycopg.Connection[Any], oids: list[int]) -> dict[int, int]:
    """Each table's relfilenode: a new one is a rewritten table."""
    return dict(conn.execute("SELECT oid, relfilenode FROM pg_class WHERE oid = ANY(%s)", [oids]).fetchall())


def _outside(
    url: str, conn: psycopg.Connection[Any], pid: int, text: str, oids: list[int], names: list[str]
) -> tuple[float, list[Any]]:
    """Run a statement that cannot run in a transaction, and read its locks while it waits for a
    writer (a second connection holding ROW EXCLUSIVE on every existing table), then let the
    writer go. A statement that waits for nobody is over before it can be watched: no lock then.
    Its time is counted from when the writer is let go (or from its start, if it never waited)."""
    failure: list[BaseException] = []
    done = threading.Event()
    finished = [0.0]

    def run() -> None:
        try:
            conn.execute(text)
        except BaseException as exc:  # reported by the caller, after the writer is let go
            failure.append(exc)
        finally:
            finished[0] = perf_counter()
            done.set()

    seen: list[Any] = []
    with pg.connect(url) as writer, pg.connect(url) as watcher:
        writer.execute("BEGIN")
        if names:
            writer.execute(f"LOCK TABLE {', '.join(names)} IN ROW EXCLUSIVE MODE")
        start = perf_counter()
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        while not done.is_set() and perf_counter() < start + 30:
            rows = watcher.execute(_LOCKS, [pid, oids]).fetchall()
            waiting = watcher.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [pid]).fetchone()
            if waiting and waiting[0]:
                seen = rows
                start = perf_counter()
                break
            sleep(0.001)
        writer.execute("ROLLBACK")
        thread.join()
    if failure:
        raise failure[0]
    return finished[0] - start, seen


@dataclass(frozen=True)
class Verdict:
    """A lint finding beside what running its statement showed: do they agree?"""

    where: str  # file:line
    rule: str
    claimed: tuple[str, ...]  # the rule's `shows`
    saw: tuple[str, ...]  # the same facts, as the run showed them
    agree: bool | None  # None: the statement did not run (an earlier one failed)

    def __str__(self) -> str:
        claimed, saw = ", ".join(self.claimed), ", ".join(self.saw) or "nothing of that"
        if self.agree is None:
            return f"{self.where}: {self.rule} says {claimed}; not run (a statement before it failed)"
        verdict = "agree" if self.agree else "DISAGREE"
        return f"{self.where}: {verdict}: {self.rule} says {claimed}; PostgreSQL showed {saw}"


def facts(step: Step) -> tuple[str, ...]:
    """What a step showed, in the words of Rule.shows: its strongest lock, rewrite, scan, fails."""
    modes = [mode for _, mode in step.locks] + ["ACCESS EXCLUSIVE" for _ in step.stalls]  # what queries meet
    strongest = max(modes, key=STRENGTH.__getitem__, default=None)
    out = [strongest] if strongest else []
    out += ["rewrite"] if step.rewrote else []
    out += ["scan"] if step.scanned else []
    out += ["fails"] if step.error else []
    return tuple(out)


def verdicts(problems: Sequence[Any], observed: Probe, folder: Path | None = None) -> list[Verdict]:
    """Each lint Problem whose rule says what a run shows, against the step at its file and line."""
    steps = {(step.path.name, step.line): step for step in observed.steps}
    failed = {step.path.name: step.line for step in observed.steps if step.error}
    out: list[Verdict] = []
    for problem in problems:
        claimed: tuple[str, ...] = problem.rule.shows
        if not claimed:
            continue
        where = f"{_where(problem.path, folder)}:{problem.line}"
        step = steps.get((problem.path.name, problem.line))
        if step is None:
            if problem.line > failed.get(problem.path.name, problem.line):
                out.append(Verdict(where, problem.rule.key, claimed, (), None))
            continue  # else a line no statement starts on (Atlas dates some findings to the file)
        saw = facts(step)
        if not any(step.rows.get(table, 0) for table, _ in step.locks):
            claimed = tuple(f for f in claimed if f != "scan")  # nothing to scan: not a disagreement
        lock = _lock(claimed)
        agree = {f for f in claimed if f not in STRENGTH} <= set(saw) and lock in (None, _lock(saw))
        out.append(Verdict(where, problem.rule.key, claimed, saw, agree))
    return out


def _lock(facts: tuple[str, ...]) -> str | None:
    return next((fact for fact in facts if fact in STRENGTH), None)
