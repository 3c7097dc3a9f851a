"""Insert one value of every zoo column through ZooInsert, read it back as Zoo, compare.

Run by tests/test_generator.py inside the generated zoo package (cwd), against the
zoo database given as argv[1]. Prints one line per column that did not round-trip.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from ipaddress import IPv4Network, IPv6Interface
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from chatmaps_db.db import Database
from chatmaps_db.models import ALine, MoneyAmount, Mood, Point2d, Zoo, ZooInsert, ZooUpdate

UTC = UTC
VALUES = ZooInsert(
    c_smallint=-32768,
    c_integer=2147483647,
    c_bigint=-9223372036854775808,
    c_numeric=Decimal("1234567.891"),
    c_real=1.5,
    c_double=-2.25e300,
    c_money=Decimal("12.34"),
    c_text='a "quoted" \\ text\n',
    c_varchar="twenty chars at most",
    c_char="abcd",
    c_bool=True,
    c_bytea=b"\x00\xff binary",
    c_uuid=UUID("12345678-1234-5678-1234-567812345678"),
    c_date=date(1999, 12, 31),
    c_time=time(23, 59, 58, 123456),
    c_timetz=time(12, 30, tzinfo=timezone(timedelta(hours=2))),
    c_timestamp=datetime(2024, 2, 29, 12, 0, 1),
    c_timestamptz=datetime(2024, 2, 29, 12, 0, 1, tzinfo=UTC),
    c_interval=timedelta(days=3, seconds=7, microseconds=5),
    c_json={"a": [1, 2.5, None, True], "b": "x"},
    c_jsonb=[{"k": "v"}, 3, "s"],
    c_int_array=[1, -2, 3],
    c_text_matrix=[["a", "b"], ["c", "d"]],
    c_inet=IPv6Interface("2001:db8::1/64"),
    c_cidr=IPv4Network("10.0.0.0/8"),
    c_macaddr="08:00:2b:01:02:03",
    c_int4range=Range(1, 10),
    c_tstzrange=Range(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)),
    c_int4multirange=Multirange([Range(1, 3), Range(5, 8)]),
    c_tsvector="'cat' 'fat'",
    c_bit="1010",
    c_varbit="101",
    c_mood=Mood.VERY_SAD,
    c_moods=[Mood.HAPPY, Mood.SO_SO],
    c_percent=Decimal("99.50"),
    c_code="ABC",
    c_odd=7,
    c_price=MoneyAmount("EUR", Decimal("10.50")),
    c_line=ALine(Point2d(1.0, 2.0), Point2d(-3.5, 4.0)),
    c_origin=Point2d(0.0, 0.0),
    date_=date(2000, 1, 1),
    rating=5,
    status="published",
    nick="zed",
    lo=1,
    hi=2,
)


def insert(conn: object, data: dict[str, object]) -> None:
    cols = sql.SQL(", ").join(sql.Identifier(k) for k in data)
    params = sql.SQL(", ").join(sql.Placeholder(k) for k in data)
    conn.execute(sql.SQL("INSERT INTO zoo ({}) VALUES ({})").format(cols, params), data)  # type: ignore[attr-defined]


def xml_supported(conn: object) -> bool:
    try:
        with conn.transaction():  # type: ignore[attr-defined]
            conn.execute("SELECT '<a/>'::xml")  # type: ignore[attr-defined]
    except Exception:
        return False
    return True


def main(url: str) -> int:
    db = Database(url)
    failures = []
    values = VALUES
    with db.transaction() as conn:
        if xml_supported(conn):
            values = VALUES.model_copy(update={"c_xml": "<a>b</a>"})
        else:
            print("skipped c_xml: this server is built without libxml")
        insert(conn, values.to_db())
        raw = conn.cursor(row_factory=dict_row).execute("SELECT * FROM zoo").fetchone()
        row = Zoo.model_validate(raw)
        for name in type(VALUES).model_fields:
            sent, got = getattr(values, name), getattr(row, name)
            if sent != got or type(sent) is not type(got):
                failures.append(f"{name}: sent {sent!r}, read back {got!r}")
        # Update: a field set to None writes NULL, a field not given is left alone.
        change = ZooUpdate(c_integer=None)
        assert change.to_db() == {"c_integer": None}, change.to_db()
        sets = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in change.to_db()
        )
        conn.execute(sql.SQL("UPDATE zoo SET {}").format(sets), change.to_db())
        after = Zoo.model_validate(conn.cursor(row_factory=dict_row).execute("SELECT * FROM zoo").fetchone())
        if after.c_integer is not None or after.c_bigint != VALUES.c_bigint:
            failures.append(f"update: c_integer={after.c_integer!r} c_bigint={after.c_bigint!r}")
        raise psycopg.Rollback()  # leave the shared zoo database empty
    failures += through_the_table_layer(db, values)
    db.close()
    for line in failures:
        print(line)
    print(f"{len(type(VALUES).model_fields)} columns checked")
    return 1 if failures else 0


def same(label: str, sent: object, got: object) -> list[str]:
    """Every field equal, and of the same type: a trusted row must be what validation makes."""
    out = []
    for name in type(sent).model_fields:  # type: ignore[attr-defined]
        a, b = getattr(sent, name), getattr(got, name)
        if a != b or type(a) is not type(b):
            out.append(f"{label} {name}: {a!r} vs {b!r}")
    return out


def through_the_table_layer(db: Database, values: ZooInsert) -> list[str]:
    """The same values through db.zoo: insert (RETURNING), get trusted and validated, list,
    insert_many (COPY), update, delete; rolled back at the end."""
    failures: list[str] = []
    with db.transaction() as tx:
        row = tx.zoo.insert(values)
        failures += same("layer insert", values, row)  # every field the insert sent comes back as sent
        got = tx.zoo.get(row.id)
        validated = tx.zoo.get(row.id, validate=True)
        if got is None or validated is None:
            return ["layer get: no row"]
        failures += same("layer trusted vs validated", validated, got)
        failures += same("layer get", row, got)
        if tx.zoo.insert_many([values, values]) != 2 or tx.zoo.count(c_mood=Mood.VERY_SAD) != 3:
            failures.append("layer insert_many: not 3 rows")
        for copied in tx.zoo.list(order_by="id")[1:]:
            failures += same("layer insert_many", row, copied.model_copy(update={"id": row.id}))
        changed = tx.zoo.update(row.id, ZooUpdate(c_integer=None, c_moods=[Mood.SO_SO]))
        if changed is None or changed.c_integer is not None or changed.c_moods != [Mood.SO_SO]:
            failures.append(f"layer update: {changed!r}")
        if not tx.zoo.delete(row.id) or tx.zoo.count() != 2:
            failures.append("layer delete")
        raise psycopg.Rollback()
    return failures


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
