"""Calls to the table layer that mypy --strict must reject: tests/test_access_typing.py runs
mypy on this file and expects an error on exactly the lines marked "rejected", with its code."""

from __future__ import annotations

from uuid import UUID

from chatmaps_db import Database, models
from chatmaps_db.access.accounts import AccountLoad
from chatmaps_db.access.sessions import SessionLoad
from chatmaps_db.access.users import UserLoad


def wrong(db: Database, user_id: UUID) -> None:
    db.users.list(email_verified="no")  # rejected: call-overload
    db.users.list(order_by="password")  # rejected: arg-type
    db.users.list(order_by=["name", "nmae"])  # rejected: list-item
    db.users.list(colour="red")  # rejected: call-overload
    db.users.get("not-a-uuid")  # rejected: call-overload
    db.users.get_by_name("Ada")  # rejected: attr-defined
    db.users.update(user_id, models.UserInsert(name="Ada", email="a@b.c"))  # rejected: arg-type
    db.users.insert(models.UserUpdate(name="Ada"))  # rejected: arg-type
    db.users.upsert(models.UserInsert(name="Ada", email="a@b.c"), on="name")  # rejected: arg-type
    db.users.list(name=None)  # rejected: call-overload
    db.accounts.get(provider_id="github")  # rejected: call-overload
    db.users.count(order_by="name")  # rejected: call-arg
    db.sessions.update(user_id, models.AccountUpdate(user_id=user_id))  # rejected: arg-type
    db.users.insert(models.UserCreate(name="Ada", email="a@b.c"))  # rejected: arg-type
    models.UserCreate(name="Ada", email="a@b.c", email_verified=True)  # rejected: call-arg
    db.users.list(offset="20")  # rejected: call-overload
    db.users.count(offset=20)  # rejected: call-arg
    db.transaction(isolation="snapshot")  # rejected: arg-type
    db.users.iter(batch="many")  # rejected: call-overload
    db.users.upsert(models.UserInsert(name="Ada", email="a@b.c"), update=["colour"])  # rejected: list-item
    db.users.insert_if_absent(models.UserInsert(name="Ada", email="a@b.c"), on="name")  # rejected: arg-type
    db.users.list(lambda c: c.created_at.like("2026%"))  # rejected: attr-defined
    db.users.list(db.sessions.c.token.eq("t"))  # rejected: arg-type
    db.users.count(lambda c: c.email_verified.eq("yes"))  # rejected: arg-type
    db.users.update_where(db.users.c.name.eq("A"), models.UserInsert(name="A", email="a@b.c"))  # rejected: arg-type
    db.users.delete_where()  # rejected: call-arg
    db.users.list(lambda c: c.sessions.some(lambda s: s.email.eq("x")))  # rejected: attr-defined
    db.sessions.list(lambda c: c.user.has(lambda u: u.token.eq("x")))  # rejected: attr-defined
    db.users.list(lambda c: c.sessions.has())  # rejected: attr-defined
    db.users.list(lambda c: c.sessions.some(lambda s: db.users.c.name.eq("x")))  # rejected: arg-type
    db.users.list(lambda c: c.session.some())  # rejected: attr-defined
    UserLoad(session=True)  # rejected: call-arg
    UserLoad(sessions=AccountLoad())  # rejected: arg-type
    db.users.list(load=SessionLoad())  # rejected: call-overload
    SessionLoad(lambda s: s.email.eq("x"))  # rejected: attr-defined
    print(db.users.list()[0].sessions)  # rejected: attr-defined
    UserLoad(count=["session"])  # rejected: list-item
    UserLoad(count={"sessions": lambda a: a.provider_id.eq("x")})  # rejected: arg-type
    SessionLoad(count=["user"])  # rejected: call-arg
    db.users.list(load=UserLoad(count=["sessions"]))[0].count_of("accounts ")  # rejected: arg-type
    db.users.list()[0].count_of("sessions")  # rejected: attr-defined


def wrong_row(db: Database, user_id: UUID) -> models.Session | None:
    return db.users.get(user_id)  # rejected: return-value
