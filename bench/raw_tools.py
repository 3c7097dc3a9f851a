"""The baseline of `make bench`: what a team would run by hand without chatmaps-db.

The same pinned Atlas and the same embedded PostgreSQL as `make generate`, then
sqlacodegen: `atlas migrate diff` (dev database), `atlas migrate apply` (fresh database),
`sqlacodegen` into OUT/tables.py. No IR, no Pydantic models, no formatting, no docs.

usage: raw_tools.py SCHEMA MIGRATIONS OUT
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codegen.dev import atlas, pg


def main(schema: Path, migrations: Path, out: Path) -> None:
    with pg.throwaway_server() as server:
        with pg.scratch_database(server.url, "dev") as dev:
            atlas.migrate_diff("", schema, migrations, dev)
        with pg.scratch_database(server.url, "db") as url:
            atlas.migrate_apply(migrations, url)
            out.mkdir(parents=True, exist_ok=True)
            sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
            subprocess.run(
                [str(Path(sys.executable).parent / "sqlacodegen"), sa_url, "--outfile", str(out / "tables.py")],
                check=True,
            )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
