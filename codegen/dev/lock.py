"""One writer at a time per project: `make generate`, `make migrate-hash` and `make golden`
take an exclusive lock on the project folder, and a second one waits for the first.

Two generates at once both diffed schema.hcl against the same migrations/ and wrote the same
migration twice. Waiting (rather than failing) is what a user wants from `make generate` run
twice: the second one then sees the first one's migration and finds nothing left to write.

The lock is flock(2) on the project directory itself: no lock file to leave behind or to
ignore in git, and the kernel drops it when the process ends, however it ends.
`python -m codegen.dev.lock DIR WHAT -- COMMAND...` runs a command under it (make golden).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def project_lock(project: Path, what: str) -> Iterator[None]:
    """Hold the project's lock for the block, waiting (with one line on stderr) while another
    command holds it. `what` names this command in that line."""
    fd = os.open(project, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(
                f"{what}: waiting for another make generate, migrate-hash or golden in {project} to finish",
                file=sys.stderr,
                flush=True,
            )
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def main(argv: list[str]) -> int:
    """DIR WHAT -- COMMAND...: run COMMAND while holding DIR's lock; its exit code."""
    if len(argv) < 4 or argv[2] != "--":
        print("usage: python -m codegen.dev.lock DIR WHAT -- COMMAND...", file=sys.stderr)
        return 2
    with project_lock(Path(argv[0]), argv[1]):
        return subprocess.call(argv[3:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
