"""The table layer and the checked queries (async): what every generated class of
chatmaps_db.access and chatmaps_db.queries runs. The sync twin, _access.py, is derived from this file.

A table class (or the queries) is bound either to an AsyncDatabase (`db.users`, `db.queries`:
each call is one statement on a pooled connection, in autocommit, so a get costs one round
trip) or to a connection (`tx.users` inside db.transaction(): its calls are part of that
transaction). The generated methods are typed per table or query and hand their arguments to
the methods below in a fixed order; a table's SQL comes from its Spec (_spec.py), built once
per call shape, a query's from its QuerySpec, prepared and described at generate time.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import psycopg
import psycopg.errors as pe
from psycopg import AsyncCursor
from psycopg.pq import Format

from chatmaps_db import _load
from chatmaps_db._observe import AsyncRawCursor, _Observed
from chatmaps_db._spec import QuerySpec, RowMaker, Spec, row_maker, unwritable, violation
from chatmaps_db._types import Changes, Row, json_param
from chatmaps_db._where import AllRows, Columns, Condition, Load, condition_on
from chatmaps_db.access import AsyncConnection
from chatmaps_db.errors import RowSkipped, SchemaMismatch
from chatmaps_db.schema_check import APPLY

if TYPE_CHECKING:
    from chatmaps_db.db_async import AsyncDatabase

R = TypeVar("R", bound=Row)
# What a statement checked at generate time meets in a database without the migrations.
_MISSING = (pe.UndefinedTable, pe.UndefinedColumn, pe.UndefinedObject, pe.UndefinedFunction)
# pg_trigger.tgtype bits: a row trigger (1) that fires BEFORE (2) on INSERT (4) or UPDATE (16).
_CURSORS = itertools.count(1)  # names of iter()'s server-side cursors, unique in a process
_BEFORE_INSERT, _BEFORE_UPDATE = 4, 16
_SKIPPERS_SQL = (
    "SELECT tgname FROM pg_catalog.pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
    "AND tgenabled <> 'D' AND tgtype & 3 = 3 AND tgtype & %s <> 0 ORDER BY tgname"
)
InsertT = TypeVar("InsertT", bound=Changes)
UpdateT = TypeVar("UpdateT", bound=Changes)
T = TypeVar("T", bound=Row)


class AsyncBound:
    """Bound to an AsyncDatabase (one pooled statement per call) or to one of its connections."""

    def __init__(self, source: AsyncDatabase | AsyncConnection) -> None:
        if isinstance(source, AsyncConnection):
            self._db: AsyncDatabase | None = None
            self._conn: AsyncConnection | None = source
            self._validate = source.validate_rows
        else:
            self._db = source
            self._conn = None
            self._validate = source.settings.validate_rows

    def __repr__(self) -> str:
        return f"<{type(self).__name__} on {self._db if self._db is not None else self._conn!r}>"

    def _connection(self, *, read: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        """The connection a call runs on: the bound one, or one statement's from the database's pool
        (a read replica's when `read` and DATABASE_REPLICA_URLS has one)."""
        if self._conn is not None:
            return nullcontext(self._conn)
        assert self._db is not None
        return self._db._statement(read=read)

    @staticmethod
    async def _execute(
        cur: AsyncCursor[Any],
        sql: str,
        params: Sequence[Any],
        binary: bool,
        what: str,
        call: str,
        *,
        many: bool = False,
        table: str | None = None,
    ) -> None:
        """Execute one statement of `what` (a table, a query) for `call` (users.list: query events
        name it), or with `many` the statement once per parameter row, pipelined, each result kept
        (RETURNING); a broken constraint raises the package's error (violation()), and a table,
        column or type the database lacks SchemaMismatch."""
        if isinstance(cur, _Observed):
            cur._call, cur._sql = call, sql
            cur._table = table or (None if what.startswith("query ") else what)
        try:
            if many:
                await cur.executemany(sql, params, returning=True)
            else:
                await cur.execute(sql, params, binary=binary)
        except psycopg.IntegrityError as exc:
            ours = violation(exc)
            if ours is None:
                raise
        except _MISSING as exc:
            # Statements checked against the migrations at generate time: this database is not at them.
            # Not an error raised inside a function or trigger (it has a CONTEXT): that is the function's.
            if exc.diag.context is not None:
                raise
            raise _mismatch(what, exc) from exc
        else:
            return
        # Raised here, outside the except block, so that no traceback or logger prints psycopg's error,
        # whose DETAIL holds the row's values (a token, an email): it is ours.pg_error.
        raise ours


class AsyncRelation(AsyncBound, Generic[R]):
    """Reads, for every table and view: list(), count(), and get_by_<key>() per unique key."""

    _spec: ClassVar[Spec]
    _row: ClassVar[type[Row]]
    c: ClassVar[Columns]  # the table's columns, for where= conditions
    _with: ClassVar[type[Row]]  # its row with relations, what load= returns
    _load_class: ClassVar[type[Load]]  # what load= takes
    _name: ClassVar[str]  # its attribute (db.users): query events name calls users.list

    def __init__(self, source: AsyncDatabase | AsyncConnection) -> None:
        super().__init__(source)
        self._makers: dict[tuple[bool, bool], RowMaker] = {}
        self._oids: tuple[int, ...] | None = None  # the columns' type oids, for COPY

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._spec.table} on {self._db if self._db is not None else self._conn!r}>"

    # -- running statements ------------------------------------------------------------------

    def _maker(self, validate: bool | None, *, loading: bool = False) -> RowMaker:
        """Rows as the row model (loading: as its With model, which holds relations)."""
        check = self._validate if validate is None else validate
        maker = self._makers.get((check, loading))
        if maker is None:
            cls = self._with if loading else self._row
            maker = self._makers[(check, loading)] = row_maker(cls, self._spec, validate=check)
        return maker

    def _loading(self, method: str, load: Any) -> Load:
        if type(load) is not Load and not isinstance(load, self._load_class):  # Load itself: generic code's
            raise TypeError(
                f"{self._spec.table}.{method}: load= takes a {self._load_class.__name__}, not {type(load).__name__}"
            )
        if load.where is not None or load.order_by != () or load.limit is not None:
            raise ValueError(
                f"{self._spec.table}.{method}: the rows' own where=, order_by= and limit= are {method}()'s arguments, "
                "not load='s (a relation's Load takes them)"
            )
        _load.check(self._spec, type(self.c), load)
        return load

    async def _fetch_loaded(
        self,
        method: str,
        sql: str,
        params: Sequence[Any],
        validate: bool | None,
        load: Any,
        known: dict[str, Any] | None = None,
    ) -> list[Any]:
        """The rows of a SELECT as the With model, with `load`'s relations: one statement per relation
        per level, on the same connection. `known`: the fields a get() looked the row up by; the
        relations found by them alone are asked for with the row, in one round trip (pipelined)."""
        load = self._loading(method, load)
        sql, params, maker = self._counting(sql, params, self._maker(validate, loading=True), load)
        check = self._validate if validate is None else validate
        spec, columns = self._spec, type(self.c)
        early = _load.steps(spec, columns, [_Known(known)], load, check, known=list(known)) if known else []
        async with self._connection(read=True) as conn:
            if not early:
                rows = await (await self._run(conn, method, sql, params, maker)).fetchall()
                await self._load_relations(conn, method, rows, load, validate)
                return rows
            try:
                async with conn.pipeline():
                    cur = await self._run(conn, method, sql, params, maker)
                    # In a pipeline an error may surface at a later statement's send: each says the row's table.
                    cursors = [await self._step_cursor(conn, method, step, spec.table) for step in early]
            except _MISSING as exc:  # in a pipeline, raised at its end (_execute says why)
                if exc.diag.context is not None:
                    raise
                raise _mismatch(spec.table, exc) from exc
            rows = await cur.fetchall()
            below = [
                (step.spec, step.columns, _load.attach(step, rows, await c.fetchall() if c else []), step.load)
                for step, c in zip(early, cursors, strict=True)
            ]
            await self._load_relations(
                conn, method, rows, load, validate, done=[step.name for step in early], below=below
            )
        return rows

    async def _step_cursor(
        self, conn: AsyncConnection, method: str, step: _load.Step, what: str = ""
    ) -> AsyncCursor[Any] | None:
        """The cursor of one load= statement of `method`, executed (None when it has nothing to ask);
        `what` its errors name (the related table's by default)."""
        if not step.sql:
            return None
        cur: AsyncCursor[Any] = conn.cursor()
        call = f"{self._name}.{method}"
        table = step.spec.table
        await self._execute(cur, step.sql, step.params, step.spec.binary, what or table, call, table=table)
        return cur

    def _counting(
        self, sql: str, params: Sequence[Any], maker: RowMaker, load: Load
    ) -> tuple[str, list[Any], RowMaker]:
        """The rows' SELECT with load='s count= columns after the table's own, and a maker that keeps them."""
        extra, values = _load.counts(self._spec, type(self.c), load)
        if not extra:
            return sql, list(params), maker
        spec = self._spec
        return (
            _load.with_columns(spec, sql, extra),
            [*values, *params],
            _load.counted(maker, 0, len(spec.columns), load),
        )

    async def _load_relations(
        self,
        conn: AsyncConnection,
        method: str,
        rows: list[Any],
        load: Load,
        validate: bool | None,
        *,
        done: Sequence[str] = (),
        below: Sequence[tuple[Spec, type[Columns], list[Any], Load]] = (),
    ) -> None:
        """Level by level, `load`'s relations onto `rows`: but those `done`, whose rows are `below`."""
        check = self._validate if validate is None else validate
        level: list[tuple[Spec, type[Columns], list[Any], Load]] = [(self._spec, type(self.c), rows, load)]
        while level:
            deeper = list(below)
            for spec, columns, parents, wanted in level:
                if not parents:
                    continue
                for step in _load.steps(spec, columns, parents, wanted, check, done=done):
                    cur = await self._step_cursor(conn, method, step)
                    found = await cur.fetchall() if cur else []
                    deeper.append((step.spec, step.columns, _load.attach(step, parents, found), step.load))
            level, done, below = deeper, (), ()

    async def _run(
        self, conn: AsyncConnection, method: str, sql: str, params: Sequence[Any], maker: RowMaker | None = None
    ) -> AsyncCursor[Any]:
        cur: AsyncCursor[Any] = conn.cursor() if maker is None else conn.cursor(row_factory=lambda _: maker)
        await self._execute(cur, sql, params, self._spec.binary, self._spec.table, f"{self._name}.{method}")
        return cur

    async def _fetch(
        self, method: str, sql: str, params: Sequence[Any], validate: bool | None, *, read: bool = False
    ) -> list[Any]:
        """The rows of one statement of `method`, as the row model; `read`: a SELECT, which a replica may run."""
        maker = self._maker(validate)
        async with self._connection(read=read) as conn:
            return await (await self._run(conn, method, sql, params, maker)).fetchall()

    async def _scalar(self, method: str, sql: str, params: Sequence[Any], *, read: bool = True) -> Any:
        """The first value of a SELECT (count), which a replica may run when `read`."""
        async with self._connection(read=read) as conn:
            row = await (await self._run(conn, method, sql, params)).fetchone()
        return row[0] if row else None

    async def _rowcount(self, method: str, sql: str, params: Sequence[Any]) -> int:
        async with self._connection() as conn:
            return (await self._run(conn, method, sql, params)).rowcount

    # -- reads -------------------------------------------------------------------------------

    async def _get(self, key: int, values: Sequence[Any], validate: bool | None, load: Any = None) -> R | None:
        spec = self._spec
        sql, params = spec.select_by_key(key), spec.key_values(key, values)
        if load is not None:
            known = spec.plain_key(key)
            rows = await self._fetch_loaded(
                "get", sql, params, validate, load, dict(zip(known, values, strict=True)) if known else None
            )
        else:
            rows = await self._fetch("get", sql, params, validate, read=True)
        return rows[0] if rows else None

    async def _list(
        self,
        filters: Sequence[Any],
        where: Any,
        order_by: str | Sequence[str],
        after: Row | None,
        limit: int | None,
        offset: int,
        validate: bool | None,
        load: Any = None,
    ) -> list[R]:
        sql, params = self._select("list", filters, where, order_by, after, limit, offset)
        if load is not None:
            return await self._fetch_loaded("list", sql, params, validate, load)
        return await self._fetch("list", sql, params, validate, read=True)

    async def _iter(
        self,
        filters: Sequence[Any],
        where: Any,
        order_by: str | Sequence[str],
        after: Row | None,
        limit: int | None,
        offset: int,
        validate: bool | None,
        batch: int,
        load: Any = None,
    ) -> AsyncIterator[R]:
        """list()'s rows through a server-side cursor, `batch` at a time: memory flat in the row count.
        The cursor lives in a transaction (a savepoint inside tx) that ends when the loop does."""
        if type(batch) is not int or batch < 1:
            raise ValueError(f"{self._spec.table}.iter: batch is a whole number, 1 or more (got {batch!r})")
        sql, params = self._select("iter", filters, where, order_by, after, limit, offset)
        loading = None if load is None else self._loading("iter", load)
        build = self._maker(validate, loading=loading is not None)
        if loading is not None:
            sql, params, build = self._counting(sql, params, build, loading)
        async with self._connection(read=True) as conn, conn.transaction():
            # A page of psycopg's tuples at a time (its C path), each row built as it is handed out:
            # 2.9 us a row where a row factory (a list per row, then the maker) took 3.7.
            cur = conn.cursor(f"chatmaps_iter_{next(_CURSORS)}")
            if isinstance(cur, _Observed):
                cur._call, cur._sql, cur._table = f"{self._name}.iter", sql, self._spec.table
            try:
                await cur.execute(sql, params, binary=self._spec.binary)
                while True:
                    rows = await cur.fetchmany(batch)
                    if loading is None:
                        for row in rows:
                            yield build(row)
                    else:  # the relations of a page at a time: one statement per relation per page
                        built = [build(row) for row in rows]
                        await self._load_relations(conn, "iter", built, loading, validate)
                        for row in built:
                            yield row
                    if len(rows) < batch:
                        break
            finally:
                await cur.close()

    def _select(
        self,
        method: str,
        filters: Sequence[Any],
        where: Any,
        order_by: str | Sequence[str],
        after: Row | None,
        limit: int | None,
        offset: int,
    ) -> tuple[str, list[Any]]:
        """The SELECT of list() and iter(), and its parameters; the SQL is cached per call shape
        (not with a where= condition, whose shapes are the caller's: built each time, no cache to grow)."""
        spec = self._spec
        if limit is not None and (type(limit) is not int or limit < 0):  # PostgreSQL would say it, after a round trip
            raise ValueError(f"{spec.table}.{method}: limit is a whole number, 0 or more (got {limit!r})")
        if type(offset) is not int or offset < 0:
            raise ValueError(f"{spec.table}.{method}: offset is a whole number, 0 or more (got {offset!r})")
        params: list[Any] = []
        shape, clause = self._where(method, filters, where, params)
        order = spec.order_key(order_by, after is not None) if order_by != () or after is not None else ()
        nulls = None
        if after is not None:
            if not isinstance(after, self._row):
                raise TypeError(f"{spec.table}: after= takes a {self._row.__name__}, not {type(after).__name__}")
            nulls, beyond = spec.after(order, after, params)
            clause = f"{clause} AND ({beyond})" if clause else f" WHERE {beyond}"
        if limit is not None:
            params.append(limit)
        if offset:
            params.append(offset)
        key = ("list", shape, order, nulls, limit is None, offset == 0)
        sql = spec.cache.get(key) if shape is not None else None
        if sql is None:
            sql = f"SELECT {spec.select} FROM {spec.from_sql}{clause}"
            if order:
                sql += f" ORDER BY {spec.order_sql(order)}"
            if limit is not None:
                sql += " LIMIT %s"
            if offset:
                sql += " OFFSET %s"
            if shape is not None:
                spec.cache[key] = sql
        return sql, params

    def _where(self, method: str, filters: Sequence[Any], where: Any, params: list[Any]) -> tuple[Any, str]:
        """(the cache key of the WHERE clause, or None when it holds a condition; ` WHERE ...` or "")
        for the keyword filters and the where= condition; their parameters are added to `params`."""
        shape, clause = self._spec.where(filters, params)
        condition = self._condition(method, where)
        if condition is None or condition.sql == "TRUE":
            return shape, clause
        params.extend(condition.params)
        return None, f"{clause} AND ({condition.sql})" if clause else f" WHERE {condition.sql}"

    def _condition(self, method: str, where: Any) -> Condition[Any] | None:
        """where= as a Condition on this table (a function of the columns is called with db.<table>.c);
        refused before any SQL is sent when it is not one."""
        return condition_on(where, self.c, f"{self._spec.table}.{method}")

    async def _count(self, filters: Sequence[Any], where: Any) -> int:
        return int(await self._scalar("count", *self._summary("count", "SELECT count(*) FROM {rows}", filters, where)))

    async def _exists(self, filters: Sequence[Any], where: Any) -> bool:
        return bool(
            await self._scalar("exists", *self._summary("exists", "SELECT EXISTS (SELECT FROM {rows})", filters, where))
        )

    def _summary(self, method: str, template: str, filters: Sequence[Any], where: Any) -> tuple[str, list[Any]]:
        """`template` over the rows the filters and condition select ({rows}: the table and its WHERE),
        and its parameters; the SQL is cached per call shape, as _select's."""
        spec = self._spec
        params: list[Any] = []
        shape, clause = self._where(method, filters, where, params)
        sql = spec.cache.get((method, shape)) if shape is not None else None
        if sql is None:
            sql = template.format(rows=f"{spec.from_sql}{clause}")
            if shape is not None:
                spec.cache[(method, shape)] = sql
        return sql, params


