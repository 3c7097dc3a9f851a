"""mypy --strict over where= conditions on the type zoo's package (tests/test_access_schemas.py
generates it from tests/cases/type_zoo/schema.sql and copies this file in): each assert_type holds,
and each line marked as rejected (with its mypy error code) is an error (an operator the column's type lacks, a value of
the wrong type, an unknown column, a condition on another table, an Insert where an Update goes)."""

from datetime import UTC, datetime
from typing import assert_type

from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from chatmaps_db import ALL_ROWS, Condition, Database, all_of, any_of, models
from chatmaps_db.access.zoo import ZooColumns


def accepted(db: Database) -> None:
    c = db.zoo.c
    assert_type(c, ZooColumns)
    assert_type(c.c_integer.gt(1), Condition[models.Zoo])
    assert_type(c.c_integer.between(1, 9) & ~c.c_integer.in_([3, 4]), Condition[models.Zoo])
    assert_type(c.c_text.ilike("a%") | c.c_text.starts_with("50%", case_insensitive=True), Condition[models.Zoo])
    assert_type(c.c_jsonb.contains({"a": [1]}) & c.c_jsonb.has_key("a"), Condition[models.Zoo])
    assert_type(c.c_int_array.contains([1, 2]) | c.c_int_array.overlaps([None]), Condition[models.Zoo])
    assert_type(c.c_int4range.contains(5) | c.c_int4range.contains(Range(1, 3)), Condition[models.Zoo])
    assert_type(c.c_int4multirange.overlaps(Multirange([Range(1, 3)])), Condition[models.Zoo])
    assert_type(c.c_mood.eq(models.Mood.HAPPY), Condition[models.Zoo])
    assert_type(c.status.eq("draft"), Condition[models.Zoo])
    assert_type(c.c_json.is_null(), Condition[models.Zoo])
    assert_type(c.c_timestamptz.lt(datetime.now(UTC)), Condition[models.Zoo])
    assert_type(any_of(c.c_bool.eq(True), all_of(c.c_text.eq("x"))), Condition[models.Zoo])
    assert_type(db.zoo.list(lambda c: c.c_text.contains("x"), order_by="id", limit=5), list[models.Zoo])
    assert_type(db.zoo.count(c.c_integer.ge(0)), int)
    assert_type(db.zoo.exists(c.c_integer.ge(0)), bool)
    assert_type(db.zoo.update_where(c.c_integer.lt(0), models.ZooUpdate(c_text="neg")), int)
    assert_type(db.zoo.update_where_and_return(ALL_ROWS, models.ZooUpdate(c_text="x")), list[models.Zoo])
    assert_type(db.zoo.delete_where(lambda c: c.c_json.is_null()), int)
    assert_type(db.zoo.delete_where_and_return(c.c_integer.eq(1)), list[models.Zoo])


def rejected(db: Database) -> None:
    c = db.zoo.c
    c.c_integer.like("1%")  # rejected: attr-defined
    c.c_jsonb.gt({"a": 1})  # rejected: attr-defined
    c.c_json.eq({"a": 1})  # rejected: attr-defined
    c.c_integer.gt("1")  # rejected: arg-type
    c.c_text.eq(1)  # rejected: arg-type
    c.c_int_array.contains(["a"])  # rejected: list-item
    c.c_int4range.contains("5")  # rejected: arg-type
    c.c_mood.eq("furious")  # rejected: arg-type
    c.status.eq("archived")  # rejected: arg-type
    c.c_timestamptz.lt("2026-01-01")  # rejected: arg-type
    c.no_such_column.eq(1)  # rejected: attr-defined
    db.zoo.list(c.c_integer)  # rejected: arg-type
    db.zoo.list(lambda c: c.c_integer.like("1"))  # rejected: attr-defined
    db.zoo.update_where(c.c_integer.gt(1), models.ZooInsert(c_text="x"))  # rejected: arg-type
    db.zoo.delete_where(None)  # rejected: arg-type
    db.zoo.list(db.tag.c.id.eq(1))  # rejected: arg-type
    c.c_integer.gt(1) & db.tag.c.id.eq(1)  # rejected: operator
