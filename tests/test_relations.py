"""Relations from foreign keys (tests/cases/relations: self-reference, two FKs to one table, a
composite FK, one-to-one, many-to-many through a join table, NULL foreign keys): their names, and
filters across them (some, none, every, has; nested; negated; in bulk writes) answer what
PostgreSQL answers to the same question written by hand as EXISTS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen.dev import pg
from tests.package_checks import generate_from_url, run_python

SCHEMA = Path(__file__).parent / "cases" / "relations" / "schema.sql"
CONFIG = SCHEMA.with_name("config.toml")  # the view's declared foreign key


@pytest.fixture(scope="module")
def related(server: pg.Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    out = tmp_path_factory.mktemp("relations") / "out"
    with pg.scratch_database(server.url, "relations") as url:
        loaded = pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(SCHEMA))
        assert loaded.returncode == 0, loaded.stderr
        proc = generate_from_url(url, out, "--config", str(CONFIG))
        assert proc.returncode == 0, proc.stderr
        yield url, out


# (table, the where= condition, PostgreSQL's condition on the table `t`, written by hand)
CASES = [
    ("person", "c.person_by_manager.some()", "EXISTS (SELECT FROM person r WHERE r.manager_id = t.id)"),
    ("person", "c.manager.has(lambda m: m.name.eq('Ada'))", "EXISTS (SELECT FROM person m WHERE m.id = t.manager_id AND m.name = 'Ada')"),
    ("person", "~c.manager.has()", "NOT EXISTS (SELECT FROM person m WHERE m.id = t.manager_id)"),
    ("person", "c.message_by_sender.some(lambda m: m.recipient_id.is_null())", "EXISTS (SELECT FROM message m WHERE m.sender_id = t.id AND m.recipient_id IS NULL)"),
    ("person", "c.message_by_recipient.none()", "NOT EXISTS (SELECT FROM message m WHERE m.recipient_id = t.id)"),
    ("person", "c.message_by_sender.every(lambda m: m.recipient_id.ne(2))", "NOT EXISTS (SELECT FROM message m WHERE m.sender_id = t.id AND (m.recipient_id <> 2) IS NOT TRUE)"),
    ("person", "c.profile.has(lambda p: p.bio.is_null())", "EXISTS (SELECT FROM profile p WHERE p.person_id = t.id AND p.bio IS NULL)"),
    ("person", "c.profile.has() & ~c.team_via_membership.some()", "EXISTS (SELECT FROM profile p WHERE p.person_id = t.id) AND NOT EXISTS (SELECT FROM membership j WHERE j.person_id = t.id)"),
    ("person", "c.team_via_membership.some(lambda x: x.title.eq('Core'))", "EXISTS (SELECT FROM membership j JOIN team x ON (x.org, x.code) = (j.org, j.code) WHERE j.person_id = t.id AND x.title = 'Core')"),
    ("person", "c.team_via_membership.every(lambda x: x.org.eq('a'))", "NOT EXISTS (SELECT FROM membership j JOIN team x ON (x.org, x.code) = (j.org, j.code) WHERE j.person_id = t.id AND (x.org = 'a') IS NOT TRUE)"),
    ("person", "c.message_by_sender.some(lambda m: m.recipient.has(lambda r: r.profile.has(lambda p: p.bio.eq('math'))))", "EXISTS (SELECT FROM message m JOIN person r ON r.id = m.recipient_id JOIN profile p ON p.person_id = r.id WHERE m.sender_id = t.id AND p.bio = 'math')"),
    ("person", "c.name.eq('Ed') | c.person_by_manager.some(lambda r: r.person_by_manager.some())", "t.name = 'Ed' OR EXISTS (SELECT FROM person r JOIN person g ON g.manager_id = r.id WHERE r.manager_id = t.id)"),
    ("team", "c.person.some(lambda p: p.name.starts_with('A'))", "EXISTS (SELECT FROM membership j JOIN person p ON p.id = j.person_id WHERE (j.org, j.code) = (t.org, t.code) AND p.name LIKE 'A%')"),
    ("team", "c.membership.none()", "NOT EXISTS (SELECT FROM membership j WHERE (j.org, j.code) = (t.org, t.code))"),
    ("membership", "c.team.has(lambda x: x.title.ne('Core'))", "EXISTS (SELECT FROM team x WHERE (x.org, x.code) = (t.org, t.code) AND x.title <> 'Core')"),
    ("message", "c.sender.has(lambda p: p.manager.has(lambda m: m.name.eq('Ada')))", "EXISTS (SELECT FROM person p JOIN person m ON m.id = p.manager_id WHERE p.id = t.sender_id AND m.name = 'Ada')"),
    ("message", "~c.recipient.has()", "NOT EXISTS (SELECT FROM person p WHERE p.id = t.recipient_id)"),
]  # fmt: skip


def test_relation_filters_answer_what_postgresql_answers(related: tuple[str, Path]) -> None:
    url, out = related
    keys = {"person": "id", "team": "org || code", "membership": "person_id || org || code", "message": "id"}
    want = []
    for table, _, condition in CASES:
        sql = f"SELECT string_agg(({keys[table]})::text, ',' ORDER BY {keys[table]}) FROM {table} t WHERE {condition}"
        answer = pg.run_psql(url, "-Atc", sql)
        assert answer.returncode == 0, (condition, answer.stderr)
        want.append(answer.stdout.strip())
    key = {
        "person": "str(r.id)",
        "team": "r.org + r.code",
        "membership": "str(r.person_id) + r.org + r.code",
        "message": "str(r.id)",
    }
    script = "import sys\nfrom chatmaps_db import Database\ndb = Database(sys.argv[1])\n" + "".join(
        f"c = db.{table}.c\nprint(','.join(sorted({key[table]} for r in db.{table}.list({call}))))\n"
        for table, call, _ in CASES
    )
    ran = run_python(out, "-c", script, url)
    assert ran.returncode == 0, ran.stderr
    got = ran.stdout.splitlines()
    assert got == want, [(c[1], g, w) for c, g, w in zip(CASES, got, want, strict=True) if g != w]
    assert len({w for w in want}) > 8  # the cases tell the rows apart


def test_bulk_writes_across_a_relation(related: tuple[str, Path]) -> None:
    url, out = related
    script = (
        "import sys\nimport psycopg\nfrom chatmaps_db import Database, models\ndb = Database(sys.argv[1])\n"
        "with db.transaction() as tx:\n"
        "    n = tx.message.update_where(lambda m: m.sender.has(lambda p: p.name.eq('Ada')), models.MessageUpdate(body='x'))\n"
        "    gone = tx.message.delete_where_and_return(lambda m: m.recipient.has(lambda p: p.manager.has()))\n"
        "    print(n, sorted(m.id for m in gone), tx.message.count(lambda m: m.body.eq('x')))\n"
        "    raise psycopg.Rollback()\n"
    )
    ran = run_python(out, "-c", script, url)
    assert ran.returncode == 0, ran.stderr
    n = pg.run_psql(url, "-Atc", "SELECT count(*) FROM message WHERE sender_id = 1").stdout.strip()
    gone = pg.run_psql(
        url,
        "-Atc",
        "SELECT string_agg(m.id::text, ', ' ORDER BY m.id) FROM message m JOIN person p ON p.id = m.recipient_id WHERE p.manager_id IS NOT NULL",
    ).stdout.strip()
    left = pg.run_psql(
        url,
        "-Atc",
        "SELECT count(*) FROM message m WHERE sender_id = 1 AND NOT EXISTS (SELECT FROM person p WHERE p.id = m.recipient_id AND p.manager_id IS NOT NULL)",
    ).stdout.strip()
    assert ran.stdout.strip() == f"{n} [{gone}] {left}", ran.stdout


def test_relation_names_follow_the_rule(related: tuple[str, Path]) -> None:
    _, out = related
    schema = (out / "SCHEMA.md").read_text()
    names = sorted(line.split("`")[1] for line in schema.splitlines() if line.startswith("- relation `"))
    assert names == sorted(
        [
            "manager", "person_by_manager", "profile", "message_by_sender", "message_by_recipient", "membership",
            "team_via_membership",  # person: "team" is a column
            "person",  # profile
            "sender", "recipient",  # message
            "membership", "person",  # team
            "person", "team",  # membership
            "senders", "person",  # person, senders (the view): config.toml's declared key
        ]
    ), names  # fmt: skip


def test_relations_are_renamed_by_the_config(server: pg.Server, tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text(
        '[tool.codegen.relations]\n"public.message.sender" = "author"\n"public.person.message_by_sender" = "sent"\n'
    )
    bad = tmp_path / "bad.toml"
    bad.write_text('[tool.codegen.relations]\n"public.message.writer" = "author"\n')
    clash = tmp_path / "clash.toml"
    clash.write_text('[tool.codegen.relations]\n"public.message.sender" = "body"\n')
    with pg.scratch_database(server.url, "renamed") as url:
        assert pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(SCHEMA)).returncode == 0
        proc = generate_from_url(url, tmp_path / "out", "--config", str(config))
        assert proc.returncode == 0, proc.stderr
        refused = generate_from_url(url, tmp_path / "bad", "--config", str(bad))
        clashed = generate_from_url(url, tmp_path / "clash", "--config", str(clash))
    schema = (tmp_path / "out" / "SCHEMA.md").read_text()
    assert "- relation `author` (many-to-one): public.person rows" in schema
    assert "- relation `sent` (one-to-many): public.message rows" in schema and "`sender`" not in schema
    assert refused.returncode == 1 and refused.stderr == (
        f"error: {bad}: [tool.codegen.relations] names 'public.message.writer', which is no relation: "
        "write schema.table.name as docs/SCHEMA.md lists them\n"
    ), refused.stderr
    assert clashed.returncode == 1 and clashed.stderr.startswith(
        "error: public.message: relation body (many-to-one to public.person, message_sender_id_fkey) has the name of "
        "a column's field: rename one under [tool.codegen.relations]"
    ), clashed.stderr


def test_loading_relations_answers_what_postgresql_answers(related: tuple[str, Path]) -> None:
    """tests/roundtrip/relations_load.py: nested two levels, per-relation order and limit, parents
    without children, NULL foreign keys, many-to-many and composite keys; one statement per
    relation per level (counted); get, iter; an unloaded relation raises RelationNotLoaded."""
    url, out = related
    ran = run_python(out, str(Path(__file__).parent / "roundtrip" / "relations_load.py"), url)
    assert ran.returncode == 0 and ran.stdout == "ok 8\n", ran.stdout + ran.stderr


def test_a_join_table_named_with_a_percent(server: pg.Server, tmp_path: Path) -> None:
    """The many-to-many's join table goes through psycopg's %s formatting: its % doubled once."""
    with pg.scratch_database(server.url, "pct") as url:
        ddl = (
            "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY);"
            'CREATE TABLE "a%b" (a_id int REFERENCES a, b_id int REFERENCES b, PRIMARY KEY (a_id, b_id));'
            'INSERT INTO a VALUES (1), (2); INSERT INTO b VALUES (7); INSERT INTO "a%b" VALUES (1, 7);'
        )
        assert pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-c", ddl).returncode == 0
        assert generate_from_url(url, tmp_path / "out").returncode == 0
        script = (
            "import sys\nfrom chatmaps_db import Database\nfrom chatmaps_db.access.a import ALoad\n"
            "db = Database(sys.argv[1])\n"
            "print([r.id for r in db.a.list(lambda c: c.b.some(), order_by='id')])\n"
            "print([[x.id for x in r.b] for r in db.a.list(order_by='id', load=ALoad(b=True))])\n"
        )
        ran = run_python(tmp_path / "out", "-c", script, url)
        want = pg.run_psql(url, "-Atc", 'SELECT a_id FROM "a%b"').stdout.strip()
    assert ran.returncode == 0 and ran.stdout == f"[{want}]\n[[7], []]\n", ran.stdout + ran.stderr
