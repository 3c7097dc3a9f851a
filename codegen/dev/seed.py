"""`make seed`: realistic, deterministic fake rows in every table, like drizzle-seed.

The plan comes from the database's catalog (the IR: foreign keys, unique keys, types, enums,
lengths); the values from Faker, chosen by column name (email, name, url, ip_address, ...)
and type; the rows go through the generated package: each is validated by the table's Insert
model (so CHECKs the generator turned into Literal types, enums and varchar lengths hold) and
written by the table layer's `insert_many` (binary COPY), parents before children.

- A foreign key takes a value the referenced table already has (read back after its insert).
- A unique key (primary key, UNIQUE constraint or index) gets distinct values: a counter in
  text and numbers, distinct combinations of referenced rows for a key made of foreign keys.
- Identity and serial columns, and generated ones, are left to the database; every other
  column gets a value, defaults included (gen_random_uuid() and now() would differ per run).
- A nullable column the plan cannot fill is NULL; a NOT NULL one makes the table skipped, with
  its reason in the report. A row a CHECK refuses is skipped (the batch is retried row by row).
- Values look like their column: by its name (email, ip_address, *_url, latitude/longitude
  within their ranges), its table (a place's `name` is a place's, a user's a person's), its
  comment ("Latitude of ..."), and its CHECKs; one row keeps created_at <= updated_at,
  starts <= ends, and a CHECK (a < b) in order.
- `seed` fixes every value: the same seed and schema give the same rows. A table that has rows
  gets new ones after them (a second `make seed` adds rows); the report says why any row was
  refused, by constraint.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Literal, get_args, get_origin

from faker import Faker

from codegen import ir
from codegen.dev import package
from codegen.plan.sqltext import quote

# How many rows each table gets unless told: `make seed ROWS=...`.
DEFAULT_ROWS = 100

Value = Callable[[int], Any]  # row number -> value


@dataclass
class TableReport:
    table: str
    rows: int = 0
    skipped_rows: int = 0
    skipped: str | None = None  # why the whole table was skipped
    seconds: float = 0.0
    existing: int = 0  # rows it had before (a second `make seed` adds new ones after them)
    refusals: Counter[str] = field(default_factory=Counter)  # why rows were refused: how many each

    @property
    def why_refused(self) -> str:
        reasons = ", ".join(f"{n} by {why}" for why, n in self.refusals.most_common())
        had = f"; the table already had {self.existing} rows, whose values they repeat" if self.existing else ""
        return reasons + had


@dataclass
class Report:
    tables: list[TableReport] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for t in self.tables:
            if t.skipped:
                out.append(f"  {t.table}: skipped: {t.skipped}")
                continue
            line = f"  {t.table}: {t.rows} rows in {t.seconds:.2f} s"
            if t.skipped_rows and not t.rows:
                line += f" (none added: all {t.skipped_rows} were refused: {t.why_refused})"
            elif t.skipped_rows:
                line += f" ({t.skipped_rows} refused and left out: {t.why_refused})"
            out.append(line)
        return out


class Unfillable(Exception):
    """A NOT NULL column the seeder has no value for."""


def order(catalog: ir.Catalog) -> list[ir.Table]:
    """The tables, parents before children (a foreign key to itself or in a cycle is left NULL)."""
    tables = {t.qualified: t for t in catalog.tables if not t.view}
    done: list[ir.Table] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name in path:
            return
        table = tables[name]
        for fk in table.foreign_keys:
            parent = f"{fk.ref_schema}.{fk.ref_table}"
            if parent in tables and parent != name:
                visit(parent, (*path, name))
        seen.add(name)
        done.append(table)

    for name in sorted(tables):
        visit(name, ())
    return done


def seed(
    db: Any,
    catalog: ir.Catalog,
    *,
    rows: int | dict[str, int] = DEFAULT_ROWS,
    seed: int = 0,
    only: set[str] | None = None,
) -> Report:
    """Fill every table of `catalog` through `db` (a generated package's Database)."""
    bound = _tables_of(db)
    enums = {e.qualified: e.labels for e in catalog.enums}
    domains = {d.qualified: d for d in catalog.domains}
    report = Report()
    keys: dict[str, dict[tuple[str, ...], list[tuple[Any, ...]]]] = {}  # table -> columns -> values
    referenced = referenced_keys(catalog)
    for table in order(catalog):
        if only is not None and table.qualified not in only:
            continue
        count = rows.get(table.qualified, DEFAULT_ROWS) if isinstance(rows, dict) else rows
        entry = TableReport(table.qualified)
        report.tables.append(entry)
        if table.qualified not in bound:
            entry.skipped = "the package has no table-layer class for it"
            continue
        attribute, insert_model = bound[table.qualified]
        table_layer = getattr(db, attribute)
        # A table with rows (a second `make seed`) gets new ones: other random draws, and unique
        # counters that start after its rows. The first run on an empty table is the same as ever.
        entry.existing = existing = table_layer.count()
        rng = random.Random(f"{seed}:{table.qualified}" + (f":{existing}" if existing else ""))
        fake = Faker()
        fake.seed_instance(rng.randrange(2**32))
        try:
            makers = _plan(table, insert_model, enums, domains, keys, rng, fake, count)
        except Unfillable as exc:
            entry.skipped = str(exc)
            continue
        start = perf_counter()
        models = []
        pairs = orderings(table)
        for i in range(existing, existing + count):
            values = {column: make(i) for column, make in makers.items()}
            in_order(values, pairs, rng)  # updated_at after created_at, CHECK (lo < hi), ...
            try:
                models.append(insert_model.model_validate(values))
            except ValueError:
                entry.refusals["the Insert model (a CHECK or length it checks)"] += 1
        try:
            entry.rows = _insert(db, table_layer, attribute, models, entry.refusals)
        except Exception as exc:  # one table's surprise must not stop the others: say it, go on
            entry.skipped = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            continue
        entry.skipped_rows = sum(entry.refusals.values())
        entry.seconds = perf_counter() - start
        keys[table.qualified] = read_keys(db, table, referenced.get(table.qualified, set()))
    return report


def _insert(db: Any, table_layer: Any, attribute: str, models: list[Any], refusals: Counter[str]) -> int:
    """insert_many; when the database refuses a row of the batch (a CHECK, a key, a partition's
    bounds), row by row, each in a savepoint, leaving out the refused ones, counted in
    `refusals` by constraint: how many were written."""
    from psycopg import IntegrityError

    def refused(exc: Exception) -> bool:
        return isinstance(getattr(exc, "pg_error", None) or exc, IntegrityError)

    try:
        return int(table_layer.insert_many(models))
    except Exception as exc:
        if not refused(exc):
            raise
    written = 0
    with db.transaction() as tx:
        layer = getattr(tx, attribute)
        for model in models:
            try:
                with tx.transaction():
                    written += layer.insert_many([model])
            except Exception as exc:
                if not refused(exc):
                    raise
                refusals[_refusal(exc)] += 1
    return written


def _refusal(exc: Exception) -> str:
    """The constraint that refused a row, as the report names it."""
    kind = type(exc).__name__
    constraint = getattr(exc, "constraint", None)
    if kind == "UniqueViolation":
        return f"unique key {constraint}"
    if kind == "ForeignKeyViolation":
        return f"foreign key {constraint}"
    if kind == "CheckViolation" and constraint is None:
        return (
            "no partition for the row"
            if "partition" in str(getattr(exc, "pg_error", None) or exc)
            else "a domain's CHECK"
        )
    if kind == "CheckViolation":
        return f"CHECK {constraint}"
    return kind


def _tables_of(db: Any) -> dict[str, tuple[str, type[Any]]]:
    """{schema.table: (attribute on Database, Insert model)}."""
    return {t: (attribute, cls._insert_model) for t, (attribute, cls) in package.table_classes(type(db)).items()}


def referenced_keys(catalog: ir.Catalog) -> dict[str, set[tuple[str, ...]]]:
    """{schema.table: the column sets some foreign key references}: what read_keys reads back."""
    out: dict[str, set[tuple[str, ...]]] = {}
    for table in catalog.tables:
        for fk in table.foreign_keys:
            out.setdefault(f"{fk.ref_schema}.{fk.ref_table}", set()).add(fk.ref_columns)
    return out


def read_keys(db: Any, table: ir.Table, wanted: set[tuple[str, ...]]) -> dict[tuple[str, ...], list[tuple[Any, ...]]]:
    """The values `table` now holds in each column set of `wanted` (no query when none is)."""
    out: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    if not wanted:
        return out
    with db.connection() as conn:
        for columns in sorted(wanted):
            select = ", ".join(quote(c) for c in columns)
            rows = conn.execute(
                f"SELECT {select} FROM {quote(table.schema)}.{quote(table.name)} ORDER BY {select}"
            ).fetchall()
            out[columns] = [tuple(r) for r in rows]
    return out


def _index_columns(index: ir.Index, table: ir.Table) -> tuple[str, ...]:
    """The columns a unique index keeps distinct: its plain columns, and the one column an
    expression key reads (lower(email) keeps email distinct); () for a partial index."""
    if index.predicate:
        return ()
    names = [c.name for c in table.columns]
    out = []
    for key in index.keys:
        if key.column is not None:
            out.append(key.column)
            continue
        used = [n for n in names if re.search(rf'(?<![\w"]){re.escape(n)}(?!\w)|"{re.escape(n)}"', key.sql)]
        if len(used) != 1:
            return ()
        out.append(used[0])
    return tuple(out)


def _plan(
    table: ir.Table,
    insert_model: type[Any],
    enums: dict[str, tuple[str, ...]],
    domains: dict[str, ir.Domain],
    keys: dict[str, dict[tuple[str, ...], list[tuple[Any, ...]]]],
    rng: random.Random,
    fake: Faker,
    count: int,
) -> dict[str, Value]:
    """A value maker per column the seeder fills, keyed by column name."""
    makers: dict[str, Value] = {}
    left_null: set[str] = set()  # foreign keys to the table itself, or to an empty parent
    unique_sets = [set(table.primary_key)] + [set(_index_columns(ix, table)) for ix in table.indexes if ix.unique]
    unique_sets = [u for u in unique_sets if u]
    fields = _model_fields(insert_model)
    # Foreign keys first: their columns take referenced values.
    for fk in table.foreign_keys:
        parent = f"{fk.ref_schema}.{fk.ref_table}"
        choices = keys.get(parent, {}).get(fk.ref_columns)
        nullable = all(table.column(c).nullable for c in fk.columns)
        if not choices:
            if nullable or parent == table.qualified:
                if not nullable:
                    raise Unfillable(f"{table.qualified}.{fk.columns[0]} refers to its own table and is NOT NULL")
                left_null.update(fk.columns)  # a self-reference, or a parent with no rows: NULL
                continue
            raise Unfillable(f"{table.qualified}.{fk.columns[0]} needs rows in {parent}, which has none")
        in_key = any(set(fk.columns) & u for u in unique_sets)
        pick = (
            _distinct_picker(choices, fk, table, unique_sets, keys, count) if in_key else _random_picker(choices, rng)
        )
        for j, name in enumerate(fk.columns):
            makers[name] = _part(pick, j)
    for column in table.columns:
        if column.name in makers or column.name in left_null or column.generated or column.identity == "always":
            continue
        if column.identity or (column.default or "").startswith("nextval("):
            continue  # a counter the database keeps: deterministic on a fresh database
        domain = domains.get(column.type.qualified) if column.type.kind == "domain" else None
        # The first column filled of a unique key makes it distinct (a key with a foreign key: its combinations).
        unique = any(column.name in u and not (u & set(makers)) for u in unique_sets)
        info = fields.get(column.name)
        literal = _literal_choices(info.annotation if info is not None else None)
        make = _value(table.qualified, column, domain, enums, literal, _bounds(info), unique, rng, fake)
        if make is None:
            if column.nullable or column.default is not None:
                continue  # NULL, or the database's default
            raise Unfillable(
                f"no fake value for {table.qualified}.{column.name} ({column.type.sql}), which is NOT NULL"
            )
        makers[column.name] = make
    partitioned = _partition_maker(table, rng)
    if partitioned is not None:  # a value some partition takes (pagila's payment: months of 2022)
        makers[partitioned[0]] = partitioned[1]
    return makers


_RANGE = re.compile(r"^FOR VALUES FROM \((?P<low>[^,]+)\) TO \((?P<high>[^,]+)\)$")
_LIST = re.compile(r"^FOR VALUES IN \((?P<items>.+)\)$")


def _bound(text: str, base: str) -> Any:
    """One partition bound's literal as the column's Python value; None for MINVALUE, MAXVALUE, NULL."""
    text = text.strip()
    if text in ("MINVALUE", "MAXVALUE", "NULL"):
        return None
    plain = text[1:-1].replace("''", "'") if text.startswith("'") and text.endswith("'") else text
    if base == "date":
        return dt.date.fromisoformat(plain)
    if base in ("timestamptz", "timestamp"):
        return dt.datetime.fromisoformat(plain)
    if base in ("int2", "int4", "int8"):
        return int(plain)
    if base == "numeric":
        return decimal.Decimal(plain)
    return plain if base in ("text", "varchar", "bpchar") else None


def _partition_maker(table: ir.Table, rng: random.Random) -> tuple[str, Value] | None:
    """(column, maker) drawing values inside the partitions of a table partitioned by one plain
    column (RANGE or LIST), so that every row finds its partition; None when any value goes
    (a DEFAULT partition, hash partitioning) or the bounds are not literals it can read."""
    part = table.partitioning
    if part is None or part.strategy == "hash" or len(part.columns) != 1 or not part.columns[0]:
        return None
    if "DEFAULT" in part.bounds or not part.bounds:
        return None
    column = table.column(part.columns[0])
    base = column.type.name
    if part.strategy == "list":
        values = []
        for bound in part.bounds:
            match = _LIST.match(bound)
            if match is None:
                return None
            values += [_bound(item, base) for item in re.findall(r"'(?:[^']|'')*'|[^,\s]+", match["items"])]
        values = [v for v in values if v is not None]
        return (column.name, lambda i: values[rng.randrange(len(values))]) if values else None
    ranges = []
    for bound in part.bounds:
        match = _RANGE.match(bound)
        low, high = (_bound(match[k], base) for k in ("low", "high")) if match else (None, None)
        if low is None or high is None or isinstance(low, str):
            return None
        ranges.append((low, high))

    def inside(i: int) -> Any:
        low, high = ranges[rng.randrange(len(ranges))]
        if isinstance(low, int):
            return rng.randrange(low, high)
        if isinstance(low, decimal.Decimal):
            return low + (high - low) * decimal.Decimal(rng.random()).quantize(decimal.Decimal("0.0001"))
        value = low + (high - low) * rng.random()  # dates and timestamps: a moment between
        return value if not isinstance(value, dt.datetime) or base == "timestamptz" else value.replace(tzinfo=None)

    return column.name, inside


def _part(pick: Callable[[int], tuple[Any, ...]], j: int) -> Value:
    return lambda i: pick(i)[j]


def _random_picker(choices: list[tuple[Any, ...]], rng: random.Random) -> Callable[[int], tuple[Any, ...]]:
    picked = [choices[rng.randrange(len(choices))] for _ in range(4096)]
    return lambda i: picked[i] if i < len(picked) else choices[(i * 7919) % len(choices)]


def _distinct_picker(
    choices: list[tuple[Any, ...]],
    fk: ir.ForeignKey,
    table: ir.Table,
    unique_sets: list[set[str]],
    keys: dict[str, dict[tuple[str, ...], list[tuple[Any, ...]]]],
    count: int,
) -> Callable[[int], tuple[Any, ...]]:
    """For a foreign key inside a unique key: row i takes a combination no other row has (mixed
    radix over the key's foreign keys, in declaration order: this one's place is its rank)."""
    key = next(u for u in unique_sets if set(fk.columns) & u)
    fks = [f for f in table.foreign_keys if set(f.columns) & key]
    sizes = [max(1, len(keys.get(f"{f.ref_schema}.{f.ref_table}", {}).get(f.ref_columns, []))) for f in fks]
    rank = fks.index(fk)
    below = 1
    for size in sizes[:rank]:
        below *= size
    if len(fks) == 1 and len(key) == len(fk.columns):
        return lambda i: choices[i % len(choices)]
    return lambda i: choices[(i // below) % len(choices)]


def _model_fields(model: type[Any]) -> dict[str, Any]:
    """{column name: field info} of an Insert model (fields keyed by alias when they have one)."""
    out = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else name
        out[alias] = info
    return out


@dataclass(frozen=True)
class Bounds:
    """What the model's constraints allow (CHECKs and domains the generator made ge/le/max_length)."""

    low: float | None = None
    high: float | None = None
    max_length: int | None = None


def _bounds(info: Any) -> Bounds:
    """The numeric range and length the field's metadata (and its type alias's) allow."""
    low = high = None
    length = None

    def visit(item: Any) -> None:
        nonlocal low, high, length
        for attr, kind in (("ge", "low"), ("gt", "low"), ("le", "high"), ("lt", "high")):
            value = getattr(item, attr, None)
            if isinstance(value, int | float | decimal.Decimal):
                step = 1 if attr in ("gt",) else (-1 if attr == "lt" else 0)
                if kind == "low":
                    low = float(value) + step
                else:
                    high = float(value) + step
        if isinstance(getattr(item, "max_length", None), int):
            length = item.max_length
        for inner in getattr(item, "metadata", ()) or ():
            visit(inner)
        for arg in get_args(item):
            visit(arg)
        meta = getattr(item, "__metadata__", None)
        if meta:
            for m in meta:
                visit(m)

    if info is not None:
        visit(info)
        visit(info.annotation)
    return Bounds(low, high, length)


def _literal_choices(annotation: Any) -> tuple[Any, ...] | None:
    """The values of a Literal (a CHECK ... IN (...) the generator made a type), if any."""
    if annotation is None:
        return None
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    for arg in get_args(annotation):
        found = _literal_choices(arg)
        if found:
            return found
    return None


_NAMED: tuple[tuple[tuple[str, ...], Callable[[Faker], Any]], ...] = (
    (("email",), lambda f: f.email()),
    (("first_name", "firstname"), lambda f: f.first_name()),
    (("last_name", "lastname", "surname"), lambda f: f.last_name()),
    (("username", "user_name", "login", "handle"), lambda f: f.user_name()),
    (("company", "organization", "organisation"), lambda f: f.company()),
    (("full_name", "display_name", "contact_name"), lambda f: f.name()),
    (("title", "subject", "headline"), lambda f: f.sentence(nb_words=4).rstrip(".")),
    (("description", "bio", "body", "content", "text", "notes", "comment", "summary"), lambda f: f.paragraph()),
    (("url", "website", "homepage", "link"), lambda f: f.url()),
    (("image", "avatar", "picture", "photo"), lambda f: f.image_url()),
    (("phone", "fax", "mobile"), lambda f: f.phone_number()),
    (("address", "street"), lambda f: f.street_address()),
    (("city", "town"), lambda f: f.city()),
    (("country",), lambda f: f.country()),
    (("region", "state", "province"), lambda f: f.state()),
    (("postal_code", "postcode", "zip", "zipcode"), lambda f: f.postcode()),
    (("ip_address", "ip", "ipaddress"), lambda f: f.ipv4()),
    (("user_agent",), lambda f: f.user_agent()),
    (("token", "secret", "password", "hash", "value", "api_key", "apikey"), lambda f: f.sha256()),
    (("slug",), lambda f: f.slug()),
    (("color", "colour"), lambda f: f.color_name()),
    (("provider_id", "provider"), lambda f: f.random_element(("credential", "github", "google"))),
    (("identifier",), lambda f: f.email()),
    (("scope",), lambda f: "openid email profile"),
)


# A table whose rows are people: its `name` is a person's. A place: a place's. Else a title.
_PEOPLE = re.compile(
    r"(^|_)(users?|people|persons?|customers?|employees?|authors?|contacts?|members?|staff|students?|actors?|"
    r"artists?|players?|patients?|owners?|profiles?|accounts?|drivers?|teachers?|clients?)$"
)
_PLACES = re.compile(
    r"(^|_)(places?|locations?|venues?|cit(y|ies)|stores?|shops?|sites?|spots?|pois?|landmarks?|restaurants?|"
    r"cafes?|parks?|buildings?|addresses|stations?|stops?|airports?|hotels?|branches|offices?|points?)$"
)
PLACE_KINDS = ("Café", "Park", "Market", "Books", "Bakery", "Gallery", "Garden", "Square", "Station", "Museum")


def _name_maker(table: str) -> Callable[[Faker], Any]:
    """What a column named `name` holds, by what its table's rows are."""
    if _PEOPLE.search(table):
        return lambda f: f.name()
    if _PLACES.search(table):
        return lambda f: f"{f.last_name()} {f.random_element(PLACE_KINDS)}"
    return lambda f: f.catch_phrase()


# Coordinates, by the column's name or comment: (low, high) in degrees.
_COORDINATES = (
    (("lat", "latitude"), (-90.0, 90.0)),
    (("lng", "lon", "long", "longitude"), (-180.0, 180.0)),
)


def _named(name: str, words: tuple[str, ...]) -> bool:
    return any(w == name or name.endswith("_" + w) for w in words)


def _text_maker(name: str, table: str, comment: str) -> Callable[[Faker], Any] | None:
    """The Faker maker a text column's name says (an exact name before a suffix: ip_address is an
    IP, not an address); a `name` (or `city_name`) by what the table (or the prefix) holds; else
    the first one its comment mentions."""
    for words, maker in _NAMED:
        if name in words:
            return maker
    suffixes = [(len(w), maker) for words, maker in _NAMED for w in words if name.endswith("_" + w)]
    if suffixes:
        return max(suffixes, key=lambda found: found[0])[1]
    if name == "name" or name.endswith("_name"):
        return _name_maker(name.removesuffix("name").rstrip("_") or table)
    said = set(re.findall(r"[a-z]+", comment)) & _TELLING
    return next((maker for words, maker in _NAMED if said & set(words)), None)


# Words of a column's comment that say what it holds (not "value", "text", "token": too loose).
_TELLING = frozenset({"email", "url", "website", "homepage", "ip", "phone", "city", "country", "postcode", "slug"})


# Columns one row holds in an order: (earlier, later) name patterns. A table's CHECK (a < b) adds its own.
_IN_ORDER = (
    (
        re.compile(r"(created|inserted|added)(_at|_on)?$"),
        re.compile(r"(updated|modified|changed|deleted|archived)(_at|_on)?$"),
    ),
    (
        re.compile(r"(starts?|begins?)(_at|_on|_date|_time)?$|^valid_from$"),
        re.compile(r"(ends?|finish(es)?)(_at|_on|_date|_time)?$|^valid_(to|until)$"),
    ),
)
_CHECK_ORDER = re.compile(r'^CHECK \(\((?P<a>\w+|"[^"]+") (?P<op><=?|>=?) (?P<b>\w+|"[^"]+")\)\)$')


def orderings(table: ir.Table) -> list[tuple[str, str, bool]]:
    """(earlier, later, strictly) pairs of a table's columns that one row must hold in order:
    created_at before updated_at, starts_at before ends_at (by name), and CHECK (a < b)."""
    names = [c.name for c in table.columns if c.type.dims == 0 and not c.generated]
    pairs: list[tuple[str, str, bool]] = []
    for first, then in _IN_ORDER:
        for a in (n for n in names if first.search(n)):
            pairs += [(a, b, False) for b in names if then.search(b) and b != a and b.split("_")[0] != "last"]
    for check in table.checks:
        m = _CHECK_ORDER.match(check.expression)
        if m is None:
            continue
        a, b = (x.strip('"').replace('""', '"') for x in (m["a"], m["b"]))
        if a in names and b in names:
            pairs.append((a, b, m["op"] == "<") if m["op"].startswith("<") else (b, a, m["op"] == ">"))
    return pairs


def in_order(values: dict[str, Any], pairs: list[tuple[str, str, bool]], rng: random.Random) -> None:
    """Put each pair of one row's values in order: the later one moved past the earlier."""
    for a, b, strict in pairs:
        early, late = values.get(a), values.get(b)
        if early is None or late is None or type(early) is not type(late):
            continue
        if late > early or (late == early and not strict):
            continue
        if isinstance(early, dt.datetime):
            values[b] = early + dt.timedelta(minutes=rng.randint(1, 60 * 24 * 30))
        elif isinstance(early, dt.date):
            values[b] = early + dt.timedelta(days=rng.randint(1, 30))
        elif isinstance(early, int | float | decimal.Decimal) and not isinstance(early, bool):
            values[b] = early + 1


def _value(
    table: str,
    column: ir.Column,
    domain: ir.Domain | None,
    enums: dict[str, tuple[str, ...]],
    literal: tuple[Any, ...] | None,
    bounds: Bounds,
    unique: bool,
    rng: random.Random,
    fake: Faker,
) -> Value | None:
    """A value maker for one column, or None when the seeder has none for its type."""
    t = domain.base if domain is not None else column.type
    if t.dims:
        element = _scalar(column.name, table, column.comment, t, enums, None, Bounds(), False, rng, fake)
        return None if element is None else (lambda i: [element(i), element(i + 1)])
    return _scalar(column.name, table, column.comment, t, enums, literal, bounds, unique, rng, fake)


def _scalar(
    name: str,
    table: str,
    comment: str | None,
    t: ir.TypeRef,
    enums: dict[str, tuple[str, ...]],
    literal: tuple[Any, ...] | None,
    bounds: Bounds,
    unique: bool,
    rng: random.Random,
    fake: Faker,
) -> Value | None:
    if literal:
        return lambda i: literal[i % len(literal)] if unique else literal[rng.randrange(len(literal))]
    if t.kind == "enum":
        labels = enums.get(t.qualified, ())
        return (lambda i: labels[rng.randrange(len(labels))]) if labels else None
    base = t.name
    low = name.lower()
    said = (comment or "").lower()
    if base in ("text", "varchar", "bpchar", "citext", "name"):
        limit = bounds.max_length or t.length or (255 if base != "text" else None)
        maker = _text_maker(low, table.rpartition(".")[2].lower(), said)
        if maker is None:
            maker = lambda f: f.word() if (limit or 50) < 30 else f.sentence(nb_words=3).rstrip(".")  # noqa: E731

        def text(i: int) -> str:
            value = str(maker(fake))
            if unique:
                value = _unique_text(value, i, "email" in low)
            return value[:limit] if limit else value

        width = t.length
        if base == "bpchar" and width is not None and width <= 3:
            return lambda i: fake.lexify("?" * width).upper() if not unique else _base26(i, width)
        return text
    if base in ("int2", "int4", "int8"):
        first = int(bounds.low) if bounds.low is not None else 1
        last = int(bounds.high) if bounds.high is not None else first + 999
        if unique:
            return lambda i: first + i
        return lambda i: rng.randint(first, max(first, last))
    if base in ("numeric", "float4", "float8", "money"):
        digits = (t.precision or 10) - (t.scale or 2)
        top = min(10 ** max(digits, 1) - 1, 10_000, int(bounds.high) if bounds.high is not None else 10_000)
        bottom = max(int(bounds.low), -top) if bounds.low is not None and bounds.low < 0 else 0
        scale = t.scale if t.scale is not None else 2
        degrees = next(
            (span for words, span in _COORDINATES if _named(low, words) or f" {words[-1]}" in f" {said}"), None
        )
        if degrees is not None and not unique:  # a coordinate: within its range, and the CHECK's
            lo = max(degrees[0], bounds.low if bounds.low is not None else degrees[0])
            hi = min(degrees[1], bounds.high if bounds.high is not None else degrees[1])
            places = min(t.scale if t.scale is not None else 6, 6)
            if base == "numeric":
                return lambda i: decimal.Decimal(str(round(rng.uniform(lo, hi), places)))
            return lambda i: round(rng.uniform(lo, hi), places)
        if base == "numeric":
            return lambda i: decimal.Decimal(rng.randrange(bottom * 100, top * 100)) / 100 + (i if unique else 0)
        return lambda i: round(rng.uniform(bottom, top), scale) + (i if unique else 0)
    if base == "bool":
        return lambda i: rng.random() < 0.5
    if base == "uuid":
        return lambda i: uuid.UUID(int=rng.getrandbits(128), version=4)
    if base in ("timestamptz", "timestamp", "date"):
        future = any(w in low for w in ("expires", "expiry", "until", "due", "ends"))
        origin = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

        def moment(i: int) -> Any:
            days = rng.uniform(1, 365)
            at = origin + dt.timedelta(days=days if future else -days)
            if unique:
                at += dt.timedelta(seconds=i)
            if base == "date":
                return at.date() + dt.timedelta(days=i if unique else 0)
            return at if base == "timestamptz" else at.replace(tzinfo=None)

        return moment
    if base in ("time", "timetz"):
        zone = dt.UTC if base == "timetz" else None
        return lambda i: dt.time(rng.randrange(24), rng.randrange(60), tzinfo=zone)
    if base == "interval":
        return lambda i: dt.timedelta(minutes=rng.randrange(1, 600))
    if base in ("json", "jsonb"):
        return lambda i: {"seed": i, "word": fake.word()}
    if base == "tsvector":
        return lambda i: " ".join(fake.words(3))
    if base == "bytea":
        return lambda i: rng.randbytes(16)
    if base in ("inet", "cidr"):
        return lambda i: fake.ipv4() if not unique else f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
    return None


def _unique_text(value: str, i: int, email: bool) -> str:
    if email:
        user, _, host = value.partition("@")
        return f"{user}.{i}@{host}"
    return f"{value} {i}"


def _base26(i: int, width: int) -> str:
    letters = []
    for _ in range(width):
        letters.append(chr(ord("A") + i % 26))
        i //= 26
    return "".join(reversed(letters))
