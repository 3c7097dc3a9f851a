"""SIGTERM, SIGHUP and SIGINT (Ctrl-C) end a command by unwinding, so that every `with` block
and `finally` runs (a scratch server is stopped, a temporary folder removed), once: a second
signal, a second Ctrl-C, is ignored until the clean-up is done.

Python's default for SIGTERM ends the process on the spot, leaving chatmaps-pg-* folders
and their running PostgreSQL behind; its KeyboardInterrupt for SIGINT comes again with
every Ctrl-C, and a second one cuts the clean-up short.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


class Stopped(BaseException):
    """The process received SIGTERM, SIGHUP or SIGINT. A BaseException, like KeyboardInterrupt:
    no `except Exception` on the way up may swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def _raise(signum: int, frame: FrameType | None) -> None:
    for other in _SIGNALS:  # once: a second signal must not cut the clean-up short
        signal.signal(other, signal.SIG_IGN)
    raise Stopped(signum)


def stop_on_signals() -> None:
    """From now on SIGTERM, SIGHUP and SIGINT raise Stopped in the main thread."""
    for signum in _SIGNALS:
        signal.signal(signum, _raise)


@contextmanager
def _held() -> Iterator[None]:
    """SIGTERM, SIGHUP and SIGINT held back by the kernel inside the block, delivered (and so
    raised as Stopped) as it ends: what the block did is done, and assigned, before a signal
    can unwind past it."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder, removed on the way out whenever the one signal arrives: while it is
    being made (a signal between mkdtemp's mkdir and the assignment left it, unnamed, behind), or
    while it is being removed (tempfile.TemporaryDirectory stops half-way then)."""
    path: Path | None = None
    try:
        with _held():
            path = Path(tempfile.mkdtemp(prefix=prefix))
        yield path
    finally:
        if path is not None:
            try:
                shutil.rmtree(path, ignore_errors=True)
            except Stopped:  # later signals are ignored: this second pass finishes
                shutil.rmtree(path, ignore_errors=True)
                raise
