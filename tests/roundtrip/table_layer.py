"""The table layer on tests/cases/table_layer/schema.sql: composite keys, a unique expression
index, a table without a primary key, a table named like a connection attribute, views, and
constraint errors.

Run by tests/test_access_schemas.py inside the package generated from that schema (cwd),
against a database holding it (argv[1]). Each check that fails prints one line; the last
line counts the checks.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chatmaps_db import AsyncDatabase, Database, models
from chatmaps_db.errors import CheckViolation, ForeignKeyViolation, RowSkipped, UniqueViolation

CHECKS: list[tuple[str, bool]] = []


def check(name: str, ok: bool) -> None:
    CHECKS.append((name, ok))


def raises(name: str, kind: type[Exception], call: Any, message: str | None = None) -> None:
    try:
        call()
    except kind as exc:
        check(name, message is None or str(exc) == message)
        if message is not None and str(exc) != message:
            print(f"{name}: message {str(exc)!r}")
        return
    except Exception as exc:
        print(f"{name}: raised {type(exc).__name__}: {exc}")
    check(name, False)


def sync(url: str) -> None:
    db = Database(url)
    team = db.teams.insert(models.TeamInsert(slug="core", name="Core", budget=Decimal("12.50"), tags=["a", "b"]))
    check("identity and generated columns come back", team.id > 0 and team.name_length == 4)
    check(
        "money, arrays and json defaults round-trip",
        (team.budget, team.tags, team.settings) == (Decimal("12.50"), ["a", "b"], {}),
    )
    check("get_by_slug", db.teams.get_by_slug("core") == team)
    check("get_by_name compares lower()", db.teams.get_by_name("CORE") == team)
    check("trusted row equals validated row (money validated)", db.teams.get(team.id, validate=True) == team)
    check("array equality filter", db.teams.list(tags=["a", "b"]) == [team] and db.teams.list(tags=["a"]) == [])
    moved = db.teams.upsert(models.TeamInsert(slug="core", name="Core Team", settings={"x": [1]}), on="slug")
    check(
        "upsert on a unique key updates",
        moved.id == team.id and moved.name == "Core Team" and moved.settings == {"x": [1]},
    )
    many = [models.TeamInsert(slug=f"t{i}", name=f"T{i}", budget=Decimal(i)) for i in range(300)]
    check("insert_many through text COPY (money has no binary dumper)", db.teams.insert_many(many) == 300)
    t7 = db.teams.get_by_slug("t7")
    check("text COPY values", t7 is not None and t7.budget == Decimal(7) and t7.tags == [] and t7.settings == {})

    member = db.members.insert(models.MemberInsert(team_id=team.id, user_name="ada", limit=3))
    check("enum default", member.role is models.Role.MEMBER)
    check("composite get", db.members.get(team_id=team.id, user_name="ada") == member)
    owner = db.members.update(models.MemberUpdate(role=models.Role.OWNER), team_id=team.id, user_name="ada")
    check("composite update", owner is not None and owner.role is models.Role.OWNER)
    db.members.insert(models.MemberInsert(team_id=team.id, user_name="bob"))
    check("enum filter", [m.user_name for m in db.members.list(role=models.Role.OWNER)] == ["ada"])
    check(
        "enum IN filter and order",
        [m.user_name for m in db.members.list(role=[models.Role.OWNER, models.Role.MEMBER], order_by="-user_name")]
        == ["bob", "ada"],
    )
    check("a column named limit is the limit_ keyword", [m.user_name for m in db.members.list(limit_=3)] == ["ada"])
    check("limit_=None is IS NULL", [m.user_name for m in db.members.list(limit_=None, limit=5)] == ["bob"])
    raises(
        "foreign key on delete",
        ForeignKeyViolation,
        lambda: db.teams.delete(team.id),
        "public.members (team_id) still refers to this row of public.teams (id) (foreign key members_team_id_fkey): "
        "delete or change those rows first, or declare the foreign key ON DELETE CASCADE",
    )
    raises(
        "check constraint",
        CheckViolation,
        lambda: db.members.insert(models.MemberInsert.model_construct(team_id=team.id, user_name="cy", limit=0)),
        'public.members: check constraint members_limit_check is violated: CHECK (("limit" > 0))',
    )
    raises(
        "unique key of a composite primary key",
        UniqueViolation,
        lambda: db.members.insert(models.MemberInsert(team_id=team.id, user_name="bob")),
        "public.members: another row has the same team_id, user_name (primary key members_pkey)",
    )
    check("composite delete", db.members.delete(team_id=team.id, user_name="bob") is True)

    log = db.audit_log.insert(models.AuditLogInsert(message="hello", team_id=team.id))
    check("no primary key: insert and list", db.audit_log.list() == [log])
    check(
        "no primary key: insert_many and count", db.audit_log.insert_many([models.AuditLogInsert(message="x")] * 3) == 3
    )
    check("no primary key: count", db.audit_log.count(team_id=None) == 3)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    ticks = [models.TickInsert(), models.TickInsert(), models.TickInsert(at=at), models.TickInsert()]
    check("insert_many of rows with every column defaulted", db.ticks.insert_many(ticks) == 4)
    check("defaults and a value, in one call", db.ticks.count() == 4 and db.ticks.count(at=at) == 1)
    check(
        "no primary key: no get/update/delete/upsert",
        not any(hasattr(db.audit_log, m) for m in ("get", "update", "delete", "upsert")),
    )

    skipped = "public.notes.insert wrote no row: trigger no spam (BEFORE INSERT) returned NULL for it, so there is no row to return"
    raises(
        "a trigger skips an insert", RowSkipped, lambda: db.notes.insert(models.NoteInsert(id=1, body="spam")), skipped
    )
    check("nothing was written", db.notes.count() == 0)
    raises(
        "a trigger skips an upsert",
        RowSkipped,
        lambda: db.notes.upsert(models.NoteInsert(id=1, body="more spam")),
        skipped.replace(".insert", ".upsert").replace("(BEFORE INSERT)", "(BEFORE INSERT or UPDATE)"),
    )
    notes = [models.NoteInsert(id=i, body="spam" if i % 2 else "ham") for i in range(10)]
    check("insert_many counts the rows written, not those a trigger skipped", db.notes.insert_many(notes) == 5)
    check("... which are the rows in the table", db.notes.count() == 5)
    check("an update a trigger skipped is None", db.notes.update(0, models.NoteUpdate(body="spam")) is None)
    check("... and the row is unchanged", (n := db.notes.get(0)) is not None and n.body == "ham")

    info = db.info_.insert(models.InfoInsert(id=1, row="r"))
    with db.connection() as conn:
        check("a table named info is db.info_", db.info_.get(1) == info and conn.info.backend_pid > 0)

    sizes = {s.slug: s.members for s in db.team_sizes.list()}
    check("a view lists", sizes["core"] == 1 and len(sizes) == 301)
    check("a view counts", db.team_sizes.count(slug=["core", "t1"]) == 2)
    with db.connection() as conn:
        conn.execute("REFRESH MATERIALIZED VIEW team_slugs")
        slug = conn.team_slugs.get_by_slug("t9")
    check("a materialized view's unique index is a key", slug is not None and slug.slug == "t9")
    check("views are read-only", not any(hasattr(db.team_sizes, m) for m in ("insert", "update", "delete", "get")))
    db.close()


def asynchronous(url: str) -> None:
    async def main() -> None:
        async with AsyncDatabase(url) as db:
            team = await db.teams.get_by_slug("core")
            check("async get_by", team is not None)
            assert team is not None
            member = await db.members.get(team_id=team.id, user_name="ada")
            check("async composite get", member is not None and member.limit == 3)
            check("async view", await db.team_sizes.count() == 301)
            async with db.transaction() as tx:
                await tx.audit_log.insert_many([models.AuditLogInsert(message="in tx")])
                check("async tx count", await tx.audit_log.count(message="in tx") == 1)
            try:
                await db.notes.insert(models.NoteInsert(id=100, body="spam"))
                check("async insert a trigger skipped raises RowSkipped", False)
            except RowSkipped as exc:
                check("async insert a trigger skipped raises RowSkipped", exc.triggers == ("no spam",))

    asyncio.run(main())


if __name__ == "__main__":
    sync(sys.argv[1])
    asynchronous(sys.argv[1])
    for name, ok in CHECKS:
        if not ok:
            print(f"failed: {name}")
    print(f"{len(CHECKS)} checks")
