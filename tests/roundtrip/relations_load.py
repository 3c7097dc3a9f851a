"""load= on tests/cases/relations (run inside its package, cwd; argv[1] its database): the loaded
rows, nested two levels, each relation with its own order and limit, against PostgreSQL's answer
to the same question written as plain SQL (JOINs, regrouped here); and the statements it took,
counted by a psycopg cursor class: one per relation per level. Prints `ok` and the counts."""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Any

import psycopg

from chatmaps_db import Database
from chatmaps_db.access.message import MessageLoad
from chatmaps_db.access.person import PersonLoad
from chatmaps_db.access.senders import SenderLoad
from chatmaps_db.access.team import TeamLoad
from chatmaps_db.errors import RelationNotLoaded

SENT: list[str] = []


class Counting(psycopg.Cursor[Any]):
    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        SENT.append(str(query))
        return super().execute(query, params, **kwargs)


def main(url: str) -> None:
    db = Database(url)
    raw = psycopg.connect(url, autocommit=True)

    def sql(q: str) -> list[tuple[Any, ...]]:
        return raw.execute(q).fetchall()

    load = PersonLoad(
        manager=True,
        profile=True,
        team_via_membership=TeamLoad(order_by="title"),
        message_by_sender=MessageLoad(
            lambda m: m.body.ne("self"), order_by="-id", limit=2, recipient=PersonLoad(profile=True)
        ),
        person_by_manager=PersonLoad(order_by="name"),
    )
    with db.transaction() as tx:
        tx.cursor_factory = Counting
        people = tx.person.list(order_by="id", load=load)
        statements = len(SENT)
    got = [
        (
            p.id,
            p.manager.id if p.manager else None,
            p.profile.bio if p.profile else "-",
            [t.title for t in p.team_via_membership],
            [
                (m.id, m.recipient.profile.bio if m.recipient and m.recipient.profile else "-")
                for m in p.message_by_sender
            ],
            [r.name for r in p.person_by_manager],
        )
        for p in people
    ]
    # PostgreSQL's answer: plain JOINs, regrouped.
    teams: dict[int, list[str]] = defaultdict(list)
    for pid, title in sql(
        "SELECT m.person_id, t.title FROM membership m JOIN team t USING (org, code) ORDER BY t.title"
    ):
        teams[pid].append(title)
    sent: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for sender, mid, bio in sql(
        "SELECT m.sender_id, m.id, coalesce(pr.bio, '-') FROM message m LEFT JOIN person r ON r.id = m.recipient_id "
        "LEFT JOIN profile pr ON pr.person_id = r.id WHERE m.body <> 'self' ORDER BY m.id DESC"
    ):
        if len(sent[sender]) < 2:
            sent[sender].append((mid, bio))
    reports: dict[int, list[str]] = defaultdict(list)
    for manager, name in sql("SELECT manager_id, name FROM person WHERE manager_id IS NOT NULL ORDER BY name"):
        reports[manager].append(name)
    want = [
        (pid, manager, bio, teams[pid], sent[pid], reports[pid])
        for pid, manager, bio in sql(
            "SELECT p.id, m.id, CASE WHEN pr.person_id IS NULL THEN '-' ELSE pr.bio END FROM person p "
            "LEFT JOIN person m ON m.id = p.manager_id LEFT JOIN profile pr ON pr.person_id = p.id ORDER BY p.id"
        )
    ]
    assert got == want, (got, want)
    assert statements == 1 + 5 + 1 + 1, SENT  # the people; 5 relations; recipients; their profiles
    # get(pk, load=) sends the relations found by the key it was given (person.id) with the row, in one
    # pipeline, and those found by the row's own columns (manager_id) after it: the same answer as list's.
    for pid in (1, 2, 4, 99):
        SENT.clear()
        with db.transaction() as tx:
            tx.cursor_factory = Counting
            single = tx.person.get(pid, load=load)
            sent = len(SENT)
        listed = [g for g in got if g[0] == pid]
        if single is None:
            assert not listed and sent == 1 + 4, (pid, SENT)  # the row and the four found by its key: none
            continue
        assert [
            (
                single.id,
                single.manager.id if single.manager else None,
                single.profile.bio if single.profile else "-",
                [t.title for t in single.team_via_membership],
                [
                    (m.id, m.recipient.profile.bio if m.recipient and m.recipient.profile else "-")
                    for m in single.message_by_sender
                ],
                [r.name for r in single.person_by_manager],
            )
        ] == listed, (single, listed)
    # get and get_by, iter, and a relation not asked for.
    one = db.person.get(1, load=PersonLoad(profile=True))
    assert one is not None and one.profile is not None and one.profile.bio == "math"
    try:
        one.manager  # noqa: B018
    except RelationNotLoaded as exc:
        assert str(exc).startswith("PersonWith.manager was not loaded: ask for it with load="), exc
    else:
        raise AssertionError("an unloaded relation was read")
    streamed = [
        (p.id, [t.title for t in p.team_via_membership])
        for p in db.person.iter(order_by="id", batch=2, load=PersonLoad(team_via_membership=TeamLoad(order_by="title")))
    ]
    assert streamed == [(g[0], g[3]) for g in got], streamed
    team = db.team.list(
        order_by=["org", "code"], load=TeamLoad(person=PersonLoad(order_by="id", limit=1), membership=True)
    )
    assert [(t.org, t.code, [p.id for p in t.person], len(t.membership)) for t in team] == [
        (org, code, [first] if first else [], n)
        for org, code, first, n in sql(
            "SELECT t.org, t.code, (SELECT min(m.person_id) FROM membership m WHERE (m.org, m.code) = (t.org, t.code)), "
            "(SELECT count(*) FROM membership m WHERE (m.org, m.code) = (t.org, t.code))::int FROM team t ORDER BY 1, 2"
        )
    ]
    # count=: every to-many relation counted in the rows' own statement (one with a condition),
    # and at the level below (a many-to-many's rows counting theirs), against count(*) by hand.
    SENT.clear()
    with db.transaction() as tx:
        tx.cursor_factory = Counting
        counted = tx.person.list(
            order_by="id",
            load=PersonLoad(
                count={
                    "membership": True,
                    "message_by_recipient": True,
                    "message_by_sender": lambda m: m.body.ne("self"),
                    "person_by_manager": True,
                    "senders": True,
                    "team_via_membership": True,
                },
                team_via_membership=TeamLoad(order_by="title", count=["person", "membership"]),
            ),
        )
        assert len(SENT) == 2, SENT  # the people with their counts; their teams with theirs
    got_counts = [
        (
            p.id,
            p.c0,
            *(p.count_of(n) for n in ("membership", "message_by_recipient", "message_by_sender")),
            p.count_of("person_by_manager"),
            p.count_of("senders"),
            p.count_of("team_via_membership"),
            [(t.title, t.count_of("person"), t.count_of("membership")) for t in p.team_via_membership],
        )
        for p in counted
    ]
    team_counts: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for pid, title, people, members in sql(
        "SELECT m.person_id, t.title, (SELECT count(*) FROM membership x JOIN person p ON p.id = x.person_id "
        "WHERE (x.org, x.code) = (t.org, t.code))::int, (SELECT count(*) FROM membership x "
        "WHERE (x.org, x.code) = (t.org, t.code))::int FROM membership m JOIN team t USING (org, code) ORDER BY t.title"
    ):
        team_counts[pid].append((title, people, members))
    want_counts = [
        (*row, team_counts[row[0]])
        for row in sql(
            "SELECT p.id, p._c0, (SELECT count(*) FROM membership m WHERE m.person_id = p.id)::int, "
            "(SELECT count(*) FROM message m WHERE m.recipient_id = p.id)::int, "
            "(SELECT count(*) FROM message m WHERE m.sender_id = p.id AND m.body <> 'self')::int, "
            "(SELECT count(*) FROM person r WHERE r.manager_id = p.id)::int, "
            "(SELECT count(*) FROM senders s WHERE s.id = p.id)::int, "
            "(SELECT count(*) FROM membership m JOIN team t USING (org, code) WHERE m.person_id = p.id)::int "
            "FROM person p ORDER BY p.id"
        )
    ]
    assert got_counts == want_counts, (got_counts, want_counts)
    try:
        counted[0].team_via_membership[0].count_of("person") and counted[0].manager
    except RelationNotLoaded:
        pass
    else:
        raise AssertionError("an unloaded relation was read")
    # The view, through its declared foreign key, both ways.
    senders = db.senders.list(order_by="id", load=SenderLoad(person=PersonLoad(count=["senders"])))
    assert [(s.id, s.sent, s.person.name if s.person else None) for s in senders] == sql(
        "SELECT s.id, s.sent, p.name FROM senders s LEFT JOIN person p ON p.id = s.id ORDER BY s.id"
    )
    assert all(s.person and s.person.count_of("senders") == 1 for s in senders)
    print("ok", statements)
    if len(sys.argv) > 2:
        print(got, SENT[:3], sep="\n")


if __name__ == "__main__":
    main(sys.argv[1])
