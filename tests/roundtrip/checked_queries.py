"""The checked queries of tests/cases/checked_queries: an enum parameter that may be NULL, a
text[] parameter, a jsonb parameter, a LEFT JOIN's NULL side, a secret column, a table's own
row model, :copyfrom with an enum-like CHECK column, :execrows; sync and async.

Run by tests/test_query_generation.py inside the package generated from that schema and its
queries (cwd), against a database holding the schema (argv[1]). Each failing check prints one
line; the last line counts the checks.
"""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal

from chatmaps_db import AsyncDatabase, Database, models
from chatmaps_db.queries import AddBooksParams, ListBooksWithAuthorsRow

CHECKS: list[tuple[str, bool]] = []


def check(name: str, ok: bool) -> None:
    CHECKS.append((name, ok))


def main(url: str) -> None:
    db = Database(url)
    try:
        ann = db.authors.insert(models.AuthorInsert(name="Ann", mood=models.Mood.SAD))
        check("get_author is the table's model", db.queries.get_author(id=ann.id) == ann)
        made = db.queries.create_book(author_id=ann.id, title="One", meta={"tags": ["a", 1], "n": None})
        check("jsonb parameter", made is not None and db.books.get(made.id).meta == {"tags": ["a", 1], "n": None})  # type: ignore[union-attr]
        count = db.queries.add_books(
            [AddBooksParams(None, "Orphan", "published"), AddBooksParams(ann.id, "Two", "draft")]
        )
        check(":copyfrom counts", count == 2)
        rows = db.queries.list_books_with_authors(statuses=["draft", "published"], mood=None, max_rows=10)
        check("many rows, ordered", [r.title for r in rows] == ["One", "Orphan", "Two"])
        orphan = rows[1]
        check("LEFT JOIN's NULL side", (orphan.author_name, orphan.mood, orphan.api_key) == (None, None, None))
        check("coalesce and total!", orphan.price == Decimal(0) and orphan.total == 3)
        check("enum values", rows[0].mood is models.Mood.SAD and isinstance(rows[0], ListBooksWithAuthorsRow))
        check("secret column stays secret", "api_key" not in rows[0].model_dump() and rows[0].api_key == ann.api_key)
        sad = db.queries.list_books_with_authors(statuses=["draft"], mood=models.Mood.SAD, max_rows=10)
        check("narg enum filter", [r.title for r in sad] == ["One", "Two"])
        check(
            "validate=True gives equal rows",
            db.queries.list_books_with_authors(statuses=["draft", "published"], mood=None, max_rows=10, validate=True)
            == rows,
        )
        check(":execrows", db.queries.set_mood(mood=models.Mood.HAPPY, id=ann.id) == 1)
        check(":execrows on nothing", db.queries.set_mood(mood=models.Mood.HAPPY, id=-1) == 0)
    finally:
        db.close()

    async def twin() -> None:
        adb = AsyncDatabase(url)
        try:
            rows = await adb.queries.list_books_with_authors(statuses=["published"], mood=None, max_rows=5)
            check("async twin", [r.title for r in rows] == ["Orphan"])
            async with adb.transaction() as tx:
                check("async copy in tx", await tx.queries.add_books([AddBooksParams(None, "Three", "draft")]) == 1)
        finally:
            await adb.close()

    asyncio.run(twin())


if __name__ == "__main__":
    main(sys.argv[1])
    for name, ok in CHECKS:
        if not ok:
            print(f"failed: {name}")
    print(f"{len(CHECKS)} checks")
