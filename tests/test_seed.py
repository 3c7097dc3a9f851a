"""`make seed` (python -m codegen seed): deterministic fake rows through the package's Insert
models and insert_many, in foreign-key order, on ChatMaps and on every corpus schema."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from codegen.dev import atlas, pg
from codegen.dev.seed import PLACE_KINDS
from codegen.paths import MIGRATIONS
from tests.package_checks import codegen_seed, generate_from_url
from tests.test_corpus import CORPUS, PLAIN, POSTGREST_CONFIG, load_plain, load_postgrest, needs_corpus

_LINE = re.compile(r"  (?P<table>\S.*?): (?:(?P<rows>\d+) rows in [\d.]+ s|skipped: (?P<why>.*))")


def report(stdout: str) -> dict[str, int | str]:
    """{schema.table: rows written, or why it was skipped} from the seed's report."""
    out: dict[str, int | str] = {}
    for line in stdout.splitlines()[1:]:
        m = _LINE.fullmatch(line.split(" (")[0] if "rows in" in line else line)
        assert m, line
        out[m["table"]] = int(m["rows"]) if m["rows"] else m["why"]
    return out


def counts(url: str) -> dict[str, int]:
    with pg.connect(url) as conn:
        tables = conn.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            " AND schemaname NOT LIKE 'atlas%'"
        ).fetchall()
        return {
            f"{s}.{t}": int(conn.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0])  # type: ignore[index]
            for s, t in tables
            if '"' not in s + t
        }


def digest(url: str) -> str:
    with pg.connect(url) as conn:
        rows = conn.execute(
            "SELECT u.email, u.name, u.image, a.provider_id, a.account_id, s.expires_at, s.ip_address"
            " FROM users u JOIN accounts a ON a.user_id = u.id JOIN sessions s ON s.user_id = u.id"
            " ORDER BY 1, 4, 5, 6, 7"
        ).fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_chatmaps_seed_is_deterministic_and_respects_keys(server: pg.Server) -> None:
    digests = []
    for seed in ("7", "7", "8"):
        with pg.scratch_database(server.url, "seed") as url:
            atlas.migrate_apply(MIGRATIONS, url)
            done = codegen_seed(url, "--rows", "300", "--seed", seed)
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith(f"seeded {url} with 1200 rows (--seed {seed}) in ")
            assert report(done.stdout) == {
                t: 300 for t in ("public.users", "public.accounts", "public.sessions", "public.verifications")
            }
            with pg.connect(url) as conn:
                one = conn.execute(
                    "SELECT count(DISTINCT lower(email)), count(*) FILTER (WHERE email LIKE '%@%'),"
                    " (SELECT count(*) FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE u.id IS NULL),"
                    " (SELECT count(DISTINCT token) FROM sessions),"
                    " (SELECT count(*) FROM accounts WHERE provider_id NOT IN ('credential', 'github', 'google'))"
                    " FROM users"
                ).fetchone()
            assert one == (300, 300, 0, 300, 0)
            digests.append(digest(url))
    assert digests[0] == digests[1] != digests[2]


def test_an_unmigrated_database_is_refused(server: pg.Server) -> None:
    with pg.scratch_database(server.url, "empty") as url:
        done = codegen_seed(url)
    assert (done.returncode, done.stderr) == (
        1,
        f"error: {url} has no tables to seed: run `make migrate` (or `make db-reset SEED=1`) first\n",
    )


