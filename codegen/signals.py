"""SIGTERM and SIGHUP end a command the way Ctrl-C does: by unwinding, so that every `with`
block and `finally` runs (a scratch server is stopped, a temporary folder removed).

Python's default for SIGTERM ends the process on the spot, leaving chatmaps-pg-* folders
and their running PostgreSQL behind.
"""

from __future__ import annotations

import signal
from types import FrameType

_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):
    """The process received SIGTERM or SIGHUP. A BaseException, like KeyboardInterrupt: no
    `except Exception` on the way up may swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def _raise(signum: int, frame: FrameType | None) -> None:
    for other in _SIGNALS:  # once: a second signal must not cut the clean-up short
        signal.signal(other, signal.SIG_IGN)
    raise Stopped(signum)


def stop_on_signals() -> None:
    """From now on SIGTERM and SIGHUP raise Stopped in the main thread."""
    for signum in _SIGNALS:
        signal.signal(signum, _raise)