class AsyncTable(AsyncRelation[R], Generic[R, InsertT, UpdateT]):
    """A table: the reads, plus insert() and insert_many(); get/update/delete/upsert where it has
    a primary key (generated per table, typed by its key)."""

    _insert_model: ClassVar[type[Changes]]
    _update_model: ClassVar[type[Changes]]

    async def insert(self, row: InsertT, *, validate: bool | None = None) -> R:
        """Insert one row (the fields set in `row`; the rest take their defaults); the row as stored
        (RowSkipped if a BEFORE INSERT trigger returned NULL for it: nothing was written)."""
        data = self._changes(row, self._insert_model, "insert").to_db()
        rows = await self._fetch("insert", self._insert_sql(data), list(data.values()), validate)
        return rows[0] if rows else await self._skipped("insert", _BEFORE_INSERT)  # type: ignore[no-any-return]

    async def insert_many(self, rows: Iterable[InsertT]) -> int:
        """Insert every row with COPY (binary where every column's type allows); how many were written
        (fewer than given when a BEFORE INSERT trigger returned NULL for some: PostgreSQL's count).

        Rows are grouped by the fields they set (one COPY per group, in one transaction):
        a field left out takes the column's default, which COPY cannot say per row.
        """
        groups: dict[frozenset[str], list[Any]] = {}
        seen: set[str] | None = None
        current: list[Any] = []
        cls = self._insert_model
        for row in rows:
            if type(row) is not cls:
                self._changes(row, cls, "insert_many")
            given = row.__pydantic_fields_set__
            if given != seen:
                current = groups.setdefault(frozenset(given), [])
                seen = given
            current.append(row)
        if not groups:
            return 0
        async with self._connection() as conn:
            if len(groups) == 1:
                return await self._copy_groups(conn, groups)
            async with conn.transaction():  # one COPY per group, all or none
                return await self._copy_groups(conn, groups)

    async def _copy_groups(self, conn: AsyncConnection, groups: dict[frozenset[str], list[Any]]) -> int:
        spec = self._spec
        oids = self._oids
        if oids is None:
            oids = self._oids = await _column_oids(conn, spec.from_sql, spec.select)
        total = 0
        for given, rows in groups.items():
            columns = [i for i, f in enumerate(spec.fields) if f in given]
            if not columns:  # rows of defaults only: COPY needs a column, INSERT ... SELECT does not
                cur = await conn.execute(f"INSERT INTO {spec.from_sql} SELECT FROM generate_series(1, %s)", [len(rows)])
                total += cur.rowcount
                continue
            names = [spec.fields[i] for i in columns]
            get = itemgetter(*names) if len(names) > 1 else (lambda d, n=names[0]: (d[n],))
            kinds = dict(spec.json)
            json = tuple((j, kinds[i]) for j, i in enumerate(columns) if i in kinds)
            total += await _copy(
                conn,
                spec.from_sql,
                [spec.quoted[i] for i in columns],
                [oids[i] for i in columns],
                (get(row.__dict__) for row in rows),
                json,
            )
        return total

    async def insert_many_and_return(self, rows: Iterable[InsertT], *, validate: bool | None = None) -> list[R]:
        """Insert every row and return them as stored (defaults filled in), in the order given:
        INSERT ... RETURNING, one statement per row pipelined in one round trip per group of rows
        that set the same fields, in one transaction (all or none). Slower than insert_many()'s
        COPY: use it when the new rows (their ids) are needed. A row a BEFORE INSERT trigger
        skipped is not in the list."""
        spec = self._spec
        groups: list[tuple[str, list[list[Any]]]] = []
        shape: tuple[str, ...] | None = None
        for row in rows:
            data = self._changes(row, self._insert_model, "insert_many_and_return").to_db()
            if tuple(data) != shape:
                shape = tuple(data)
                groups.append((self._insert_sql(data), []))
            groups[-1][1].append(list(data.values()))
        if not groups:
            return []
        maker = self._maker(validate)
        out: list[R] = []
        async with self._connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=lambda _: maker)
            for sql, params in groups:
                await self._execute(
                    cur, sql, params, spec.binary, spec.table, f"{self._name}.insert_many_and_return", many=True
                )
                while True:
                    out.extend(await cur.fetchall())
                    if not cur.nextset():
                        break
        return out

    async def _skipped(self, method: str, events: int) -> Any:
        """Raise RowSkipped: `method` (insert, upsert) returned no row, which only a BEFORE row
        trigger returning NULL does; named from the catalog (looked up only now, on this path)."""
        spec = self._spec
        event = "INSERT" if events == _BEFORE_INSERT else "INSERT or UPDATE"
        try:
            async with self._connection() as conn:
                cur = await conn.execute(_SKIPPERS_SQL, (spec.from_sql.replace("%%", "%"), events))
                names = tuple(r[0] for r in await cur.fetchall())
        except psycopg.Error:
            names = ()
        which = (
            f"trigger {', '.join(names)} (BEFORE {event})" if names else f"a BEFORE {event} trigger (of a partition?)"
        )
        raise RowSkipped(
            f"{spec.table}.{method} wrote no row: {which} returned NULL for it, so there is no row to return",
            table=spec.table,
            triggers=names,
        )

    def _changes(self, row: Any, cls: type[Changes], method: str) -> Changes:
        if not isinstance(row, cls):
            raise TypeError(f"{self._spec.table}.{method} takes {cls.__name__}, not {type(row).__name__}")
        return row

    def _insert_sql(self, data: dict[str, Any]) -> str:
        """INSERT of the columns `data` sets, RETURNING the row (cached per set of columns)."""
        spec = self._spec
        key = ("insert", tuple(data))
        sql = spec.cache.get(key)
        if sql is None:
            sql = spec.cache[key] = f"INSERT INTO {spec.from_sql} {self._values(data)} RETURNING {spec.select}"
        return sql

    def _sets(self, data: dict[str, Any]) -> str:
        """`"a" = %s::type, ...`: UPDATE's SET of the columns `data` sets."""
        spec = self._spec
        return ", ".join(f"{spec.quoted[i]} = {spec.param[i]}" for i in (spec.by_column[c] for c in data))

    def _values(self, data: dict[str, Any]) -> str:
        if not data:
            return "DEFAULT VALUES"
        spec = self._spec
        at = [spec.by_column[c] for c in data]
        return f"({', '.join(spec.quoted[i] for i in at)}) VALUES ({', '.join(spec.param[i] for i in at)})"

    async def _update(self, key: Sequence[Any], changes: Changes, validate: bool | None) -> R | None:
        if type(changes) is not self._update_model:  # another table's Update would write its columns here
            raise TypeError(
                f"{self._spec.table}.update takes {self._update_model.__name__}, not {type(changes).__name__}"
            )
        data = changes.to_db()
        if not data:
            return await self._get(0, key, validate)
        spec = self._spec
        cache_key = ("update", tuple(data))
        sql = spec.cache.get(cache_key)
        if sql is None:
            sql = spec.cache[cache_key] = (
                f"UPDATE {spec.from_sql} SET {self._sets(data)} WHERE {spec.key_where(0)} RETURNING {spec.select}"
            )
        rows = await self._fetch("update", sql, [*data.values(), *spec.key_values(0, key)], validate)
        return rows[0] if rows else None

    def _bulk_where(self, method: str, where: Any, params: list[Any]) -> str:
        """` WHERE ...` of update_where()/delete_where(), "" for ALL_ROWS; a condition that holds for
        every row without saying so (all_of() of nothing) is refused: a filter left empty by mistake."""
        if isinstance(where, AllRows):
            return ""
        condition = self._condition(method, where)
        if condition is None or condition.sql == "TRUE":
            raise ValueError(
                f"{self._spec.table}.{method}: the condition is empty, which would write every row: "
                "pass ALL_ROWS (from chatmaps_db) to mean every row"
            )
        params.extend(condition.params)
        return f" WHERE {condition.sql}"

    def _update_where_sql(
        self, method: str, where: Any, changes: Changes, returning: bool
    ) -> tuple[str, list[Any], bool]:
        """UPDATE the rows `where` holds for with the fields set in `changes` (RETURNING them when asked),
        its parameters, and whether it writes: with no field set, the SELECT of the rows (or their count)."""
        spec = self._spec
        if type(changes) is not self._update_model:
            raise TypeError(f"{spec.table}.{method} takes {self._update_model.__name__}, not {type(changes).__name__}")
        data = changes.to_db()
        params: list[Any] = list(data.values())
        clause = self._bulk_where(method, where, params)
        if not data:
            return f"SELECT {spec.select if returning else 'count(*)'} FROM {spec.from_sql}{clause}", params, False
        sql = f"UPDATE {spec.from_sql} SET {self._sets(data)}{clause}"
        return (f"{sql} RETURNING {spec.select}" if returning else sql), params, True

    async def _update_where(self, where: Any, changes: Changes) -> int:
        sql, params, writes = self._update_where_sql("update_where", where, changes, False)
        if not writes:
            return int(await self._scalar("update_where", sql, params, read=False))
        return await self._rowcount("update_where", sql, params)

    async def _update_where_and_return(self, where: Any, changes: Changes, validate: bool | None) -> list[R]:
        sql, params, _ = self._update_where_sql("update_where_and_return", where, changes, True)
        return await self._fetch("update_where_and_return", sql, params, validate)

    async def _delete_where(self, where: Any) -> int:
        params: list[Any] = []
        clause = self._bulk_where("delete_where", where, params)
        return await self._rowcount("delete_where", f"DELETE FROM {self._spec.from_sql}{clause}", params)

    async def _delete_where_and_return(self, where: Any, validate: bool | None) -> list[R]:
        spec = self._spec
        params: list[Any] = []
        clause = self._bulk_where("delete_where_and_return", where, params)
        sql = f"DELETE FROM {spec.from_sql}{clause} RETURNING {spec.select}"
        return await self._fetch("delete_where_and_return", sql, params, validate)

    async def _delete(self, key: Sequence[Any]) -> bool:
        spec = self._spec
        sql = spec.cache.get("delete")
        if sql is None:
            sql = spec.cache["delete"] = f"DELETE FROM {spec.from_sql} WHERE {spec.key_where(0)}"
        return await self._rowcount("delete", sql, spec.key_values(0, key)) > 0

    async def _upsert(self, row: InsertT, on: str, update: Sequence[str] | None, validate: bool | None) -> R:
        data = self._changes(row, self._insert_model, "upsert").to_db()
        spec = self._spec
        key = spec.keys[self._key_index("upsert", on)]
        columns = None if update is None else self._update_columns(update, data)
        cache_key = ("upsert", on, tuple(data), columns)
        sql = spec.cache.get(cache_key)
        if sql is None:
            # By default every field given is written, the key's own too (the same value, or for
            # lower(email) the new spelling). With update=: those fields only. With none to write, a
            # no-op SET of the key still makes RETURNING return the existing row.
            updated = list(data if columns is None else columns) or [key.columns[0]]
            sets = ", ".join(
                f"{spec.quoted[spec.by_column[c]]} = EXCLUDED.{spec.quoted[spec.by_column[c]]}" for c in updated
            )
            sql = spec.cache[cache_key] = (
                f"INSERT INTO {spec.from_sql} {self._values(data)} ON CONFLICT ({self._target(key.sql)}) "
                f"DO UPDATE SET {sets} RETURNING {spec.select}"
            )
        rows = await self._fetch("upsert", sql, list(data.values()), validate)
        return rows[0] if rows else await self._skipped("upsert", _BEFORE_INSERT | _BEFORE_UPDATE)  # type: ignore[no-any-return]

    async def _insert_if_absent(self, row: InsertT, on: str | None, validate: bool | None) -> R | None:
        data = self._changes(row, self._insert_model, "insert_if_absent").to_db()
        spec = self._spec
        cache_key = ("insert_if_absent", on, tuple(data))
        sql = spec.cache.get(cache_key)
        if sql is None:
            # on=None: a conflict on any unique key (or exclusion constraint) skips the row.
            target = "" if on is None else f"({self._target(spec.keys[self._key_index('insert_if_absent', on)].sql)}) "
            sql = spec.cache[cache_key] = (
                f"INSERT INTO {spec.from_sql} {self._values(data)} ON CONFLICT {target}DO NOTHING RETURNING {spec.select}"
            )
        rows = await self._fetch("insert_if_absent", sql, list(data.values()), validate)
        return rows[0] if rows else None

    def _key_index(self, method: str, on: str) -> int:
        spec = self._spec
        index = spec.key_named.get(on)
        if index is None:
            raise ValueError(
                f"{spec.table}.{method}: on={on!r} is not one of its keys ({', '.join(k.name for k in spec.keys)})"
            )
        return index

    @staticmethod
    def _target(parts: Sequence[str]) -> str:
        """ON CONFLICT's target: the key's columns, an expression part in parentheses (lower(email))."""
        return ", ".join(f"({part})" if "(" in part else part for part in parts)

    def _update_columns(self, update: Sequence[str], data: dict[str, Any]) -> tuple[str, ...]:
        """The columns upsert(update=[fields]) writes on a conflict: each a field the row sets, since
        for one it leaves out PostgreSQL's EXCLUDED row holds the column's default, not the stored value."""
        spec = self._spec
        if not isinstance(update, list | tuple):
            raise TypeError(f"{spec.table}.upsert: update= takes a list of field names, not {type(update).__name__}")
        out = []
        for name in update:
            at = spec.fields.index(name) if name in spec.fields else -1
            if at < 0:
                raise ValueError(f"{spec.table}.upsert: update names {name!r}, which is not one of its fields")
            if spec.columns[at] not in data:
                raise ValueError(
                    f"{spec.table}.upsert: update names {name!r}, which the row does not set: give it a value "
                    "(None writes NULL) or leave it out of update"
                )
            out.append(spec.columns[at])
        return tuple(out)


