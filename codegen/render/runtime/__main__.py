"""`python -m chatmaps_db health [--json] [--timeout SECONDS]`: a probe for container health
checks and Kubernetes exec probes.

Reads DATABASE_URL (and DATABASE_*) as a service does, runs health() once, and exits 0 when the
database is ready (it answers and has this package's migrations) and 1 otherwise, with one line
on stderr: the status and why. --json prints the health JSON on stdout either way.

    HEALTHCHECK CMD python -m chatmaps_db health          # Dockerfile
    readinessProbe: {exec: {command: [python, -m, chatmaps_db, health]}}
"""

from __future__ import annotations

import argparse
import json
import sys

from chatmaps_db.db import Database
from chatmaps_db.errors import ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chatmaps_db", description="Probes for container health checks.")
    commands = parser.add_subparsers(dest="command", required=True)
    health = commands.add_parser("health", help="exit 0 if the database is ready, else 1 with the reason on stderr")
    health.add_argument("--json", action="store_true", help="print the health JSON on stdout")
    health.add_argument("--timeout", type=float, help="seconds to wait for an answer (default DATABASE_HEALTH_TIMEOUT)")
    args = parser.parse_args(argv)
    try:
        db = Database.from_env(min_size=0, max_size=1)
    except ConfigError as exc:
        print(f"chatmaps_db health: {exc}", file=sys.stderr)
        return 1
    try:
        found = db.health(timeout=args.timeout)
    finally:
        db.close()
    if args.json:
        print(json.dumps(found.as_dict(), indent=2, sort_keys=True))
    elif found.ready:
        shown = f"{found.latency_ms:.1f} ms" if found.latency_ms is not None else "-"
        print(f"ok: {db.settings.safe_url} answered in {shown}, migration {found.schema_version}")
    if not found.ready:
        print(f"chatmaps_db health: {found.status}: {found.error}", file=sys.stderr)
        return 1
    for replica in found.replicas:
        if replica.status != "ok":
            print(f"chatmaps_db health: replica {replica.status} (skipped by reads): {replica.error}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
