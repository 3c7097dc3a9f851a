"""One measurement in a fresh process, for bench.py: prints "seconds MB" (MB: resident
memory added by the measured step, read from /proc before and after).

usage: probe.py models-one PKG_DIR CLASS     import chatmaps_db.models, use CLASS, CLASSInsert,
                                             CLASSUpdate (validate, JSON schema)
       probe.py models-all PKG_DIR           import chatmaps_db.models and build every model
       probe.py tables PKG_DIR               import chatmaps_db.tables
       probe.py metadata-ir URL              read the catalog, build tables.py's MetaData from it
       probe.py metadata-build URL           only the build, from a catalog read before
       probe.py metadata-reflect URL         SQLAlchemy's MetaData.reflect() on the same database
                                             (the three without their imports)
"""

from __future__ import annotations

import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any


def _rss_mb() -> float:
    """Resident memory now (Linux: /proc), else the peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return pages * resource.getpagesize() / 2**20


def main(what: str, where: str, *rest: str) -> None:
    if what.startswith("metadata"):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    else:
        sys.path.insert(0, where)
    rss0, start = _rss_mb(), time.perf_counter()
    if what == "models-one":
        from chatmaps_db import models

        row: Any = getattr(models, rest[0])
        insert: Any = getattr(models, rest[0] + "Insert")
        update: Any = getattr(models, rest[0] + "Update")
        insert.model_validate({"name": "x"})
        update.model_validate({})
        row.model_json_schema()
    elif what == "models-all":
        from chatmaps_db import models

        for name in models.__all__:
            value = getattr(models, name)
            if hasattr(value, "model_rebuild"):
                value.model_rebuild()  # built now if its build was deferred
    elif what == "tables":
        import chatmaps_db.tables  # noqa: F401
    elif what in ("metadata-ir", "metadata-build"):  # imports untimed: both paths need SQLAlchemy and psycopg
        from codegen.introspect import catalog
        from codegen.plan import sqla

        ir = catalog.introspect(where) if what == "metadata-build" else None  # the read the models need anyway
        rss0, start = _rss_mb(), time.perf_counter()
        sqla.metadata(ir or catalog.introspect(where))
    elif what == "metadata-reflect":
        from sqlalchemy import MetaData, create_engine

        engine = create_engine(where.replace("postgresql://", "postgresql+psycopg://", 1))
        warnings.simplefilter("ignore")  # "Did not recognize type 'point'": its known weakness, not news here
        rss0, start = _rss_mb(), time.perf_counter()
        MetaData().reflect(engine, views=True)
    else:
        raise SystemExit(__doc__)
    print(time.perf_counter() - start, _rss_mb() - rss0)


if __name__ == "__main__":
    main(*sys.argv[1:])