class AsyncQueryRunner(AsyncBound):
    """What the methods of db.queries run: one per kind of query (:one, :many, :exec, :execrows,
    :copyfrom). The SQL is the file's, with PostgreSQL's own $n placeholders (a RawCursor)."""

    def __init__(self, source: AsyncDatabase | AsyncConnection) -> None:
        super().__init__(source)
        self._oids: dict[str, tuple[int, ...]] = {}  # :copyfrom's columns' type oids, per query

    def _maker(self, spec: QuerySpec, row: type[Row], validate: bool | None) -> RowMaker:
        check = self._validate if validate is None else validate
        maker = spec.makers.get((row, check))
        if maker is None:
            maker = spec.makers[(row, check)] = row_maker(row, spec, validate=check)
        return maker

    async def _cursor(
        self, conn: AsyncConnection, spec: QuerySpec, params: Sequence[Any], maker: RowMaker | None = None
    ) -> AsyncCursor[Any]:
        if spec.json:
            params = _wrap_json(params, spec.json)
        raw = AsyncRawCursor if conn._observed else psycopg.AsyncRawCursor  # timed only while watched
        cur: AsyncCursor[Any] = raw(conn) if maker is None else raw(conn, row_factory=lambda _: maker)
        await self._execute(cur, spec.sql, params, spec.binary, f"query {spec.name}", spec.call)
        return cur

    async def _one(self, spec: QuerySpec, row: type[T], params: Sequence[Any], validate: bool | None) -> T | None:
        async with self._connection(read=spec.read) as conn:
            cur = await self._cursor(conn, spec, params, self._maker(spec, row, validate))
            return await cur.fetchone()

    async def _many(self, spec: QuerySpec, row: type[T], params: Sequence[Any], validate: bool | None) -> list[T]:
        async with self._connection(read=spec.read) as conn:
            return await (await self._cursor(conn, spec, params, self._maker(spec, row, validate))).fetchall()

    async def _exec(self, spec: QuerySpec, params: Sequence[Any]) -> None:
        async with self._connection() as conn:
            await self._cursor(conn, spec, params)

    async def _execrows(self, spec: QuerySpec, params: Sequence[Any]) -> int:
        async with self._connection() as conn:
            return (await self._cursor(conn, spec, params)).rowcount

    async def _copyfrom(self, spec: QuerySpec, rows: Iterable[Sequence[Any]]) -> int:
        assert spec.copy is not None
        table, columns = spec.copy
        async with self._connection() as conn:
            oids = self._oids.get(spec.name)
            if oids is None:
                oids = self._oids[spec.name] = await _column_oids(conn, table, ", ".join(columns))
            # PostgreSQL's count of the rows written, as :copyfrom in sqlc (a trigger may skip some).
            return await _copy(conn, table, list(columns), list(oids), rows, spec.json)


