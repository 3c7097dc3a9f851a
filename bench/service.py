"""Services and replicas, side by side in one run:

- replica routing: GETS `db.users.get(id)` calls with DATABASE_REPLICA_URLS set (each read to a
  real streaming replica, the lag read once a second) vs the same calls on a Database without
  replicas, on the primary: what the router costs per read;
- `/api/health` over real HTTP (uvicorn in a subprocess, httpx keep-alive) vs `/api/health/live`
  on the same server (no database I/O): what the readiness check costs per request.

Time is the median of REPEAT interleaved runs. `python -m bench.service` runs this part alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated")]

from bench.access import _median_pair  # noqa: E402
from codegen.dev import atlas, pg  # noqa: E402
from codegen.paths import GENERATED, MIGRATIONS  # noqa: E402

GETS = int(os.environ.get("BENCH_REPLICA_GETS", "5000"))
REQUESTS = int(os.environ.get("BENCH_HEALTH_REQUESTS", "1000"))


def run() -> list[str]:
    import httpx

    from chatmaps_db import Database, models

    lines = ["", "services and replicas (python -m bench.service)"]
    with pg.throwaway_server() as primary:
        url = pg.create_database(primary.url, "bench")
        atlas.migrate_apply(MIGRATIONS, url)
        with pg.streaming_replica(primary) as replica:
            routed = Database(url, replica_urls=[replica.database_url("bench")])
            direct = Database(url)
            user = direct.users.insert(models.UserInsert(name="Bench", email="bench@example.com"))
            while routed.users.get(user.id) is None:  # until the replica has replayed it
                time.sleep(0.01)

            def gets(db: Database) -> None:
                for _ in range(GETS):
                    db.users.get(user.id)

            ours, base = _median_pair(lambda: gets(routed), lambda: gets(direct))
            lines.append(
                f"  db.users.get x{GETS} routed to a replica  {ours:6.3f} s   on the primary, no replicas: "
                f"{base:6.3f} s   {ours / base:5.2f}x time ({(ours - base) / GETS * 1e6:+.1f} us a read)"
            )
            routed.close()
            direct.close()

        port = pg.free_port()
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": f"{ROOT}{os.pathsep}{GENERATED}"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "examples.service.app:app", "--port", str(port), "--log-level", "error"],
            cwd=ROOT,
            env=env,
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                for _ in range(300):
                    try:
                        client.get("/api/health/live")
                        break
                    except httpx.TransportError:
                        time.sleep(0.05)

                def hit(path: str) -> None:
                    for _ in range(REQUESTS):
                        assert client.get(path).status_code == 200

                ours, base = _median_pair(lambda: hit("/api/health"), lambda: hit("/api/health/live"))
                lines.append(
                    f"  GET /api/health x{REQUESTS} over HTTP      {ours:6.3f} s   /api/health/live (no I/O): "
                    f"{base:6.3f} s   {ours / base:5.2f}x time ({ours / REQUESTS * 1000:.2f} ms a request)"
                )
        finally:
            proc.terminate()
            proc.wait(10)
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
