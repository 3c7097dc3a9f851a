"""Conditions for the table layer's where=: typed per column, combined with &, | and ~.

Each table module has a `<Stem>Columns` class (`db.sessions.c`) with one attribute per column,
an instance of the class below that its type allows: `Text` for text columns (like, ilike,
starts_with, contains...), `Ordered` for numbers, times, uuids, enums (lt, gt, between...),
`Column` for types with `=` only, `Array`, `Jsonb`, `Range`, and `Nullable` (null tests only)
for types without `=` (json, point). mypy rejects an operator the type lacks and a value of the
wrong type; at run time every value is bound as a parameter and sent as its column's type
(`%s::"pg_catalog"."int4"`), never spliced into the SQL.

A `Condition` is its SQL (placeholders only: no value is ever in it) and its parameters. It is
built when the operator is called, so a wrong value is refused there, before any SQL is sent;
PostgreSQL evaluates it, so NULLs follow its three-valued logic: `~c.age.eq(1)` is
`NOT (age = 1)`, which a row whose age is NULL does not satisfy either.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, NoReturn, Self, TypeVar

from pydantic import SerializationInfo, SerializerFunctionWrapHandler, model_serializer

from chatmaps_db._types import Row, json_param

if TYPE_CHECKING:
    from chatmaps_db._spec import Spec

R = TypeVar("R", bound=Row)
T = TypeVar("T", bound=Row)
C = TypeVar("C", bound="Columns")
V = TypeVar("V")
E = TypeVar("E")


class Condition(Generic[R]):
    """A condition on the rows of one table (R: its row model), for where=."""

    __slots__ = ("params", "spec", "sql")

    def __init__(self, spec: Spec | None, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.spec = spec  # None: all_of() / any_of() of nothing, which fits any table
        self.sql = sql
        self.params = params

    def __and__(self, other: Condition[R]) -> Condition[R]:
        return _join("AND", (self, other))

    def __or__(self, other: Condition[R]) -> Condition[R]:
        return _join("OR", (self, other))

    def __invert__(self) -> Condition[R]:
        return Condition(self.spec, f"NOT ({self.sql})", self.params)

    def __bool__(self) -> NoReturn:
        raise TypeError(
            "a condition has no truth value in Python: combine conditions with &, | and ~ "
            "(not `and`, `or`, `not`), and compare a column with .eq(), not =="
        )

    def __repr__(self) -> str:  # the SQL has placeholders only: no value is shown
        return f"<Condition on {self.spec.table if self.spec else 'any table'}: {self.sql}>"


class AllRows:
    """ALL_ROWS: what update_where() and delete_where() take to write every row of the table."""

    _instance: AllRows | None = None

    def __new__(cls) -> AllRows:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ALL_ROWS"


ALL_ROWS = AllRows()


def all_of(*conditions: Condition[R]) -> Condition[R]:
    """Every condition holds (AND); all_of() of nothing holds for every row."""
    return _join("AND", conditions)


def any_of(*conditions: Condition[R]) -> Condition[R]:
    """At least one condition holds (OR); any_of() of nothing holds for no row (as Prisma's OR: [])."""
    return _join("OR", conditions)


_EMPTY = {"AND": "TRUE", "OR": "FALSE"}


def _join(op: str, conditions: Iterable[Condition[Any]]) -> Condition[Any]:
    spec: Spec | None = None
    parts: list[str] = []
    params: list[Any] = []
    for c in conditions:
        if not isinstance(c, Condition):
            raise TypeError(
                f"{op} combines conditions (c.<column>.<operator>(...)), not {type(c).__name__}: "
                "compare a column with .eq(), not =="
            )
        if c.spec is not None:
            if spec is not None and c.spec is not spec:
                raise TypeError(f"cannot combine a condition on {spec.table} with one on {c.spec.table}")
            spec = c.spec
        if c.sql == _EMPTY[op]:  # TRUE AND x is x; FALSE OR x is x
            continue
        parts.append(f"({c.sql})")
        params.extend(c.params)
    if not parts:
        return Condition(spec, _EMPTY[op])
    return Condition(spec, f" {op} ".join(parts) if len(parts) > 1 else parts[0][1:-1], tuple(params))


def condition_on(where: Any, columns: Columns, what: str) -> Condition[Any] | None:
    """where= as a condition on `columns`' table (a function of the columns is called with them), or
    None; refused, naming `what` (public.users.list), before any SQL is sent when it is not one."""
    if where is None:
        return None
    spec = columns._spec
    if callable(where) and not isinstance(where, Condition | AllRows):
        where = where(columns)
    if not isinstance(where, Condition):
        hint = ": to write every row, call update_where/delete_where" if isinstance(where, AllRows) else ""
        raise TypeError(
            f"{what}: where= takes a condition (c.<column>.<operator>(...)) or a function of the "
            f"columns returning one, not {type(where).__name__}{hint}"
        )
    if where.spec is not None and where.spec is not spec:
        raise TypeError(f"{what}: the condition is on {where.spec.table}, not on {spec.table}")
    return where


def _escape(text: str) -> str:
    """`text` matched literally by LIKE: its wildcards (% and _) and the escape character escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Columns:
    """A table's columns, for where=: db.<table>.c.<field>; its relations too (db.users.c.sessions).

    Inside a relation's condition the table is aliased (`"_r1"`, one more each level down), and a
    relation of it correlates with that alias; at the top it is the table itself.
    """

    _spec: Spec

    def __init__(self, alias: str = "", depth: int = 0) -> None:
        self._qualifier = alias or self._spec.from_sql
        self._depth = depth

    if not TYPE_CHECKING:  # for mypy, an unknown column stays an error (attr-defined)

        def __getattr__(self, name: str) -> NoReturn:
            fields = ", ".join(self._spec.fields[:8]) + (", ..." if len(self._spec.fields) > 8 else "")
            raise AttributeError(f"{self._spec.table} has no column {name!r} (its fields: {fields})")


class Nullable(Generic[R]):
    """A column whose type has no `=` (json, point, xml): it can be tested for NULL only."""

    __slots__ = ("_json", "_name", "_param", "_spec", "_subtype", "column")

    def __init__(self, spec: Spec, column: int, subtype: str = "") -> None:
        self._spec = spec
        self.column = column
        self._name = spec.quoted[column]
        self._param = spec.param[column]
        self._json = dict(spec.json).get(column, "")
        self._subtype = subtype  # a range's: what contains(element) sends its value as

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._spec.table}.{self._spec.columns[self.column]}>"

    if not TYPE_CHECKING:  # for mypy, an operator the type lacks stays an error (attr-defined)

        def __getattr__(self, name: str) -> NoReturn:
            if name.startswith("__"):
                raise AttributeError(name)
            ops = sorted(n for n in dir(type(self)) if not n.startswith("_") and n != "column")
            raise AttributeError(
                f"{self._spec.table}.{self._spec.columns[self.column]} has no operator {name}() for its type "
                f"({self._spec.types[self.column]}); it has {', '.join(ops)}"
            )

    def __bool__(self) -> NoReturn:
        raise TypeError(f"{self!r} is a column, not a condition: call one of its operators (.eq(), .is_null() ...)")

    def _op(self, symbol: str, keyword: str = "") -> str:
        """The operator as written for this column: `OPERATOR("extensions".=)` where its type's operators
        are in the type's own schema, else `keyword` (LIKE for ~~) or the symbol."""
        found = self._spec.op(self.column, symbol)
        return keyword if keyword and found == symbol else found

    def _cond(self, sql: str, *params: Any) -> Condition[R]:
        return Condition(self._spec, sql, params)

    def _value(self, method: str, value: Any) -> Any:
        """`value` as psycopg sends it; refused here (before any SQL) when it cannot be one."""
        if value is None:
            raise TypeError(
                f"{self._where(method)}: None is not a value to compare with: use is_null() / is_not_null()"
            )
        # A plain tuple would go as text, '(Ada,Bob)' (a composite's NamedTuple is its value).
        if type(value) is tuple or isinstance(value, Nullable | Condition):
            raise TypeError(
                f"{self._where(method)}: takes a value of the column's type, not {type(value).__name__}"
                + (" (several values are a list)" if type(value) is tuple else "")
            )
        return json_param(self._json, value) if self._json else value

    def _values(self, method: str, values: Iterable[Any], *, one_of: bool = False) -> list[Any]:
        """A list as psycopg sends it: an array column's value, or (one_of) the values in_() compares with."""
        if isinstance(values, str | bytes | dict) or not isinstance(values, Iterable):
            raise TypeError(f"{self._where(method)}: takes a list of values, not {type(values).__name__}")
        out = list(values)
        if not self._json:
            return out
        return json_param(self._json + "[]" if one_of else self._json, out)  # type: ignore[no-any-return]

    def _where(self, method: str) -> str:
        return f"{self._spec.table}.{self._spec.columns[self.column]}.{method}"

    def is_null(self) -> Condition[R]:
        return self._cond(f"{self._name} IS NULL")

    def is_not_null(self) -> Condition[R]:
        return self._cond(f"{self._name} IS NOT NULL")


class Column(Nullable[R], Generic[R, V]):
    """A column whose type has `=`: eq, ne, in_, not_in, distinct_from, and the null tests."""

    __slots__ = ()

    def eq(self, value: V) -> Condition[R]:
        return self._cond(f"{self._name} {self._op('=')} {self._param}", self._value("eq", value))

    def ne(self, value: V) -> Condition[R]:
        """`<>`: as in SQL, a NULL is neither equal nor unequal (ne(1) does not match NULL: see distinct_from)."""
        return self._cond(f"{self._name} {self._op('<>')} {self._param}", self._value("ne", value))

    def distinct_from(self, value: V) -> Condition[R]:
        """IS DISTINCT FROM: unequal, NULL included (a NULL is distinct from 1)."""
        if self._op("=") != "=":  # IS DISTINCT FROM finds `=` by the search_path: the same, with the value never NULL
            return self._cond(
                f"({self._name} {self._op('=')} {self._param}) IS NOT TRUE", self._value("distinct_from", value)
            )
        return self._cond(f"{self._name} IS DISTINCT FROM {self._param}", self._value("distinct_from", value))

    def in_(self, values: Iterable[V]) -> Condition[R]:
        """= ANY(array): one of the values (none of an empty list)."""
        return self._cond(
            f"{self._name} {self._op('=')} ANY({self._spec.any_param[self.column]})",
            self._values("in_", values, one_of=True),
        )

    def not_in(self, values: Iterable[V]) -> Condition[R]:
        """<> ALL(array): none of the values (every non-NULL row for an empty list)."""
        return self._cond(
            f"{self._name} {self._op('<>')} ALL({self._spec.any_param[self.column]})",
            self._values("not_in", values, one_of=True),
        )


class Ordered(Column[R, V]):
    """A column whose type is ordered (numbers, times, uuids, enums, text): lt, le, gt, ge, between."""

    __slots__ = ()

    def lt(self, value: V) -> Condition[R]:
        return self._cond(f"{self._name} {self._op('<')} {self._param}", self._value("lt", value))

    def le(self, value: V) -> Condition[R]:
        return self._cond(f"{self._name} {self._op('<=')} {self._param}", self._value("le", value))

    def gt(self, value: V) -> Condition[R]:
        return self._cond(f"{self._name} {self._op('>')} {self._param}", self._value("gt", value))

    def ge(self, value: V) -> Condition[R]:
        return self._cond(f"{self._name} {self._op('>=')} {self._param}", self._value("ge", value))

    def between(self, low: V, high: V) -> Condition[R]:
        """low <= value <= high (SQL's BETWEEN: both ends included)."""
        return self._cond(
            f"{self._name} {self._op('>=')} {self._param} AND {self._name} {self._op('<=')} {self._param}",
            self._value("between", low),
            self._value("between", high),
        )


class Text(Ordered[R, V]):
    """A text column (text, varchar, char(n), name, citext and their domains): pattern matching too.

    starts_with, ends_with and contains match their argument literally (its % and _ escaped);
    like and ilike take a LIKE pattern as it is (% any text, _ one character, backslash escapes);
    matches takes a POSIX regular expression, as PostgreSQL's ~ does.
    """

    __slots__ = ()

    def eq(self, value: V, *, case_insensitive: bool = False) -> Condition[R]:
        """`=`; case_insensitive: lower(column) = lower(value), which an index on lower(column) serves."""
        if not case_insensitive:
            return super().eq(value)
        return self._cond(f"lower({self._name}) = lower({self._pattern})", self._text("eq", value))

    def like(self, pattern: str) -> Condition[R]:
        return self._cond(f"{self._name} {self._op('~~', 'LIKE')} {self._pattern}", self._text("like", pattern))

    def ilike(self, pattern: str) -> Condition[R]:
        return self._cond(f"{self._name} {self._op('~~*', 'ILIKE')} {self._pattern}", self._text("ilike", pattern))

    def starts_with(self, prefix: str, *, case_insensitive: bool = False) -> Condition[R]:
        return self._match("starts_with", "", prefix, "%", case_insensitive)

    def ends_with(self, suffix: str, *, case_insensitive: bool = False) -> Condition[R]:
        return self._match("ends_with", "%", suffix, "", case_insensitive)

    def contains(self, text: str, *, case_insensitive: bool = False) -> Condition[R]:
        return self._match("contains", "%", text, "%", case_insensitive)

    def matches(self, regex: str, *, case_insensitive: bool = False) -> Condition[R]:
        """PostgreSQL's ~ (~* when case_insensitive): a POSIX regular expression, matched anywhere."""
        op = "~*" if case_insensitive else "~"
        return self._cond(f"{self._name} {self._op(op)} {self._pattern}", self._text("matches", regex))

    @property
    def _pattern(self) -> str:
        # A pattern is text; `name` would cut it at 63 bytes. citext keeps its own (case-insensitive) LIKE.
        return '%s::"pg_catalog"."text"' if self._param.endswith('"name"') else self._param

    def _text(self, method: str, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{self._where(method)}: takes a str, not {type(value).__name__}")
        return value

    def _match(self, method: str, before: str, text: str, after: str, case_insensitive: bool) -> Condition[R]:
        op = self._op("~~*", "ILIKE") if case_insensitive else self._op("~~", "LIKE")
        return self._cond(f"{self._name} {op} {self._pattern}", before + _escape(self._text(method, text)) + after)


class Array(Nullable[R], Generic[R, E]):
    """An array column (E: its element): eq, ne, contains (@>), contained_by (<@), overlaps (&&)."""

    __slots__ = ()

    def eq(self, values: Sequence[E]) -> Condition[R]:
        return self._cond(f"{self._name} = {self._param}", self._values("eq", values))

    def ne(self, values: Sequence[E]) -> Condition[R]:
        return self._cond(f"{self._name} <> {self._param}", self._values("ne", values))

    def contains(self, values: Sequence[E]) -> Condition[R]:
        """@>: the array has every one of these elements."""
        return self._cond(f"{self._name} @> {self._param}", self._values("contains", values))

    def contained_by(self, values: Sequence[E]) -> Condition[R]:
        """<@: every element of the array is one of these."""
        return self._cond(f"{self._name} <@ {self._param}", self._values("contained_by", values))

    def overlaps(self, values: Sequence[E]) -> Condition[R]:
        """&&: the array has at least one of these elements."""
        return self._cond(f"{self._name} && {self._param}", self._values("overlaps", values))


class Jsonb(Column[R, V]):
    """A jsonb column: contains (@>), has_key (?), has_any_keys (?|), has_all_keys (?&), and `=`."""

    __slots__ = ()

    def contains(self, value: V) -> Condition[R]:
        """@>: the document contains this one (`{"a": 1}` is in `{"a": 1, "b": 2}`)."""
        return self._cond(f"{self._name} @> {self._param}", self._value("contains", value))

    def has_key(self, key: str) -> Condition[R]:
        """?: a top-level key of the object (or a string element of the array) is `key`."""
        return self._cond(f'{self._name} ? %s::"pg_catalog"."text"', self._key("has_key", key))

    def has_any_keys(self, keys: Sequence[str]) -> Condition[R]:
        return self._cond(f'{self._name} ?| %s::"pg_catalog"."text"[]', self._keys("has_any_keys", keys))

    def has_all_keys(self, keys: Sequence[str]) -> Condition[R]:
        return self._cond(f'{self._name} ?& %s::"pg_catalog"."text"[]', self._keys("has_all_keys", keys))

    def _key(self, method: str, key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"{self._where(method)}: takes a str, not {type(key).__name__}")
        return key

    def _keys(self, method: str, keys: Any) -> list[str]:
        if isinstance(keys, str) or not isinstance(keys, Iterable):
            raise TypeError(f"{self._where(method)}: takes a list of str, not {type(keys).__name__}")
        return [self._key(method, k) for k in keys]


class Range(Column[R, V], Generic[R, V, E]):
    """A range or multirange column (E: its subtype): contains (@>, a value or a range),
    contained_by (<@), overlaps (&&), and `=`."""

    __slots__ = ()

    def contains(self, value: V | E) -> Condition[R]:
        """@>: the range holds this value of its subtype, or the whole of this range."""
        from psycopg.types.multirange import Multirange
        from psycopg.types.range import Range as PgRange

        checked = self._value("contains", value)
        if isinstance(checked, PgRange | Multirange):
            return self._cond(f"{self._name} @> {self._as_range(checked)}", checked)
        return self._cond(f"{self._name} @> %s::{self._subtype}", checked)

    def contained_by(self, value: V) -> Condition[R]:
        checked = self._value("contained_by", value)
        return self._cond(f"{self._name} <@ {self._as_range(checked)}", checked)

    def overlaps(self, value: V) -> Condition[R]:
        checked = self._value("overlaps", value)
        return self._cond(f"{self._name} && {self._as_range(checked)}", checked)

    def _as_range(self, value: Any) -> str:
        """The placeholder of a Range or Multirange for this column: a Range beside a multirange column
        goes as the multirange's range type (`int4multirange @> int4range` is an operator)."""
        from psycopg.types.range import Range as PgRange

        if isinstance(value, PgRange) and self._param.endswith('multirange"'):
            return self._param.replace("multirange", "range")
        return self._param


_RELATED: dict[str, type[Columns]] = {}  # "<module>.<class>" -> the class, once imported


class _Link(Generic[R, T, C]):
    """A relation of table R to table T (C: T's columns), from a foreign key: its conditions are
    EXISTS subqueries correlated with the row of R they are tested on."""

    __slots__ = ("_depth", "_module", "_outer", "_owner", "_spec", "_target", "_through")
    _many: bool = False  # one-to-many, many-to-many: a list of rows

    def __init__(
        self,
        spec: Spec,
        module: str,
        owner: tuple[str, ...],
        target: tuple[str, ...],
        through: tuple[str, tuple[str, ...], tuple[str, ...]] | None = None,
    ) -> None:
        self._spec = spec  # R's
        self._module = module  # "<module>.<class>": C, in chatmaps_db.access.<module>, imported on first use
        self._owner = owner  # R's columns, quoted ...
        self._target = target  # ... equal to these of T (or, many-to-many, of the join table)
        self._through = through  # many-to-many: (join table, its columns to R, its columns to T's `target`)
        self._outer = spec.from_sql
        self._depth = 0

    def _columns(self) -> type[Columns]:
        """C, the related table's columns class (its module imported on first use: at import it would be a cycle)."""
        columns = _RELATED.get(self._module)
        if columns is None:
            module, name = self._module.split(".")
            columns = _RELATED[self._module] = getattr(importlib.import_module(f"chatmaps_db.access.{module}"), name)
        return columns

    def __get__(self, instance: Any, owner: Any = None) -> Self:
        """Bound to the columns object it is read from: correlated with that table, or its alias."""
        if instance is None:
            return self
        bound = copy.copy(self)
        bound._outer, bound._depth = instance._qualifier, instance._depth
        return bound

    def __bool__(self) -> NoReturn:
        raise TypeError("a relation is not a condition: call one of its tests (.some(), .none(), .has() ...)")

    def _exists(
        self, method: str, where: Callable[[C], Condition[T]] | None, negate: bool, every: bool = False
    ) -> Condition[R]:
        """[NOT] EXISTS (the related rows [for which `where` holds; with `every`, does not hold])."""
        body, params = self._related(method, where, every)
        sql = f"EXISTS (SELECT {body})"
        return Condition(self._spec, f"NOT {sql}" if negate else sql, params)

    def _count(self, method: str, where: Callable[[C], Condition[T]] | None) -> tuple[str, tuple[Any, ...]]:
        """(SELECT count(*) of the related rows [for which `where` holds]), correlated: load='s count=."""
        body, params = self._related(method, where, False)
        return f"(SELECT count(*) {body})", params

    def _related(
        self, method: str, where: Callable[[C], Condition[T]] | None, every: bool
    ) -> tuple[str, tuple[Any, ...]]:
        """`FROM ... WHERE ...`: the related rows of the row this is correlated with (a many-to-many's:
        its join table's rows whose target row exists), [for which `where` holds; with `every`, not]."""
        table = self._columns()
        depth = self._depth + 1
        alias = f'"_r{depth}"'
        inner: Any = table(alias, depth)  # C: the target's own columns class
        test = ""
        params: tuple[Any, ...] = ()
        if where is not None:
            if not callable(where):
                raise TypeError(
                    f"{self._spec.table}.{method}: takes a function of the related table's columns "
                    f"(lambda s: s.<column>.<operator>(...)), not {type(where).__name__}"
                )
            condition = condition_on(where, inner, f"{self._spec.table}.{method}")
            if condition is not None and condition.sql != "TRUE":
                test = f" AND ({condition.sql}) IS NOT TRUE" if every else f" AND ({condition.sql})"
                params = condition.params
        if self._through is None:
            link = " AND ".join(
                f"{alias}.{t} = {self._outer}.{o}" for o, t in zip(self._owner, self._target, strict=True)
            )
            return f"FROM {table._spec.from_sql} AS {alias} WHERE {link}{test}", params
        # Two levels, so that the condition's unqualified columns meet the target's alone. The join
        # table's key is both foreign keys: each of its rows is one related row.
        join, to_owner, to_target = self._through
        j = f'"_j{depth}"'
        outer = " AND ".join(f"{j}.{c} = {self._outer}.{o}" for c, o in zip(to_owner, self._owner, strict=True))
        link = " AND ".join(f"{alias}.{t} = {j}.{c}" for c, t in zip(to_target, self._target, strict=True))
        return (
            f"FROM {join} AS {j} WHERE {outer} AND "
            f"EXISTS (SELECT FROM {table._spec.from_sql} AS {alias} WHERE {link}{test})"
        ), params


class ToMany(_Link[R, T, C]):
    """A one-to-many or many-to-many relation (users.sessions): some, none, every."""

    __slots__ = ()
    _many = True

    def some(self, where: Callable[[C], Condition[T]] | None = None) -> Condition[R]:
        """At least one related row (for which `where` holds): EXISTS."""
        return self._exists("some", where, negate=False)

    def none(self, where: Callable[[C], Condition[T]] | None = None) -> Condition[R]:
        """No related row (for which `where` holds): NOT EXISTS."""
        return self._exists("none", where, negate=True)

    def every(self, where: Callable[[C], Condition[T]]) -> Condition[R]:
        """`where` holds for every related row (true when there is none, as Prisma's every):
        NOT EXISTS a related row for which it is false or NULL."""
        return self._exists("every", where, negate=True, every=True)


class ToOne(_Link[R, T, C]):
    """A many-to-one or one-to-one relation (sessions.user): has."""

    __slots__ = ()

    def has(self, where: Callable[[C], Condition[T]] | None = None) -> Condition[R]:
        """The related row exists (and `where` holds for it): EXISTS. ~has(): none (a NULL key)."""
        return self._exists("has", where, negate=False)


class Load:
    """What load= loads with each row: its relations (True, or a Load of the related table with its
    own where=, order_by=, limit= per row, and relations one level down). Generated per table as
    `<Stem>Load`, whose keywords are that table's relations, typed."""

    __slots__ = ("_checked", "count", "limit", "order_by", "relations", "where")

    def __init__(
        self,
        where: Any = None,
        order_by: str | Sequence[str] = (),
        limit: int | None = None,
        count: Sequence[str] | Mapping[str, Any] = (),
        **relations: Any,
    ) -> None:
        if limit is not None and (type(limit) is not int or limit < 0):
            raise ValueError(f"{type(self).__name__}: limit is a whole number, 0 or more (got {limit!r})")
        self.where = where
        self.order_by = order_by
        self.limit = limit
        self._checked: type[Columns] | None = None  # the table _load.check() found it right for
        # count=: {relation: None (every related row) or a condition on its rows}, in the statement
        # that reads the rows themselves (a correlated count(*) per relation).
        self.count: dict[str, Any] = {}
        if isinstance(count, str):
            raise TypeError(f"{type(self).__name__}: count= takes relation names in a list, not a string ({count!r})")
        if isinstance(count, Mapping):
            for name, test in count.items():
                if test is not False and test is not None:
                    self.count[name] = None if test is True else test
        elif isinstance(count, list | tuple | set | frozenset) and all(isinstance(n, str) for n in count):
            self.count = dict.fromkeys(count)
        else:
            raise TypeError(
                f"{type(self).__name__}: count= takes a list of to-many relation names (count=['sessions']) "
                f"or a dict of them to True or a condition, not {type(count).__name__}"
            )
        self.relations: dict[str, Load] = {}
        for name, value in relations.items():
            if value is True:
                self.relations[name] = Load()
            elif isinstance(value, Load):
                self.relations[name] = value
            elif value is not False and value is not None:
                raise TypeError(f"{type(self).__name__}: {name}= takes True or a Load, not {type(value).__name__}")

    def condition(self, table: type[Columns]) -> Condition[Any] | None:
        """where= as a condition on `table` (a function of its columns is called with them)."""
        if self.where is None:
            return None
        where = condition_on(self.where, table(), type(self).__name__)
        return None if where is None or where.sql == "TRUE" else where


COUNTS = " count"  # where a row's relation counts are kept beside its relations (no relation's name)


class Loaded:
    """The base of every `<Stem>With` row: its relation properties read what load= put there, and
    model_dump() / model_dump_json() show it after the row's own fields: each loaded relation under
    its name (dumped as its own rows are, secrets hidden), the counts under `_count` (as Prisma's)."""

    __slots__ = ()

    @model_serializer(mode="wrap")
    def _dump_loaded(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        out = handler(self)
        private = self.__pydantic_private__  # type: ignore[attr-defined]
        if not private or not isinstance(out, dict):
            return out
        options = {
            "mode": info.mode,
            "by_alias": info.by_alias,
            "exclude_unset": info.exclude_unset,
            "exclude_defaults": info.exclude_defaults,
            "exclude_none": info.exclude_none,
            "round_trip": info.round_trip,
        }
        for name, value in private.items():
            key = "_count" if name == COUNTS else name
            if (info.include is not None and key not in info.include) or (info.exclude and key in info.exclude):
                continue
            if name == COUNTS or value is None:
                out[key] = value if name != COUNTS else dict(value)
            elif isinstance(value, list):
                out[key] = [row.model_dump(**options) for row in value]
            else:
                out[key] = value.model_dump(**options)
        return out

    def _counted(self, name: str, known: tuple[str, ...] = ()) -> int:
        if known and name not in known:
            raise ValueError(
                f"{type(self).__name__}.count_of: {name!r} is not one of its to-many relations ({', '.join(known)})"
            )
        private = self.__pydantic_private__  # type: ignore[attr-defined]
        counts = None if private is None else private.get(COUNTS)
        if counts is None or name not in counts:
            from chatmaps_db.errors import RelationNotLoaded

            raise RelationNotLoaded(
                f"{type(self).__name__}: the count of {name} was not loaded: ask for it with load=...(count=[{name!r}])"
            )
        return counts[name]  # type: ignore[no-any-return]

    def _relation(self, name: str) -> Any:
        private = self.__pydantic_private__  # type: ignore[attr-defined]
        if private is None or name not in private:
            from chatmaps_db.errors import RelationNotLoaded

            raise RelationNotLoaded(
                f"{type(self).__name__}.{name} was not loaded: ask for it with load=...({name}=True); "
                "a relation is never fetched behind your back"
            )
        return private[name]