def _seed_corpus(url: str, tmp: Path, *generate_args: str) -> tuple[dict[str, int | str], dict[str, int]]:
    out = tmp / "out"
    made = generate_from_url(url, out, *generate_args)
    assert made.returncode == 0, made.stderr
    with pg.connect(url) as conn:  # the corpus files carry their own rows: start from empty tables
        names = conn.execute(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        conn.execute(f"TRUNCATE {', '.join(str(n[0]) for n in names)} CASCADE")
    done = codegen_seed(url, "--rows", "30", "--package", str(out))
    assert done.returncode == 0, done.stderr
    return report(done.stdout), counts(url)


# Empty after seeding, and why: none. pagila's payment is partitioned by month of 2022: its
# payment_date values are drawn inside the partitions' bounds. But its foreign keys are declared
# on each partition, not on payment, so the seeder cannot see them: most of its rows are refused.
EMPTY: dict[str, set[str]] = {}
FEW = {"pagila": {"public.payment"}}


@needs_corpus
@pytest.mark.parametrize("name", ["northwind", "chinook", "pagila"])
def test_every_corpus_table_is_seeded(server: pg.Server, tmp_path: Path, name: str) -> None:
    with pg.scratch_database(server.url, "seedcorpus") as url:
        load_plain(url, CORPUS / PLAIN[name], tmp_path)
        said, found = _seed_corpus(url, tmp_path)
    for table, rows in said.items():
        assert isinstance(rows, int), f"{table} skipped: {rows}"
        if table in found:
            assert found[table] == rows, table  # the report is what the tables hold
    empty = {t for t, n in found.items() if n == 0 and not t.startswith("public.payment_p")}
    assert empty == EMPTY.get(name, set())
    assert all(found.get(t, 1) > 0 for t in FEW.get(name, ()))
    full = {t: n for t, n in found.items() if t in said and t not in FEW.get(name, ())}
    assert sum(full.values()) >= 30 * (len(full) - len(empty)) - 5  # a few refused rows at most


@needs_corpus
def test_postgrest_fixtures_are_seeded_where_a_value_can_be_made(server: pg.Server, tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text(POSTGREST_CONFIG)
    with pg.scratch_database(server.url, "seedpgrst") as url:
        load_postgrest(url, tmp_path)
        said, found = _seed_corpus(url, tmp_path, "--config", str(config))
    seeded = {t: rows for t, rows in said.items() if isinstance(rows, int) and rows > 0}
    skipped = {t: why for t, why in said.items() if isinstance(why, str)}
    assert len(seeded) >= 150, skipped
    for table, rows in seeded.items():
        if table in found:
            assert found[table] >= rows, table  # triggers may add rows, never lose them
    # Every skip says why, in one line.
    assert all(why and "\n" not in why for why in skipped.values())


PLAUSIBLE = """
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL UNIQUE,
    avatar_url text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE places (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id bigint NOT NULL REFERENCES users,
    name text NOT NULL,
    latitude double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude double precision NOT NULL,
    lat numeric(9, 6),
    lng numeric(9, 6),
    y numeric(8, 5),
    ip_address text,
    website_url text,
    opens_on date NOT NULL,
    closes_on date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (opens_on < closes_on)
);
COMMENT ON COLUMN places.y IS 'Latitude of the entrance, in degrees';
-- Two rows at most, ever: a second seed can add none, and must say why.
CREATE TABLE feelings (mood mood PRIMARY KEY);
"""


def test_values_look_like_their_columns_and_a_second_seed_adds_rows(server: pg.Server, tmp_path: Path) -> None:
    with pg.scratch_database(server.url, "plausible") as url:
        loaded = pg.run_psql(url, "-q", "-v", "ON_ERROR_STOP=1", "-c", PLAUSIBLE)
        assert loaded.returncode == 0, loaded.stderr
        out = tmp_path / "out"
        made = generate_from_url(url, out)
        assert made.returncode == 0, made.stderr
        first = codegen_seed(url, "--rows", "100", "--package", str(out))
        assert first.returncode == 0, first.stderr
        assert report(first.stdout) == {"public.users": 100, "public.places": 100, "public.feelings": 2}
        assert "(98 refused and left out: 98 by unique key feelings_pkey)" in first.stdout
        with pg.connect(url) as conn:
            facts = conn.execute(
                """SELECT
                    count(*) FILTER (WHERE latitude NOT BETWEEN -90 AND 90 OR lat NOT BETWEEN -90 AND 90
                                       OR y NOT BETWEEN -90 AND 90),
                    count(*) FILTER (WHERE longitude NOT BETWEEN -180 AND 180 OR lng NOT BETWEEN -180 AND 180),
                    max(abs(longitude)) > 90 AND min(latitude) < 0 AND max(latitude) > 0,
                    count(*) FILTER (WHERE ip_address !~ '^([0-9]{1,3}\\.){3}[0-9]{1,3}$'),
                    count(*) FILTER (WHERE website_url !~ '^https?://'),
                    count(*) FILTER (WHERE updated_at < created_at OR closes_on <= opens_on),
                    (SELECT count(*) FROM users WHERE updated_at < created_at OR avatar_url !~ '^https?://')
                FROM places"""
            ).fetchone()
            assert facts == (0, 0, True, 0, 0, 0, 0)
            kinds = "|".join(PLACE_KINDS)
            (odd_places,) = conn.execute(f"SELECT count(*) FROM places WHERE name !~ ' ({kinds})$'").fetchone()  # type: ignore[misc]
            (personal,) = conn.execute(f"SELECT count(*) FROM users WHERE name ~ ' ({kinds})$'").fetchone()  # type: ignore[misc]
            assert (odd_places, personal) == (0, 0)  # a place's name is a place's, a user's a person's
        second = codegen_seed(url, "--rows", "100", "--package", str(out))
        assert second.returncode == 0, second.stderr
        assert report(second.stdout) == {"public.users": 100, "public.places": 100, "public.feelings": 0}
        assert (
            "  public.feelings: 0 rows in" in second.stdout
            and "(none added: all 100 were refused: 100 by unique key feelings_pkey; the table already had 2 rows, "
            "whose values they repeat)"
            in second.stdout
        ), second.stdout
        with pg.connect(url) as conn:
            totals = conn.execute(
                "SELECT count(*), count(DISTINCT email), (SELECT count(*) FROM places) FROM users"
            ).fetchone()
        assert totals == (200, 200, 200)
