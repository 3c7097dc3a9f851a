"""`make seed` at the issue's size, side by side in one run:

- ours: seed.seed() of USERS users with as many accounts and sessions (planned from the catalog,
  Faker values, each row validated by its Insert model, binary COPY through insert_many, keys
  read back), on a fresh migrated database;
- baseline "Faker alone": the same value makers called for the same rows, into plain dicts,
  with no validation and no database: what generating the values costs by itself.

Time is the median of REPEAT interleaved runs. `python -m bench.seed` runs this part alone.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated")]

from bench.access import _median_pair  # noqa: E402
from codegen.dev import atlas, pg, seed  # noqa: E402
from codegen.introspect import catalog as introspect  # noqa: E402
from codegen.paths import MIGRATIONS  # noqa: E402

USERS = int(os.environ.get("BENCH_SEED_USERS", "10000"))
TABLES = {"public.users", "public.accounts", "public.sessions"}


def run() -> list[str]:
    from faker import Faker

    from chatmaps_db import Database

    lines = ["", "make seed (python -m bench.seed)"]
    with pg.throwaway_server() as server:
        url = pg.create_database(server.url, "seedbench")
        atlas.migrate_apply(MIGRATIONS, url)
        catalog = introspect.introspect(url)
        db = Database(url)
        keys: dict[str, dict[tuple[str, ...], list[tuple[object, ...]]]] = {}
        referenced = seed.referenced_keys(catalog)

        def ours() -> None:
            with db.connection() as conn:
                conn.execute("TRUNCATE users CASCADE")
            seed.seed(db, catalog, rows=USERS, seed=1, only=TABLES)

        def faker_alone() -> None:
            bound = seed._tables_of(db)
            for table in seed.order(catalog):
                if table.qualified not in TABLES:
                    continue
                rng = random.Random(f"1:{table.qualified}")
                fake = Faker()
                fake.seed_instance(rng.randrange(2**32))
                makers = seed._plan(table, bound[table.qualified][1], {}, {}, keys, rng, fake, USERS)
                [{c: make(i) for c, make in makers.items()} for i in range(USERS)]
                keys[table.qualified] = seed.read_keys(db, table, referenced.get(table.qualified, set()))

        ours_s, base_s = _median_pair(ours, faker_alone)
        lines.append(
            f"  {USERS} users + {USERS} accounts + {USERS} sessions: {ours_s:6.2f} s   "
            f"Faker alone, same values: {base_s:6.2f} s   {ours_s / base_s:5.2f}x time"
        )
        db.close()
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