async def _column_oids(conn: AsyncConnection, table: str, select: str) -> tuple[int, ...]:
    """The type oids of a table's columns, as this database numbers them (COPY's binary format needs them)."""
    cur = await conn.execute(f"SELECT {select} FROM {table} LIMIT 0", ())  # (): a %% in a name is unescaped
    return tuple(d.type_code for d in cur.description or ())


async def _copy(
    conn: AsyncConnection,
    table: str,
    columns: list[str],
    oids: list[int],
    rows: Iterable[Sequence[Any]],
    json: tuple[tuple[int, str], ...],
) -> int:
    """COPY rows (value sequences in `columns` order) into `table`: binary when every column's type
    has a binary dumper, else text with json values wrapped; a broken constraint is our error.
    How many rows PostgreSQL wrote (a BEFORE INSERT trigger returning NULL skips one)."""
    binary = all(_has_binary_dumper(conn, oid) for oid in oids)
    target = f"COPY {table} ({', '.join(columns)}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
    bad: TypeError | None = None
    n = 0
    row: Sequence[Any] = ()
    try:
        # Names are written for psycopg's formatting (a % doubled), which a COPY without parameters skips.
        cur = conn.cursor()
        async with cur.copy(target.replace("%%", "%")) as copy:
            try:
                if binary:
                    copy.set_types(oids)
                    for n, row in enumerate(rows, 1):  # noqa: B007 (n names the row that failed)
                        await copy.write_row(row)
                else:
                    for n, row in enumerate(rows, 1):  # noqa: B007 (n names the row that failed)
                        if json:
                            row = _wrap_json(row, json)
                        await copy.write_row(row)
            except (TypeError, ValueError, OverflowError, psycopg.DataError, psycopg.ProgrammingError):
                # A value psycopg cannot write as its column's type (rows are not validated: a
                # NamedTuple, model_construct). Leaving the block aborts the COPY: nothing is written.
                bad = unwritable(conn, table, columns, oids, row, n, binary)
                if bad is None:
                    raise
            if bad is not None:  # raised here, not chained: psycopg's message may quote the value
                raise bad
    except psycopg.IntegrityError as exc:
        ours = violation(exc)
        if ours is None:
            raise
    else:
        return cur.rowcount
    # Outside the except block: psycopg's error (values in its DETAIL) is ours.pg_error only.
    raise ours


def _mismatch(what: str, exc: psycopg.Error) -> SchemaMismatch:
    return SchemaMismatch(
        f"{what}: {exc.diag.message_primary or type(exc).__name__} in this database: it lacks this package's "
        f"migrations: {APPLY}"
    )


class _Known:
    """A get()'s row before it is read: the fields it was looked up by, as load= reads a parent's."""

    def __init__(self, fields: dict[str, Any] | None) -> None:
        self.__dict__.update(fields or {})


def _wrap_json(values: Sequence[Any], json: tuple[tuple[int, str], ...]) -> list[Any]:
    """`values` with the json/jsonb ones at these positions wrapped for psycopg (a dict is not adapted alone)."""
    out = list(values)
    for i, kind in json:
        out[i] = json_param(kind, out[i])
    return out


def _has_binary_dumper(conn: AsyncConnection, oid: int) -> bool:
    try:
        conn.adapters.get_dumper_by_oid(oid, Format.BINARY)
    except psycopg.ProgrammingError:
        return False
    return True
